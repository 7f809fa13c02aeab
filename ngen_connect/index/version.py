"""An index version: the files of one published index, and how to open them for reading.

    versions/<version>/
      manifest.json     model, dimensions, schema version, counts, vector files (Manifest)
      records.duckdb    records, passages and registry listings (index.store)
      vectors*.faiss    each encoder's vectors by passage id, in segments (index.vectors)
      vectors*.npy      the passage ids deleted from those segments since they were written
      keywords.npz/json term counts per passage, for BM25 (index.keywords)
      products.npz/json term counts per listed product, when records list products (search.products)

A version never changes once published; a write builds the next one (index.datadir): the records
file is copied and changed, every other file is linked from the live version and replaced, never
rewritten, when it changes.
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


#: the files a write changes in place, so the next version gets copies of them (every other file
#: of a version is linked: it is replaced, never rewritten)
COPIED = (RECORDS, MANIFEST)


def vectors_stem(model_id: str, primary: bool) -> str:
    """How an encoder's vector files are named: "vectors" for the first encoder, "vectors-use3"
    for a fused one ("use3:...")."""
    if primary:
        return "vectors"
    slug = "".join(c if c.isalnum() else "-" for c in model_id.split(":", 1)[0].lower())
    return f"vectors-{slug}"


@dataclass(frozen=True)
class VectorSet:
    """One encoder's vectors in a version: its segment files and its deletions file."""

    model: str
    dim: int
    segments: list[str]
    deleted: str | None = None

    def open(self, folder: Path) -> VectorIndex:
        return VectorIndex.open(folder, self.dim, self.segments, self.deleted)


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
    #: encoders fused with the first one (`model`): {"model", "dim", "segments", "deleted"} each
    #: (or {"model", "dim", "file"}: one segment, as versions written before segments list them)
    encoders: list[dict[str, Any]] = field(default_factory=list)
    #: the first encoder's segment files and deletions file (none listed: "vectors.faiss" alone)
    segments: list[str] = field(default_factory=list)
    deleted: str | None = None

    def encoder(self, model_id: str) -> dict[str, Any] | None:
        """The fused encoder's entry, or None when this index has no vectors of it."""
        return next((e for e in self.encoders if e["model"] == model_id), None)

    def vector_sets(self) -> list[VectorSet]:
        """Every encoder's vectors, the first encoder's first."""
        first = VectorSet(self.model, self.dim, self.segments or [VECTORS], self.deleted)
        return [
            first,
            *(
                VectorSet(
                    e["model"],
                    e["dim"],
                    e["segments"] if "segments" in e else [e["file"]],
                    e.get("deleted"),
                )
                for e in self.encoders
            ),
        ]

    def set_vectors(self, model_id: str, segments: list[str], deleted: str | None) -> None:
        """Record where an encoder's vectors now are."""
        if model_id == self.model:
            self.segments, self.deleted = segments, deleted
            return
        entry = self.encoder(model_id)
        assert entry is not None, model_id
        entry.pop("file", None)
        entry.update(segments=segments, deleted=deleted)

    def vector_files(self) -> set[str]:
        """The vector files this manifest lists."""
        listed: set[str] = set()
        for vectors in self.vector_sets():
            listed.update(vectors.segments)
            if vectors.deleted:
                listed.add(vectors.deleted)
        return listed

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
            fused = {v.model: v.open(folder) for v in manifest.vector_sets()}
            vectors = fused[manifest.model]
            keywords = KeywordIndex.load(folder) or KeywordIndex.from_store(store)
            products = KeywordIndex.load(folder, "products")
            catalog = store.catalog()
            return cls(folder, manifest, store, vectors, keywords, catalog, fused, products)
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        self.store.close()
