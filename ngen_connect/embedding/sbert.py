"""Any sentence-transformers model kept in a local directory (nothing is downloaded)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ngen_connect.embedding.base import Embedder, Vectors, normalise
from ngen_connect.errors import EmbedderError, MissingDependencyError


def _default_prefixes(path: Path, prompts: dict[str, str]) -> tuple[str, str]:
    """The model's own prompts when it declares them; E5's prefixes for an E5 directory; else none."""
    query = prompts.get("query")
    document = prompts.get("document", prompts.get("passage"))
    if query is not None or document is not None:
        return query or "", document or ""
    if "e5" in path.name.lower():
        return "query: ", "passage: "
    return "", ""


class SentenceTransformerEmbedder(Embedder):
    def __init__(
        self,
        path: str | Path,
        *,
        query_prefix: str | None = None,
        document_prefix: str | None = None,
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None:
        self.path = Path(path).expanduser().resolve()
        if not (self.path / "modules.json").is_file() and not (self.path / "config.json").is_file():
            raise EmbedderError(
                f"{self.path} is not a sentence-transformers model directory "
                "(no modules.json or config.json in it)"
            )
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise MissingDependencyError("sentence-transformers", "sentence-transformers") from exc
        # Never reach for a model hub: the directory must hold everything.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        if threads:
            import torch

            torch.set_num_threads(threads)
        try:
            self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many unrelated types for a bad directory
            raise EmbedderError(f"Could not load the model in {self.path}: {exc}") from exc
        dim = self._model.get_embedding_dimension()
        if not dim:
            raise EmbedderError(f"The model in {self.path} does not report its embedding dimension")
        self.dim = int(dim)
        self.model_id = f"sentence-transformers:{self.path.parent.name}/{self.path.name}"
        default_query, default_document = _default_prefixes(
            self.path, {k: v for k, v in self._model.prompts.items() if v is not None}
        )
        self.query_prefix = default_query if query_prefix is None else query_prefix
        self.document_prefix = default_document if document_prefix is None else document_prefix
        self.batch_size = batch_size
        # sentence-transformers does not promise that one model may encode on two threads at once.
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str], prefix: str) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                [prefix + t for t in texts],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return normalise(np.asarray(vectors))

    def encode_documents(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self.document_prefix)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self.query_prefix)
