"""What members look for and do not find: a log of searches, and the report an admin reads from it.

The log is a folder of JSON Lines files in the data directory, one a UTC day
(`search-log/searches-YYYY-MM-DD.jsonl`). An entry holds what the core is given and answers: the
query, its detected language, the filters and kinds, the total, the results shown, the time and
the duration. The core is never given a key, an address or a user agent, so none can be logged.

A search hands its entry to a bounded queue and goes on; one thread per process appends each entry
as one line, in one `write` to a file opened for appending. Several server processes then share a
file without mixing their lines, and a line is the system's as soon as it is written (a crash of
the process loses at most the entries still queued). A full queue (a stalled disk) drops the entry
and counts it rather than making a search wait; the next line written carries the count. Starting
a new day's file removes the files older than the retention, and the cache of query embeddings
with them.

The report groups the variants of one need: the distinct queries are embedded with the engine's
own query encoders and grouped by cosine similarity (see `group_texts`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import re
import threading
import zipfile
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, NotRequired, TypeGuard

import numpy as np
from typing_extensions import TypedDict

from ngen_connect.atomic import replace_atomic
from ngen_connect.embedding import Vectors
from ngen_connect.errors import QueryError
from ngen_connect.settings import DEFAULT_SEARCH_LOG_DAYS
from ngen_connect.text import fold, text_key

_log = logging.getLogger(__name__)

#: the log's folder in the data directory
LOG_FOLDER = "search-log"
_FILE = re.compile(r"^searches-(\d{4}-\d{2}-\d{2})\.jsonl$")
#: entries waiting for the writing thread; past it an entry is dropped and counted
QUEUE_SIZE = 10_000
#: what an entry keeps of the filters: values a filter, and characters a value
MAX_FILTER_VALUES = 10
MAX_FILTER_CHARS = 100
#: the distinct queries a report groups, the most searched first; the rest are counted, not grouped
MAX_GROUPED = 5_000
#: the queries a process keeps the vectors of, as its searches embedded them (~3.5 kB each)
RECENT_QUERIES = 20_000
#: the least similarity that groups two queries (below it, everything would be one need)
MIN_SIMILARITY = 0.5
#: a search with fewer results than this is unmet demand (a total of 0 always is)
DEFAULT_FEW_RESULTS = 3
#: the cosine (mean over the engine's encoders) from which two queries count as one need. With the
#: default encoders (benchmarks/RESULTS.md, "Search log and demand report"): word order, spelling
#: and most translations of one need score 0.88-1.0, needs that share a word (CNC machining of
#: titanium or of aluminium, battery enclosures or recycling) 0.55-0.86; some paraphrases (PCB
#: and printed circuit board assembly, 0.77) fall below and stay apart
DEFAULT_SIMILARITY = 0.87
#: groups listed in each of the report's lists
DEFAULT_TOP = 50
_VARIANTS = 10
_LANGUAGES = ("en", "fr")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class EntryJSON(TypedDict):
    """One logged search."""

    at: str
    query: str
    language: str
    filters: dict[str, list[str]]
    kinds: list[str]
    total: int
    shown: int
    ms: float
    #: entries dropped (queue full) since the previous line of this process
    dropped_before: NotRequired[int]


def search_entry(
    query: str,
    language: str,
    filters: Mapping[str, Sequence[str]],
    kinds: Sequence[str],
    total: int,
    shown: int,
    ms: float,
    at: datetime | None = None,
) -> EntryJSON:
    """A search as the log keeps it (UTC time to the millisecond). Filter values are kept to
    `MAX_FILTER_VALUES` a filter of `MAX_FILTER_CHARS` each: a caller cannot make one search
    weigh more than a few kilobytes in the log, whatever its filters."""
    when = (at or datetime.now(UTC)).astimezone(UTC)
    return {
        "at": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "query": query,
        "language": language,
        "filters": {
            key[:MAX_FILTER_CHARS]: [v[:MAX_FILTER_CHARS] for v in values[:MAX_FILTER_VALUES]]
            for key, values in list(filters.items())[:MAX_FILTER_VALUES]
            if values
        },
        "kinds": list(kinds),
        "total": total,
        "shown": shown,
        "ms": round(ms, 2),
    }


# -- writing -------------------------------------------------------------------------------------


class SearchLog:
    """Appends entries to the log from a thread of its own; `add` never waits."""

    def __init__(
        self,
        folder: Path,
        retention_days: int = DEFAULT_SEARCH_LOG_DAYS,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        self.folder = folder
        self.retention_days = retention_days
        self._queue: queue.Queue[EntryJSON | None] = queue.Queue(maxsize=queue_size)
        self._lock = threading.Lock()
        self._dropped = 0  # since the last line written
        #: entries dropped since the log started (a full queue, a failed write)
        self.dropped = 0
        self._fd: int | None = None
        self._day = ""
        self._closed = False
        self._thread = threading.Thread(
            target=self._run, name="ngen-connect-search-log", daemon=True
        )
        self._thread.start()

    def add(self, entry: EntryJSON) -> None:
        """Queue an entry; when the queue is full, count it as dropped instead."""
        if self._closed:
            return
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            self._count_dropped()

    def close(self) -> None:
        """Write what is queued, then stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _count_dropped(self) -> None:
        with self._lock:
            self._dropped += 1
            self.dropped += 1

    def _run(self) -> None:
        while (entry := self._queue.get()) is not None:
            try:
                self._write(entry)
            except Exception as exc:  # a full disk, say: the search was answered all the same,
                # and this thread must go on for the next one
                _log.warning("search log: an entry was not written (%s)", exc)
                self._count_dropped()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _write(self, entry: EntryJSON) -> None:
        with self._lock:
            dropped, self._dropped = self._dropped, 0
        if dropped:
            entry = {**entry, "dropped_before": dropped}
        day = entry["at"][:10]
        if day != self._day or self._fd is None:
            self._start(day)
        assert self._fd is not None
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
        # one write of one whole line: appended at once, never mixed with another process's
        os.write(self._fd, line.encode("utf-8", "replace"))

    def _start(self, day: str) -> None:
        """Open the day's file for appending, and remove the files past the retention."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.folder / f"searches-{day}.jsonl"
        # read-write, so that a last line a crash cut short can be seen and ended (`_end_line`);
        # the owner's only: what members search for is the most sensitive aggregate there is
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        _end_line(fd)
        self._fd, self._day = fd, day
        prune(self.folder, date.fromisoformat(day), self.retention_days)


def _end_line(fd: int) -> None:
    """A file whose last line was cut short gets its newline, so the next line stands whole."""
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        os.write(fd, b"\n")


def prune(folder: Path, today: date, retention_days: int) -> list[Path]:
    """Remove the day files older than the retention (and, when there were some, the cache of
    query embeddings, which may hold their texts); the files removed."""
    oldest = today - timedelta(days=retention_days)
    removed = [path for path, day in _day_files(folder) if day < oldest]
    for path in removed:
        path.unlink(missing_ok=True)  # another process may have removed it first
    if removed:
        for cache in folder.glob("vectors-*.npz"):
            cache.unlink(missing_ok=True)
    return removed


def _day_files(folder: Path) -> list[tuple[Path, date]]:
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _FILE.match(path.name)
        if match:
            found.append((path, date.fromisoformat(match.group(1))))
    return sorted(found, key=lambda pair: pair[1])


# -- reading -------------------------------------------------------------------------------------


@dataclass
class LogRead:
    """The entries of the log, with the lines that could not be read (a line cut short by a
    crash) and the entries dropped before they were written."""

    entries: list[EntryJSON] = field(default_factory=list)
    unreadable: int = 0
    dropped: int = 0


def read_log(folder: Path, since: date | None = None) -> LogRead:
    """Every entry from `since` (a UTC day) on, oldest first; a line that is not a whole entry is
    counted and skipped, whatever the file and wherever in it."""
    read = LogRead()
    for path, day in _day_files(folder):
        if since is not None and day < since:
            continue
        try:
            lines = path.read_bytes().split(b"\n")
        except FileNotFoundError:  # removed by the retention meanwhile
            continue
        for line in lines:
            if line.strip():
                _read_line(line, read)
    return read


def _read_line(line: bytes, read: LogRead) -> None:
    try:
        entry = json.loads(line)
    except ValueError:
        read.unreadable += 1
        return
    if not _whole(entry):
        read.unreadable += 1
        return
    read.dropped += int(entry.get("dropped_before") or 0)
    read.entries.append(entry)


def _whole(entry: Any) -> TypeGuard[EntryJSON]:
    """Whether a line read is an entry as `search_entry` writes it, every field of its type: a
    line from another writer, an older release or a hand edit is skipped, never a failure."""
    if not isinstance(entry, dict):
        return False
    texts = all(isinstance(entry.get(k), str) for k in ("at", "query", "language"))
    numbers = all(
        isinstance(entry.get(k), int) and not isinstance(entry.get(k), bool)
        for k in ("total", "shown")
    )
    filters = entry.get("filters", {})
    return (
        texts
        and numbers
        and _DATE.match(str(entry["at"])[:10]) is not None
        and isinstance(entry.get("dropped_before", 0), int)
        and isinstance(entry.get("kinds", []), list)
        and isinstance(filters, dict)
        and all(
            isinstance(values, list) and all(isinstance(v, str) for v in values)
            for values in filters.values()
        )
    )


def parse_since(text: str | date | None) -> date | None:
    """A report's first day, written YYYY-MM-DD."""
    if text is None or isinstance(text, date):
        return text
    given = text.strip()
    if not given:
        return None
    try:
        if not _DATE.match(given):
            raise ValueError(given)
        return date.fromisoformat(given)
    except ValueError:
        raise QueryError(
            f"since must be a date written YYYY-MM-DD, such as 2026-01-31; got '{text}'.",
            f"since doit être une date écrite AAAA-MM-JJ, par exemple 2026-01-31; reçu « {text} ».",
        ) from None


def parse_language(text: str | None) -> str | None:
    """A query language to report on: en or fr."""
    if text is None or not text.strip():
        return None
    if text.strip().lower() not in _LANGUAGES:
        raise QueryError(
            f"language must be en or fr; got '{text}'.",
            f"language doit être en ou fr; reçu « {text} ».",
        )
    return text.strip().lower()


# -- grouping ------------------------------------------------------------------------------------


def group_texts(vectors: Vectors, threshold: float, block: int = 1024) -> list[list[int]]:
    """Rows grouped greedily: taken in order (most searched first), each row not yet grouped
    starts a group with every row not yet grouped whose cosine with it reaches `threshold`.
    Each group's first row is its most searched, and every member is close to it (no chaining of
    near neighbours into a group whose ends have nothing in common). The cosines are computed a
    block of rows at a time, so memory stays bounded whatever the number of texts."""
    count = len(vectors)
    near: list[np.ndarray[Any, np.dtype[np.intp]]] = []
    for start in range(0, count, block):
        for row in vectors[start : start + block] @ vectors.T:
            near.append(np.flatnonzero(row >= threshold))
    group_of = np.full(count, -1, dtype=np.int64)
    groups: list[list[int]] = []
    for leader in range(count):
        if group_of[leader] >= 0:
            continue
        members = near[leader][group_of[near[leader]] < 0]
        members = members[members != leader]
        group_of[leader] = len(groups)
        group_of[members] = len(groups)
        groups.append([leader, *members.tolist()])
    return groups


class RecentQueries:
    """The vectors of the queries this process searched lately, as the searches embedded them:
    a demand report takes them instead of embedding the queries again (with the real encoders,
    ~14 ms a query: 50 s for 3,500 queries never reported on). Bounded, oldest dropped first;
    safe to share between the threads that search."""

    def __init__(self, size: int = RECENT_QUERIES) -> None:
        self._size = size
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, text: str, parts: Sequence[Vectors]) -> None:
        """A query as a search embedded it (`query_form`), one vector per encoder."""
        joined = joined_vectors([np.asarray(p, dtype=np.float32).reshape(1, -1) for p in parts])[0]
        with self._lock:
            self._vectors[text] = joined
            self._vectors.move_to_end(text)
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)

    def recall(self, texts: Sequence[str], embed: Callable[[Sequence[str]], Vectors]) -> Vectors:
        """`embed(texts)`, with the texts searched lately taken from memory."""
        with self._lock:
            found = {t: self._vectors[t] for t in texts if t in self._vectors}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            for text, vector in zip(missing, embed(missing), strict=True):
                found[text] = vector
        return np.stack([found[t] for t in texts])


def joined_vectors(parts: Sequence[Vectors]) -> Vectors:
    """Every encoder's unit vectors side by side, scaled so that a cosine between two rows is the
    mean of the encoders' cosines."""
    joined: Vectors = np.hstack(parts) / np.float32(np.sqrt(len(parts)))
    return joined


def cached_vectors(
    cache: Path, texts: Sequence[str], embed: Callable[[Sequence[str]], Vectors]
) -> Vectors:
    """`embed(texts)`, with the texts embedded by an earlier report read from `cache` (a file
    per model) and only the others embedded now."""
    known = _read_cache(cache)
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        for text, vector in zip(missing, embed(missing), strict=True):
            known[text] = vector
        _write_cache(cache, known)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)


def cache_path(folder: Path, model: str) -> Path:
    return folder / f"vectors-{hashlib.sha256(model.encode()).hexdigest()[:16]}.npz"


def _read_cache(cache: Path) -> dict[str, Vectors]:
    try:
        with np.load(cache, allow_pickle=False) as stored:
            return dict(zip(stored["texts"].tolist(), stored["vectors"], strict=True))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # none yet, or unreadable: rebuilt
        return {}


def _write_cache(cache: Path, known: Mapping[str, Vectors]) -> None:
    def write(tmp: Path) -> None:
        # the owner's only, as the log: the cache holds every distinct query's text
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
            np.savez(
                handle,
                texts=np.array(list(known), dtype=str),
                vectors=np.stack(list(known.values())),
            )

    try:
        cache.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        replace_atomic(cache, write)
    except Exception as exc:  # a cache that cannot be kept costs time next time, nothing else
        _log.warning("demand report: the embedding cache was not written (%s)", exc)


# -- the report ----------------------------------------------------------------------------------


class DemandGroupJSON(TypedDict):
    """One need: the queries grouped as its variants, and the searches made for it."""

    query: str
    searches: int
    unmet: int
    zero_results: int
    variants: list[str]
    languages: dict[str, int]
    provinces: dict[str, int]
    weeks: dict[str, int]
    unmet_weeks: dict[str, int]
    last_searched: str


class CountJSON(TypedDict):
    """Searches and unmet searches for one language, province or ISO week."""

    name: str
    searches: int
    unmet: int


class DemandJSON(TypedDict):
    """`GET /insights/demand` and `ngen-connect insights demand --json`."""

    since: str | None
    language: str | None
    few_results: int
    similarity: float
    searches: int
    unmet: int
    zero_results: int
    distinct_queries: int
    groups: int
    unreadable_lines: int
    dropped: int
    top: list[DemandGroupJSON]
    unmet_queries: list[DemandGroupJSON]
    languages: list[CountJSON]
    provinces: list[CountJSON]
    weeks: list[CountJSON]


@dataclass
class DemandGroup:
    """The searches for one need, counted as they are added."""

    texts: Counter[str] = field(default_factory=Counter)
    unmet: int = 0
    zero_results: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    provinces: Counter[str] = field(default_factory=Counter)
    weeks: Counter[str] = field(default_factory=Counter)
    unmet_weeks: Counter[str] = field(default_factory=Counter)
    last_searched: str = ""

    @property
    def searches(self) -> int:
        return self.texts.total()

    @property
    def name(self) -> str:
        """The text searched most often (the first seen among equals)."""
        return self.texts.most_common(1)[0][0]

    def add(self, entry: EntryJSON, few_results: int) -> None:
        week = _week(entry["at"][:10])
        self.texts[entry["query"]] += 1
        self.languages[entry.get("language") or "und"] += 1
        self.provinces.update(entry.get("filters", {}).get("province", []))
        self.weeks[week] += 1
        self.last_searched = max(self.last_searched, entry["at"][:10])
        if _unmet(entry, few_results):
            self.unmet += 1
            self.unmet_weeks[week] += 1
            self.zero_results += entry.get("total", 0) == 0

    def to_dict(self) -> DemandGroupJSON:
        return {
            "query": self.name,
            "searches": self.searches,
            "unmet": self.unmet,
            "zero_results": self.zero_results,
            "variants": [text for text, _ in self.texts.most_common(_VARIANTS)],
            "languages": dict(self.languages.most_common()),
            "provinces": dict(self.provinces.most_common()),
            "weeks": dict(sorted(self.weeks.items())),
            "unmet_weeks": dict(sorted(self.unmet_weeks.items())),
            "last_searched": self.last_searched,
        }


#: the columns of the report written to a CSV or XLSX file: one row a group
DEMAND_COLUMNS = (
    "query",
    "searches",
    "unmet",
    "zero_results",
    "variants",
    "languages",
    "provinces",
    "weeks",
    "last_searched",
)


@dataclass
class DemandReport:
    """Searches grouped by need, with the unmet ones, by language, province and ISO week."""

    groups: list[DemandGroup]
    since: date | None
    language: str | None
    few_results: int
    similarity: float
    top: int
    distinct_queries: int
    unreadable: int
    dropped: int
    languages: Counter[str] = field(default_factory=Counter)
    provinces: Counter[str] = field(default_factory=Counter)
    weeks: Counter[str] = field(default_factory=Counter)
    unmet_languages: Counter[str] = field(default_factory=Counter)
    unmet_provinces: Counter[str] = field(default_factory=Counter)
    unmet_weeks: Counter[str] = field(default_factory=Counter)

    def top_groups(self) -> list[DemandGroup]:
        return sorted(self.groups, key=lambda g: (-g.searches, g.name))[: self.top]

    def unmet_groups(self) -> list[DemandGroup]:
        unmet = [g for g in self.groups if g.unmet]
        return sorted(unmet, key=lambda g: (-g.unmet, -g.zero_results, g.name))[: self.top]

    def to_dict(self) -> DemandJSON:
        return {
            "since": self.since.isoformat() if self.since else None,
            "language": self.language,
            "few_results": self.few_results,
            "similarity": self.similarity,
            "searches": sum(g.searches for g in self.groups),
            "unmet": sum(g.unmet for g in self.groups),
            "zero_results": sum(g.zero_results for g in self.groups),
            "distinct_queries": self.distinct_queries,
            "groups": len(self.groups),
            "unreadable_lines": self.unreadable,
            "dropped": self.dropped,
            "top": [g.to_dict() for g in self.top_groups()],
            "unmet_queries": [g.to_dict() for g in self.unmet_groups()],
            "languages": _counts(self.languages, self.unmet_languages),
            "provinces": _counts(self.provinces, self.unmet_provinces),
            "weeks": _counts(self.weeks, self.unmet_weeks, by_name=True),
        }

    def rows(self) -> list[dict[str, Any]]:
        """The groups listed (most searched, then unmet), one row each, for a CSV or XLSX file."""
        listed = list({id(g): g for g in [*self.top_groups(), *self.unmet_groups()]}.values())
        rows = []
        for group in listed:
            found = group.to_dict()
            rows.append(
                {
                    **{key: found[key] for key in ("query", "searches", "unmet", "zero_results")},
                    "variants": " | ".join(found["variants"]),
                    "languages": _pairs(found["languages"]),
                    "provinces": _pairs(found["provinces"]),
                    "weeks": _pairs(found["weeks"]),
                    "last_searched": found["last_searched"],
                }
            )
        return rows


def demand_report(
    read: LogRead,
    vectors_of: Callable[[Sequence[str]], Vectors],
    *,
    since: date | None = None,
    language: str | None = None,
    few_results: int = DEFAULT_FEW_RESULTS,
    similarity: float = DEFAULT_SIMILARITY,
    top: int = DEFAULT_TOP,
) -> DemandReport:
    """The report over the log's entries (from `since`, in `language` when given): the distinct
    queries (compared by their letters and digits, folded) embedded by `vectors_of` and grouped
    by `group_texts` at `similarity`; a search with fewer than `few_results` results is unmet."""
    entries = [e for e in read.entries if language is None or e.get("language") == language]
    by_key: dict[str, list[EntryJSON]] = {}
    for entry in entries:
        by_key.setdefault(_key(entry["query"]), []).append(entry)
    keys = sorted(by_key, key=lambda k: (-len(by_key[k]), k))[:MAX_GROUPED]
    names = [Counter(e["query"] for e in by_key[k]).most_common(1)[0][0] for k in keys]
    vectors = vectors_of([n.lower() for n in names]) if keys else np.zeros((0, 1), np.float32)
    report = DemandReport(
        [],
        since,
        language,
        few_results,
        similarity,
        top,
        len(by_key),
        read.unreadable,
        read.dropped,
    )
    for members in group_texts(vectors, similarity):
        group = DemandGroup()
        for entry in (e for i in members for e in by_key[keys[i]]):
            group.add(entry, few_results)
        report.groups.append(group)
    _summarise(report, entries)
    return report


def _summarise(report: DemandReport, entries: Iterable[EntryJSON]) -> None:
    for entry in entries:
        language = entry.get("language") or "und"
        provinces = entry.get("filters", {}).get("province", [])
        week = _week(entry["at"][:10])
        report.languages[language] += 1
        report.provinces.update(provinces)
        report.weeks[week] += 1
        if _unmet(entry, report.few_results):
            report.unmet_languages[language] += 1
            report.unmet_provinces.update(provinces)
            report.unmet_weeks[week] += 1


def _unmet(entry: EntryJSON, few_results: int) -> bool:
    return entry.get("total", 0) < few_results


def _key(query: str) -> str:
    """A query compared with the others: its letters and digits, folded (a query of other
    characters only, such as one in another script, as folded)."""
    return text_key(query) or " ".join(fold(query).split())


@lru_cache(maxsize=4096)
def _week(day: str) -> str:
    """A UTC day's ISO week, such as 2026-W49."""
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def _counts(
    searches: Counter[str], unmet: Counter[str], *, by_name: bool = False
) -> list[CountJSON]:
    names = sorted(searches) if by_name else [name for name, _ in searches.most_common()]
    return [{"name": n, "searches": searches[n], "unmet": unmet[n]} for n in names]


def _pairs(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name}: {count}" for name, count in counts.items())
