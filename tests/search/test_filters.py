"""Search filters: what they accept and refuse, and the rows their SQL selects in a real store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ngen_connect.errors import QueryError
from ngen_connect.index.store import Store
from ngen_connect.limits import MAX_FILTER_VALUES, MAX_VALUES_PER_FILTER
from ngen_connect.models import Kind, Passage, Profile, RecordSummary
from ngen_connect.naics import naics_title
from ngen_connect.search.filters import Filters, facet_counts

# -- parsing ---------------------------------------------------------------------------------


def test_no_filter() -> None:
    for empty in (Filters.parse(None), Filters.parse({}), Filters.from_pairs([])):
        assert not empty
        assert empty.sql() == ("TRUE", [])


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("QC", "QC"),
        ("qc", "QC"),
        ("Québec", "QC"),
        ("quebec", "QC"),
        ("Ontario", "ON"),
        ("ont.", "ON"),
        ("British Columbia", "BC"),
        ("Colombie-Britannique", "BC"),
        ("Nouvelle-Écosse", "NS"),
        ("N.-É.", "NS"),
        ("Île-du-Prince-Édouard", "PE"),
        ("P.E.I.", "PE"),
        ("Terre-Neuve-et-Labrador", "NL"),
        ("Territoires du Nord-Ouest", "NT"),
    ],
)
def test_provinces_by_code_or_name_in_english_or_french(given: str, code: str) -> None:
    assert Filters.parse({"province": given}).values == {"province": (code,)}


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("Canada", "CA"),
        ("CA", "CA"),
        ("États-Unis", "US"),
        ("United States", "US"),
        ("USA", "US"),
        ("Allemagne", "DE"),
        ("Germany", "DE"),
        ("Royaume-Uni", "GB"),
        ("Corée du Sud", "KR"),
    ],
)
def test_countries_by_name_in_english_or_french(given: str, code: str) -> None:
    assert Filters.parse({"country": given}).values == {"country": (code,)}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        *[("yes", "true"), ("Oui", "true"), ("TRUE", "true"), ("1", "true"), ("vrai", "true")],
        *[("no", "false"), ("NON", "false"), ("false", "false"), ("0", "false"), ("Faux", "false")],
    ],
)
def test_sme_takes_yes_and_no_words_in_both_languages(given: str, stored: str) -> None:
    assert Filters.parse({"sme": given}).values == {"sme": (stored,)}


@pytest.mark.parametrize("code", ["33", "332", "3327", "33271", "332710"])
def test_naics_codes_and_prefixes(code: str) -> None:
    assert Filters.parse({"naics": code}).values == {"naics": (code,)}


def test_values_are_trimmed_and_empty_ones_dropped() -> None:
    filters = Filters.parse({"city": ["  Laval ", "", "   "], "type": "", "language": "FR"})
    assert filters.values == {"city": ("Laval",), "language": ("fr",)}


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"Province": "QC"}, "Province"),  # keys are exact
        ({"province": "Atlantis"}, "province"),
        ({"province": ["QC", "California"]}, "province"),
        ({"sme": "maybe"}, "sme"),
        ({"naics": "3"}, "naics"),
        ({"naics": "3327100"}, "naics"),
        ({"naics": "33-27"}, "naics"),
        ({"naics": "abc"}, "naics"),
    ],
)
def test_unknown_keys_and_bad_values_are_query_errors(
    raw: dict[str, str | list[str]], named: str
) -> None:
    with pytest.raises(QueryError) as error:
        Filters.parse(raw)
    assert named in str(error.value)


def test_a_filter_holds_at_most_so_many_values() -> None:
    codes = [f"{n:02d}" for n in range(10, 10 + MAX_VALUES_PER_FILTER)]
    assert len(Filters.parse({"naics": codes}).values["naics"]) == MAX_VALUES_PER_FILTER
    with pytest.raises(QueryError, match=str(MAX_VALUES_PER_FILTER)):
        Filters.parse({"naics": [*codes, "99"]})
    # empty values count too: the limit is on what was sent
    with pytest.raises(QueryError, match=str(MAX_VALUES_PER_FILTER)):
        Filters.parse({"city": ["Laval"] + [""] * MAX_VALUES_PER_FILTER})


def test_all_filters_hold_at_most_so_many_values() -> None:
    per_key = MAX_VALUES_PER_FILTER
    keys = ["city", "type", "cluster", "ownership", "registry"]
    within = {
        key: [f"v{n}" for n in range(per_key)] for key in keys[: MAX_FILTER_VALUES // per_key]
    }
    assert sum(len(v) for v in Filters.parse(within).values.values()) == MAX_FILTER_VALUES
    over = {**within, keys[-1]: ["one more"]}
    with pytest.raises(QueryError, match=str(MAX_FILTER_VALUES)):
        Filters.parse(over)


def test_from_pairs() -> None:
    filters = Filters.from_pairs(
        ["province=QC", "province=Ontario", " sme =oui", "city=Saint-Jean=sur"]
    )
    assert filters.values == {
        "province": ("QC", "ON"),
        "sme": ("true",),
        "city": ("Saint-Jean=sur",),
    }
    with pytest.raises(QueryError, match="provinceQC"):
        Filters.from_pairs(["provinceQC"])
    with pytest.raises(QueryError, match="colour"):
        Filters.from_pairs(["colour=red"])


# -- the SQL, run against a real store ---------------------------------------------------------


def record(
    rid: str, language: str = "en", kind: Kind = Kind.ORGANIZATION, **attributes: Any
) -> Profile:
    return Profile(
        id=rid,
        kind=kind,
        name=f"Company {rid}",
        texts={language: f"Capabilities of {rid}."},
        language=language,
        attributes=attributes,
        passages=(Passage(0, f"Capabilities of {rid}.", language),),
    )


RECORDS = [
    record(
        "m1",
        province="SK",
        city="Regina",
        country="CA",
        naics=["326198"],
        certifications=["ISO 9001"],
        sme=True,
        org_type="company",
    ),
    record(
        "m2",
        "fr",
        province="QC",
        city="Laval",
        country="CA",
        naics=["326193"],
        certifications=["IATF 16949"],
        sme=True,
        ownership=["women_owned"],
        org_type="company",
    ),
    record(
        "m3",
        province="ON",
        city="Toronto",
        country="CA",
        naics=["332710", "336410"],
        certifications=["AS9100"],
        sme=False,
        org_type="company",
    ),
    record(
        "m4",
        "fr",
        province="QC",
        city="Québec",
        country="CA",
        naics=["332710"],
        certifications=["as-9100"],
        ownership=["Indigenous_Owned"],
        clusters=["Aéro Montréal"],
        org_type="company",
    ),
    record(
        "m5",
        "en+fr",
        province="NS",
        city="Halifax",
        country="CA",
        naics=["326198"],
        sme=False,
        org_type="research",
    ),
    record("s1", country="US", naics=["333914"], registry="simsa", org_type="company"),
    record("c1", "fr", kind=Kind.CLUSTER, province="QC", city="Montréal", country="CA"),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = Store(tmp_path_factory.mktemp("filters") / "records.duckdb")
    ids = opened.allocate_passage_ids(len(RECORDS))
    opened.upsert(
        [(p, ("t", "c")) for p in RECORDS], {p.key: ids[i : i + 1] for i, p in enumerate(RECORDS)}
    )
    opened.replace_listings("simsa", {"organization:m3": {"category": "Machining"}})
    yield opened
    opened.close()


def selected(
    store: Store, filters: Filters, kinds: tuple[Kind, ...] = (Kind.ORGANIZATION,)
) -> set[str]:
    """Ids of the records the filters' WHERE clause lets through."""
    where, params = filters.sql()
    pids = store.allowed_passage_ids(list(kinds), where, params)
    catalog = store.catalog()
    return {catalog.records[catalog.passages[pid].record_key].id for pid in pids.tolist()}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, {"m1", "m2", "m3", "m4", "m5", "s1"}),
        ({"province": "Québec"}, {"m2", "m4"}),
        ({"province": ["QC", "ontario"]}, {"m2", "m3", "m4"}),
        ({"city": "QUEBEC"}, {"m4"}),
        ({"city": ["laval", "Toronto"]}, {"m2", "m3"}),
        ({"country": "États-Unis"}, {"s1"}),
        ({"country": "Canada"}, {"m1", "m2", "m3", "m4", "m5"}),
        ({"type": "research"}, {"m5"}),
        ({"naics": "32"}, {"m1", "m2", "m5"}),
        ({"naics": "3327"}, {"m3", "m4"}),
        ({"naics": "326198"}, {"m1", "m5"}),
        ({"naics": "3364"}, {"m3"}),  # any of a record's codes
        ({"naics": ["3261", "3339"]}, {"m1", "m2", "m5", "s1"}),
        ({"naics": "3328"}, set()),
        ({"certification": "AS 9100"}, {"m3", "m4"}),
        ({"certification": "iso9001"}, {"m1"}),
        ({"sme": "oui"}, {"m1", "m2"}),
        ({"sme": "no"}, {"m3", "m5"}),  # unknown is neither
        ({"sme": ["yes", "no"]}, {"m1", "m2", "m3", "m5"}),
        ({"ownership": "women_owned"}, {"m2"}),
        ({"ownership": "indigenous_owned"}, {"m4"}),
        ({"cluster": "aero montreal"}, {"m4"}),
        ({"language": "fr"}, {"m2", "m4", "m5"}),  # a bilingual record is in both languages
        ({"language": "en"}, {"m1", "m3", "m5", "s1"}),
        ({"registry": "simsa"}, {"s1", "m3"}),  # its own records and the members it lists
        ({"registry": "nobody"}, set()),
        ({"province": "QC", "naics": "3327"}, {"m4"}),  # keys AND, values OR
        ({"country": "CA", "sme": "yes", "language": "fr"}, {"m2"}),
    ],
)
def test_sql_selects_the_right_records(
    store: Store, raw: dict[str, str | list[str]], expected: set[str]
) -> None:
    assert selected(store, Filters.parse(raw)) == expected


def test_sql_applies_to_every_kind_asked(store: Store) -> None:
    quebec = Filters.parse({"province": "QC"})
    assert selected(store, quebec, (Kind.ORGANIZATION, Kind.CLUSTER)) == {"m2", "m4", "c1"}
    assert selected(store, quebec, (Kind.CLUSTER,)) == {"c1"}


def test_sql_parameters_are_not_spliced_into_the_text(store: Store) -> None:
    hostile = "x') OR TRUE OR ('"
    filters = Filters.parse({"city": hostile, "registry": hostile})
    where, params = filters.sql()
    assert hostile not in where
    assert [hostile] in params
    assert selected(store, filters) == set()


def test_hidden_registries_stay_out(store: Store) -> None:
    hidden = Filters().hiding(["simsa"])
    assert hidden  # a filter even without values
    assert selected(store, hidden) == {"m1", "m2", "m3", "m4", "m5"}
    # asking for a hidden registry finds nothing, as for one that does not exist
    asked = Filters.parse({"registry": "simsa"}).hiding(["simsa"])
    assert selected(store, asked) == set()
    both = Filters.parse({"registry": ["simsa", "other"], "country": "US"}).hiding(["simsa"])
    assert both.values["registry"] == ("other",)
    assert selected(store, both) == set()
    assert selected(store, Filters.parse({"country": "US"}).hiding(["other"])) == {"s1"}


# -- facets ------------------------------------------------------------------------------------


def test_facet_counts(store: Store) -> None:
    summaries = list(store.catalog().records.values())
    facets = facet_counts(summaries)
    assert facets["kind"] == [
        {"value": "organization", "count": 6},
        {"value": "cluster", "count": 1},
    ]
    assert facets["province"] == [
        {"value": "QC", "count": 3},
        {"value": "NS", "count": 1},
        {"value": "ON", "count": 1},
        {"value": "SK", "count": 1},
    ]
    assert facets["sme"] == [{"value": "no", "count": 2}, {"value": "yes", "count": 2}]
    assert facets["language"][0] == {"value": "en", "count": 3}
    naics = {entry["value"]: entry for entry in facets["naics"]}
    assert naics["332710"]["count"] == 2 and naics["336410"]["count"] == 1
    assert naics["332710"]["label"] == naics_title("332710") != ""
    assert facets["country"][0] == {"value": "CA", "count": 6, "label": "Canada"}
    assert facets["country"][1]["label"] == "United States"
    assert facets["type"] == [{"value": "company", "count": 5}, {"value": "research", "count": 1}]
    assert facets["ownership"] == [
        {"value": "Indigenous_Owned", "count": 1, "label": "Indigenous-owned"},
        {"value": "women_owned", "count": 1, "label": "Women-owned"},
    ]
    assert {entry["value"] for entry in facets["certification"]} == {
        "ISO 9001",
        "IATF 16949",
        "AS9100",
        "as-9100",
    }


def summary(rid: str, **attributes: Any) -> RecordSummary:
    return RecordSummary(rid, Kind.ORGANIZATION, rid, "fr", attributes, passages=1)


def test_facet_labels_in_french_and_values_counted_once_per_record() -> None:
    records = [summary("a", country="US", naics=["332710", "332710"], clusters=[]), summary("b")]
    facets = facet_counts(records, "fr")
    assert facets["country"] == [{"value": "US", "count": 1, "label": "États-Unis"}]
    assert facets["naics"] == [
        {"value": "332710", "count": 1, "label": naics_title("332710", "fr")}
    ]
    assert "cluster" not in facets and "sme" not in facets  # no value, no facet
    assert facet_counts([]) == {}
