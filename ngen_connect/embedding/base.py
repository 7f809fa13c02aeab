"""The embedder interface: two encoding methods and a dimension; everything else derives from them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors, so inner product is cosine similarity.

    Queries and documents are encoded separately because asymmetric models (E5) need different
    prefixes for each.

    Searches call an embedder from several threads at once: a backend whose model cannot take
    concurrent calls serialises them itself, around the model call only.
    """

    #: identifies the model in an index manifest; an index opened with another id is refused
    model_id: str
    dim: int

    @abstractmethod
    def encode_documents(self, texts: Sequence[str]) -> Vectors:
        """Embed passages of profiles; shape (len(texts), dim)."""

    @abstractmethod
    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        """Embed search queries; shape (len(texts), dim)."""

    def encode_query(self, text: str) -> Vectors:
        """One query as a (dim,) vector."""
        vectors: Vectors = self.encode_queries([text])[0]
        return vectors


def cosines(vectors: Vectors, query: Vectors) -> Vectors:
    """Each row's inner product with `query` (cosines, as both are unit vectors). `np.vecdot`
    rather than `@`: a matrix-vector product through BLAS wakes its threads, which costs more than
    the product itself over a query's candidate passages, most of all on busy cores."""
    products: Vectors = np.vecdot(vectors, query)
    return products


def normalise(vectors: npt.NDArray[np.floating]) -> Vectors:
    """Return float32 rows scaled to unit length (zero rows stay zero)."""
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: Vectors = out / norms
    return result
