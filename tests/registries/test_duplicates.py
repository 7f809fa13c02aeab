"""Probable duplicate members: which pairs are found, how confident, with what evidence, grouped
and exported in English and French."""

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from ngen_connect.errors import QueryError
from ngen_connect.models import Kind, RecordSummary
from ngen_connect.registries import DuplicateReport, find_duplicates


def _member(record_id: str, name: str, **attributes: Any) -> RecordSummary:
    return RecordSummary(record_id, Kind.ORGANIZATION, name, "en", attributes, 1)


def _pairs(report: DuplicateReport) -> dict[frozenset[str], float]:
    return {frozenset((p.a.id, p.b.id)): p.confidence for p in report.pairs}


HAMILTON = {"city": "Hamilton", "province": "ON", "country": "CA"}


def test_the_same_company_under_two_legal_forms_is_a_high_pair() -> None:
    report = find_duplicates(
        [
            _member("a", "Campbell Tool & Die Inc.", **HAMILTON),
            _member("b", "Campbell Tool and Die Ltd.", **HAMILTON, website="campbell.example"),
            _member("c", "Hamilton Gear Works Ltd.", **HAMILTON),
        ]
    )
    [pair] = report.pairs
    assert {pair.a.id, pair.b.id} == {"a", "b"}
    assert pair.level == "high" and pair.confidence >= 0.9
    assert pair.evidence == {"name": "same", "city": True}
    assert pair.explanation("en") == (
        "same name once legal forms, accents and abbreviations are set aside; same city"
    )
    assert pair.explanation("fr").startswith("même nom") and "même ville" in pair.explanation("fr")


def test_accents_saint_and_abbreviations_are_set_aside() -> None:
    report = find_duplicates(
        [
            _member("c1", "Usinage St-Laurent Ltée", city="St-Hyacinthe", province="QC"),
            _member("c2", "USINAGE SAINT-LAURENT INC.", city="Saint-Hyacinthe", province="QC"),
            _member("m1", "Bélanger Mfg. Co.", city="Lévis", province="QC"),
            _member("m2", "Belanger Manufacturing Company", city="Levis", province="QC"),
        ]
    )
    assert _pairs(report) == {frozenset({"c1", "c2"}): 0.9, frozenset({"m1", "m2"}): 0.9}
    assert all(p.evidence["city"] is True for p in report.pairs)


def test_an_operating_name_that_is_another_members_name_is_evidence() -> None:
    report = find_duplicates(
        [
            _member("n", "9123-4567 Québec inc.", operating_name="Soudure Roy", city="Lévis"),
            _member("r", "Soudure Roy ltée", city="Lévis", phone="418 555-0100"),
        ]
    )
    [pair] = report.pairs
    assert pair.evidence["name"] == "operating_name" and pair.level == "high"
    assert pair.to_dict()["a"]["operating_name"] in {"Soudure Roy", ""}


def test_a_name_alone_in_other_cities_or_countries_is_no_high_pair() -> None:
    members = [
        _member("cal", "Northern Welding Corp.", city="Calgary", province="AB", country="CA"),
        _member("edm", "Northern Welding Ltd.", city="Edmonton", province="AB", country="CA"),
        _member("to", "Apex Machining Inc.", city="Toronto", province="ON", country="CA"),
        _member("us", "Apex Machining LLC", city="Toronto", region="OH", country="US"),
        _member("w1", "Windsor Mould Inc.", city="Windsor", province="ON", country="CA"),
        _member("w2", "Windsor Mould Ltd.", city="Windsor", province="NS", country="CA"),
    ]
    assert find_duplicates(members).pairs == [], "absent at the default threshold"
    low = _pairs(find_duplicates(members, min_confidence=0.0))
    assert low[frozenset({"cal", "edm"})] <= 0.5
    assert low[frozenset({"to", "us"})] <= 0.4
    assert low[frozenset({"w1", "w2"})] <= 0.5, "one city name in two provinces is two places"
    # the same name elsewhere, but the same website and phone: a pair for a steward to look at
    moved = [
        _member("x", "Prairie Plastics Ltd.", city="Regina", website="https://prairie.example"),
        _member("y", "Prairie Plastics Inc.", city="Saskatoon", website="prairie.example/contact"),
    ]
    [pair] = find_duplicates(moved).pairs
    assert pair.evidence == {"name": "same", "website": True, "city": False}
    assert pair.level == "low" and 0.6 <= pair.confidence < 0.75


def test_numbered_companies_and_shared_hosts_prove_nothing() -> None:
    host = "https://sites.example-host.com/"
    members = [
        _member("q1", "9123-4567 Québec inc.", city="Lévis"),
        _member("q2", "9123-4568 Québec inc.", city="Lévis"),
        *[
            _member(f"h{i}", name, website=host)
            for i, name in enumerate(
                ["Atelier Alpha", "Beta Tooling", "Gamma Foods", "Delta Forge", "Epsilon", "Zeta"]
            )
        ],
    ]
    assert find_duplicates(members, min_confidence=0.3).pairs == []


def test_pairs_are_joined_into_groups() -> None:
    report = find_duplicates(
        [
            _member("a", "Campbell Tool & Die Inc.", **HAMILTON),
            _member("b", "Campbell Tool & Die Ltd.", **HAMILTON),
            _member("c", "Campbell Tool and Die", **HAMILTON),
            _member("d", "Gagnon Machining Inc.", city="Lévis", phone="418-555-0199"),
            _member("e", "Gagnon Machining", city="Lévis", phone="(418) 555-0199"),
        ]
    )
    assert sorted(sorted(g["ids"]) for g in report.groups()) == [["a", "b", "c"], ["d", "e"]]
    assert len(report.pairs) == 4 and report.to_dict()["total_groups"] == 2
    assert [p.group for p in report.pairs] == sorted(p.group for p in report.pairs)


def test_the_threshold_is_checked() -> None:
    with pytest.raises(QueryError, match="between 0 and 1") as raised:
        find_duplicates([], min_confidence=1.5)
    assert "entre 0 et 1" in raised.value.message_fr


def test_exports_in_english_and_french_keep_formulas_inert(tmp_path: Path) -> None:
    report = find_duplicates(
        [
            _member("a", "=HYPERLINK(1) Tool Inc.", **HAMILTON),
            _member("b", "=HYPERLINK(1) Tool Ltd.", **HAMILTON),
        ]
    )
    assert len(report.pairs) == 1
    report.write(tmp_path / "en.csv", "en")
    report.write(tmp_path / "fr.csv", "fr")
    report.write(tmp_path / "fr.xlsx", "fr")
    report.write(tmp_path / "en.json", "en")
    with (tmp_path / "en.csv").open(encoding="utf-8-sig") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["name_a"].startswith("'=") and row["level"] == "high"
    with (tmp_path / "fr.csv").open(encoding="utf-8-sig") as handle:
        [french] = list(csv.DictReader(handle))
    assert french["confiance"] == "0.9" and french["niveau"] == "élevée"
    assert french["explication"].startswith("même nom")
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "fr.xlsx")
    assert book.sheetnames == ["Doublons", "À propos"]
    assert book["Doublons"]["A1"].value == "groupe"
    body = json.loads((tmp_path / "en.json").read_text(encoding="utf-8"))
    assert body["members"] == 2 and body["rows"][0]["id_a"] in {"a", "b"}
    with pytest.raises(QueryError, match=r"Write \.csv, \.xlsx, \.json"):
        report.write(tmp_path / "x.pdf")


def test_names_with_a_word_each_are_other_companies() -> None:
    members = [
        _member("p1", "Anderson Provisions Ltd.", **HAMILTON),
        _member("p2", "Anderson Precision Ltd.", **HAMILTON),
        _member("u1", "Université McGill", website="https://www.mcgill.ca"),
        _member("u2", "Institut de génie aérospatial de McGill", website="mcgill.ca/miae"),
        _member("g1", "Gist Brocades N.V.", **HAMILTON),
        _member("g2", "GISTBROCADES", **HAMILTON),
    ]
    assert list(_pairs(find_duplicates(members))) == [frozenset({"g1", "g2"})]


def test_a_misspelt_city_or_one_postal_code_is_one_place() -> None:
    report = find_duplicates(
        [
            _member("j1", "JENNMAR", city="Pittsburgh", region="PA", country="US"),
            _member("j2", "Jennmar Corp.", city="Pittsburg", region="PA", country="US"),
            _member("g1", "GMS Mine Repair", city="Oakland", postal_code="21550", country="US"),
            _member(
                "g2", "GMS Mine Repair", city="Mt. Lake Park", postal_code="21550", country="US"
            ),
        ]
    )
    evidence = {frozenset((p.a.id, p.b.id)): p.evidence for p in report.pairs}
    assert evidence[frozenset({"j1", "j2"})] == {"name": "same", "city": True}
    assert evidence[frozenset({"g1", "g2"})] == {"name": "same", "postal_code": True}
