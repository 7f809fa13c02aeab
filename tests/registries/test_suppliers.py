"""SIMSA-style supplier registries: a real supplier directory imported and matched against needs."""

import json
from pathlib import Path

import pytest

from ngen_connect.registries.service import read_needs
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
    again = run_cli(
        "registry", "import", "simsa", str(directory), "--data-dir", data_dir, "--model", "fake"
    )
    assert "0 records added" in again.stdout and "0 removed" in again.stdout
    bad = run_cli(
        "registry", "import", "SIMSA!", str(directory), "--data-dir", data_dir, "--model", "fake"
    )
    assert bad.returncode == 2 and "not a registry name" in bad.stderr
