"""The engine: files in, index versions out; queries in, ranked organisations out.

Fronts (the command line, the HTTP API) make one call here and render what comes back.
"""

from __future__ import annotations

import errno
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ngen_connect.embedding import Embedder, load_embedder
from ngen_connect.errors import (
    InputFileError,
    QueryError,
    RecordNotFoundError,
    RowError,
    StorageError,
)
from ngen_connect.glossary import load_glossary
from ngen_connect.index.datadir import RECORDS, VECTORS, DataDir, Manifest, now
from ngen_connect.index.keywords import KeywordIndex
from ngen_connect.index.store import MIGRATIONS, SCHEMA_VERSION, Store
from ngen_connect.index.vectors import Ids, VectorIndex
from ngen_connect.indexer.passages import split_sentences
from ngen_connect.indexer.readers import read_rows
from ngen_connect.indexer.rows import content_hashes, merge_profiles, read_profiles
from ngen_connect.language import detect_query_language
from ngen_connect.limits import MAX_LIMIT, RESULT_POOL
from ngen_connect.models import IndexReport, Kind, Profile, SearchHit, SearchResponse
from ngen_connect.search.explain import highlight, why
from ngen_connect.search.filters import Filters, facet_counts
from ngen_connect.search.ranking import Candidate, QueryPlan, Ranker, Ranking, Weights, plan_query
from ngen_connect.settings import Settings
from ngen_connect.text import fold

_SNIPPET_CHARS = 300
_BATCH_PROFILES = 64
_MODEL_SLICE = 16


class Progress(Protocol):
    def start(self, total: int, description: str) -> None: ...
    def advance(self, n: int) -> None: ...
    def close(self) -> None: ...


class NoProgress:
    def start(self, total: int, description: str) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class _Reader:
    folder: Path
    manifest: Manifest
    store: Store
    vectors: VectorIndex
    ranker: Ranker

    def close(self) -> None:
        self.store.close()


@dataclass
class _Changes:
    embed: list[Profile]
    metadata: list[Profile]
    hashes: dict[str, tuple[str, str]]


class Engine:
    """Owns the embedder and the open index; heavy resources load once, on first use."""

    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, weights: Weights | None = None
    ) -> None:
        self.settings = settings
        self.weights = weights or Weights()
        self.data = DataDir(settings.data_dir)
        self._embedder = embedder
        self._reader: _Reader | None = None
        # The model is shared by searches and writes that may run on different threads.
        self._model_lock = threading.RLock()

    @property
    def embedder(self) -> Embedder:
        with self._model_lock:
            if self._embedder is None:
                self._embedder = load_embedder(
                    self.settings.model,
                    batch_size=self.settings.batch_size,
                    threads=self.settings.threads,
                )
            return self._embedder

    def _encode_documents(self, texts: Sequence[str]) -> Any:
        """Embed in small slices, each holding the model briefly, so a query waits for one slice
        of a long write, never for all of it."""
        parts = []
        for start in range(0, len(texts), _MODEL_SLICE):
            with self._model_lock:
                parts.append(
                    self.embedder.encode_documents(list(texts[start : start + _MODEL_SLICE]))
                )
        return np.vstack(parts) if parts else np.zeros((0, self.embedder.dim), dtype=np.float32)

    def _encode_query(self, text: str) -> Any:
        with self._model_lock:
            return self.embedder.encode_query(text)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    # -- reading the live index ------------------------------------------------------------------

    def _open(self) -> _Reader:
        folder = self.data.require_current()
        if self._reader is not None and self._reader.folder == folder:
            return self._reader
        self.close()
        manifest = Manifest.read(folder)
        if manifest.schema_version < SCHEMA_VERSION and manifest.schema_version in MIGRATIONS:
            folder = self._migrate(folder, manifest)
            manifest = Manifest.read(folder)
        manifest.check_compatible(self.embedder.model_id, self.embedder.dim, self.data.root)
        store = Store(folder / RECORDS, read_only=True)
        vectors = VectorIndex.load(folder / VECTORS, manifest.dim)
        keywords = KeywordIndex.load(folder) or KeywordIndex.from_store(store)
        ranker = Ranker(store, vectors, keywords, self.weights)
        self._reader = _Reader(folder, manifest, store, vectors, ranker)
        return self._reader

    def manifest(self) -> Manifest:
        return self._open().manifest

    def _migrate(self, live: Path, manifest: Manifest) -> Path:
        """Bring an index of an older schema up to date in a new version; nothing is re-embedded."""
        with self.data.write_lock():
            folder = self.data.new_version(live)
            try:
                store = Store(folder / RECORDS)
                try:
                    manifest.schema_version = store.migrate(manifest.schema_version)
                    store.checkpoint()
                    KeywordIndex.from_store(store).save(folder)
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

    # -- indexing ----------------------------------------------------------------------------------

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
        kinds = _kinds_per_file(kind, len(paths))
        profiles: dict[str, Profile] = {}
        first_seen: dict[str, tuple[int, str, int | None]] = {}
        names = list(labels) if labels is not None else [str(p) for p in paths]
        for position, (path, file_kind) in enumerate(zip(paths, kinds, strict=True)):
            label = names[position]
            for parsed in read_profiles(label, read_rows(path), file_kind, mapping):
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
                        RowError(
                            label,
                            profile.source_row,
                            None,
                            f"same name and place as {where}, and no id: merged into that record",
                        )
                    )
                    continue
                report.rejected.append(
                    RowError(
                        label,
                        profile.source_row,
                        "id",
                        f"duplicate id '{profile.id}': already used by {where}",
                    )
                )
        return list(profiles.values())

    def index_files(
        self,
        paths: Sequence[Path],
        *,
        kind: Kind | Sequence[Kind | None] | None = None,
        mapping: Mapping[str, str] | None = None,
        rebuild: bool = False,
        progress: Progress | None = None,
        labels: Sequence[str] | None = None,
    ) -> IndexReport:
        """Index files; unchanged rows cost nothing, changed text is re-embedded, bad rows are
        reported. `labels` name the files in reports and sources (an upload's own file name)."""
        started = time.perf_counter()
        report = IndexReport(files=list(labels) if labels is not None else [str(p) for p in paths])
        if not paths:
            raise InputFileError(
                RowError("(no file)", None, None, "give at least one file to index")
            )
        profiles = self.read_files(paths, kind, mapping, report, labels)
        self.index_profiles(profiles, report=report, rebuild=rebuild, progress=progress)
        report.seconds = time.perf_counter() - started
        return report

    def index_profiles(
        self,
        profiles: Sequence[Profile],
        *,
        report: IndexReport | None = None,
        rebuild: bool = False,
        progress: Progress | None = None,
    ) -> IndexReport:
        report = report if report is not None else IndexReport(read=len(profiles))
        with self.data.write_lock():
            live = None if rebuild else self.data.current
            existing: dict[str, tuple[str, str]] = {}
            if live is not None:
                Manifest.read(live).check_compatible(
                    self.embedder.model_id, self.embedder.dim, self.data.root
                )
                store = Store(live / RECORDS, read_only=True)
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
        on_published: Callable[[], None] | None = None,
    ) -> IndexReport:
        """Make `profiles` the registry's own records and `listings` (member key -> values) its
        listings, in one new index version; its records not in `profiles` are removed.

        `on_published` runs once the version is live, still under the write lock, so a process
        that loses the lock to another writer changes nothing at all.
        """
        report = IndexReport(read=len(profiles))
        with self.data.write_lock():
            live = self.data.current
            existing: dict[str, tuple[str, str]] = {}
            stale: list[str] = []
            if live is not None:
                Manifest.read(live).check_compatible(
                    self.embedder.model_id, self.embedder.dim, self.data.root
                )
                store = Store(live / RECORDS, read_only=True)
                existing = store.hashes()
                stale = sorted(store.registry_keys(name) - {p.key for p in profiles})
                store.close()
            changes = _classify(profiles, existing, report)
            report.removed = len(stale)
            self._write(
                live, changes, report, progress or NoProgress(), stale, (name, dict(listings))
            )
            if on_published is not None:
                on_published()
        return report

    def delete(self, ids: Iterable[str], kind: Kind = Kind.ORGANIZATION) -> list[str]:
        """Remove records by id; returns the ids that were found and removed."""
        keys = [f"{kind.value}:{i}" for i in ids]
        with self.data.write_lock():
            live = self.data.require_current()
            Manifest.read(live).check_compatible(
                self.embedder.model_id, self.embedder.dim, self.data.root
            )
            store = Store(live / RECORDS, read_only=True)
            found = store.existing_keys(keys)
            store.close()
            if found:
                self._write(live, _Changes([], [], {}), IndexReport(), NoProgress(), delete=found)
        return [key.split(":", 1)[1] for key in found]

    def _write(
        self,
        live: Path | None,
        changes: _Changes,
        report: IndexReport,
        progress: Progress,
        delete: Sequence[str] = (),
        listings: tuple[str, dict[str, dict[str, Any]]] | None = None,
    ) -> None:
        folder = self.data.new_version(live)
        try:
            manifest = (
                Manifest.read(folder)
                if live
                else Manifest(self.embedder.model_id, self.embedder.dim, created=now())
            )
            vectors = (
                VectorIndex.load(folder / VECTORS, manifest.dim)
                if live
                else VectorIndex(manifest.dim)
            )
            store = Store(folder / RECORDS)
            try:
                if delete:
                    vectors.remove(store.record_passage_ids(delete))
                    store.delete(delete)
                self._embed_and_store(changes, store, vectors, report, progress)
                store.upsert([(p, changes.hashes[p.key]) for p in changes.metadata], None)
                if listings is not None:
                    store.replace_listings(*listings)
                store.checkpoint()
                KeywordIndex.from_store(store).save(folder)
                manifest.counts = store.counts()
                manifest.passages = store.passage_count()
            finally:
                store.close()
            vectors.save(folder / VECTORS)
            manifest.updated = now()
            manifest.version = self.data.version_name(folder)
            manifest.write(folder)
            report.version = self.data.publish(folder).name
        except BaseException as exc:
            self.data.discard(folder)
            if _full(exc):
                raise _storage_error(exc, self.data.root) from None
            raise

    def _embed_and_store(
        self,
        changes: _Changes,
        store: Store,
        vectors: VectorIndex,
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
                texts = [_embedding_text(p, i) for p in batch for i in range(len(p.passages))]
                embedded = self._encode_documents(texts)
                keys = [p.key for p in batch]
                vectors.remove(store.record_passage_ids(keys))
                ids = store.allocate_passage_ids(len(texts))
                vectors.add(ids, embedded)
                per_profile, offset = {}, 0
                for p in batch:
                    per_profile[p.key] = ids[offset : offset + len(p.passages)]
                    offset += len(p.passages)
                store.upsert([(p, changes.hashes[p.key]) for p in batch], per_profile)
                report.passages_embedded += len(texts)
                progress.advance(len(texts))
        finally:
            progress.close()

    # -- searching ---------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        kinds: Sequence[Kind] | None = None,
        filters: Filters | None = None,
        limit: int = 10,
        offset: int = 0,
        ranking: Ranking = Ranking.HYBRID,
        ui_language: str = "en",
    ) -> SearchResponse:
        """One ranked page of results, the size of the whole result set and its facets.

        The result set is the best `RESULT_POOL` records that pass the kinds and filters; filters
        apply before ranking, so a filtered search still fills its page when enough records match.
        """
        text = self.validate_query(query)
        _check_page(limit, offset)
        reader = self._open()
        allowed = self._allowed(reader, kinds, filters)
        language = detect_query_language(text)
        plan = plan_query(text, language, self._encode_query(text), load_glossary())
        hidden = filters.hidden_registries if filters else ()
        ranked, passages = reader.ranker.rank(plan, allowed, RESULT_POOL, ranking)
        records = reader.ranker.catalog.records_of([c.key for c in ranked])
        page = [
            self._hit(records[c.key], c, passages, plan, ranking, hidden)
            for c in ranked[offset : offset + limit]
        ]
        facets = facet_counts([records[c.key] for c in ranked], ui_language)
        return SearchResponse(text, language, len(ranked), page, facets)

    def similar(
        self,
        record_id: str,
        *,
        kind: Kind = Kind.ORGANIZATION,
        filters: Filters | None = None,
        limit: int = 10,
    ) -> SearchResponse:
        """Records most like one record: the mean of its passage vectors as the query."""
        _check_page(limit, 0)
        reader = self._open()
        key = f"{kind.value}:{record_id}"
        own = reader.ranker.catalog.passages_of([key])
        if not own:
            raise RecordNotFoundError(
                f"There is no {kind.value} with id '{record_id}'.", "Fiche introuvable."
            )
        vector = reader.vectors.vectors(np.asarray(sorted(own), dtype=np.int64)).mean(axis=0)
        vector /= max(float(np.linalg.norm(vector)), 1e-9)
        allowed = self._allowed(reader, [kind], filters)
        plan = QueryPlan(
            reader.ranker.catalog.records[key]["name"], "und", vector, set(), [], set()
        )
        ranked, passages = reader.ranker.rank(plan, allowed, limit + 1, Ranking.SEMANTIC)
        ranked = [c for c in ranked if c.key != key][:limit]
        records = reader.ranker.catalog.records_of([c.key for c in ranked])
        hidden = filters.hidden_registries if filters else ()
        hits = [
            self._hit(records[c.key], c, passages, plan, Ranking.SEMANTIC, hidden) for c in ranked
        ]
        return SearchResponse(plan.text, "und", len(hits), hits, {})

    def capability_similarity(
        self, text: str, ids: Sequence[str], kind: Kind = Kind.ORGANIZATION
    ) -> list[float]:
        """Best cosine between `text` and each record's passages (0.0 for an unknown id)."""
        reader = self._open()
        query = self._encode_query(text)
        scores = []
        for record_id in ids:
            pids = reader.ranker.catalog.by_record.get(f"{kind.value}:{record_id}", [])
            vectors = reader.vectors.vectors(np.asarray(pids, dtype=np.int64))
            scores.append(float((vectors @ query).max()) if len(pids) else 0.0)
        return scores

    def records(self) -> dict[str, dict[str, Any]]:
        """Summaries of every record (id, kind, name, language, attributes), by record key."""
        return self._open().ranker.catalog.records

    def record(self, record_id: str, kind: Kind = Kind.ORGANIZATION) -> dict[str, Any]:
        """One record with its texts and attributes."""
        reader = self._open()
        found = reader.store.record_detail(f"{kind.value}:{record_id}")
        if found is None:
            raise RecordNotFoundError(
                f"There is no {kind.value} with id '{record_id}'.", "Fiche introuvable."
            )
        return found

    def _allowed(
        self, reader: _Reader, kinds: Sequence[Kind] | None, filters: Filters | None
    ) -> Ids | None:
        wanted = list(dict.fromkeys(kinds)) if kinds else list(Kind)
        if set(wanted) == set(Kind) and not filters:
            return None
        where, params = (filters or Filters()).sql()
        return reader.store.allowed_passage_ids(wanted, where, params)

    def _hit(
        self,
        record: Mapping[str, Any],
        candidate: Candidate,
        passages: Mapping[int, tuple[str, int, str, str]],
        plan: QueryPlan,
        ranking: Ranking,
        hidden: Sequence[str] = (),
    ) -> SearchHit:
        pid = (
            candidate.semantic_passage
            if candidate.semantic_passage is not None
            else candidate.keyword_passage
        )
        assert pid is not None
        _, ordinal, text, language = passages[pid]
        snippet = _snippet(text, plan.text)
        keyword_passage = None
        if candidate.keyword_passage is not None:
            keyword_passage = (
                passages[candidate.keyword_passage][2],
                passages[candidate.keyword_passage][3],
            )
        structured, sentence = why(
            candidate,
            plan,
            ranking,
            self.weights,
            ordinal,
            int(record["passages"]),
            language,
            keyword_passage,
        )
        return SearchHit(
            id=str(record["id"]),
            kind=Kind(str(record["kind"])),
            name=str(record["name"]),
            score=candidate.score,
            language=str(record["language"]),
            snippet=snippet,
            snippet_language=language,
            explanation=sentence,
            attributes=visible_attributes(record["attributes"], hidden),
            snippet_highlighted=highlight(snippet, plan.terms | plan.expansion_terms, language),
            why=structured,
        )

    def validate_query(self, query: str) -> str:
        text = " ".join(query.split())
        if not text:
            raise QueryError("The query is empty.", "La requête est vide.")
        if len(text) > self.settings.max_query_chars:
            raise QueryError(
                f"The query is {len(text):,} characters long; the limit is {self.settings.max_query_chars:,}.",
                f"La requête compte {len(text):,} caractères; la limite est {self.settings.max_query_chars:,}.",
            )
        return text


def visible_attributes(attributes: Mapping[str, Any], hidden: Sequence[str]) -> dict[str, Any]:
    """A record's attributes without the listings of registries the caller may not read."""
    listed = attributes.get("listed_in")
    if not listed or not hidden:
        return dict(attributes)
    kept = {name: values for name, values in listed.items() if name not in hidden}
    shown = {k: v for k, v in attributes.items() if k != "listed_in"}
    return {**shown, "listed_in": kept} if kept else shown


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(
            f"limit must be between 1 and {MAX_LIMIT}, got {limit}.",
            f"La limite doit être entre 1 et {MAX_LIMIT}.",
        )
    if offset < 0:
        raise QueryError(
            f"offset must be 0 or more, got {offset}.", "Le décalage doit être positif."
        )


def _full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def _storage_error(exc: BaseException, root: Path) -> StorageError:
    free = shutil.disk_usage(root).free // (1024 * 1024) if root.exists() else 0
    return StorageError(
        f"The disk holding {root} is full ({free:,} MB free): nothing was changed; the index "
        "stays as it was. Free some space and try again."
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
    changes = _Changes([], [], {})
    for profile in profiles:
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


def _embedding_text(profile: Profile, ordinal: int) -> str:
    """Every passage carries the name: names often say what a company does, and it ties a
    passage to its profile."""
    return f"{profile.name}. {profile.passages[ordinal].text}"


def _snippet(text: str, query: str) -> str:
    """The passage, or for a long one the run of sentences that shares most words with the query."""
    if len(text) <= _SNIPPET_CHARS:
        return text
    words = {w for w in fold(query).split() if len(w) > 2}
    sentences = split_sentences(text)
    start = max(
        range(len(sentences)), key=lambda i: (len(words & set(fold(sentences[i]).split())), -i)
    )
    snippet = " ".join(sentences[start:])
    if len(snippet) > _SNIPPET_CHARS:
        snippet = snippet[:_SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
    return ("…" if start else "") + snippet
