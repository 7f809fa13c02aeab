"""A deterministic embedder for unit tests: hashed words and character trigrams, no model needed."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from ngen_connect.embedding.base import Embedder, Vectors, normalise
from ngen_connect.text import fold

_WORD = re.compile(r"\w+")


def _bucket(token: str, dim: int) -> int:
    digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") % dim


class FakeEmbedder(Embedder):
    """Texts sharing words get similar vectors; same text, same vector, on every machine."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.model_id = f"fake:{dim}"

    def _encode(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(fold(text)):
                out[row, _bucket(word, self.dim)] += 1.0
                padded = f"#{word}#"
                for i in range(len(padded) - 2):
                    out[row, _bucket(padded[i : i + 3], self.dim)] += 0.25
        return normalise(out)

    def encode_documents(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts)
