"""An index version: the files of one published index, and how to open them for reading.

    versions/<version>/
      manifest.json     model, dimensions, schema version, counts (Manifest)
      records.duckdb    records, passages and registry listings (index.store)
      vectors.faiss     one vector per passage, by passage id (index.vectors)
      keywords.npz/json BM25 weights per passage (index.keywords)
      products.npz/json BM25 weights per listed product, when records list products (search.products)

A version never changes once published; a write builds the next one (index.datadir).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ngen_connect.atomic import write_atomic
from ngen_connect.errors import IndexMismatchError
from ngen_connect.index.keywords import KeywordIndex
from ngen_connect.index.store import SCHEMA_VERSION, Catalog, Store
from ngen_connect.index.vectors import VectorIndex

MANIFEST = "manifest.json"
RECORDS = "records.duckdb"
VECTORS = "vectors.faiss"


def carried_forward(folder: Path) -> list[str]:
    """The files the next version starts from: records, manifest and every encoder's vectors
    (the keyword index is rebuilt on every write)."""
    return [RECORDS, MANIFEST, *sorted(p.name for p in folder.glob("vectors*.faiss"))]


def vectors_file(model_id: str) -> str:
    """The file holding a fused encoder's vectors ("use3:..." -> "vectors-use3.faiss")."""
    slug = "".join(c if c.isalnum() else "-" for c in model_id.split(":", 1)[0].lower())
    return f"vectors-{slug}.faiss"


@dataclass
class Manifest:
    model: str
    dim: int
    schema_version: int = SCHEMA_VERSION
    counts: dict[str, int] = field(default_factory=dict)
    passages: int = 0
    created: str = ""
    updated: str = ""
    version: str = ""
    #: encoders fused with the first one (`model`): {"model", "dim", "file"} each
    encoders: list[dict[str, Any]] = field(default_factory=list)

    def encoder(self, model_id: str) -> dict[str, Any] | None:
        """The fused encoder's entry, or None when this index has no vectors of it."""
        return next((e for e in self.encoders if e["model"] == model_id), None)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            raise IndexMismatchError(
                f"The index manifest {path} is missing or unreadable: {exc}"
            ) from exc

    def write(self, folder: Path) -> None:
        write_atomic(folder / MANIFEST, json.dumps(asdict(self), indent=2) + "\n")

    def check_compatible(self, model_id: str, dim: int, where: Path) -> None:
        if self.schema_version != SCHEMA_VERSION:
            raise IndexMismatchError(
                f"The index in {where} has schema version {self.schema_version}; this release reads "
                f"version {SCHEMA_VERSION}. Rebuild it with: ngen-connect index --rebuild FILE..."
            )
        if self.model != model_id or self.dim != dim:
            raise IndexMismatchError(
                f"The index in {where} was built with the model '{self.model}' ({self.dim} dimensions), "
                f"but this process uses '{model_id}' ({dim} dimensions). Use --model {self.model} "
                "(or NGEN_CONNECT_MODEL), or rebuild with: ngen-connect index --rebuild FILE..."
            )


@dataclass
class IndexVersion:
    """One published version opened for reading: its parts, and every passage and record summary
    in memory (the catalog), so a query never waits on the database. `vectors` holds the first
    encoder's vectors, `fused` each encoder's (the first included) by model id."""

    folder: Path
    manifest: Manifest
    store: Store
    vectors: VectorIndex
    keywords: KeywordIndex
    catalog: Catalog
    fused: dict[str, VectorIndex] = field(default_factory=dict)
    #: BM25 over the products records list, as written with the version (None: none saved)
    products: KeywordIndex | None = None

    @classmethod
    def open(cls, folder: Path, manifest: Manifest) -> IndexVersion:
        store = Store(folder / RECORDS, read_only=True)
        try:
            vectors = VectorIndex.load(folder / VECTORS, manifest.dim)
            fused = {manifest.model: vectors}
            for entry in manifest.encoders:
                fused[entry["model"]] = VectorIndex.load(folder / entry["file"], entry["dim"])
            keywords = KeywordIndex.load(folder) or KeywordIndex.from_store(store)
            products = KeywordIndex.load(folder, "products")
            catalog = store.catalog()
            return cls(folder, manifest, store, vectors, keywords, catalog, fused, products)
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        self.store.close()
