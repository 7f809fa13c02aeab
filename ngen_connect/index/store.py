"""Record and passage metadata in DuckDB, one file per index version."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt

from ngen_connect.index.vectors import Ids, locate
from ngen_connect.limits import MAX_VALUE_DEPTH
from ngen_connect.models import Kind, Profile, RecordJSON, RecordSummary, StoredPassage
from ngen_connect.values import shallow_value

SCHEMA_VERSION = 4

_log = logging.getLogger(__name__)

_RECORD_COLUMNS = {
    "key": "VARCHAR",
    "id": "VARCHAR",
    "kind": "VARCHAR",
    "name": "VARCHAR",
    "language": "VARCHAR",
    "texts": "JSON",
    "attributes": "JSON",
    "province": "VARCHAR",
    "city": "VARCHAR",
    "org_type": "VARCHAR",
    "naics": "VARCHAR[]",
    "certifications": "VARCHAR[]",
    "sme": "BOOLEAN",
    "country": "VARCHAR",
    "clusters": "VARCHAR[]",
    "ownership": "VARCHAR[]",
    "registry": "VARCHAR",
    "source": "VARCHAR",
    "source_row": "INTEGER",
    "text_hash": "VARCHAR",
    "content_hash": "VARCHAR",
}
_PASSAGE_COLUMNS = {
    "passage_id": "BIGINT",
    "record_key": "VARCHAR",
    "kind": "VARCHAR",
    "ordinal": "INTEGER",
    "text": "VARCHAR",
    "language": "VARCHAR",
}
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS records ({", ".join(f"{c} {t}" for c, t in _RECORD_COLUMNS.items())},
    indexed_at TIMESTAMP DEFAULT current_timestamp);
CREATE TABLE IF NOT EXISTS passages ({", ".join(f"{c} {t}" for c, t in _PASSAGE_COLUMNS.items())});
CREATE INDEX IF NOT EXISTS passages_by_id ON passages (passage_id);
CREATE TABLE IF NOT EXISTS counters (name VARCHAR, value BIGINT);
CREATE TABLE IF NOT EXISTS listings (registry VARCHAR, record_key VARCHAR, listing JSON);
"""


#: a record's operating (trade) name, kept among its attributes
_OPERATING_NAME = "json_extract_string(r.attributes, '$.operating_name')"

# Numbered schema migrations: MIGRATIONS[n] turns schema n into n + 1, in place.
MIGRATIONS: dict[int, str] = {
    1: """
    ALTER TABLE records ADD COLUMN country VARCHAR;
    ALTER TABLE records ADD COLUMN clusters VARCHAR[];
    ALTER TABLE records ADD COLUMN ownership VARCHAR[];
    ALTER TABLE records ADD COLUMN registry VARCHAR;
    UPDATE records SET
        country = json_extract_string(attributes, '$.country'),
        clusters = CAST(coalesce(json_extract(attributes, '$.clusters'), '[]') AS VARCHAR[]),
        ownership = CAST(coalesce(json_extract(attributes, '$.ownership'), '[]') AS VARCHAR[]),
        registry = json_extract_string(attributes, '$.registry');
    """,
    # A registry's rows that matched a member list that member (with the registry's own values).
    2: "CREATE TABLE IF NOT EXISTS listings (registry VARCHAR, record_key VARCHAR, listing JSON);",
    # The keyword and product indexes store term counts, so that a write updates them row by row
    # (the migration rebuilds both), and the passages shown could be read by id.
    3: "CREATE INDEX IF NOT EXISTS passages_by_id ON passages (passage_id);",
}


class PassageTexts:
    """Every passage's text, UTF-8 in one buffer with its bounds: a few bytes per passage beside
    the text where a `str` each would cost ~60 (memory at scale: benchmarks/RESULTS.md, "Corpus
    size"), and a page's passages read without a query of the records file."""

    def __init__(self, rows: Iterable[tuple[int, str]]) -> None:
        """From (passage id, text) rows, in any order."""
        ids, self._bounds, self._data = array("q"), array("q", [0]), bytearray()
        for pid, text in rows:
            ids.append(pid)
            self._data += text.encode()
            self._bounds.append(len(self._data))
        unsorted = np.frombuffer(ids, dtype=np.int64)
        self._rows: npt.NDArray[np.intp] = np.argsort(unsorted, kind="stable")
        self._sorted: Ids = unsorted[self._rows]

    def sizes(self, ids: Ids) -> npt.NDArray[np.int64]:
        """Each passage's text size in UTF-8 bytes (-1 for an id the version does not have),
        without decoding any text."""
        at, found = locate(self._sorted, ids)
        bounds = np.frombuffer(self._bounds, dtype=np.int64)
        rows = self._rows[at[found]]
        sizes = np.full(len(ids), -1, dtype=np.int64)
        sizes[found] = bounds[rows + 1] - bounds[rows]
        return sizes

    def get(self, ids: Iterable[int]) -> dict[int, str]:
        """pid -> text, for those of `ids` the version has."""
        wanted = np.fromiter(ids, dtype=np.int64)
        at, found = locate(self._sorted, wanted)
        bounds, data = self._bounds, self._data
        return {
            pid: data[bounds[row] : bounds[row + 1]].decode()
            for pid, row in zip(wanted[found].tolist(), self._rows[at[found]].tolist(), strict=True)
        }


@dataclass(frozen=True)
class Catalog:
    """Every passage and record summary of an index version, held in memory."""

    #: passage id -> passage (without its text: `with_text`)
    passages: dict[int, StoredPassage]
    #: record key -> its passage ids
    by_record: dict[str, list[int]]
    #: record key -> summary
    records: dict[str, RecordSummary]
    texts: PassageTexts

    def passages_by_id(self, ids: Iterable[int]) -> dict[int, StoredPassage]:
        return {pid: self.passages[pid] for pid in ids}

    def with_text(self, ids: Iterable[int]) -> dict[int, StoredPassage]:
        """These passages with their text (ids the version does not have are left out)."""
        return {
            pid: dataclasses.replace(self.passages[pid], text=text)
            for pid, text in self.texts.get(ids).items()
        }

    def passages_of(self, keys: Iterable[str]) -> dict[int, StoredPassage]:
        return {pid: self.passages[pid] for key in keys for pid in self.by_record.get(key, ())}

    def records_of(self, keys: Iterable[str]) -> dict[str, RecordSummary]:
        return {key: self.records[key] for key in keys if key in self.records}


class Store:
    """One version's records. Reads may come from several threads at once (each runs on a cursor
    of its own); writes come from the one writer that opened the store."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self._read_only = read_only
        self._db = duckdb.connect(str(path), read_only=read_only)
        if not read_only:
            self._db.execute(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one read: a DuckDB connection must not be used by two threads at once,
        and a cursor is a connection of its own to the same database (it costs microseconds)."""
        cursor = self._db.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._reading() as db:
            return db.execute(sql, params).fetchall()

    def _columns(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any]:
        with self._reading() as db:
            columns: dict[str, Any] = db.execute(sql, params).fetchnumpy()
        return columns

    # -- reading ---------------------------------------------------------------------------------

    def hashes(self) -> dict[str, tuple[str, str]]:
        rows = self._rows("SELECT key, text_hash, content_hash FROM records")
        return {key: (text_hash, content_hash) for key, text_hash, content_hash in rows}

    def counts(self) -> dict[str, int]:
        rows = self._rows("SELECT kind, count(*) FROM records GROUP BY kind")
        counts = {kind.value: 0 for kind in Kind}
        counts.update({kind: int(n) for kind, n in rows})
        return counts

    def passage_count(self) -> int:
        rows = self._rows("SELECT count(*) FROM passages")
        return int(rows[0][0]) if rows else 0

    def allowed_passage_ids(self, kinds: Sequence[Kind], where: str, params: Sequence[Any]) -> Ids:
        """Passage ids of the records of these kinds that satisfy a WHERE clause over `records`."""
        rows = self._columns(
            "SELECT passage_id FROM passages WHERE record_key IN "
            f"(SELECT key FROM records WHERE kind IN (SELECT unnest(?)) AND ({where}))",
            [[k.value for k in kinds], *params],
        )
        return np.asarray(rows["passage_id"], dtype=np.int64)

    def embedding_sources(self) -> list[tuple[int, str, str]]:
        """(passage id, record name, passage text) of every passage, by id: what an encoder added
        to an existing index embeds."""
        rows = self._rows(
            "SELECT p.passage_id, r.name, p.text FROM passages p "
            "JOIN records r ON r.key = p.record_key ORDER BY p.passage_id"
        )
        return [(int(pid), name, text) for pid, name, text in rows]

    def keyword_sources(
        self, keys: Sequence[str] | None = None
    ) -> list[tuple[int, str, str, str | None]]:
        """(passage id, text, language, record facts) for the keyword index, of every passage or
        of the records with these keys: a record's first passage also carries its names (legal
        and operating), certifications and NAICS codes, so those can be searched by keyword."""
        where = "" if keys is None else "WHERE p.record_key IN (SELECT unnest(?)) "
        rows = self._rows(
            "SELECT p.passage_id, p.text, p.language, CASE WHEN p.ordinal = 0 THEN "
            f"concat_ws(' ', r.name, {_OPERATING_NAME}, array_to_string(r.certifications, ' '), "
            "array_to_string(r.naics, ' ')) END "
            f"FROM passages p JOIN records r ON r.key = p.record_key {where}ORDER BY p.passage_id",
            [] if keys is None else [list(keys)],
        )
        return [(int(pid), text, language, facts) for pid, text, language, facts in rows]

    def attribute_lists(
        self, attribute: str, keys: Sequence[str] | None = None
    ) -> list[tuple[str, list[Any]]]:
        """(record key, the list) of every record (or of those with these keys) whose `attribute`
        is a list, by key."""
        among = "" if keys is None else "AND key IN (SELECT unnest(?)) "
        rows = self._rows(
            "SELECT key, json_extract(attributes, ?) FROM records "
            f"WHERE json_type(json_extract(attributes, ?)) = 'ARRAY' {among}ORDER BY key",
            [f"$.{attribute}", f"$.{attribute}", *([] if keys is None else [list(keys)])],
        )
        return [(key, json.loads(value)) for key, value in rows]

    def names(self) -> list[tuple[str, str, int]]:
        """(record key, name, first passage id) for every name of every record: its name, and its
        operating name when it has one (a second row with the same key)."""
        rows = self._rows(
            f"SELECT r.key, r.name, {_OPERATING_NAME}, min(p.passage_id) FROM records r "
            "JOIN passages p ON p.record_key = r.key GROUP BY ALL"
        )
        names = [(key, name, int(pid)) for key, name, _, pid in rows]
        names.extend((key, operating, int(pid)) for key, _, operating, pid in rows if operating)
        return names

    def catalog(self) -> Catalog:
        """Every passage and record summary, held in memory so a query never waits on the database.
        Rows are read a batch at a time: what is read and dropped then reuses the memory of the
        batch before, instead of scattering what is kept over the whole heap, so a version holds
        less memory (benchmarks/RESULTS.md, "Corpus size")."""
        by_id: dict[int, StoredPassage] = {}
        by_record: dict[str, list[int]] = {}
        for pid, key, ordinal, language in self._batches(
            "SELECT passage_id, record_key, ordinal, language FROM passages"
        ):
            key = sys.intern(key)
            by_id[pid] = StoredPassage(key, ordinal, None, sys.intern(language))
            by_record.setdefault(key, []).append(pid)
        texts = self._texts()
        listed = self.listings()
        summaries = {
            key: RecordSummary(
                id=rid,
                kind=Kind(kind),
                name=name,
                language=language,
                attributes=_with_listings(_shared(_stored(attributes, key)), listed.get(key)),
                passages=len(by_record.get(key, ())),
            )
            for key, rid, kind, name, language, attributes in self._batches(
                "SELECT key, id, kind, name, language, attributes FROM records"
            )
        }
        return Catalog(by_id, by_record, summaries, texts)

    def _texts(self) -> PassageTexts:
        """Every passage's text, in a pass of its own: each batch's strings are dropped before the
        next, between no objects that are kept."""
        with self._apart() as db:
            return PassageTexts(_fetched(db, "SELECT passage_id, text FROM passages"))

    @contextmanager
    def _apart(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """For a read-only store, a connection to its file on a DuckDB instance of its own, closed
        when done: the store's own would keep the pages a long read reads in its buffer (every
        passage's text, for the catalog). A writable store's file cannot be opened twice: its
        own cursor."""
        if not self._read_only:
            with self._reading() as db:
                yield db
            return
        side = duckdb.connect()
        try:
            quoted = str(self.path).replace("'", "''")
            side.execute(f"ATTACH '{quoted}' AS version (READ_ONLY)")
            side.execute("USE version")
            yield side
        finally:
            side.close()

    def _batches(self, sql: str, size: int = 8192) -> Iterator[tuple[Any, ...]]:
        with self._reading() as db:
            yield from _fetched(db, sql, size)

    def listings(self) -> dict[str, dict[str, Any]]:
        """record key -> {registry: what that registry says about the record}."""
        rows = self._rows("SELECT record_key, registry, listing FROM listings")
        listed: dict[str, dict[str, Any]] = {}
        for key, registry, listing in rows:
            listed.setdefault(key, {})[registry] = _stored(listing, f"{key} ({registry})")
        return listed

    def registry_keys(self, registry: str) -> set[str]:
        """Keys of the records that belong to one registry."""
        rows = self._rows("SELECT key FROM records WHERE registry = ?", [registry])
        return {key for (key,) in rows}

    def record_detail(self, key: str) -> RecordJSON | None:
        with self._reading() as db:
            row = db.execute(
                "SELECT id, kind, name, language, texts, attributes, source, source_row, indexed_at "
                "FROM records WHERE key = ?",
                [key],
            ).fetchone()
            listed = db.execute(
                "SELECT registry, listing FROM listings WHERE record_key = ?", [key]
            ).fetchall()
        if row is None:
            return None
        rid, kind, name, language, texts, attributes, source, source_row, indexed_at = row
        return {
            "id": rid,
            "kind": kind,
            "name": name,
            "language": language,
            "texts": _stored(texts, key),
            "attributes": _with_listings(
                _stored(attributes, key), {r: _stored(v, f"{key} ({r})") for r, v in listed}
            ),
            "source": source,
            "source_row": source_row,
            "indexed_at": indexed_at.isoformat() if indexed_at else None,
        }

    def record_passage_ids(self, keys: Iterable[str]) -> Ids:
        rows = self._columns(
            "SELECT passage_id FROM passages WHERE record_key IN (SELECT unnest(?))", [list(keys)]
        )
        return np.asarray(rows["passage_id"], dtype=np.int64)

    def existing_keys(self, keys: Iterable[str]) -> list[str]:
        rows = self._rows("SELECT key FROM records WHERE key IN (SELECT unnest(?))", [list(keys)])
        return [key for (key,) in rows]

    # -- writing ---------------------------------------------------------------------------------

    def allocate_passage_ids(self, n: int) -> Ids:
        row = self._db.execute("SELECT value FROM counters WHERE name = 'passage_id'").fetchone()
        start = int(row[0]) if row else 0
        if row:
            self._db.execute("UPDATE counters SET value = ? WHERE name = 'passage_id'", [start + n])
        else:
            self._db.execute("INSERT INTO counters VALUES ('passage_id', ?)", [start + n])
        return np.arange(start, start + n, dtype=np.int64)

    def delete(self, keys: Sequence[str]) -> None:
        if keys:
            self._db.execute(
                "DELETE FROM passages WHERE record_key IN (SELECT unnest(?))", [list(keys)]
            )
            self._db.execute("DELETE FROM records WHERE key IN (SELECT unnest(?))", [list(keys)])
            self._db.execute(
                "DELETE FROM listings WHERE record_key IN (SELECT unnest(?))", [list(keys)]
            )

    def replace_listings(self, registry: str, listings: dict[str, dict[str, Any]]) -> None:
        """The registry's listings become these (record key -> values), for records that exist."""
        self._db.execute("DELETE FROM listings WHERE registry = ?", [registry])
        if listings:
            self._db.executemany(
                "INSERT INTO listings SELECT ?, key, ? FROM records WHERE key = ?",
                [
                    [registry, json.dumps(values, ensure_ascii=False, default=str), key]
                    for key, values in listings.items()
                ],
            )

    def upsert(
        self,
        profiles: Sequence[tuple[Profile, tuple[str, str]]],
        passage_ids: dict[str, Ids] | None,
    ) -> None:
        """Replace records (and, when `passage_ids` is given, their passages) in one bulk load."""
        keys = [p.key for p, _ in profiles]
        self._db.execute("DELETE FROM records WHERE key IN (SELECT unnest(?))", [keys])
        self._bulk_insert("records", _RECORD_COLUMNS, (_record_row(p, h) for p, h in profiles))
        if passage_ids is None:
            return
        self._db.execute("DELETE FROM passages WHERE record_key IN (SELECT unnest(?))", [keys])
        self._bulk_insert(
            "passages",
            _PASSAGE_COLUMNS,
            (
                {
                    "passage_id": int(pid),
                    "record_key": p.key,
                    "kind": p.kind.value,
                    "ordinal": passage.ordinal,
                    "text": passage.text,
                    "language": passage.language,
                }
                for p, _ in profiles
                for passage, pid in zip(p.passages, passage_ids[p.key], strict=True)
            ),
        )

    def _bulk_insert(
        self, table: str, columns: dict[str, str], rows: Iterable[dict[str, Any]]
    ) -> None:
        # DuckDB loads newline-delimited JSON hundreds of times faster than row-by-row inserts.
        fd, name = tempfile.mkstemp(suffix=".jsonl", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns.items()) + "}"
            self._db.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"SELECT {', '.join(columns)} FROM read_json(?, format='newline_delimited', columns={spec})",
                [name],
            )
        finally:
            os.unlink(name)

    def migrate(self, from_version: int) -> int:
        """Apply every migration from `from_version`; returns the version reached."""
        version = from_version
        while version in MIGRATIONS:
            self._db.execute(MIGRATIONS[version])
            version += 1
        return version

    def checkpoint(self) -> None:
        self._db.execute("CHECKPOINT")


def _stored(text: str, key: str) -> Any:
    """A stored JSON value; an empty object, logged with the record's key, when it cannot be
    read (a value nested past the parser's depth, written before depth was bounded): one
    record's content never keeps an index version from opening."""
    try:
        value = json.loads(text)
    except (RecursionError, ValueError) as exc:
        _log.warning("record %s: a stored value cannot be read (%s); it is left out", key, exc)
        return {}
    if text.count("{") + text.count("[") > _STORED_DEPTH:  # it may nest deeper: bound it
        value, _ = shallow_value(value, _STORED_DEPTH)
    return value


#: how deep a stored value may nest: a file's value (MAX_VALUE_DEPTH) lies a few levels down in a
#: record's attributes (`extra`, a registry's listing of it...)
_STORED_DEPTH = MAX_VALUE_DEPTH + 4


#: how deep `_shared` goes: the keys and values that repeat lie at the top
_SHARED_DEPTH = 3


def _shared(value: Any, depth: int = _SHARED_DEPTH) -> Any:
    """A parsed JSON value whose keys and short strings are shared with every record's (a
    hundred thousand records repeat the same keys, provinces, countries, bands and
    certifications): a third less memory for the catalog's attributes. Only the first levels:
    a deeper value is kept as it is, so no stored value makes this recurse without bound."""
    if depth == 0:
        return value
    if isinstance(value, dict):
        return {sys.intern(k): _shared(v, depth - 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_shared(v, depth - 1) for v in value]
    if isinstance(value, str) and len(value) <= 32:
        return sys.intern(value)
    return value


def _with_listings(attributes: dict[str, Any], listed: dict[str, Any] | None) -> dict[str, Any]:
    """A record's attributes with `listed_in`: the registries that list it, and what they say."""
    return {**attributes, "listed_in": listed} if listed else attributes


def _record_row(profile: Profile, hashes: tuple[str, str]) -> dict[str, Any]:
    attrs = profile.attributes
    return {
        "key": profile.key,
        "id": profile.id,
        "kind": profile.kind.value,
        "name": profile.name,
        "language": profile.language,
        "texts": profile.texts,
        "attributes": attrs,
        "province": attrs.get("province"),
        "city": attrs.get("city"),
        "org_type": attrs.get("org_type"),
        "naics": attrs.get("naics", []),
        "certifications": attrs.get("certifications", []),
        "sme": attrs.get("sme"),
        "country": attrs.get("country"),
        "clusters": attrs.get("clusters", []),
        "ownership": attrs.get("ownership", []),
        "registry": attrs.get("registry"),
        "source": profile.source,
        "source_row": profile.source_row,
        "text_hash": hashes[0],
        "content_hash": hashes[1],
    }


def _fetched(
    db: duckdb.DuckDBPyConnection, sql: str, size: int = 8192
) -> Iterator[tuple[Any, ...]]:
    """A query's rows, fetched a batch at a time."""
    db.execute(sql)
    while rows := db.fetchmany(size):
        yield from rows
