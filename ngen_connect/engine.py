"""The engine: the front door of the core. It opens the live index version once, answers queries
with ranked organisations and writes new versions through the indexer.

Fronts (the command line, the HTTP API) make one call here and render what comes back.
"""

from __future__ import annotations

import ctypes
import gc
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, suppress
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from ngen_connect.embedding import Embedder, Vectors, load_embedders
from ngen_connect.errors import QueryError, RecordNotFoundError
from ngen_connect.glossary import load_glossary
from ngen_connect.index.datadir import DataDir
from ngen_connect.index.vectors import Ids
from ngen_connect.index.version import IndexVersion, Manifest
from ngen_connect.indexer.writer import Encoder, IndexWriter
from ngen_connect.language import detect_query_language
from ngen_connect.limits import MAX_LIMIT, RESULT_POOL
from ngen_connect.models import (
    IndexReport,
    Kind,
    Profile,
    Progress,
    RecordJSON,
    RecordSummary,
    SearchResponse,
)
from ngen_connect.naics import naics_title
from ngen_connect.search.filters import Filters, facet_counts, facet_values
from ngen_connect.search.ranking import (
    Candidate,
    QueryPlan,
    QueryVectors,
    Ranker,
    Ranking,
    Weights,
    plan_query,
)
from ngen_connect.search.render import render_hit
from ngen_connect.search.similar import NAMESAKES, namesakes_last
from ngen_connect.settings import Settings
from ngen_connect.text import control_as_spaces, query_form

#: passages embedded per turn with the model, so a query waits for one slice of a write, not all
_MODEL_SLICE = 16


#: Threads a search hands the work that lets go of the GIL, and goes on meanwhile: the encoders
#: embedding its query. Shared by every engine in the process, started on first use; a search
#: waits for what it handed over, so the threads never hold more than a task or two per search
#: under way. Two threads per core: as many embeddings as the cores can run, and room beside them.
_SEARCH_THREADS = ThreadPoolExecutor(
    max_workers=max(8, 2 * (os.cpu_count() or 1)), thread_name_prefix="ngen-connect-search"
)


class _Reader:
    """The live version, opened, with its ranker. Searches hold it while they read (`users`); a
    reader that a newer version replaced is closed by the last search still reading it."""

    def __init__(self, version: IndexVersion, weights: Weights, encoders: Sequence[str]) -> None:
        self.version = version
        self.ranker = Ranker(version, weights, [version.fused[model] for model in encoders])
        #: cluster id -> name, to filter clusters by name and show them by name
        self.cluster_names = {
            r.id: r.name for r in version.catalog.records.values() if r.kind is Kind.CLUSTER
        }
        self.users = 0
        self.retired = False
        # Each record's facet values, worked out on its first search (bounded: a search counts
        # its 300 records; the cache refers to the records, not to this reader, so no cycle)
        cached = lru_cache(maxsize=_FACET_CACHE)(partial(_facet_values_of, version.catalog.records))
        self.facet_values: Callable[[RecordSummary], tuple[tuple[str, str], ...]] = lambda record: (
            cached(record.key)
        )

    @property
    def folder(self) -> Path:
        return self.version.folder

    def close(self) -> None:
        self.version.close()
        _return_free_memory()


class _Models:
    """The encoders in use, loaded once, on first use, whichever thread asks first. The index
    writer holds them through this, not through the engine: nothing refers back to the engine,
    so a dropped engine is freed at once (even once the collector no longer looks at it)."""

    def __init__(self, settings: Settings, given: list[Embedder] | None) -> None:
        self._settings = settings
        self._embedders = given
        self._lock = threading.Lock()

    @property
    def embedders(self) -> list[Embedder]:
        embedders = self._embedders
        if embedders is not None:
            return embedders
        with self._lock:
            if self._embedders is None:
                self._embedders = load_embedders(
                    self._settings.model,
                    batch_size=self._settings.batch_size,
                    threads=self._settings.threads,
                )
            return self._embedders

    def encoders(self) -> list[Encoder]:
        return [Encoder(e.model_id, e.dim, partial(_encode_documents, e)) for e in self.embedders]


def _encode_documents(embedder: Embedder, texts: Sequence[str]) -> Vectors:
    """Embed in small slices: an encoder that takes one caller at a time (see `Embedder`) keeps a
    query waiting for one slice of a write, not all of it."""
    parts = [
        embedder.encode_documents(list(texts[start : start + _MODEL_SLICE]))
        for start in range(0, len(texts), _MODEL_SLICE)
    ]
    return np.vstack(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)


class Engine:
    """Owns the embedder and the open index; heavy resources load once, on first use."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | Sequence[Embedder] | None = None,
        weights: Weights | None = None,
    ) -> None:
        self.settings = settings
        self.weights = weights or Weights()
        self.data = DataDir(settings.data_dir)
        self._models = _Models(
            settings,
            None
            if embedder is None
            else [embedder]
            if isinstance(embedder, Embedder)
            else list(embedder),
        )
        self.writer = IndexWriter(self.data, self._models.encoders)
        self._reader: _Reader | None = None
        # Searches run on many threads at once. One lock opens a new version (searches that start
        # meanwhile wait for it, so a search that follows a write sees it); one counts the
        # searches reading each version.
        self._open_lock = threading.Lock()
        self._users_lock = threading.Lock()

    @property
    def embedders(self) -> list[Embedder]:
        """The encoders in use, fused per query; the first sets the index's identity."""
        return self._models.embedders

    @property
    def embedder(self) -> Embedder:
        """The first encoder."""
        return self.embedders[0]

    def _start_encoding_query(self, text: str) -> QueryVectors:
        """The query's vectors: every encoder but the last embeds it on a thread of its own from
        now on, while the legs that need no vectors rank; the search's own thread embeds it with
        the last once the others are done (`QueryVectors.searched`)."""
        *others, last = self.embedders
        return QueryVectors(
            [
                *(_SEARCH_THREADS.submit(e.encode_query, text) for e in others),
                partial(last.encode_query, text),
            ]
        )

    def close(self) -> None:
        with self._open_lock:
            if self._reader is not None:
                self._retire(self._reader)
                self._reader = None

    # -- the live index --------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[_Reader]:
        """The live version for one read, opened if it is new. A write publishing the next version
        meanwhile changes nothing for this read: the version it holds stays open until it is done."""
        reader = self._open()
        try:
            yield reader
        finally:
            with self._users_lock:
                reader.users -= 1
                if reader.retired and not reader.users:
                    reader.close()

    def _open(self) -> _Reader:
        """The live version, counted as read once more (`_reading` counts it back)."""
        folder = self.data.require_current()
        with self._open_lock:
            reader = self._reader
            if reader is None or reader.folder != folder:
                reader = self._load(folder)
                if self._reader is not None:
                    self._retire(self._reader)
                self._reader = reader
            with self._users_lock:
                reader.users += 1
        return reader

    def _load(self, folder: Path) -> _Reader:
        manifest = Manifest.read(folder)
        if self.writer.needs_update(manifest):
            folder = self.writer.bring_up_to_date(folder)
            manifest = Manifest.read(folder)
        manifest.check_compatible(self.embedder.model_id, self.embedder.dim, self.data.root)
        reader = _Reader(
            IndexVersion.open(folder, manifest), self.weights, [e.model_id for e in self.embedders]
        )
        # The catalog is a hundred thousand objects and more that live as long as the version:
        # out of the collector's sight, they no longer make each of its full passes take tens of
        # milliseconds in the middle of a search (benchmarks/RESULTS.md, "Where the time of one
        # search goes"). Objects are still freed as usual once nothing refers to them.
        gc.collect()
        gc.freeze()
        _return_free_memory()
        return reader

    def _retire(self, reader: _Reader) -> None:
        """A replaced version closes now, or when the last search reading it is done."""
        with self._users_lock:
            reader.retired = True
            if not reader.users:
                reader.close()

    def manifest(self) -> Manifest:
        with self._reading() as reader:
            return reader.version.manifest

    def stored_manifest(self) -> Manifest:
        """The live version's manifest as written, read without opening the version or loading
        a model: what an index is (its model, counts, version), whichever model built it."""
        return Manifest.read(self.data.require_current())

    # -- writing -----------------------------------------------------------------------------------

    def read_files(
        self,
        paths: Sequence[Path],
        kind: Kind | Sequence[Kind | None] | None,
        mapping: Mapping[str, str] | None,
        report: IndexReport,
        labels: Sequence[str] | None = None,
    ) -> list[Profile]:
        """Read every row of every file into profiles; see `IndexWriter.read_files`."""
        return self.writer.read_files(paths, kind, mapping, report, labels)

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
        profiles = self.writer.read_files(paths, kind, mapping, report, labels)
        self.writer.index_profiles(profiles, report=report, rebuild=rebuild, progress=progress)
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
        return self.writer.index_profiles(
            profiles, report=report, rebuild=rebuild, progress=progress
        )

    def replace_registry(
        self,
        name: str,
        profiles: Sequence[Profile],
        listings: Mapping[str, dict[str, Any]],
        *,
        progress: Progress | None = None,
        alongside: Callable[[Path], None] | None = None,
    ) -> IndexReport:
        """A registry's records and listings, replaced in one new version (with what `alongside`
        writes into it); see `IndexWriter.replace_registry`."""
        return self.writer.replace_registry(
            name, profiles, listings, progress=progress, alongside=alongside
        )

    def write_lock(self) -> AbstractContextManager[None]:
        """The data directory's write lock, for a caller that reads stored state and writes from
        it as one step; the writes it makes meanwhile take it again (same thread)."""
        return self.data.write_lock()

    def delete(self, ids: Sequence[str], kind: Kind = Kind.ORGANIZATION) -> list[str]:
        """Remove records by id; returns the ids that were found and removed."""
        found = self.writer.delete([f"{kind.value}:{i}" for i in ids])
        return [key.split(":", 1)[1] for key in found]

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
        # The encoders and the language detector read the query in one case, so its letter case
        # changes nothing; the other legs fold case themselves.
        form = query_form(text)
        embedding = self._start_encoding_query(form)
        language = detect_query_language(form)
        plan = plan_query(text, language, embedding, load_glossary())
        if filters and filters.values.get("status"):
            plan.product_statuses = tuple(filters.values["status"])
        with self._reading() as reader:
            if filters:
                filters = filters.naming_clusters(reader.cluster_names)
            allowed = self._allowed(reader, kinds, filters)
            hidden = filters.hidden_registries if filters else ()
            ranked = reader.ranker.rank(plan, allowed, RESULT_POOL, ranking)
            records = reader.version.catalog.records_of(ranked.keys)
            shown = ranked[offset : offset + limit]
            reader.ranker.explain(plan, shown, ui_language)
            facets = facet_counts(
                [records[key] for key in ranked.keys],
                ui_language,
                reader.cluster_names,
                reader.facet_values,
            )
            passages = reader.version.catalog.with_text(_passages_shown(shown))
            page = [
                render_hit(
                    records[c.key],
                    c,
                    passages,
                    plan,
                    ranking,
                    self.weights,
                    hidden,
                    reader.cluster_names,
                    ui_language,
                )
                for c in shown
            ]
            vectors = embedding.ready()
            return SearchResponse(
                text,
                language,
                len(ranked),
                page,
                facets,
                query_vectors=tuple(vectors) if vectors is not None else None,
            )

    def similar(
        self,
        record_id: str,
        *,
        kind: Kind = Kind.ORGANIZATION,
        filters: Filters | None = None,
        limit: int = 10,
        ui_language: str = "en",
    ) -> SearchResponse:
        """Records most like one record: the mean of its passage vectors as the query."""
        _check_page(limit, 0)
        with self._reading() as reader:
            key = f"{kind.value}:{record_id}"
            own = reader.version.catalog.passages_of([key])
            if not own:
                raise RecordNotFoundError(
                    f"There is no {kind.value} with id '{record_id}'.", "Fiche introuvable."
                )
            own_ids = np.asarray(sorted(own), dtype=np.int64)
            vectors = []
            for index in reader.ranker.indexes:
                vector = index.vectors(own_ids).mean(axis=0)
                vectors.append(vector / max(float(np.linalg.norm(vector)), 1e-9))
            if filters:
                filters = filters.naming_clusters(reader.cluster_names)
            allowed = self._allowed(reader, [kind], filters)
            source = reader.version.catalog.records[key]
            plan = QueryPlan(
                source.name,
                source.language if source.language in ("en", "fr") else "und",
                QueryVectors(vectors),
                set(),
                [],
                set(),
                balance_languages=True,
            )
            # Room below the page for near-namesakes moved after the others.
            found = reader.ranker.rank(plan, allowed, limit + 1 + NAMESAKES, Ranking.SEMANTIC)
            records = reader.version.catalog.records_of(found.keys)
            ranked = namesakes_last(
                source.name, [c for c in found if c.key != key], lambda c: records[c.key].name
            )[:limit]
            reader.ranker.explain(plan, ranked, ui_language)
            passages = reader.version.catalog.with_text(_passages_shown(ranked))
            hidden = filters.hidden_registries if filters else ()
            hits = [
                render_hit(
                    records[c.key],
                    c,
                    passages,
                    plan,
                    Ranking.SEMANTIC,
                    self.weights,
                    hidden,
                    reader.cluster_names,
                    ui_language,
                )
                for c in ranked
            ]
            return SearchResponse(plan.text, "und", len(hits), hits, {})

    def capability_similarity(
        self, text: str, ids: Sequence[str], kind: Kind = Kind.ORGANIZATION
    ) -> list[float]:
        """Best cosine between `text` and each record's passages (0.0 for an unknown id)."""
        with self._reading() as reader:
            query = self.embedder.encode_query(text)  # compared with the first encoder's vectors
            owned = [reader.version.catalog.by_record.get(f"{kind.value}:{i}", []) for i in ids]
            every = np.asarray([pid for pids in owned for pid in pids], dtype=np.int64)
            found = reader.version.vectors.cosines(query, every)  # one pass for every record
            ends = np.cumsum([len(pids) for pids in owned])
            return [
                float(found[end - len(pids) : end].max()) if pids else 0.0
                for pids, end in zip(owned, ends.tolist(), strict=True)
            ]

    def records_mentioning(self, phrases: Sequence[Sequence[str]]) -> set[str]:
        """Keys of the records with a passage holding every index term of one of `phrases`
        (each phrase as `ngen_connect.text.analyse` gives it), every record that does, uncapped:
        counting who has a capability needs the whole set, where a search keeps its best."""
        with self._reading() as reader:
            passages = reader.version.catalog.passages
            held = reader.version.keywords.passages_holding(phrases).tolist()
            return {passages[pid].record_key for pid in held if pid in passages}

    def records(self) -> dict[str, RecordSummary]:
        """Summaries of every record (id, kind, name, language, attributes), by record key."""
        with self._reading() as reader:
            return reader.version.catalog.records

    def record(self, record_id: str, kind: Kind = Kind.ORGANIZATION) -> RecordJSON:
        """One record with its texts and attributes."""
        with self._reading() as reader:
            found = reader.version.store.record_detail(f"{kind.value}:{record_id}")
            if found is None:
                raise RecordNotFoundError(
                    f"There is no {kind.value} with id '{record_id}'.", "Fiche introuvable."
                )
            attributes = found["attributes"]
            clusters = attributes.get("clusters")
            if clusters:
                names = reader.cluster_names
                attributes["cluster_names"] = [names.get(c, c) for c in clusters]
            codes = attributes.get("naics")
            if isinstance(codes, list) and codes:
                # each code with its title in both languages, for a reader who does not know them
                titles = {
                    code: (naics_title(code, "en"), naics_title(code, "fr")) for code in codes
                }
                attributes["naics_titles"] = {
                    code: {"en": en, "fr": fr} for code, (en, fr) in titles.items() if en
                }
            return found

    def _allowed(
        self, reader: _Reader, kinds: Sequence[Kind] | None, filters: Filters | None
    ) -> Ids | None:
        wanted = list(dict.fromkeys(kinds)) if kinds else list(Kind)
        if set(wanted) == set(Kind) and not filters:
            return None
        where, params = (filters or Filters()).sql()
        return reader.version.store.allowed_passage_ids(wanted, where, params)

    def validate_query(self, query: str) -> str:
        """The query with its spaces squeezed and its control characters (C0 and C1) removed:
        a query of control characters only is empty, not a search for nothing."""
        text = " ".join(control_as_spaces(query).split())
        if not text:
            raise QueryError("The query is empty.", "La requête est vide.")
        if len(text) > self.settings.max_query_chars:
            raise QueryError(
                f"The query is {len(text):,} characters long; the limit is {self.settings.max_query_chars:,}.",
                f"La requête compte {len(text):,} caractères; la limite est {self.settings.max_query_chars:,}.",
            )
        return text


#: records whose facet values an open version keeps worked out
_FACET_CACHE = 20_000


def _facet_values_of(records: Mapping[str, RecordSummary], key: str) -> tuple[tuple[str, str], ...]:
    return facet_values(records[key])


def _return_free_memory() -> None:
    """Hand the memory freed by opening or closing a version back to the system. Opening one
    allocates about twice what it keeps (the name index builds large temporary structures it then
    drops), and the C allocator keeps what Python frees in its heap: without this a server grows
    after each new version (benchmarks/RESULTS.md, "Corpus size"). glibc only; elsewhere nothing
    happens."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _passages_shown(shown: Iterable[Candidate]) -> set[int]:
    """The passages the results shown quote (`Catalog.with_text` gives them with their text)."""
    return {
        pid
        for candidate in shown
        for pid in (
            candidate.semantic_passage,
            candidate.keyword_passage,
            candidate.snippet_passage,
        )
        if pid is not None
    }


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
