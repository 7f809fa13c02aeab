"""SIMSA-style supplier registries: a real supplier directory imported and matched against needs."""

import json
from pathlib import Path

import pytest

from ngen_connect import Kind, SearchHit
from ngen_connect.registries.needs import prefer, read_needs
from ngen_connect.registries.suppliers import read_suppliers
from tests.conftest import run_cli


@pytest.fixture
def directory(shared_data: Path) -> Path:
    return shared_data / "mining_suppliers_us" / "coal_mining_supplier_directory_flat.csv"


def test_rows_merge_into_one_record_per_supplier(directory: Path) -> None:
    imported = read_suppliers(directory, "simsa")
    assert imported.rows == 830 and len(imported.profiles) < 830
    by_name = {p.name: p for p in imported.profiles}
    blades = by_name["Black Cat Blades Ltd"]
    assert blades.attributes["province"] == "AB" and blades.attributes["registry"] == "simsa"
    assert "abrasion" in blades.attributes["categories"]
    assert sum(len(p.attributes.get("categories", [])) >= 2 for p in imported.profiles) > 50
    assert all(error.row is not None for error in imported.rejected)
    assert len(imported.profiles) + len({e.row for e in imported.rejected}) <= imported.rows


def test_needs_list_is_read_in_english_and_french(tmp_path: Path) -> None:
    path = tmp_path / "besoins.csv"
    path.write_text("Besoin\nconveyor belt splicing\nrevêtements anti-usure\n\n", encoding="utf-8")
    needs, rejected = read_needs(path)
    assert [n.text for n in needs] == [
        "conveyor belt splicing",
        "revêtements anti-usure",
    ] and not rejected


def test_import_and_needs_from_the_command_line(directory: Path, tmp_path: Path) -> None:
    data_dir = str(tmp_path / "d")
    imported = run_cli(
        "registry", "import", "simsa", str(directory), "--data-dir", data_dir, "--model", "fake"
    )
    assert imported.returncode == 3 and "0 members listed" in imported.stdout
    assert "2 rows rejected" in imported.stdout and "records added" in imported.stdout
    needs = tmp_path / "needs.csv"
    needs.write_text("need\nconveyor belts\nabrasion resistant liners\n", encoding="utf-8")
    out = tmp_path / "matches.json"
    result = run_cli(
        "registry",
        "needs",
        "simsa",
        str(needs),
        "--data-dir",
        data_dir,
        "--model",
        "fake",
        "--prefer-province",
        "Alberta",
        "--limit",
        "3",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())["rows"]
    assert [r["row"] for r in rows] == [2, 2, 2, 3, 3, 3]
    assert all(r["id"].startswith("simsa:") for r in rows)
    workbook = tmp_path / "besoins.xlsx"
    french = run_cli(
        "registry",
        "needs",
        "simsa",
        str(needs),
        "--data-dir",
        data_dir,
        "--model",
        "fake",
        "--limit",
        "2",
        "--out",
        str(workbook),
        "--lang",
        "fr",
    )
    assert french.returncode == 0, french.stderr
    assert "ligne 2: conveyor belts" in french.stdout and "Retenu pour" in french.stdout
    from openpyxl import load_workbook

    book = load_workbook(workbook)
    assert book.sheetnames == [
        "Besoins",
        "2 conveyor belts",
        "3 abrasion resistant liners",
        "À propos",
    ]
    per_need = list(book["3 abrasion resistant liners"].iter_rows(values_only=True))
    assert per_need[0][:4] == ("ligne", "besoin", "rang", "fournisseur")
    assert {r[1] for r in per_need[1:]} == {"abrasion resistant liners"} and len(per_need) == 3
    again = run_cli(
        "registry", "import", "simsa", str(directory), "--data-dir", data_dir, "--model", "fake"
    )
    assert "0 records added" in again.stdout and "0 removed" in again.stdout
    as_json = run_cli(
        "registry",
        "needs",
        "simsa",
        str(needs),
        "--data-dir",
        data_dir,
        "--model",
        "fake",
        "--json",
    )
    answer = json.loads(as_json.stdout)  # the shape of POST /registries/{name}/needs
    assert set(answer) == {"registry", "file", "needs", "rejected"}
    assert [(n["row"], n["need"]) for n in answer["needs"]] == [
        (2, "conveyor belts"),
        (3, "abrasion resistant liners"),
    ]
    assert all(s["id"].startswith("simsa:") for n in answer["needs"] for s in n["suppliers"])
    bad = run_cli(
        "registry", "import", "SIMSA!", str(directory), "--data-dir", data_dir, "--model", "fake"
    )
    assert bad.returncode == 2 and "not a registry name" in bad.stderr


def _hit(name: str, score: float, province: str) -> SearchHit:
    return SearchHit(
        id=name,
        kind=Kind.ORGANIZATION,
        name=name,
        score=score,
        language="en",
        snippet="",
        snippet_language="en",
        explanation="Matched by keywords pumps (0.80).",
        attributes={"province": province},
        why={"boosts": {"keyword": 0.03}},
    )


def test_a_preferred_province_lifts_near_equals_and_says_so() -> None:
    hits = [_hit("Ontario Pumps", 0.70, "ON"), _hit("Prairie Pumps", 0.67, "SK")]
    lifted = prefer(hits, "SK")
    assert [h.name for h in lifted] == ["Prairie Pumps", "Ontario Pumps"]
    assert lifted[0].why["boosts"] == {"keyword": 0.03, "preferred_province": 0.05}
    assert lifted[0].explanation.endswith("; in SK, the preferred province (+0.05).")
    assert lifted[1] == hits[0]  # others unchanged
    far = prefer([_hit("Ontario Pumps", 0.80, "ON"), hits[1]], "SK", ui_language="fr")
    assert far[0].name == "Ontario Pumps"  # a near-equal only: 0.05 does not beat 0.13
    assert far[1].explanation.endswith("; en SK, la province préférée (+0,05).")
    assert prefer(hits, None) == hits


def test_a_needs_list_without_a_header_keeps_its_first_need(tmp_path: Path) -> None:
    bare = tmp_path / "needs.csv"
    bare.write_text("Pompes submersibles\nRoulements\n", encoding="utf-8")
    assert [(n.row, n.text) for n in read_needs(bare)[0]] == [
        (1, "Pompes submersibles"),
        (2, "Roulements"),
    ]
    headed = tmp_path / "liste.csv"
    headed.write_text("Liste des besoins\nPompes\n", encoding="utf-8")
    assert [n.text for n in read_needs(headed)[0]] == ["Pompes"]


def test_a_directory_s_control_characters_never_reach_a_name(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(
        'name,description\n"Quux \x1b]0;pwned\x07 Delta\ufffe",Widgets\x9b and\x00 gears\n',
        encoding="utf-8",
    )
    [profile] = read_suppliers(path, "odd").profiles
    assert profile.name == "Quux ]0;pwned Delta"
    assert all("\x1b" not in p.text and "\x9b" not in p.text for p in profile.passages)
