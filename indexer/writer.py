"""Writing an index version: read files, classify what changed, embed in batches, publish.

Every write happens under the data directory's write lock, in a new version folder built from the
live one; the folder is published (and `current` swapped) only when complete, so readers never see
half a write and a failed write changes nothing. A write costs what it changes: the vectors it
embeds become a new segment beside the live ones (linked, not copied), and only the passages of
the records it touched are analysed again for the keyword index.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ngen_connect.embedding import Vectors
from ngen_connect.errors import FileProblem, InputFileError, QueryError, StorageError
from ngen_connect.index.datadir import DataDir, fault_point, now
from ngen_connect.index.keywords import KeywordIndex, passage_terms
from ngen_connect.index.products import PRODUCT_LIST, product_keywords
from ngen_connect.index.store import MIGRATIONS, SCHEMA_VERSION, Store
from ngen_connect.index.vectors import Ids, VectorIndex
from ngen_connect.index.version import RECORDS, Manifest, vectors_stem
from ngen_connect.indexer.readers import read_rows
from ngen_connect.indexer.rows import content_hashes, merge_profiles, read_profiles
from ngen_connect.models import IndexReport, Kind, NoProgress, Profile, Progress

#: profiles embedded together, then written to the version being built
_BATCH_PROFILES = 64
#: passages embedded together when an encoder is added to an existing index
_UPGRADE_BATCH = 256


@dataclass(frozen=True)
class Encoder:
    """The embedder as the writer needs it: its identity, and passages in, vectors out."""

    model_id: str
    dim: int
    encode_documents: Callable[[Sequence[str]], Vectors]


@dataclass
class _Changes:
    embed: list[Profile] = field(default_factory=list)
    metadata: list[Profile] = field(default_factory=list)
    hashes: dict[str, tuple[str, str]] = field(default_factory=dict)


class IndexWriter:
    """Writes new index versions into one data directory with one encoder, or several fused (each
    with its own vectors file; the first one sets the index's identity)."""

    def __init__(self, data: DataDir, encoders: Callable[[], list[Encoder]]) -> None:
        self.data = data
        # The encoders load their models, so they are asked for only when a write needs them.
        self._encoders = encoders

    # -- reading files ---------------------------------------------------------------------------

    def read_files(
        self,
        paths: Sequence[Path],
        kind: Kind | Sequence[Kind | None] | None,
        mapping: Mapping[str, str] | None,
        report: IndexReport,
        labels: Sequence[str] | None = None,
    ) -> list[Profile]:
        """Read every row of every file; rejected rows and warnings go to the report.

        `kind` is one kind for every file, one per file, or None to infer each file's kind from
        its columns. Rows without an id column that name the same organisation at the same
        place (a directory listing a company once per category) become one record.
        """
        if not paths:
            raise InputFileError(
                FileProblem("(no file)", None, None, "give at least one file to index"),
                "donnez au moins un fichier à indexer",
            )
        kinds = _kinds_per_file(kind, len(paths))
        profiles: dict[str, Profile] = {}
        first_seen: dict[str, tuple[int, str, int | None]] = {}
        names = list(labels) if labels is not None else [str(p) for p in paths]
        for position, (path, file_kind) in enumerate(zip(paths, kinds, strict=True)):
            label = names[position]
            for parsed in read_profiles(label, read_rows(path, label), file_kind, mapping):
                report.read += 1
                report.warnings.extend(parsed.warnings)
                profile = parsed.profile
                if profile is None:
                    report.rejected.extend(parsed.errors)
                    continue
                if profile.key not in first_seen:
                    first_seen[profile.key] = (position, label, profile.source_row)
                    profiles[profile.key] = profile
                    continue
                seen_in, file, row = first_seen[profile.key]
                where = (
                    f"row {row}"
                    if seen_in == position
                    else f"{file} (file {seen_in + 1}), row {row}"
                )
                if parsed.generated_id:
                    profiles[profile.key] = merge_profiles(profiles[profile.key], profile)
                    report.merged += 1
                    report.warnings.append(
                        FileProblem(
                            label,
                            profile.source_row,
                            None,
                            f"same name and place as {where}, and no id: merged into that record",
                        )
                    )
                    continue
                report.rejected.append(
                    FileProblem(
                        label,
                        profile.source_row,
                        "id",
                        f"duplicate id '{profile.id}': already used by {where}",
                    )
                )
        return list(profiles.values())

    # -- writing ---------------------------------------------------------------------------------

    def index_profiles(
        self,
        profiles: Sequence[Profile],
        *,
        report: IndexReport | None = None,
        rebuild: bool = False,
        progress: Progress | None = None,
    ) -> IndexReport:
        """Add or update `profiles`; unchanged ones cost nothing, changed text is re-embedded."""
        report = report if report is not None else IndexReport(read=len(profiles))
        with self.data.write_lock():
            live = None if rebuild else self._live()
            existing: dict[str, tuple[str, str]] = {}
            if live is not None:
                store = self._open_live(live)
                existing = store.hashes()
                store.close()
            changes = _classify(profiles, existing, report)
            if live is not None and not changes.embed and not changes.metadata:
                report.version = live.name
                return report
            self._write(live, changes, report, progress or NoProgress())
        return report

    def replace_registry(
        self,
        name: str,
        profiles: Sequence[Profile],
        listings: Mapping[str, dict[str, Any]],
        *,
        progress: Progress | None = None,
        alongside: Callable[[Path], None] | None = None,
    ) -> IndexReport:
        """Make `profiles` the registry's own records and `listings` (member key -> values) its
        listings, in one new index version; its records not in `profiles` are removed.

        `alongside` writes what must be published with the version (the kept upload it comes
        from) into a subfolder of the version's folder, which it is given once the index files
        are written and before the folder is published: both become live in the one `current`
        swap, or neither does.
        """
        report = IndexReport(read=len(profiles))
        with self.data.write_lock():
            live = self._live()
            existing: dict[str, tuple[str, str]] = {}
            stale: list[str] = []
            if live is not None:
                store = self._open_live(live)
                existing = store.hashes()
                stale = sorted(store.registry_keys(name) - {p.key for p in profiles})
                store.close()
            changes = _classify(profiles, existing, report)
            report.removed = len(stale)
            self._write(
                live,
                changes,
                report,
                progress or NoProgress(),
                stale,
                (name, dict(listings)),
                alongside,
            )
        return report

    def delete(self, keys: Iterable[str]) -> list[str]:
        """Remove records by key; returns the keys that were found and removed."""
        with self.data.write_lock():
            self.data.require_current()
            live = self._live()
            assert live is not None
            store = self._open_live(live)
            found = store.existing_keys(keys)
            store.close()
            if found:
                self._write(live, _Changes(), IndexReport(), NoProgress(), delete=found)
        return found

    def bring_up_to_date(self, live: Path) -> Path:
        """The live version, first migrated to this release's schema (nothing re-embedded) and
        given the vectors of any encoder in use that it lacks (computed from the stored passages,
        no file re-read), each in a new version."""
        with self.data.write_lock():
            current = self.data.current
            return self._up_to_date(current if current is not None else live)

    def needs_update(self, manifest: Manifest) -> bool:
        return self.can_migrate(manifest) or bool(self._missing_encoders(manifest))

    def _live(self) -> Path | None:
        """The live version, brought up to date first (under the write lock)."""
        live = self.data.current
        return None if live is None else self._up_to_date(live)

    def _up_to_date(self, live: Path) -> Path:
        manifest = Manifest.read(live)
        if self.can_migrate(manifest):
            live = self._migrate(live, manifest)
            manifest = Manifest.read(live)
        missing = self._missing_encoders(manifest)
        if missing:
            live = self._add_encoders(live, manifest, missing)
        return live

    def _missing_encoders(self, manifest: Manifest) -> list[Encoder]:
        if manifest.schema_version != SCHEMA_VERSION:
            return []
        primary, *others = self._encoders()
        if manifest.model != primary.model_id:
            return []  # another model: refused when the version is opened
        return [e for e in others if manifest.encoder(e.model_id) is None]

    def _add_encoders(self, live: Path, manifest: Manifest, missing: list[Encoder]) -> Path:
        folder = self.data.new_version(live)
        try:
            store = Store(folder / RECORDS, read_only=True)
            try:
                sources = store.embedding_sources()
            finally:
                store.close()
            ids = np.asarray([pid for pid, _, _ in sources], dtype=np.int64)
            texts = [embedding_text_of(name, text) for _, name, text in sources]
            for encoder in missing:
                vectors = VectorIndex(encoder.dim)
                for start in range(0, len(texts), _UPGRADE_BATCH):
                    batch = texts[start : start + _UPGRADE_BATCH]
                    vectors.add(
                        ids[start : start + _UPGRADE_BATCH], encoder.encode_documents(batch)
                    )
                segments, deleted = vectors.save(folder, vectors_stem(encoder.model_id, False))
                manifest.encoders.append(
                    {
                        "model": encoder.model_id,
                        "dim": encoder.dim,
                        "segments": segments,
                        "deleted": deleted,
                    }
                )
            manifest.updated, manifest.version = now(), self.data.version_name(folder)
            manifest.write(folder)
            return self.data.publish(folder)
        except BaseException as exc:
            self.data.discard(folder)
            if _full(exc):
                raise _storage_error(exc, self.data.root) from None
            raise

    def _migrate(self, live: Path, manifest: Manifest) -> Path:
        folder = self.data.new_version(live)
        try:
            store = Store(folder / RECORDS)
            try:
                manifest.schema_version = store.migrate(manifest.schema_version)
                store.checkpoint()
                save_keyword_indexes(store, folder)
            finally:
                store.close()
            manifest.updated, manifest.version = now(), self.data.version_name(folder)
            manifest.write(folder)
            return self.data.publish(folder)
        except BaseException as exc:
            self.data.discard(folder)
            if _full(exc):
                raise _storage_error(exc, self.data.root) from None
            raise

    @staticmethod
    def can_migrate(manifest: Manifest) -> bool:
        return manifest.schema_version < SCHEMA_VERSION and manifest.schema_version in MIGRATIONS

    def _open_live(self, live: Path) -> Store:
        primary = self._encoders()[0]
        Manifest.read(live).check_compatible(primary.model_id, primary.dim, self.data.root)
        return Store(live / RECORDS, read_only=True)

    def _write(
        self,
        live: Path | None,
        changes: _Changes,
        report: IndexReport,
        progress: Progress,
        delete: Sequence[str] = (),
        listings: tuple[str, dict[str, dict[str, Any]]] | None = None,
        alongside: Callable[[Path], None] | None = None,
    ) -> None:
        folder = self.data.new_version(live)
        try:
            encoders = self._encoders()
            if live:
                manifest = Manifest.read(folder)
                indexes = _fused_vectors(folder, manifest, encoders)
            else:
                primary, *others = encoders
                manifest = Manifest(primary.model_id, primary.dim, created=now())
                manifest.encoders = [
                    {"model": e.model_id, "dim": e.dim, "segments": []} for e in others
                ]
                indexes = {e.model_id: VectorIndex(e.dim) for e in encoders}
            store = Store(folder / RECORDS)
            try:
                # what the keyword and product indexes must look at again
                touched = [*delete, *(p.key for p in changes.embed)]
                touched += [p.key for p in changes.metadata]
                replaced = store.record_passage_ids(touched)
                listed_products = bool(store.attribute_lists(PRODUCT_LIST, touched))
                if delete:
                    doomed = store.record_passage_ids(delete)
                    for vectors in indexes.values():
                        vectors.remove(doomed)
                    store.delete(delete)
                self._embed_and_store(changes, store, indexes, encoders, report, progress)
                store.upsert([(p, changes.hashes[p.key]) for p in changes.metadata], None)
                if listings is not None:
                    store.replace_listings(*listings)
                store.checkpoint()
                if live:
                    listed_products |= bool(store.attribute_lists(PRODUCT_LIST, touched))
                    save_keyword_indexes(store, folder, (touched, replaced), listed_products)
                else:
                    save_keyword_indexes(store, folder)
                manifest.counts = store.counts()
                manifest.passages = store.passage_count()
            finally:
                store.close()
            for listed in manifest.vector_sets():
                stem = vectors_stem(listed.model, listed.model == manifest.model)
                segments, deleted = indexes[listed.model].save(folder, stem)
                manifest.set_vectors(listed.model, segments, deleted)
            _drop_unlisted(folder, manifest)
            manifest.updated = now()
            manifest.version = self.data.version_name(folder)
            manifest.write(folder)
            fault_point("version-built")
            if alongside is not None:
                alongside(folder)
            report.version = self.data.publish(folder).name
            fault_point("after-prune")
        except BaseException as exc:
            self.data.discard(folder)
            if _full(exc):
                raise _storage_error(exc, self.data.root) from None
            raise

    def _embed_and_store(
        self,
        changes: _Changes,
        store: Store,
        indexes: Mapping[str, VectorIndex],
        encoders: Sequence[Encoder],
        report: IndexReport,
        progress: Progress,
    ) -> None:
        total = sum(len(p.passages) for p in changes.embed)
        if not total:
            return
        progress.start(total, "Embedding passages")
        try:
            for start in range(0, len(changes.embed), _BATCH_PROFILES):
                batch = changes.embed[start : start + _BATCH_PROFILES]
                texts = [embedding_text(p, i) for p in batch for i in range(len(p.passages))]
                embedded = [encoder.encode_documents(texts) for encoder in encoders]
                replaced = store.record_passage_ids([p.key for p in batch])
                ids = store.allocate_passage_ids(len(texts))
                for encoder, vectors in zip(encoders, embedded, strict=True):
                    indexes[encoder.model_id].remove(replaced)
                    indexes[encoder.model_id].add(ids, vectors)
                per_profile, offset = {}, 0
                for p in batch:
                    per_profile[p.key] = ids[offset : offset + len(p.passages)]
                    offset += len(p.passages)
                store.upsert([(p, changes.hashes[p.key]) for p in batch], per_profile)
                report.passages_embedded += len(texts)
                progress.advance(len(texts))
        finally:
            progress.close()


def save_keyword_indexes(
    store: Store,
    folder: Path,
    touched: tuple[Sequence[str], Ids] | None = None,
    products_changed: bool = True,
) -> None:
    """The version's BM25 indexes: over passages, and over listed products when there are any.

    With `touched` (the keys of the records a write changed, and their passage ids before it),
    the keyword index in `folder` (the live one's) gets only those records' passages analysed
    again; without it, or when `folder` has none, every passage is. The product index is rebuilt
    when `products_changed` (a touched record lists products, or did), else kept as it is.
    """
    previous = KeywordIndex.load(folder, writable=True) if touched is not None else None
    if previous is None or touched is None:
        keywords = KeywordIndex.from_store(store)
    else:
        keys, replaced = touched
        keywords = previous.updated(replaced, passage_terms(store, keys))
    keywords.save(folder)
    if not products_changed and (folder / "products.json").is_file():
        return
    for stale in folder.glob("products.*"):
        stale.unlink()
    products = product_keywords(store.attribute_lists(PRODUCT_LIST))
    if products is not None:
        products.save(folder, "products")


def embedding_text(profile: Profile, ordinal: int) -> str:
    """Every passage carries the name: names often say what a company does, and it ties a
    passage to its profile."""
    return embedding_text_of(profile.name, profile.passages[ordinal].text)


def embedding_text_of(name: str, passage: str) -> str:
    return f"{name}. {passage}"


def _fused_vectors(
    folder: Path, manifest: Manifest, encoders: Sequence[Encoder]
) -> dict[str, VectorIndex]:
    """The version's vectors for every encoder in use; those of an encoder no longer in use are
    dropped (their files go with `_drop_unlisted`), as they would fall out of step with the
    records."""
    in_use = {e.model_id for e in encoders}
    manifest.encoders = [entry for entry in manifest.encoders if entry["model"] in in_use]
    return {vectors.model: vectors.open(folder) for vectors in manifest.vector_sets()}


def _drop_unlisted(folder: Path, manifest: Manifest) -> None:
    """Remove the vector files the manifest no longer lists (compacted segments, an encoder no
    longer in use): they are links, so the versions that list them keep them."""
    listed = manifest.vector_files()
    for path in [*folder.glob("vectors*.faiss"), *folder.glob("vectors*.npy")]:
        if path.name not in listed:
            path.unlink()


def _full(exc: BaseException) -> bool:
    return StorageError.of(exc) is not None


def _storage_error(exc: BaseException, root: Path) -> StorageError:
    free = shutil.disk_usage(root).free // (1024 * 1024) if root.exists() else 0
    return StorageError(
        f"The disk holding {root} is full ({free:,} MB free): nothing was changed; the index "
        "stays as it was. Free some space and try again.",
        f"Le disque qui contient {root} est plein ({free:,} Mo libres) : rien n'a été modifié. "
        "Libérez de l'espace et réessayez.",
    )


def _kinds_per_file(kind: Kind | Sequence[Kind | None] | None, files: int) -> list[Kind | None]:
    if kind is None or isinstance(kind, Kind):
        return [kind] * files
    kinds = list(kind)
    if len(kinds) == 1:
        return kinds * files
    if len(kinds) != files:
        raise QueryError(
            f"{len(kinds)} kinds for {files} files: give one --kind for all files or one per file.",
            "Donnez un --kind pour tous les fichiers ou un par fichier.",
        )
    return kinds


def _classify(
    profiles: Sequence[Profile], existing: Mapping[str, tuple[str, str]], report: IndexReport
) -> _Changes:
    changes = _Changes()
    for profile in profiles:
        if profile.key in changes.hashes:
            # Two profiles with one key would leave the first one's vectors without a passage.
            raise ValueError(f"two profiles have the key '{profile.key}'; merge them first")
        hashes = content_hashes(profile)
        changes.hashes[profile.key] = hashes
        before = existing.get(profile.key)
        if before is None:
            report.added += 1
            changes.embed.append(profile)
        elif before[0] != hashes[0]:
            report.updated += 1
            changes.embed.append(profile)
        elif before[1] != hashes[1]:
            report.metadata_only += 1
            changes.metadata.append(profile)
        else:
            report.unchanged += 1
    return changes
