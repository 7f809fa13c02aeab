"""The search log and the demand report over it: retention on write, a line cut short by a
crash, grouping of variants with the fake embedder, unmet counts, bad input."""

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from ngen_connect import FakeEmbedder, QueryError
from ngen_connect.insights import (
    SearchLog,
    demand_report,
    parse_language,
    parse_since,
    read_log,
    search_entry,
)
from ngen_connect.insights.demand import (
    LogRead,
    RecentQueries,
    cache_path,
    cached_vectors,
    joined_vectors,
)

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def _entry(query: str, total: int = 5, *, at: datetime = NOW, language: str = "en", **filters: str):
    return search_entry(
        query, language, {k: [v] for k, v in filters.items()}, [], total, min(total, 10), 12.3, at
    )


def _logged(folder: Path, *entries: object) -> None:
    log = SearchLog(folder, retention_days=180)
    for entry in entries:
        log.add(entry)  # type: ignore[arg-type]
    log.close()


def test_an_entry_holds_the_search_and_nothing_about_the_caller(tmp_path: Path) -> None:
    _logged(tmp_path, _entry("usinage CNC", 0, language="fr", province="QC"))
    (path,) = tmp_path.glob("searches-*.jsonl")
    assert path.name == "searches-2026-12-07.jsonl"
    assert path.stat().st_mode & 0o077 == 0, "the owner's only"
    entry = json.loads(path.read_text(encoding="utf-8"))
    assert entry == {
        "at": "2026-12-07T15:00:00.000Z",
        "query": "usinage CNC",
        "language": "fr",
        "filters": {"province": ["QC"]},
        "kinds": [],
        "total": 0,
        "shown": 0,
        "ms": 12.3,
    }


def test_retention_drops_old_files_when_a_new_one_is_started(tmp_path: Path) -> None:
    old = tmp_path / "searches-2026-06-09.jsonl"  # 181 days before NOW
    kept = tmp_path / "searches-2026-06-10.jsonl"  # 180 days before
    for path in (old, kept):
        path.write_text(json.dumps(_entry("old", at=NOW - timedelta(days=181))) + "\n")
    cache = tmp_path / "vectors-0123.npz"
    cache.write_bytes(b"texts of the old files")
    _logged(tmp_path, _entry("new"))
    assert not old.exists() and kept.exists()
    assert not cache.exists(), "the cached embeddings may hold the old files' queries"
    assert [e["query"] for e in read_log(tmp_path).entries] == ["old", "new"]
    assert [e["query"] for e in read_log(tmp_path, date(2026, 12, 1)).entries] == ["new"]


def test_a_last_line_cut_short_is_skipped_and_the_next_line_stands_whole(tmp_path: Path) -> None:
    path = tmp_path / "searches-2026-12-07.jsonl"
    whole = json.dumps(_entry("robotic welding"))
    path.write_text(whole + "\n" + whole[:25], encoding="utf-8")  # the writer died mid-line
    read = read_log(tmp_path)
    assert [e["query"] for e in read.entries] == ["robotic welding"] and read.unreadable == 1
    _logged(tmp_path, _entry("laser cutting"))
    read = read_log(tmp_path)
    assert [e["query"] for e in read.entries] == ["robotic welding", "laser cutting"]
    assert read.unreadable == 1


def test_a_full_queue_drops_and_counts_without_waiting(tmp_path: Path) -> None:
    log = SearchLog(tmp_path, queue_size=1)
    log._queue.put(None)  # type: ignore[arg-type]  # the writer stops: the queue stays full
    log._thread.join()
    log._queue.put_nowait(_entry("kept"))
    for _ in range(3):
        log.add(_entry("dropped"))
    assert log.dropped == 3


def _fake_vectors(texts: list[str]):  # type: ignore[no-untyped-def]
    return FakeEmbedder(384).encode_queries(texts)


def test_variants_of_one_need_are_grouped_and_unmet_demand_counted() -> None:
    week_before = NOW - timedelta(days=7)
    read = LogRead(
        [
            _entry("CNC machining titanium", 0, province="ON"),
            _entry("cnc  machining, titanium", 1, province="QC"),
            _entry("Titanium CNC machining", 2, at=week_before),  # the same words: one need
            _entry("CNC machining titanium", 8),
            _entry("robotic welding", 0),
            _entry("soudage robotisé", 9, language="fr"),
        ]
    )
    report = demand_report(read, _fake_vectors, few_results=3).to_dict()
    assert (report["searches"], report["unmet"], report["zero_results"]) == (6, 4, 2)
    assert report["distinct_queries"] == 4 and report["groups"] == 3
    first = report["top"][0]
    assert first["query"] == "CNC machining titanium" and first["searches"] == 4
    assert set(first["variants"]) == {
        "CNC machining titanium",
        "cnc  machining, titanium",
        "Titanium CNC machining",
    }
    assert (first["unmet"], first["zero_results"]) == (3, 1)
    assert first["provinces"] == {"ON": 1, "QC": 1}
    assert first["weeks"] == {"2026-W49": 1, "2026-W50": 3}
    assert [g["query"] for g in report["unmet_queries"]] == [
        "CNC machining titanium",
        "robotic welding",
    ]
    assert {c["name"]: (c["searches"], c["unmet"]) for c in report["languages"]} == {
        "en": (5, 4),
        "fr": (1, 0),
    }
    assert [c["name"] for c in report["weeks"]] == ["2026-W49", "2026-W50"]
    french = demand_report(read, _fake_vectors, language="fr").to_dict()
    assert french["searches"] == 1 and french["top"][0]["query"] == "soudage robotisé"


def test_embeddings_are_cached_per_text(tmp_path: Path) -> None:
    embedded: list[str] = []

    def counting(texts):  # type: ignore[no-untyped-def]
        embedded.extend(texts)
        return _fake_vectors(list(texts))

    cache = cache_path(tmp_path, "fake:384")
    first = cached_vectors(cache, ["a b", "c d"], counting)
    again = cached_vectors(cache, ["c d", "a b", "e f"], counting)
    assert embedded == ["a b", "c d", "e f"]
    assert (again[1] == first[0]).all()


def test_bad_dates_and_languages_are_refused_in_both_languages() -> None:
    assert parse_since("2026-01-31") == date(2026, 1, 31) and parse_since(" ") is None
    for bad in ("2026-13-01", "31/01/2026", "20260131", "yesterday"):
        with pytest.raises(QueryError, match="YYYY-MM-DD") as raised:
            parse_since(bad)
        assert "AAAA-MM-JJ" in raised.value.message_fr
    assert parse_language("FR") == "fr" and parse_language(None) is None
    with pytest.raises(QueryError, match="en or fr"):
        parse_language("de")


def test_a_line_of_another_shape_is_skipped_not_a_failure(tmp_path: Path) -> None:
    good = _entry("robotic welding")
    bad = [
        {"query": "x"},
        {**good, "at": "garbage"},
        {**good, "total": "5"},
        {**good, "dropped_before": "a"},
        {**good, "filters": {"province": "ON"}},
        [good],
    ]
    lines = [json.dumps(good), *(json.dumps(b) for b in bad)]
    (tmp_path / "searches-2026-12-07.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    read = read_log(tmp_path)
    assert [e["query"] for e in read.entries] == ["robotic welding"]
    assert read.unreadable == len(bad)


def test_an_entry_keeps_a_bounded_share_of_the_filters() -> None:
    many = {"city": ["x" * 10_000] * 50, **{f"f{i}": ["y"] for i in range(30)}}
    entry = search_entry("q", "en", many, [], 1, 1, 1.0)
    assert len(entry["filters"]) == 10 and len(entry["filters"]["city"]) == 10
    assert len(json.dumps(entry)) < 2_000


def test_the_cache_and_the_log_are_the_owners_only(tmp_path: Path) -> None:
    folder = tmp_path / "search-log"
    _logged(folder, _entry("robotic welding"))
    cached_vectors(cache_path(folder, "fake:384"), ["robotic welding"], _fake_vectors)
    modes = {path.name: path.stat().st_mode & 0o777 for path in folder.iterdir()}
    assert set(modes.values()) == {0o600}, modes
    assert folder.stat().st_mode & 0o777 == 0o700


def test_a_report_takes_the_vectors_the_searches_embedded() -> None:
    recent = RecentQueries(size=2)
    fake = FakeEmbedder(dim=8)
    for text in ("robotic welding", "laser cutting", "powder coating"):
        recent.keep(text, [fake.encode_queries([text])[0], fake.encode_queries([text])[0]])
    asked: list[str] = []

    def embed(texts):  # type: ignore[no-untyped-def]
        asked.extend(texts)
        return joined_vectors([fake.encode_queries(list(texts))] * 2)

    vectors = recent.recall(["laser cutting", "robotic welding", "powder coating"], embed)
    # the oldest was dropped (two kept): only it is embedded again, and to the same vector
    assert asked == ["robotic welding"]
    assert np.allclose(vectors[1], joined_vectors([fake.encode_queries(["robotic welding"])] * 2))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
