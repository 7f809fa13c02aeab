"""SCAN Health: Health Canada Drug Product Database extracts into the scan-health registry."""

import json
import zipfile
from pathlib import Path

import pytest

from ngen_connect import Engine, InputFileError, QueryError, load_settings
from ngen_connect.registries.dpd import REGISTRY, company_profile, compare_extracts, read_extracts
from tests.conftest import DATA, run_cli


def test_extracts_become_one_bilingual_profile_per_company() -> None:
    companies = {c.code: c for c in read_extracts([DATA / "dpd_v1"])}
    assert set(companies) == {"100", "200", "300"}
    sterile = company_profile(companies["100"])
    assert sterile.id == "dpd-100" and sterile.language == "en+fr"
    assert sterile.attributes["registry"] == REGISTRY and sterile.attributes["province"] == "QC"
    assert "Injectable (parenteral) products" in sterile.texts["en"]
    assert "Produits injectables" in sterile.texts["fr"] and "intraveineuse" in sterile.texts["fr"]
    assert sterile.attributes["product_status"] == {"MARKETED": 2}
    # brands the extract gives in English only are names: in the English text, not the French
    assert "Cefazolin For Injection" in sterile.texts["en"]
    assert "Cefazolin" not in sterile.texts["fr"] and "Produits :" not in sterile.texts["fr"]


def test_real_extracts_are_read(shared_data: Path) -> None:
    companies = read_extracts([shared_data / "health_canada_dpd" / "allfiles_ap"])
    assert len(companies) > 50 and all(c.products for c in companies)


def test_zip_and_bad_input(tmp_path: Path) -> None:
    archive = tmp_path / "allfiles.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for file in (DATA / "dpd_v1").iterdir():
            handle.write(file, file.name)
    assert len(read_extracts([archive])) == 3
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputFileError, match=r"no comp\.txt or drug\.txt"):
        read_extracts([empty])
    broken = tmp_path / "broken"
    broken.mkdir()
    for file in (DATA / "dpd_v1").iterdir():
        (broken / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    (broken / "form.txt").write_text('"1","1","TABLET"\n', encoding="utf-8")
    with pytest.raises(InputFileError, match="form rows have 4 fields, this one has 3"):
        read_extracts([broken])


def test_comparing_two_extracts() -> None:
    changes = compare_extracts(read_extracts([DATA / "dpd_v1"]), read_extracts([DATA / "dpd_v2"]))
    assert changes.companies_added == ["NORTHERN OPHTHALMICS INC."]
    assert changes.companies_removed == ["OCEAN DERM LIMITED"]
    assert changes.products_added == ["02000005"] and changes.products_removed == ["02000004"]
    assert changes.status_changed == [("02000003", "MARKETED", "DORMANT")]
    by_din = {(c.din, c.change): c for c in changes.changes}
    status = by_din[("02000003", "status")]
    assert (
        status.brand
        and status.company
        and (status.before, status.after)
        == (
            "MARKETED",
            "DORMANT",
        )
    )
    assert by_din[("02000005", "added")].company == "NORTHERN OPHTHALMICS INC."
    assert by_din[("02000004", "removed")].company == "OCEAN DERM LIMITED"
    assert all(sum(kinds.values()) for kinds in changes.per_company().values())


def test_import_refresh_and_search_from_the_command_line(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "d")
    first = run_cli(
        "scan-health", "import", str(DATA / "dpd_v1"), "--data-dir", data_dir, "--model", "fake"
    )
    assert first.returncode == 0, first.stderr
    assert "3 companies; 3 added" in first.stdout
    second = run_cli(
        "scan-health", "import", str(DATA / "dpd_v2"), "--data-dir", data_dir, "--model", "fake"
    )
    assert "1 added" in second.stdout and "1 removed" in second.stdout, second.stdout
    # the import reports what changed since the registry's previous content, product by product
    assert "02000003 Metformin: status MARKETED -> DORMANT" in second.stdout, second.stdout
    assert "02000005 Tears Eye Drops: added - -> MARKETED" in second.stdout
    assert "02000004 Hydrocortisone Cream: removed MARKETED -> -" in second.stdout
    by_ingredient = run_cli(
        "search",
        "carboxymethylcellulose",
        "--data-dir",
        data_dir,
        "--model",
        "fake",
        "--json",
    )
    hit = json.loads(by_ingredient.stdout)["results"][0]
    assert hit["id"] == "dpd-400" and hit["why"]["legs"]["product"]["din"] == "02000005"
    assert "product_list" not in hit  # a result names its product; the list is the record's page
    # a DIN is in no summary: only the product leg finds it, and the summary stands for the holder
    by_din = run_cli("search", "02000005", "--data-dir", data_dir, "--model", "fake", "--json")
    assert by_din.returncode == 0, by_din.stderr
    assert json.loads(by_din.stdout)["results"][0]["id"] == "dpd-400"
    found = run_cli(
        "search",
        "ophthalmic drops",
        "--data-dir",
        data_dir,
        "--model",
        "fake",
        "--json",
        "--filter",
        "registry=scan-health",
    )
    results = json.loads(found.stdout)["results"]
    assert results[0]["id"] == "dpd-400" and {r["registry"] for r in results} == {"scan-health"}
    assert "dpd-300" not in {r["id"] for r in results}
    compared = run_cli(
        "scan-health", "compare", str(DATA / "dpd_v1"), str(DATA / "dpd_v2"), "--json"
    )
    body = json.loads(compared.stdout)
    assert body["status_changed"] == [["02000003", "MARKETED", "DORMANT"]]
    assert {c["din"] for c in body["changes"]} >= {"02000003", "02000004", "02000005"}
    assert body["per_company"]["NORTHERN OPHTHALMICS INC."]["added"] == 1
    export = tmp_path / "changes.xlsx"
    printed = run_cli(
        "scan-health", "compare", str(DATA / "dpd_v1"), str(DATA / "dpd_v2"), "--out", str(export)
    )
    assert printed.returncode == 0 and "02000003" in printed.stdout and "DORMANT" in printed.stdout
    from openpyxl import load_workbook

    sheet = load_workbook(export)["Changes"]
    assert [cell.value for cell in sheet[1]] == [
        "company",
        "din",
        "brand",
        "change",
        "before",
        "after",
    ]
    assert sheet.max_row == len(body["changes"]) + 1


@pytest.mark.model
def test_a_french_buyer_query_finds_the_quebec_injectable_maker(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "d")
    assert (
        run_cli("scan-health", "import", str(DATA / "dpd_v1"), "--data-dir", data_dir).returncode
        == 0
    )
    found = run_cli(
        "search",
        "fabricant de solutions injectables stériles au Québec",
        "--data-dir",
        data_dir,
        "--filter",
        "registry=scan-health",
        "--json",
    )
    results = json.loads(found.stdout)["results"]
    assert results[0]["id"] == "dpd-100" and results[0]["province"] == "QC"


def test_search_filters_by_product_status(fake_engine: Engine) -> None:
    from ngen_connect.search import Filters

    companies = read_extracts([DATA / "dpd_v2"])
    fake_engine.index_profiles([company_profile(c) for c in companies])
    holding: dict[str, set[str]] = {}
    for company in companies:
        for product in company.products:
            holding.setdefault(product.status.split()[0].lower(), set()).add(f"dpd-{company.code}")

    def found(status: str) -> set[str]:
        filters = Filters.parse({"status": status})
        return {h.id for h in fake_engine.search("products", filters=filters, limit=50).results}

    assert holding["dormant"] and found("dormant") == holding["dormant"]
    assert found("Commercialisé") == found("marketed") == holding["marketed"]
    # the status facet counts the holders the filter keeps
    facet = fake_engine.search("products", limit=50).facets["status"]
    assert {entry["value"]: entry["count"] for entry in facet} == {
        status: len(found(status)) for status in holding
    }
    with pytest.raises(QueryError, match="product status"):
        Filters.parse({"status": "sold out"})


def test_an_import_that_would_empty_the_registry_asks_first(
    shared_data: Path, tmp_path: Path
) -> None:
    extracts = shared_data / "health_canada_dpd"
    data_dir = str(tmp_path / "d")
    both = ["scan-health", "import", str(extracts / "allfiles_ap"), str(extracts / "allfiles_dr")]
    first = run_cli(*both, "--data-dir", data_dir, "--model", "fake")
    assert first.returncode == 0, first.stderr
    assert "added - ->" not in first.stdout  # a first import is summarised, not listed
    alone = ["scan-health", "import", str(extracts / "allfiles_dr"), "--data-dir", data_dir]
    refused = run_cli(*alone, "--model", "fake")
    assert refused.returncode == 2 and "--allow-removals" in refused.stderr, refused.stderr
    assert "licence holders" in refused.stderr
    confirmed = run_cli(*alone, "--model", "fake", "--allow-removals", "--json")
    assert confirmed.returncode == 0, confirmed.stderr
    body = json.loads(confirmed.stdout)
    assert body["import"]["removed"] > 10 and body["products_removed"]
    uploaded = run_cli(
        "match",
        str(DATA / "crosslang.csv"),
        "--registry",
        "scan-health",
        "--data-dir",
        data_dir,
        "--model",
        "fake",
    )
    assert uploaded.returncode == 2 and "scan-health import" in uploaded.stderr


@pytest.mark.model
def test_letter_case_changes_no_answer(tmp_path: Path) -> None:
    """A brand or a capability in capitals (pasted from an extract), title or lower case: the same
    results in the same order, with the real default model."""
    data_dir = str(tmp_path / "d")
    assert (
        run_cli("scan-health", "import", str(DATA / "dpd_v1"), "--data-dir", data_dir).returncode
        == 0
    )
    engine = Engine(load_settings(data_dir=data_dir))
    for query in (
        "HEPARIN SODIUM",
        "CEFAZOLIN FOR INJECTION",
        "sterile injectable solutions manufacturer",
        "fabricant de solutions injectables stériles",
    ):
        answers = set()
        for form in (query.upper(), query.lower(), query.title()):
            found = engine.search(form, limit=20)
            answers.add((found.total, tuple(hit.id for hit in found.results)))
        assert len(answers) == 1, (query, answers)
        assert next(iter(answers))[0] > 0, query
    engine.close()
