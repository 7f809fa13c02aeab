"""The engine: files in, index versions out; queries in, ranked organisations out.

Fronts (the command line, the HTTP API) make one call here and render what comes back.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ngen_connect.datadir import RECORDS, VECTORS, DataDir, Manifest, now
from ngen_connect.embedding import Embedder, load_embedder
from ngen_connect.errors import InputFileError, QueryError, RowError
from ngen_connect.language import detect_query_language
from ngen_connect.models import IndexReport, Kind, Profile, SearchHit, SearchResponse
from ngen_connect.passages import split_sentences
from ngen_connect.profiles import content_hashes, fold, read_profiles
from ngen_connect.readers import read_rows
from ngen_connect.settings import Settings
from ngen_connect.store import Store
from ngen_connect.vectors import VectorIndex

MAX_LIMIT = 100
_SNIPPET_CHARS = 300
_BATCH_PROFILES = 64


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

    def close(self) -> None:
        self.store.close()


@dataclass
class _Changes:
    embed: list[Profile]
    metadata: list[Profile]
    hashes: dict[str, tuple[str, str]]


class Engine:
    """Owns the embedder and the open index; heavy resources load once, on first use."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.data = DataDir(settings.data_dir)
        self._embedder = embedder
        self._reader: _Reader | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.settings.model, batch_size=self.settings.batch_size)
        return self._embedder

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
        manifest.check_compatible(self.embedder.model_id, self.embedder.dim, self.data.root)
        self._reader = _Reader(
            folder,
            manifest,
            Store(folder / RECORDS, read_only=True),
            VectorIndex.load(folder / VECTORS, manifest.dim),
        )
        return self._reader

    def manifest(self) -> Manifest:
        return self._open().manifest

    # -- indexing ----------------------------------------------------------------------------------

    def read_files(
        self,
        paths: Sequence[Path],
        kind: Kind,
        mapping: Mapping[str, str] | None,
        report: IndexReport,
    ) -> list[Profile]:
        """Validate every row of every file; bad rows and duplicate ids go to the report."""
        profiles: list[Profile] = []
        first_seen: dict[str, tuple[str, int | None]] = {}
        rejected_rows: set[tuple[str, int | None]] = set()
        for path in paths:
            for item in read_profiles(str(path), read_rows(path), kind, mapping):
                if isinstance(item, RowError):
                    report.rejected.append(item)
                    rejected_rows.add((item.file, item.row))
                    continue
                if item.key in first_seen:
                    file, row = first_seen[item.key]
                    report.rejected.append(
                        RowError(
                            str(path),
                            item.source_row,
                            "id",
                            f"duplicate id '{item.id}' (first seen in {file}, row {row})",
                        )
                    )
                    rejected_rows.add((str(path), item.source_row))
                    continue
                first_seen[item.key] = (str(path), item.source_row)
                profiles.append(item)
        report.read = len(profiles) + len(rejected_rows)
        return profiles

    def index_files(
        self,
        paths: Sequence[Path],
        *,
        kind: Kind = Kind.ORGANIZATION,
        mapping: Mapping[str, str] | None = None,
        rebuild: bool = False,
        progress: Progress | None = None,
    ) -> IndexReport:
        """Index files; unchanged rows cost nothing, changed text is re-embedded, bad rows are reported."""
        started = time.perf_counter()
        report = IndexReport(files=[str(p) for p in paths])
        if not paths:
            raise InputFileError(
                RowError("(no file)", None, None, "give at least one file to index")
            )
        profiles = self.read_files(paths, kind, mapping, report)
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
                store.checkpoint()
                manifest.counts = store.counts()
                manifest.passages = store.passage_count()
            finally:
                store.close()
            vectors.save(folder / VECTORS)
            manifest.updated = now()
            manifest.version = folder.name
            manifest.write(folder)
            self.data.publish(folder)
            report.version = folder.name
        except BaseException:
            self.data.discard(folder)
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
                embedded = self.embedder.encode_documents(texts)
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
        self, query: str, *, kinds: Sequence[Kind] | None = None, limit: int = 10, offset: int = 0
    ) -> SearchResponse:
        text = self.validate_query(query)
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        if offset < 0:
            raise QueryError(f"offset must be 0 or more, got {offset}")
        reader = self._open()
        wanted = list(dict.fromkeys(kinds)) if kinds else list(Kind)
        total = sum(reader.manifest.counts.get(k.value, 0) for k in wanted)
        allowed = None if set(wanted) == set(Kind) else reader.store.passage_ids(wanted)
        ranked = self._rank(
            reader, self.embedder.encode_query(text), allowed, min(offset + limit, total)
        )
        page = ranked[offset : offset + limit]
        records = reader.store.records([key for key, _, _ in page])
        hits = [
            _hit(records[key], score, passage, text)
            for key, score, passage in page
            if key in records
        ]
        return SearchResponse(text, detect_query_language(text), total, hits)

    def validate_query(self, query: str) -> str:
        text = " ".join(query.split())
        if not text:
            raise QueryError("The query is empty. / La requête est vide.")
        if len(text) > self.settings.max_query_chars:
            raise QueryError(
                f"The query is {len(text):,} characters long; the limit is {self.settings.max_query_chars:,}. "
                f"/ La requête compte {len(text):,} caractères; la limite est {self.settings.max_query_chars:,}."
            )
        return text

    def _rank(
        self, reader: _Reader, query: np.ndarray, allowed: np.ndarray | None, need: int
    ) -> list[tuple[str, float, tuple[int, str, str]]]:
        """Records ranked by their best passage (MaxP), widening the passage search until `need` records."""
        k = max(64, need * 8)
        while True:
            scores, ids = reader.vectors.search(query, k, allowed)
            passages = reader.store.passages_by_id(ids)
            best: dict[str, tuple[float, tuple[int, str, str]]] = {}
            for score, pid in zip(scores.tolist(), ids.tolist(), strict=True):
                key, ordinal, text, language = passages[pid]
                if key not in best:
                    best[key] = (score, (ordinal, text, language))
            if len(best) >= need or len(ids) < k:
                break
            k *= 4
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
        return [(key, score, passage) for key, (score, passage) in ranked]


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


def _hit(
    record: Mapping[str, object], score: float, passage: tuple[int, str, str], query: str
) -> SearchHit:
    ordinal, text, language = passage
    attributes = record["attributes"]
    assert isinstance(attributes, dict)
    passages = record["passages"]
    explanation = f"Semantic match on passage {ordinal + 1} of {passages} ({language}), cosine similarity {score:.3f}."
    return SearchHit(
        id=str(record["id"]),
        kind=Kind(str(record["kind"])),
        name=str(record["name"]),
        score=score,
        language=str(record["language"]),
        snippet=_snippet(text, query),
        snippet_language=language,
        explanation=explanation,
        attributes=attributes,
    )
