"""Registry matching: name normalisation, statuses, evidence, and a report with every row once."""

import csv
import json
from pathlib import Path

import pytest

from ngen_connect.errors import InputFileError
from ngen_connect.names import normalise_name
from ngen_connect.registries import match_file
from ngen_connect.registries.matching import (
    Matcher,
    Party,
    Status,
    domain,
    phone_number,
    postal_code,
)
from tests.conftest import run_cli

MEMBERS = [
    Party.from_fields(
        "m1",
        "Les Industries Bélanger & Fils Ltée",
        {"city": "Lévis", "postal_code": "G6V 1A1", "website": "https://www.belanger.example/"},
    ),
    Party.from_fields(
        "m2", "Knight Therapeutics Inc.", {"city": "Montréal", "phone": "+1 (514) 555-0100"}
    ),
    Party.from_fields("m3", "Northern Welding Corp.", {"city": "Calgary"}),
    Party.from_fields("m4", "Northern Welding Ltd.", {"city": "Edmonton"}),
    Party.from_fields("m5", "Gist-Brocades B.V.", {}),
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Les Industries Bélanger & Fils Ltée", "industries belanger and fils"),
        ("INDUSTRIES BELANGER ET FILS LIMITÉE", "industries belanger and fils"),
        ("Groupe ABC S.E.C.", "groupe abc"),
        ("Akzo Nobel N.V.", "akzo nobel"),
        ("D S M IP Assets B.V.", "dsm ip assets"),
        ("Acme ULC", "acme"),
        ("Boulangerie Cie", "boulangerie"),
        ("Acme Mfg. Co.", "acme manufacturing"),
        ("ACME MANUFACTURING COMPANY", "acme manufacturing"),
        ("Usinage St-Laurent S.E.N.C.R.L.", "usinage st laurent"),
        ("Usinage Saint-Laurent inc.", "usinage st laurent"),
        ("Bélanger Int'l Corp.", "belanger international"),
        ("ST Microelectronics N.V.", "st microelectronics"),
    ],
)
def test_names_are_normalised(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_contact_fields_are_normalised() -> None:
    assert domain("HTTPS://WWW.Belanger.example/contact") == "belanger.example"
    assert postal_code("g6v 1a1") == "G6V1A1"
    assert phone_number("+1 (514) 555-0100") == phone_number("514.555.0100") == "5145550100"
    assert phone_number("555-0100") == ""


def test_statuses() -> None:
    matcher = Matcher(MEMBERS)
    exact = matcher.match(Party("r1", "INDUSTRIES BELANGER ET FILS LIMITÉE"))
    assert exact.status is Status.MATCHED and exact.best is not None and exact.best.id == "m1"
    typo = matcher.match(Party.from_fields("r2", "Knight Therapeutic", {"phone": "514-555-0100"}))
    assert (
        typo.status is Status.MATCHED
        and typo.best is not None
        and typo.best.evidence == {"phone": True}
    )
    joined = matcher.match(Party("r3", "GISTBROCADES N.V."))
    assert joined.status is Status.MATCHED and joined.best is not None and joined.best.id == "m5"
    two = matcher.match(Party("r4", "Northern Welding"))
    assert two.status is Status.AMBIGUOUS and {c.id for c in two.candidates[:2]} == {"m3", "m4"}
    in_calgary = matcher.match(Party.from_fields("r4b", "Northern Welding", {"city": "Calgary"}))
    assert (
        in_calgary.status is Status.MATCHED
        and in_calgary.best is not None
        and in_calgary.best.id == "m3"
    )
    assert matcher.match(Party("r5", "Prairie Hearth Bakery")).status is Status.NEW
    assert matcher.match(Party("r6", "Inc.")).status in {Status.NEW, Status.REJECTED}


def test_disagreeing_evidence_lowers_confidence() -> None:
    matcher = Matcher(MEMBERS)
    same_site = matcher.match(
        Party.from_fields("a", "Industries Belanger", {"website": "belanger.example"})
    )
    other_site = matcher.match(
        Party.from_fields("b", "Industries Belanger", {"website": "someone-else.example"})
    )
    assert same_site.confidence > other_site.confidence
    assert other_site.best is not None and other_site.best.evidence["website"] is False


def test_report_has_every_row_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(
        "Entreprise,Ville,Site web\n"
        "Industries Bélanger et Fils,Lévis,belanger.example\n"
        "Northern Welding,,\n"
        ",Regina,\n"
        "Prairie Hearth Bakery,Regina,\n"
        "Bad,row,with,too,many,fields\n",
        encoding="utf-8",
    )
    report = match_file(path, Matcher(MEMBERS))
    assert [r.row for r in report.rows] == [2, 3, 4, 5, 6]
    assert [r.match.status.value for r in report.rows] == [
        "matched",
        "ambiguous",
        "rejected",
        "new",
        "new",
    ]
    assert report.counts() == {
        "matched": 1,
        "ambiguous": 1,
        "new": 2,
        "rejected": 1,
        "warnings": 1,
    }
    assert "the name is empty" in report.rows[2].match.reason
    assert report.rejected[0].row == 4 and report.rejected[0].column == "Entreprise"
    assert "fields" in report.rows[4].warnings[0].message
    for suffix in (".csv", ".xlsx", ".json"):
        report.write(tmp_path / f"report{suffix}")
    with (tmp_path / "report.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5 and rows[0]["match_id"] == "m1" and "m3" in rows[1]["candidates"]
    assert json.loads((tmp_path / "report.json").read_text())["counts"]["rejected"] == 1
    assert "fields" in rows[4]["warnings"]


def test_a_registry_without_a_name_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("city,website\nRegina,a.example\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="no name column"):
        match_file(path, Matcher(MEMBERS))


def test_match_from_the_command_line(tmp_path: Path) -> None:
    members = tmp_path / "members.csv"
    members.write_text(
        "id,name,description,city\nm1,Usinage Côté ltée,Usinage CNC.,Québec\nm2,Prairie Plastics Ltd.,Plastic parts.,Regina\n",
        encoding="utf-8",
    )
    data_dir = str(tmp_path / "d")
    assert run_cli("index", str(members), "--data-dir", data_dir, "--model", "fake").returncode == 0
    registry = tmp_path / "registre.csv"
    registry.write_bytes(
        "nom;ville\nUSINAGE COTE LIMITEE;Québec\nNouvelle Boulangerie;Laval\n;Laval\n".encode(
            "cp1252"
        )
    )
    out = tmp_path / "rapport.xlsx"
    result = run_cli(
        "match", str(registry), "--data-dir", data_dir, "--model", "fake", "--out", str(out)
    )
    assert result.returncode == 3, result.stderr
    assert "3 rows: 1 matched, 0 ambiguous, 1 new, 1 rejected" in result.stdout
    assert f"{registry}, row 4, column 'nom': the name is empty" in result.stderr
    assert out.is_file()
    as_json = run_cli("match", str(registry), "--data-dir", data_dir, "--model", "fake", "--json")
    body = json.loads(as_json.stdout)
    assert body["counts"] == {"matched": 1, "ambiguous": 0, "new": 1, "rejected": 1, "warnings": 0}
    assert body["rejected"] == [
        {"file": str(registry), "row": 4, "column": "nom", "message": "the name is empty"}
    ]


def test_a_new_upload_reports_what_was_added_removed_and_changed(tmp_path: Path) -> None:
    from ngen_connect.errors import QueryError
    from ngen_connect.registries import Uploads

    registries = Uploads(tmp_path)
    version = tmp_path / "version"  # the folder of the version a write builds
    version.mkdir()
    matcher = Matcher(MEMBERS)
    first = tmp_path / "v1.csv"
    first.write_text(
        "id,name,city\ns1,Knight Therapeutics,Montréal\ns2,Northern Welding,Calgary\ns3,Old Co,Regina\n",
        encoding="utf-8",
    )
    number, changes = registries.save("simsa", match_file(first, matcher), version)
    assert number == 1
    assert (changes.added, changes.removed, changes.changed, changes.previous) == (
        ["s1", "s2", "s3"],
        [],
        [],
        None,
    )
    second = tmp_path / "v2.csv"
    second.write_text(
        "id,name,city\ns1,Knight Therapeutics,Montréal\ns2,Northern Welding,Edmonton\ns4,New Co,Regina\n",
        encoding="utf-8",
    )
    number, changes = registries.save("simsa", match_file(second, matcher), version)
    assert (number, changes.added, changes.removed, changes.changed, changes.unchanged) == (
        2,
        ["s4"],
        ["s3"],
        ["s2"],
        1,
    )
    kept = sorted((version / "uploads" / "simsa").glob("*.json"))
    assert changes.previous == "00001" and [p.name for p in kept] == ["00001.json", "00002.json"]
    assert registries.uploads("simsa") == [], "nothing counts before the version is published"
    stored = json.loads(kept[-1].read_text())
    assert (
        stored["mapping"] == {"id": "id", "name": "name", "city": "city"}
        and len(stored["rows"]) == 3
    )
    with pytest.raises(QueryError, match="not a registry name"):
        registries.save("SCAN Health!", match_file(second, matcher), version)


def test_match_preview_and_registry_records_become_searchable(tmp_path: Path) -> None:
    members = tmp_path / "members.csv"
    members.write_text(
        "id,name,description,city\nm1,Usinage Côté ltée,Usinage CNC.,Québec\n", encoding="utf-8"
    )
    data_dir = str(tmp_path / "d")
    assert run_cli("index", str(members), "--data-dir", data_dir, "--model", "fake").returncode == 0
    registry = tmp_path / "simsa.csv"
    registry.write_text(
        "Company,City,Category\nNorth Conveyors,Saskatoon,conveyors\nUsinage Cote,Québec,machining\n",
        encoding="utf-8",
    )
    preview = run_cli("match", str(registry), "--preview")
    assert preview.returncode == 0 and "name             <- Company" in preview.stdout
    assert "row 2: Company=North Conveyors" in preview.stdout
    result = run_cli(
        "match", str(registry), "--data-dir", data_dir, "--model", "fake", "--registry", "simsa"
    )
    assert result.returncode == 0, result.stderr
    assert "Registry 'simsa': first upload: 2 added" in result.stdout
    found = run_cli(
        "search",
        "conveyors",
        "--data-dir",
        data_dir,
        "--model",
        "fake",
        "--json",
        "--filter",
        "registry=simsa",
    )
    names = [r["name"] for r in json.loads(found.stdout)["results"]]
    assert names[0] == "North Conveyors" and len(names) == 2


def test_capability_text_settles_a_tie_between_namesakes() -> None:
    def similarity(text: str, ids: list[str]) -> list[float]:
        return [0.97 if member == "m3" else 0.7 for member in ids]

    tie = Party.from_fields(
        "r", "Northern Welding", {"description": "Robotic welding of truck frames"}
    )
    assert Matcher(MEMBERS).match(tie).status is Status.AMBIGUOUS
    settled = Matcher(MEMBERS, capability_similarity=similarity).match(tie)
    assert settled.status is Status.MATCHED and settled.best is not None and settled.best.id == "m3"
    assert settled.best.evidence["capabilities"] is True
    nameless_text = Party.from_fields("r2", "Northern Welding", {})
    assert (
        Matcher(MEMBERS, capability_similarity=similarity).match(nameless_text).status
        is Status.AMBIGUOUS
    )


@pytest.mark.model
def test_engine_capability_similarity_uses_the_real_model(tmp_path: Path) -> None:
    from ngen_connect import Engine, load_settings

    members = tmp_path / "m.csv"
    members.write_text(
        "id,name,description\nw,Northern Welding Corp.,Robotic welding of steel truck frames.\n"
        "b,Northern Welding Ltd.,Bakery producing frozen bread.\n",
        encoding="utf-8",
    )
    engine = Engine(load_settings(data_dir=tmp_path / "d"))
    engine.index_files([members])
    welding, missing, bakery = engine.capability_similarity(
        "soudage robotisé de châssis", ["w", "zzz", "b"]
    )
    assert welding > bakery > 0.0 and missing == 0.0
    assert engine.capability_similarity("soudage", ["zzz"]) == [0.0]
    assert engine.capability_similarity("soudage", []) == []
    engine.close()


def test_short_and_long_city_names_agree() -> None:
    from ngen_connect.places import city_key

    assert city_key("St-Hyacinthe") == city_key("Saint-Hyacinthe") == "saint hyacinthe"
    assert city_key("Ste-Foy") == city_key("SAINTE FOY")
    assert city_key("Mtl") == city_key("Montréal") == "montreal"
    assert city_key("Stoney Creek") == "stoney creek"
    member = Party.from_fields("m", "Usinage Gagnon inc.", {"city": "Saint-Hyacinthe"})
    row = Party.from_fields("r", "Usinage Gagnon", {"city": "St-Hyacinthe"})
    match = Matcher([member]).match(row)
    assert match.best is not None and match.best.evidence["city"] is True
