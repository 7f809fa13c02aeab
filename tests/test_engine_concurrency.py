"""One engine shared by many threads, as the HTTP server shares it: searches run at once and answer
as they would one at a time, and a write publishes its version while searches go on."""

import gc
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ngen_connect import Engine, FakeEmbedder, Kind, SearchResponse, load_settings
from ngen_connect.search.filters import Filters
from tests.conftest import copy_index

QUERIES = [
    "injection moulding",
    "usinage 5 axes",
    "robotic welding",
    "soudage robotisé",
    "aerospace composites",
    "fabrication additive",
    "battery recycling",
    "emballages compostables",
]


@pytest.fixture
def sample_engine(sample_index: Path, tmp_path: Path) -> Iterator[Engine]:
    """The engine over a private copy of the indexed SAMPLE data (500 organisations, clusters and
    IP assets, fake model)."""
    data_dir = copy_index(sample_index, tmp_path / "data")
    engine = Engine(load_settings(data_dir=data_dir, model="fake"), embedder=FakeEmbedder())
    yield engine
    engine.close()


def _reads(engine: Engine) -> list[Callable[[], Any]]:
    """Every kind of read a server makes: searches with and without filters and kinds (the
    filtered ones ask the database), pages, records, similar records, the manifest."""
    first = sorted(k for k in engine.records() if k.startswith("organization:"))[:4]
    ids = [key.split(":", 1)[1] for key in first]
    reads: list[Callable[[], Any]] = []
    for query in QUERIES:
        reads.append(lambda q=query: engine.search(q).to_dict("en"))
        reads.append(
            lambda q=query: engine.search(
                q, filters=Filters.parse({"province": ["QC", "ON"]}), offset=5
            ).to_dict("fr")
        )
        reads.append(lambda q=query: engine.search(q, kinds=[Kind.IP_ASSET]).to_dict("en"))
    for record_id in ids:
        reads.append(lambda i=record_id: engine.record(i))
        reads.append(lambda i=record_id: engine.similar(i, limit=5).to_dict("en"))
    reads.append(lambda: engine.manifest().version)
    return reads


def test_searches_from_threads_answer_as_one_at_a_time(sample_engine: Engine) -> None:
    reads = _reads(sample_engine)
    alone = [read() for read in reads]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda read: read(), reads * 4))
    assert together == alone * 4


def _batch(folder: Path, number: int, size: int) -> Path:
    rows = [
        f"zorb-{number}-{i},Zorblax Works {number}-{i},Zorblax tempering of gear blanks,QC"
        for i in range(size)
    ]
    path = folder / f"batch-{number}.csv"
    path.write_text("id,name,description,province\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _written(response: SearchResponse) -> int:
    """How many of the written records a search found."""
    return sum(hit.id.startswith("zorb-") for hit in response.results)


def test_a_write_during_parallel_reads_is_seen_whole_or_not_at_all(
    sample_engine: Engine, tmp_path: Path
) -> None:
    """Each write adds 20 records about one made-up word: a search sees some whole number of
    writes, never part of one, and a search that follows a write sees it."""
    size, writes = 20, 4
    done = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def read() -> None:
        while not done.is_set():
            try:
                filtered = sample_engine.search(
                    "zorblax", filters=Filters.parse({"province": ["QC"]}), limit=100
                )
                plain = sample_engine.search("zorblax", limit=100)
                seen.extend([_written(filtered), _written(plain)])
                for hit in plain.results[:3]:
                    assert sample_engine.record(hit.id, hit.kind)["name"] == hit.name
            except BaseException as exc:  # a reader that fails fails the test
                errors.append(exc)
                return

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        for number in range(writes):
            report = sample_engine.index_files([_batch(tmp_path, number, size)])
            assert report.added == size
            assert _written(sample_engine.search("zorblax", limit=100)) == size * (number + 1)
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert not errors, errors
    assert seen and set(seen) <= {size * n for n in range(writes + 1)}


def test_a_replaced_version_stays_open_until_its_last_read_is_done(
    sample_engine: Engine, tmp_path: Path
) -> None:
    with sample_engine._reading() as old:
        sample_engine.index_files([_batch(tmp_path, 0, 3)])
        assert _written(sample_engine.search("zorblax")) == 3  # the new version, opened meanwhile
        key = next(iter(old.version.catalog.records))
        assert old.version.store.record_detail(key) is not None  # the old one still reads
        assert "organization:zorb-0-0" not in old.version.catalog.records
    with pytest.raises(duckdb.ConnectionException):
        old.version.store.record_detail(key)  # closed by its last read


def test_a_replaced_version_is_freed_though_versions_are_frozen(
    sample_engine: Engine, tmp_path: Path
) -> None:
    """Each version's objects are frozen out of the garbage collector's way when it opens; once
    replaced and done with, they must still be freed (they hold no reference cycle)."""
    sample_engine.search("welding")
    frozen = gc.get_freeze_count()  # one version of the sample index: tens of thousands
    for number in range(4):
        sample_engine.index_files([_batch(tmp_path, number, 2)])
        sample_engine.search("welding")
    assert gc.get_freeze_count() - frozen < 1_000


def test_a_dropped_engine_is_freed_though_versions_are_frozen(
    sample_index: Path, tmp_path: Path
) -> None:
    """Nothing refers back to an engine: once dropped, it goes at once, with its models and its
    open version, though the collector no longer looks at what was frozen."""
    data_dir = copy_index(sample_index, tmp_path / "data")
    engine = Engine(load_settings(data_dir=data_dir, model="fake"), embedder=FakeEmbedder())
    engine.search("welding")  # opens (and freezes) a version
    engine.index_files([_batch(tmp_path, 0, 2)])  # and writes with the models
    engine.close()
    dropped = weakref.ref(engine)
    del engine
    assert dropped() is None
