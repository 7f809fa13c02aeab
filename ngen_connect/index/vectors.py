"""Passage vectors in FAISS: exact inner product on normalised vectors, keyed by passage id."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt

from ngen_connect.embedding.base import Vectors
from ngen_connect.errors import IndexMismatchError

Ids = npt.NDArray[np.int64]


def _one_thread() -> None:
    """FAISS runs a query on the calling thread alone. Its OpenMP threads bring nothing to one
    query over tens of thousands of vectors but their wake-up: 5 to 17 ms instead of 1.3 for a
    search on 2 busy cores. Searches run in parallel on the server's threads instead. (OpenMP
    counts threads per calling thread, so each thread that searches says so.)"""
    faiss.omp_set_num_threads(1)


class VectorIndex:
    def __init__(self, dim: int, index: faiss.Index | None = None) -> None:
        self.dim = dim
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @classmethod
    def load(cls, path: Path, dim: int) -> VectorIndex:
        index = faiss.read_index(str(path))
        if index.d != dim:
            raise IndexMismatchError(f"{path} holds {index.d}-dimension vectors, expected {dim}")
        return cls(dim, index)

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: Ids, vectors: Vectors) -> None:
        if len(ids):
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64)
            )

    def remove(self, ids: Ids) -> int:
        if not len(ids):
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids.astype(np.int64))))

    def vectors(self, ids: Ids) -> Vectors:
        """The stored vectors of these passage ids, in order."""
        if not len(ids):
            return np.zeros((0, self.dim), dtype=np.float32)
        _one_thread()
        found: Vectors = self._index.reconstruct_batch(ids.astype(np.int64))
        return found

    def search(
        self, query: Vectors, k: int, allowed: Ids | None = None
    ) -> tuple[npt.NDArray[np.float32], Ids]:
        """Top-k passage ids and scores for one query vector, optionally only among `allowed` ids."""
        k = min(k, len(self) if allowed is None else min(len(self), len(allowed)))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))  # must outlive the search
            params = faiss.SearchParameters()
            params.sel = selector
        _one_thread()
        scores, ids = self._index.search(query.reshape(1, -1).astype(np.float32), k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep].astype(np.int64)
