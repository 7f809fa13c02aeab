"""The DuckDB metadata store on a real database file: records, passages, listings, migrations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from ngen_connect.index.store import SCHEMA_VERSION, Store
from ngen_connect.index.vectors import Ids
from ngen_connect.models import Kind, Passage, Profile, RecordSummary, StoredPassage


def profile(
    rid: str,
    name: str,
    texts: list[str],
    *,
    kind: Kind = Kind.ORGANIZATION,
    language: str = "en",
    **attributes: Any,
) -> Profile:
    return Profile(
        id=rid,
        kind=kind,
        name=name,
        texts={language: " ".join(texts)},
        language=language,
        attributes=attributes,
        source="members.csv",
        source_row=2,
        passages=tuple(Passage(i, text, language) for i, text in enumerate(texts)),
    )


def write(store: Store, *profiles: Profile, hashes: tuple[str, str] = ("t", "c")) -> dict[str, Ids]:
    """Upsert profiles with freshly allocated passage ids; returns key -> ids."""
    ids = store.allocate_passage_ids(sum(len(p.passages) for p in profiles))
    by_key: dict[str, Ids] = {}
    start = 0
    for p in profiles:
        by_key[p.key] = ids[start : start + len(p.passages)]
        start += len(p.passages)
    store.upsert([(p, hashes) for p in profiles], by_key)
    return by_key


TITAN = profile(
    "m3",
    "Titan Aero Machining Inc.",
    ["Five-axis machining of titanium.", "Aircraft parts to AS9100."],
    province="ON",
    city="Toronto",
    naics=["332710"],
    certifications=["AS9100"],
    sme=True,
    country="CA",
)
GAGNON = profile(
    "m2",
    "Moulures Gagnon inc.",
    ["Moulage par injection de boîtiers."],
    language="fr",
    province="QC",
    naics=["326193"],
    sme=False,
)
CLUSTER = profile("c1", "Aéro Montréal", ["Aerospace cluster of Quebec."], kind=Kind.CLUSTER)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "records.duckdb")
    yield opened
    opened.close()


def test_upserted_records_read_back(store: Store) -> None:
    ids = write(store, TITAN, GAGNON, CLUSTER)
    assert store.hashes() == {p.key: ("t", "c") for p in (TITAN, GAGNON, CLUSTER)}
    assert store.counts() == {"organization": 2, "cluster": 1, "ip_asset": 0}
    assert store.passage_count() == 4

    catalog = store.catalog()
    first, second = ids[TITAN.key].tolist()
    # the catalog's passages leave their text out; it gives it for the passages shown
    assert catalog.passages[first] == StoredPassage(TITAN.key, 0, None, "en")
    assert catalog.with_text([first, second, 10**9]) == {
        first: StoredPassage(TITAN.key, 0, "Five-axis machining of titanium.", "en"),
        second: StoredPassage(TITAN.key, 1, "Aircraft parts to AS9100.", "en"),
    }
    assert sorted(catalog.by_record[TITAN.key]) == [first, second]
    assert catalog.records[GAGNON.key] == RecordSummary(
        id="m2",
        kind=Kind.ORGANIZATION,
        name="Moulures Gagnon inc.",
        language="fr",
        attributes=GAGNON.attributes,
        passages=1,
    )
    assert set(catalog.passages_of([CLUSTER.key])) == set(ids[CLUSTER.key].tolist())
    assert catalog.records_of([TITAN.key, "organization:missing"]).keys() == {TITAN.key}


def test_record_detail(store: Store) -> None:
    write(store, TITAN)
    detail = store.record_detail(TITAN.key)
    assert detail is not None
    assert detail["name"] == "Titan Aero Machining Inc."
    assert detail["texts"] == TITAN.texts
    assert detail["attributes"]["naics"] == ["332710"]
    assert (detail["source"], detail["source_row"]) == ("members.csv", 2)
    assert detail["indexed_at"]  # ISO timestamp set by the database
    assert store.record_detail("organization:nobody") is None
    # the key carries the kind: the same id of another kind is another record
    assert store.record_detail("cluster:m3") is None


def test_upsert_replaces_a_record_and_its_passages(store: Store) -> None:
    old = write(store, TITAN, GAGNON)
    shorter = profile("m3", "Titan Aero", ["Titanium only."], province="AB")
    new = write(store, shorter, hashes=("t2", "c2"))
    assert store.counts()["organization"] == 2
    assert store.hashes()[TITAN.key] == ("t2", "c2")
    catalog = store.catalog()
    assert catalog.by_record[TITAN.key] == new[TITAN.key].tolist()
    assert not set(old[TITAN.key].tolist()) & set(catalog.passages)
    assert catalog.records[TITAN.key].name == "Titan Aero"
    assert catalog.records[TITAN.key].attributes == {"province": "AB"}
    # the other record is untouched
    assert catalog.by_record[GAGNON.key] == old[GAGNON.key].tolist()


def test_metadata_only_upsert_keeps_passages(store: Store) -> None:
    ids = write(store, TITAN)
    renamed = profile("m3", "Titan Aerospace", ["ignored"], province="ON")
    store.upsert([(renamed, ("t", "c2"))], None)
    catalog = store.catalog()
    assert catalog.records[TITAN.key].name == "Titan Aerospace"
    assert catalog.by_record[TITAN.key] == ids[TITAN.key].tolist()
    first = int(ids[TITAN.key][0])
    assert catalog.with_text([first])[first].text == "Five-axis machining of titanium."


def test_an_empty_upsert_changes_nothing(store: Store) -> None:
    write(store, TITAN)
    store.upsert([], None)
    store.upsert([], {})
    assert store.counts()["organization"] == 1
    assert store.passage_count() == 2


def test_delete_removes_records_passages_and_listings(store: Store) -> None:
    ids = write(store, TITAN, GAGNON)
    store.replace_listings("simsa", {TITAN.key: {"category": "pumps"}})
    assert store.record_passage_ids([TITAN.key]).tolist() == ids[TITAN.key].tolist()
    store.delete([TITAN.key, "organization:never-there"])
    assert store.hashes().keys() == {GAGNON.key}
    assert store.record_passage_ids([TITAN.key]).size == 0
    assert store.passage_count() == 1
    assert store.listings() == {}
    assert store.existing_keys([TITAN.key, GAGNON.key]) == [GAGNON.key]
    store.delete([])  # nothing to do
    assert store.counts()["organization"] == 1


def test_passage_ids_are_never_reused(tmp_path: Path) -> None:
    path = tmp_path / "records.duckdb"
    store = Store(path)
    assert store.allocate_passage_ids(3).tolist() == [0, 1, 2]
    first = write(store, TITAN)
    store.delete([TITAN.key])
    second = write(store, TITAN)
    assert not set(first[TITAN.key].tolist()) & set(second[TITAN.key].tolist())
    store.close()
    reopened = Store(path)
    try:
        later = reopened.allocate_passage_ids(2)
        assert later.dtype == np.int64
        assert later.min() > max(second[TITAN.key].tolist())
        assert reopened.allocate_passage_ids(0).size == 0
        assert reopened.allocate_passage_ids(1)[0] == later.max() + 1
    finally:
        reopened.close()


def test_listings_belong_to_existing_records_and_are_replaced(store: Store) -> None:
    write(store, TITAN, GAGNON)
    store.replace_listings(
        "simsa",
        {TITAN.key: {"category": "Pompes"}, "organization:ghost": {"category": "x"}},
    )
    store.replace_listings("scan-health", {GAGNON.key: {"licence": "DIN 123"}})
    assert store.listings() == {
        TITAN.key: {"simsa": {"category": "Pompes"}},
        GAGNON.key: {"scan-health": {"licence": "DIN 123"}},
    }
    detail = store.record_detail(TITAN.key)
    assert detail is not None
    assert detail["attributes"]["listed_in"] == {"simsa": {"category": "Pompes"}}
    assert store.catalog().records[GAGNON.key].attributes["listed_in"] == {
        "scan-health": {"licence": "DIN 123"}
    }
    # a new upload's listings replace the registry's old ones, and only that registry's
    store.replace_listings("simsa", {GAGNON.key: {"category": "Moules"}})
    assert store.listings() == {
        GAGNON.key: {"scan-health": {"licence": "DIN 123"}, "simsa": {"category": "Moules"}}
    }
    store.replace_listings("simsa", {})
    assert store.listings() == {GAGNON.key: {"scan-health": {"licence": "DIN 123"}}}
    assert "listed_in" not in store.catalog().records[TITAN.key].attributes


def test_registry_keys_are_the_registry_own_records(store: Store) -> None:
    supplier = profile("s1", "Pumps USA", ["Pumps."], registry="simsa", country="US")
    other = profile("s2", "Valves Ltd", ["Valves."], registry="scan-health")
    write(store, TITAN, supplier, other)
    store.replace_listings("simsa", {TITAN.key: {}})  # a listed member is not the registry's own
    assert store.registry_keys("simsa") == {supplier.key}
    assert store.registry_keys("nobody") == set()


def test_allowed_passage_ids_follow_kinds_and_where(store: Store) -> None:
    ids = write(store, TITAN, GAGNON, CLUSTER)
    everything = store.allowed_passage_ids(list(Kind), "TRUE", [])
    assert sorted(everything.tolist()) == sorted(int(i) for v in ids.values() for i in v)
    clusters = store.allowed_passage_ids([Kind.CLUSTER], "TRUE", [])
    assert clusters.tolist() == ids[CLUSTER.key].tolist()
    quebec = store.allowed_passage_ids([Kind.ORGANIZATION], "province = ?", ["QC"])
    assert quebec.tolist() == ids[GAGNON.key].tolist()


def test_keyword_sources_add_facts_to_the_first_passage(store: Store) -> None:
    ids = write(store, TITAN)
    sources = {
        pid: (text, language, facts) for pid, text, language, facts in store.keyword_sources()
    }
    first, second = ids[TITAN.key].tolist()
    assert sources[first] == (
        "Five-axis machining of titanium.",
        "en",
        "Titan Aero Machining Inc. AS9100 332710",
    )
    assert sources[second][2] is None
    assert store.names() == [(TITAN.key, TITAN.name, first)]


def test_a_read_only_store_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "records.duckdb"
    writer = Store(path)
    write(writer, TITAN)
    writer.close()
    reader = Store(path, read_only=True)
    try:
        assert reader.counts()["organization"] == 1
        with pytest.raises(duckdb.Error, match="read-only"):
            reader.allocate_passage_ids(1)
        with pytest.raises(duckdb.Error, match="read-only"):
            reader.delete([TITAN.key])
        with pytest.raises(duckdb.Error, match="read-only"):
            reader.upsert([(GAGNON, ("t", "c"))], None)
        assert reader.hashes().keys() == {TITAN.key}
    finally:
        reader.close()


def test_a_read_only_store_gives_every_passage_its_text(tmp_path: Path) -> None:
    """A version opened for searches reads the texts through a DuckDB instance of its own, even
    from a folder whose name needs quoting."""
    path = tmp_path / "l'index" / "records.duckdb"
    path.parent.mkdir()
    writer = Store(path)
    ids = write(writer, TITAN, GAGNON)
    writer.close()
    reader = Store(path, read_only=True)
    try:
        catalog = reader.catalog()
        every = [*ids[TITAN.key].tolist(), *ids[GAGNON.key].tolist()]
        texts = {pid: p.text for pid, p in catalog.with_text(every).items()}
        assert texts == {
            every[0]: "Five-axis machining of titanium.",
            every[1]: "Aircraft parts to AS9100.",
            every[2]: "Moulage par injection de boîtiers.",
        }
        assert catalog.with_text([]) == {}
        assert reader.counts()["organization"] == 2  # the store itself still reads
    finally:
        reader.close()


def test_a_read_only_store_needs_an_existing_file(tmp_path: Path) -> None:
    with pytest.raises(duckdb.Error):
        Store(tmp_path / "missing.duckdb", read_only=True)
    assert not (tmp_path / "missing.duckdb").exists()


# The records table as the release with SCHEMA_VERSION = 1 wrote it: country, clusters,
# ownership and registry lived only in `attributes`, and there was no listings table.
_SCHEMA_1_RECORDS = """
CREATE TABLE records (key VARCHAR, id VARCHAR, kind VARCHAR, name VARCHAR, language VARCHAR,
    texts JSON, attributes JSON, province VARCHAR, city VARCHAR, org_type VARCHAR,
    naics VARCHAR[], certifications VARCHAR[], sme BOOLEAN, source VARCHAR, source_row INTEGER,
    text_hash VARCHAR, content_hash VARCHAR, indexed_at TIMESTAMP DEFAULT current_timestamp)
"""


def test_migrating_a_schema_1_database(tmp_path: Path) -> None:
    path = tmp_path / "records.duckdb"
    old = duckdb.connect(str(path))
    old.execute(_SCHEMA_1_RECORDS)
    old.execute(
        "CREATE TABLE passages (passage_id BIGINT, record_key VARCHAR, kind VARCHAR, "
        "ordinal INTEGER, text VARCHAR, language VARCHAR)"
    )
    old.execute("CREATE TABLE counters (name VARCHAR, value BIGINT)")
    attributes = {
        "province": "QC",
        "country": "CA",
        "clusters": ["Aéro Montréal"],
        "ownership": ["women_owned"],
        "registry": "simsa",
    }
    old.execute(
        "INSERT INTO records (key, id, kind, name, language, texts, attributes, province, naics, "
        "certifications, text_hash, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            "organization:m1",
            "m1",
            "organization",
            "Usinage Côté",
            "fr",
            json.dumps({"fr": "Usinage"}),
            json.dumps(attributes),
            "QC",
            ["332710"],
            [],
            "t",
            "c",
        ],
    )
    old.execute(
        "INSERT INTO records (key, id, kind, name, language, texts, attributes, naics, "
        "certifications, text_hash, content_hash) VALUES "
        "('organization:m2', 'm2', 'organization', 'Bare', 'en', '{}', '{}', [], [], 't', 'c')"
    )
    old.execute(
        "INSERT INTO passages VALUES (0, 'organization:m1', 'organization', 0, 'Usinage', 'fr'), "
        "(1, 'organization:m2', 'organization', 0, 'Bare', 'en')"
    )
    old.execute("INSERT INTO counters VALUES ('passage_id', 2)")
    old.close()

    store = Store(path)
    try:
        assert store.migrate(1) == SCHEMA_VERSION
        organizations = [Kind.ORGANIZATION]
        copied = (
            "country = 'CA' AND clusters = ['Aéro Montréal'] AND ownership = ['women_owned'] "
            "AND registry = 'simsa'"
        )
        assert store.allowed_passage_ids(organizations, copied, []).tolist() == [0]
        empty = "country IS NULL AND clusters = [] AND ownership = [] AND registry IS NULL"
        assert store.allowed_passage_ids(organizations, empty, []).tolist() == [1]
        assert store.registry_keys("simsa") == {"organization:m1"}
        # the migrated file takes writes of the current schema
        store.replace_listings("scan-health", {"organization:m2": {"din": "1"}})
        assert store.listings() == {"organization:m2": {"scan-health": {"din": "1"}}}
        write(store, TITAN)
        assert store.allocate_passage_ids(1).tolist() == [4]
        assert store.counts()["organization"] == 3
    finally:
        store.close()


def test_migrating_an_up_to_date_database_does_nothing(store: Store) -> None:
    assert store.migrate(SCHEMA_VERSION) == SCHEMA_VERSION
