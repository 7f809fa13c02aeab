"""SCAN Health supply resilience: marketed holders per ingredient, form and route, ATC class; what
an import took away; the report on the command line."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from ngen_connect.index.products import PRODUCT_LIST
from ngen_connect.registries.dpd import REGISTRY, company_profile, read_extracts
from ngen_connect.registries.resilience import (
    Loss,
    ResilienceLevel,
    losses,
    resilience,
    selected,
)
from tests.conftest import DATA, run_cli


@dataclass
class Holder:
    id: str
    name: str
    country: str
    products: list[dict[str, Any]]
    attributes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.attributes = {
            "registry": REGISTRY,
            "country": self.country,
            PRODUCT_LIST: self.products,
        }

    @property
    def key(self) -> str:
        return f"organization:{self.id}"


def _product(
    ingredient: str, status: str = "MARKETED", atc: str = "N02BE01 PARACETAMOL"
) -> dict[str, Any]:
    return {
        "status": status,
        "ingredients": [ingredient],
        "forms": ["TABLET"],
        "routes": ["ORAL"],
        "atc": [atc],
    }


def test_holders_are_counted_by_country_and_only_for_marketed_products() -> None:
    report = resilience(
        [
            Holder("a", "Apotex", "CA", [_product("Acetaminophen"), _product("Acetaminophen")]),
            Holder("b", "Teva", "IL", [_product("Acetaminophen")]),
            Holder("c", "Mylan", "US", [_product("Acetaminophen", status="DORMANT")]),
            Holder("d", "Orphan Co", "CH", [_product("Rarezumab", atc="L04AX99 RAREZUMAB")]),
        ]
    )
    assert report.holders == 4
    lines = {line.key: line for line in report.at(ResilienceLevel.INGREDIENT)}
    common = lines["acetaminophen"]
    # a holder counts once however many products it has; a dormant product is not supply
    assert [h.name for h in common.holders] == ["Apotex", "Teva"]
    assert common.canadian == 1 and common.abroad == {"IL": 1} and not common.single
    rare = lines["rarezumab"]
    assert rare.single and rare.canadian == 0
    assert [
        line.key for line in selected(report.at(ResilienceLevel.INGREDIENT), "single-abroad")
    ] == ["rarezumab"]
    forms = {line.label for line in report.at(ResilienceLevel.FORM)}
    assert "Acetaminophen, tablet, oral" in forms
    assert {line.key for line in report.at(ResilienceLevel.ATC)} == {"N02BE01", "L04AX99"}
    assert report.summary()["ingredient"] == {
        "lines": 2,
        "single_holder": 1,
        "no_canadian_holder": 1,
        "single_and_abroad": 1,
    }


def test_losses_say_how_grave_they_are() -> None:
    apotex = Holder(
        "a", "Apotex", "CA", [_product("A"), _product("B"), _product("C"), _product("D")]
    )
    teva = Holder("b", "Teva", "IL", [_product("B"), _product("C"), _product("D")])
    sandoz = Holder("c", "Sandoz", "CA", [_product("D")])
    pfizer = Holder("d", "Pfizer", "US", [_product("C"), _product("D")])
    before = resilience([apotex, teva, sandoz, pfizer])
    after = resilience([teva, sandoz, pfizer])  # Apotex left the market
    found = {
        lost.key: lost for lost in losses(before, after) if lost.level == ResilienceLevel.INGREDIENT
    }
    assert found["a"].loss == Loss.ALL and found["a"].after == 0
    assert found["b"].loss == Loss.LAST_CANADIAN and found["b"].lost == ("Apotex",)
    assert found["c"].loss == Loss.LAST_CANADIAN  # Teva and Pfizer are left, neither Canadian
    assert found["d"].loss == Loss.HOLDERS and (found["d"].before, found["d"].after) == (4, 3)
    assert found["a"].sentence()[0] == "A lost its last marketed holder (1 -> 0; Apotex)."
    assert "a perdu son dernier titulaire" in found["a"].sentence()[1]
    order = [lost.loss for lost in losses(before, after)]
    assert order == sorted(order, key=list(Loss).index)  # the gravest first


def test_real_extracts_reconcile_with_the_products(shared_data: Path) -> None:
    companies = read_extracts([shared_data / "health_canada_dpd" / "allfiles"])
    report = resilience(company_profile(c) for c in companies)
    lines = report.at(ResilienceLevel.INGREDIENT)
    assert report.holders == len(companies) and len(lines) > 1000
    # every line's holders are exactly the companies with a marketed product of it
    for line in lines[:: max(1, len(lines) // 50)]:
        holders = {
            c.name
            for c in companies
            for p in c.products
            if p.status == "MARKETED" and any(i[0].casefold() == line.key for i in p.ingredients)
        }
        assert {h.name for h in line.holders} == holders, line.key
    summary = report.summary()["ingredient"]
    assert summary["single_holder"] == len(selected(lines, "single"))
    assert 0 < summary["no_canadian_holder"] < summary["lines"]


def test_the_command_line_report_and_the_import_that_takes_a_holder_away(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "d")
    fake = ("--data-dir", data_dir, "--model", "fake")
    assert run_cli("scan-health", "import", str(DATA / "dpd_v1"), *fake).returncode == 0
    first = run_cli("scan-health", "resilience", *fake, "--json")
    assert first.returncode == 0, first.stderr
    body = json.loads(first.stdout)
    assert body["last_import"]["losses"] == [] and "not necessarily" in body["notice"]["en"]
    assert {line["key"] for line in body["lines"]} >= {"hydrocortisone", "heparin sodium"}
    # dpd_v2 drops Ocean Derm, the only holder of hydrocortisone
    second = run_cli("scan-health", "import", str(DATA / "dpd_v2"), *fake)
    assert (
        "Hydrocortisone lost its last marketed holder (1 -> 0; OCEAN DERM LIMITED)."
        in second.stdout
    )
    shown = run_cli("scan-health", "resilience", *fake, "--only", "single")
    assert shown.returncode == 0, shown.stderr
    assert "not necessarily its manufacturer" in shown.stdout
    assert "Lost at the last import" in shown.stdout and "Hydrocortisone" in shown.stdout
    out = tmp_path / "resilience.xlsx"
    written = run_cli("scan-health", "resilience", *fake, "--level", "atc", "--out", str(out))
    assert written.returncode == 0, written.stderr
    book = openpyxl.load_workbook(out)
    rows = list(book["Resilience"].values)
    assert rows[0][:5] == ("level", "key", "label", "label_fr", "holders")
    assert {row[0] for row in rows[1:]} == {"atc"}
    about = {row[0]: row[1] for row in book["About"].values}
    assert "not necessarily" in about["notice"] and about["level"] == "atc"
    refused = run_cli("scan-health", "resilience", *fake, "--only", "rare")
    assert refused.returncode != 0 and "choose from" in refused.stderr
