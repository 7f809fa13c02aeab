"""Capability coverage over a real index (the bundled SAMPLE data, the fake model): counts that
reconcile with the records and with search, gaps, the default report, private registries, bad
input, through the core, the command line and the HTTP API."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from ngen_connect import (
    ANONYMOUS,
    OPERATOR,
    CoverageReport,
    Engine,
    Kind,
    QueryError,
    RecordSummary,
    Service,
    caller_of,
)
from ngen_connect.insights.coverage import AREAS, area_of
from ngen_connect.naics import naics_title
from ngen_connect.places import PROVINCES
from ngen_connect.search import Filters
from tests.conftest import ADMIN_KEY, copy_index, demo_engine, in_process, invoke_cli

VAULT, VAULT_KEY = "vault-cov", "vault-cov-key-0123456789abcdef"
#: a NAICS code only the private registry's record holds, in Nunavut
SECRET_NAICS = "339930"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Path:
    """The sample index with a private registry holding one organisation in Nunavut."""
    folder = tmp_path_factory.mktemp("coverage")
    data = copy_index(sample_index, folder / "data")
    engine = demo_engine(data)
    service = Service(engine)
    vault = folder / "vault.csv"
    vault.write_text(
        "id,name,description,province,country,naics\n"
        f"vault-1,Qilak Toy Works,Toy and game manufacturing in Iqaluit.,NU,CA,{SECRET_NAICS}\n",
        encoding="utf-8",
    )
    service.upload(OPERATOR, VAULT, vault)
    service.make_private(OPERATOR, VAULT, VAULT_KEY)
    engine.close()
    return data


@pytest.fixture(scope="module")
def service(data_dir: Path) -> Iterator[Service]:
    engine = demo_engine(data_dir)
    yield Service(engine)
    engine.close()


def _organizations(engine_records: dict[str, RecordSummary], hidden: bool) -> list[RecordSummary]:
    return [
        r
        for r in engine_records.values()
        if r.kind is Kind.ORGANIZATION and (not hidden or r.attributes.get("registry") != VAULT)
    ]


def _records(service: Service) -> dict[str, RecordSummary]:
    return service._engine.records()


def test_naics_counts_are_the_records_with_that_prefix(service: Service) -> None:
    report = service.coverage(ANONYMOUS, naics=["3327", "33"])
    organizations = _organizations(_records(service), hidden=True)
    assert report.organizations == len(organizations)
    for counted, prefix in zip(report.capabilities, ["3327", "33"], strict=True):
        expected = Counter(
            area_of(r.attributes)
            for r in organizations
            if any(code.startswith(prefix) for code in r.attributes.get("naics") or ())
        )
        assert counted.areas == {area: expected.get(area, 0) for area in AREAS}
        assert counted.organizations == sum(expected.values()) > 0
        assert set(counted.areas) == {*PROVINCES, "outside", "unknown"}


def test_naics_counts_reconcile_with_filtered_search(service: Service) -> None:
    [counted] = service.coverage(ANONYMOUS, naics=["3327"]).capabilities
    for province in ("ON", "QC", "NU"):
        found = service.search(
            ANONYMOUS,
            "manufacturing fabrication",
            kinds=[Kind.ORGANIZATION],
            filters=Filters.parse({"naics": "3327", "province": province}),
            limit=100,
        )
        # a search keeps what passes its relevance floor: at most the records that hold the code
        assert found.total <= counted.areas[province]
        holders = {
            r.id
            for r in _records(service).values()
            if r.attributes.get("province") == province
            and any(c.startswith("3327") for c in r.attributes.get("naics") or ())
        }
        assert {hit.id for hit in found.results} <= holders
        assert len(holders) == counted.areas[province]


def test_a_query_counts_its_whole_result_set_not_one_page(service: Service) -> None:
    query = "usinage, soudage et peinture"
    [counted] = service.coverage(ANONYMOUS, queries=[query]).capabilities
    first = service.search(ANONYMOUS, query, kinds=[Kind.ORGANIZATION], limit=100)
    assert first.total > 100  # more than a page: the report reads every page
    assert counted.organizations == first.total
    keys = set()
    for offset in range(0, first.total, 100):
        page = service.search(ANONYMOUS, query, kinds=[Kind.ORGANIZATION], limit=100, offset=offset)
        keys |= {f"organization:{h.id}" for h in page.results}
    records = _records(service)
    assert Counter(area_of(records[k].attributes) for k in keys) == +Counter(counted.areas)
    assert counted.capped is (first.total >= 300)


def test_a_glossary_group_counts_organisations_mentioning_any_of_its_terms(
    service: Service,
) -> None:
    by_english, by_french = service.coverage(ANONYMOUS, groups=["welding", "Soudage"]).capabilities
    assert by_english.areas == by_french.areas  # one group, named in either language
    assert by_english.capability.label_en == "welding"
    assert by_english.capability.label_fr == "soudage"
    assert 0 < by_english.organizations < 500
    engine = service._engine
    members = [r for r in _organizations(_records(service), hidden=True)]
    holders = engine.records_mentioning(by_english.capability.phrases[0])
    for record in members[:120]:
        texts = " ".join(str(v) for v in engine.record(record.id)["texts"].values()).lower()
        mentions = any(word in texts for word in ("weld", "soud"))
        assert (record.key in holders) is mentions, record.name


def test_a_phrase_naming_two_groups_needs_both(service: Service) -> None:
    both, machining, five_axis = service.coverage(
        ANONYMOUS, groups=["5-axis machining", "machining", "5-axis"]
    ).capabilities
    assert both.capability.label_en == "machining + 5-axis"
    for area in AREAS:
        assert both.areas[area] <= min(machining.areas[area], five_axis.areas[area])
    assert 0 < both.organizations < machining.organizations


def test_gaps_are_the_provinces_below_the_threshold(service: Service) -> None:
    for gap in (0, 1, 5, 30):
        [counted] = service.coverage(ANONYMOUS, naics=["332"], gap=gap).capabilities
        assert counted.gaps == [p for p in PROVINCES if counted.areas[p] < gap]
    [counted] = service.coverage(ANONYMOUS, naics=["332"]).capabilities
    assert counted.gaps == [p for p in PROVINCES if counted.areas[p] == 0]
    assert "NT" in counted.gaps and "ON" not in counted.gaps


def test_each_province_lists_its_rarest_capabilities(service: Service) -> None:
    report = service.coverage(ANONYMOUS, naics=["3327", "3261", "3254", "311", "332", "3336"])
    rarest = report.to_dict()["rarest"]
    assert set(rarest) == set(PROVINCES)
    by_key = {c.capability.key: c for c in report.capabilities}
    for province, listed in rarest.items():
        counts = [entry["organizations"] for entry in listed]
        assert counts == sorted(counts) and len(listed) == 5
        fewest = min(c.areas[province] for c in report.capabilities)
        assert counts[0] == fewest
        for entry in listed:
            assert by_key[entry["capability"]].areas[province] == entry["organizations"]


def test_clusters_are_counted_from_the_records_memberships(service: Service) -> None:
    [counted] = service.coverage(ANONYMOUS, naics=["33"]).capabilities
    records = _records(service)
    expected = Counter(
        cluster
        for r in _organizations(records, hidden=True)
        if any(c.startswith("33") for c in r.attributes.get("naics") or ())
        for cluster in set(r.attributes.get("clusters") or ())
    )
    clusters = {r.id for r in records.values() if r.kind is Kind.CLUSTER}
    assert set(counted.clusters) == clusters  # every cluster, zero included
    assert +Counter(counted.clusters) == expected and expected


def test_the_default_report_covers_the_manufacturing_codes_in_both_languages(
    service: Service,
) -> None:
    report = service.coverage(ANONYMOUS)
    assert report.default
    codes = {
        code[:n]
        for r in _organizations(_records(service), hidden=True)
        for code in r.attributes.get("naics") or ()
        if code[:2] in ("31", "32", "33")
        for n in (3, 4)
    }
    assert [c.capability.value for c in report.capabilities] == sorted(codes)
    for counted in report.capabilities:
        code = counted.capability.value
        assert counted.capability.label_en == f"{code} {naics_title(code, 'en')}"
        assert counted.capability.label_fr == f"{code} {naics_title(code, 'fr')}"
    assert any(c.capability.label_fr != c.capability.label_en for c in report.capabilities)


def test_a_private_registry_counts_only_for_its_readers(service: Service) -> None:
    def nunavut(caller_key: str | None) -> int:
        report = service.coverage(caller_of(caller_key), naics=[SECRET_NAICS[:4]])
        return report.capabilities[0].areas["NU"]

    assert nunavut(None) == 0
    assert nunavut("not-a-key-0123456789abcdef") == 0
    assert nunavut(VAULT_KEY) == 1
    assert nunavut(ADMIN_KEY) == 1
    assert service.coverage(OPERATOR).organizations == service.coverage(ANONYMOUS).organizations + 1
    defaults = {
        caller: {c.capability.value: c for c in service.coverage(caller).capabilities}
        for caller in (ANONYMOUS, OPERATOR)
    }
    assert defaults[ANONYMOUS]["3399"].areas["NU"] == 0
    assert defaults[OPERATOR]["3399"].areas["NU"] == 1


@pytest.mark.parametrize(
    ("asked", "words"),
    [
        ({"naics": ["33a"]}, "NAICS '33a'"),
        ({"naics": ["3"]}, "2 to 6 digits"),
        ({"groups": ["zzqx unknown"]}, "no term of the glossary"),
        ({"queries": ["   "]}, "The query is empty"),
        ({"naics": ["33"] * 21}, "20 capabilities at most"),
        ({"gap": -1}, "gap must be 0 or more"),
    ],
)
def test_bad_input_is_a_query_error_in_both_languages(
    service: Service, asked: dict[str, object], words: str
) -> None:
    with pytest.raises(QueryError, match=words) as caught:
        service.coverage(ANONYMOUS, **asked)  # type: ignore[arg-type]
    assert caught.value.message_fr != caught.value.message_en


# -- the command line -------------------------------------------------------------------------


def test_the_command_line_prints_a_table_and_json(data_dir: Path) -> None:
    args = ["insights", "coverage", "--data-dir", str(data_dir), "--model", "fake"]
    shown = invoke_cli(*args, "--naics", "3327", "--group", "welding", "--gap", "2")
    assert shown.exit_code == 0, shown.output
    assert "3327 Machine shops" in shown.output and "Gaps / Lacunes" in shown.output
    assert "Rarest per province" in shown.output
    printed = invoke_cli(*args, "--naics", "3327", "--json")
    body = json.loads(printed.stdout)
    assert body["capabilities"][0]["capability"] == "naics:3327"
    assert [a["code"] for a in body["areas"]] == list(AREAS)


def test_the_command_line_writes_csv_and_xlsx_read_back(data_dir: Path, tmp_path: Path) -> None:
    args = ["insights", "coverage", "--data-dir", str(data_dir), "--model", "fake"]
    for name in ("coverage.csv", "coverage.xlsx"):
        done = invoke_cli(
            *args, "--naics", "3327", "--query", "robotic welding", "--out", str(tmp_path / name)
        )
        assert done.exit_code == 0, done.output
    with (tmp_path / "coverage.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 * len(AREAS)
    nunavut = next(r for r in rows if r["capability"] == "naics:3327" and r["area"] == "NU")
    ontario = next(r for r in rows if r["capability"] == "naics:3327" and r["area"] == "ON")
    assert (nunavut["organizations"], nunavut["gap"]) == ("0", "True")
    assert int(ontario["organizations"]) > 0 and ontario["gap"] == "False"
    sheet = openpyxl.load_workbook(tmp_path / "coverage.xlsx", read_only=True)["Coverage"]
    read = list(sheet.iter_rows(values_only=True))
    assert read[0][:3] == ("capability", "kind", "value") and len(read) == 1 + len(rows)


@pytest.mark.parametrize(
    ("option", "value"),
    [("--naics", "x1"), ("--group", "zzqx unknown"), ("--query", " "), ("--gap", "-2")],
)
def test_the_command_line_refuses_bad_input_without_a_traceback(
    data_dir: Path, option: str, value: str
) -> None:
    done = invoke_cli(
        "insights", "coverage", "--data-dir", str(data_dir), "--model", "fake", option, value
    )
    assert done.exit_code == 2
    assert "Error / Erreur" in done.output and "Traceback" not in done.output


def test_the_command_line_help_is_bilingual() -> None:
    done = invoke_cli("insights", "coverage", "--help")
    assert done.exit_code == 0
    assert "Couverture" in done.output and "Seuil" in done.output and "--gap" in done.output


# -- over HTTP --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    with in_process(demo_engine(data_dir)) as client:
        yield client


def test_http_answers_as_the_command_line(client: TestClient, data_dir: Path) -> None:
    params: dict[str, str | list[str]] = {
        "naics": ["3327", "3261"],
        "group": "welding",
        "query": "usinage 5 axes",
        "gap": "3",
    }
    answered = client.get("/insights/coverage", params=params, headers={"X-API-Key": ADMIN_KEY})
    assert answered.status_code == 200, answered.text
    printed = invoke_cli(
        "insights", "coverage", "--data-dir", str(data_dir), "--model", "fake", "--json",
        "--naics", "3327", "--naics", "3261", "--group", "welding", "--query", "usinage 5 axes",
        "--gap", "3",
    )  # fmt: skip
    assert answered.json() == json.loads(printed.stdout)
    assert [c["capability"] for c in answered.json()["capabilities"]] == [
        "naics:3327",
        "naics:3261",
        "group:welding",
        "query:usinage 5 axes",
    ]


def test_http_hides_a_private_registry_from_a_caller_without_its_key(client: TestClient) -> None:
    def nunavut(headers: dict[str, str]) -> int:
        body = client.get("/insights/coverage", params={"naics": "3399"}, headers=headers).json()
        return int(body["capabilities"][0]["areas"]["NU"])

    assert nunavut({}) == 0
    assert nunavut({"X-API-Key": VAULT_KEY}) == 1


def test_http_default_report(client: TestClient) -> None:
    body = client.get("/insights/coverage").json()
    assert body["default"] is True and body["gap"] == 1
    assert all(c["kind"] == "naics" and len(c["value"]) in (3, 4) for c in body["capabilities"])


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"naics": "abc"}, 400, "bad_query"),
        ({"group": "zzqx unknown"}, 400, "bad_query"),
        ({"query": "  "}, 400, "bad_query"),
        ({"province": "ON"}, 400, "bad_query"),
        ({"gap": "-1"}, 422, "invalid_request"),
        ({"gap": "many"}, 422, "invalid_request"),
    ],
)
def test_http_bad_input_is_a_problem(
    client: TestClient, params: dict[str, str], status: int, code: str
) -> None:
    answered = client.get("/insights/coverage", params=params)
    assert answered.status_code == status
    assert answered.json()["code"] == code and answered.json()["message"]
    french = client.get("/insights/coverage", params={**params, "lang": "fr"})
    if status == 400:
        assert french.json()["message"] != answered.json()["message"]


def test_report_type_is_public() -> None:
    assert CoverageReport.__doc__ and Engine.records_mentioning.__doc__


def test_a_report_asks_for_few_searches_and_short_terms(service: Service) -> None:
    with pytest.raises(QueryError, match="5 queries at most"):
        service.coverage(ANONYMOUS, queries=[f"machining {i}" for i in range(6)])
    with pytest.raises(QueryError, match="at most 100 characters"):
        service.coverage(ANONYMOUS, groups=["welding " * 100])
    # a phrase naming one group twice counts it once
    [twice] = service.coverage(ANONYMOUS, groups=["welding welding"]).capabilities
    [once] = service.coverage(ANONYMOUS, groups=["welding"]).capabilities
    assert twice.organizations == once.organizations and "+" not in twice.capability.label_en
