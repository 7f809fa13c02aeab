"""Slices of the real registries in ../shared/data through the commands a user types: `index`,
`match` and an HTTP upload keep every row that names an organisation. The whole files are
measured by benchmarks/bench_real_files.py."""

import csv
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_KEY, REQUIRE_SHARED_DATA, reference_data, run_cli, running_server

DPD_MAP = [
    "--map",
    "id=company_code",
    "--map",
    "description_en=top_dosage_forms_en",
    "--map",
    "description_fr=top_dosage_forms_fr",
]


def _slice(source: Path, out: Path, keep: Any) -> Path:
    """The rows of a CSV for which keep(number, row) is true, written as they were."""
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [
            r for n, r in enumerate(reader, start=2) if keep(n, dict(zip(header, r, strict=True)))
        ]
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return out


def _index(path: Path, data_dir: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli(
        "index", str(path), "--data-dir", str(data_dir), "--model", "fake", "--json", *args
    )
    return result.returncode, json.loads(result.stdout)


def _records(data_dir: Path) -> list[dict[str, Any]]:
    from ngen_connect import Engine, FakeEmbedder, load_settings

    engine = Engine(load_settings(data_dir=data_dir, model="fake"), embedder=FakeEmbedder())
    try:
        return list(engine.records().values())
    finally:
        engine.close()


def test_absent_reference_data_skips_unless_ci_requires_it(tmp_path: Path) -> None:
    absent = tmp_path / "shared" / "data"
    with pytest.raises(pytest.skip.Exception, match="is missing"):
        reference_data(absent, required=False)
    with pytest.raises(pytest.fail.Exception, match=REQUIRE_SHARED_DATA):
        reference_data(absent, required=True)
    assert reference_data(tmp_path, required=True) == tmp_path


def test_dpd_licence_holders_with_french_addresses_lose_nothing(
    shared_data: Path, tmp_path: Path
) -> None:
    source = shared_data / "health_canada_dpd" / "dpd_din_owner_companies__derived.csv"
    path = _slice(
        source,
        tmp_path / "dpd.csv",
        lambda n, r: (
            n <= 60 or r["province_fr"] == "COLOMBIE-BRITANIQUE" or r["country"] == "INDIA"
        ),
    )
    french = [*DPD_MAP, "--map", "province=province_fr", "--map", "country=country_fr"]
    code, report = _index(path, tmp_path / "d", *french)
    assert code == 0 and report["counts"]["rejected"] == 0 and report["warnings"] == []
    assert report["added"] == report["read"] > 90
    records = _records(tmp_path / "d")
    countries = {r.attributes.get("country") for r in records}
    assert {"CA", "US", "IN"} <= countries and all(len(c or "") == 2 for c in countries)
    british_columbia = [r for r in records if r.attributes.get("province") == "BC"]
    assert len(british_columbia) >= 30
    american = [r for r in records if r.attributes.get("country") == "US"]
    assert american and all("province" not in r.attributes for r in american)
    assert all(r.attributes.get("region") for r in american), "a US state is kept as given"
    matched = run_cli(
        "match", str(path), "--data-dir", str(tmp_path / "d"), "--model", "fake", "--json", *french
    )
    body = json.loads(matched.stdout)
    assert matched.returncode == 0 and body["counts"]["rejected"] == 0
    assert body["counts"]["matched"] == report["read"]


def test_mining_directory_keeps_every_named_supplier(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "mining_suppliers_us" / "coal_mining_supplier_directory_flat.csv"
    path = _slice(source, tmp_path / "mining.csv", lambda n, r: 300 <= n <= 420)
    code, report = _index(path, tmp_path / "d")
    rejected = report["rejected"]
    # Rows 334 and 343 of the directory hold a category and nothing else: no name to keep.
    assert code == 3 and [(e["row"], e["message"]) for e in rejected] == [
        (36, "the name is empty"),
        (45, "the name is empty"),
    ]
    assert report["read"] == 121
    assert report["added"] + report["merged"] + len(rejected) == report["read"]
    records = _records(tmp_path / "d")
    by_country: dict[str, int] = {}
    for record in records:
        country = record.attributes.get("country", "")
        by_country[country] = by_country.get(country, 0) + 1
    assert by_country.get("US", 0) > 80 and by_country.get("CA", 0) >= 1
    assert {r.language for r in records} <= {"en", "fr", "en+fr", "und"}
    with running_server(
        "serve", "--data-dir", str(tmp_path / "d"), "--model", "fake", log_dir=tmp_path
    ) as base:
        uploaded = httpx.post(
            f"{base}/registries/mining/uploads",
            params={"filename": "mining.csv"},
            content=path.read_bytes(),
            headers={"X-API-Key": ADMIN_KEY},
            timeout=60,
        ).json()
    assert len(uploaded["rows"]) == 121 and uploaded["counts"]["rejected"] == 2


def test_quebec_directory_is_read_as_french_organisations(
    shared_data: Path, tmp_path: Path
) -> None:
    source = shared_data / "quebec_aerospace_orgs" / "camaq_aerospace_quebec_orgs_fr.csv"
    code, report = _index(source, tmp_path / "d")
    assert code == 0 and report["counts"]["rejected"] == 0
    assert report["added"] + report["merged"] == report["read"] == 96
    records = _records(tmp_path / "d")
    assert {r.kind for r in records} == {"organization"}
    assert sum(r.language == "fr" for r in records) >= 0.95 * len(records)
