"""The Insights view in a real headless Chromium, served by `ngen-connect serve`: the coverage map,
the search demand (admin key), SCAN Health's resilience and the clusters' reach drawn by the
bundled Vega, each with its table, in English and in French, driven from the keyboard.
Screenshots go to test-artifacts/browser/."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.api.test_browser import ARTIFACTS, _wait, browser  # noqa: F401 (a fixture)
from tests.conftest import ADMIN_KEY, DATA, copy_index, run_cli, running_server

CHARTS = (
    "coverage-map",
    "demand-top-chart",
    "demand-unmet-chart",
    "resilience-chart",
    "reach-chart",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Iterator[str]:
    """The bundled sample and a SCAN Health registry imported twice (the second import takes
    Ocean Derm, hydrocortisone's only holder, away), served with the fake model; a few searches."""
    folder = tmp_path_factory.mktemp("insights")
    data_dir = str(copy_index(sample_index, folder / "data"))
    for extract in ("dpd_v1", "dpd_v2"):
        imported = run_cli(
            "scan-health", "import", str(DATA / extract), "--data-dir", data_dir, "--model", "fake"
        )
        assert imported.returncode == 0, imported.stderr
    with running_server("serve", "--data-dir", data_dir, "--model", "fake", log_dir=folder) as base:
        for query in ("5-axis titanium machining", "5-axis titanium machining", "xqzv plorb"):
            assert httpx.get(f"{base}/search", params={"q": query}).status_code == 200
        yield base


def _drawn(driver: WebDriver) -> bool:
    return all(
        driver.find_element(By.ID, chart).get_attribute("data-drawn") == "true" for chart in CHARTS
    )


def _text(driver: WebDriver, css: str) -> str:
    """An element's text read in the page: never stale, however often the view redraws it."""
    return str(driver.execute_script(f"return document.querySelector('{css}')?.textContent || ''"))


def _rows(driver: WebDriver, table: str) -> list[list[str]]:
    return [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")
    ]


def test_an_analyst_reads_the_insights_in_english_and_french(
    site: str,
    browser: WebDriver,  # noqa: F811
) -> None:
    browser.get(site + "/")
    browser.execute_script(f"sessionStorage.setItem('ngen-api-key', '{ADMIN_KEY}')")
    browser.get(site + "/#/insights")
    _wait(browser, _drawn, 60)
    # the tile map: one square per province and territory, drawn as SVG, its figures beside it
    tiles = browser.find_elements(By.CSS_SELECTOR, "#coverage-map svg g.mark-rect.role-mark > path")
    assert len(tiles) == 13, len(tiles)
    areas = _rows(browser, "coverage-table")
    assert len(areas) == 13 and all(row[1].isdigit() for row in areas)
    label = browser.find_element(By.ID, "coverage-map").get_attribute("aria-label") or ""
    assert label.startswith("Map of Canada's provinces and territories"), label
    # what members search for: the two searches of one need, and the nonsense nobody found
    top = _rows(browser, "demand-top-table")
    assert top[0][:2] == ["5-axis titanium machining", "2"], top
    assert _rows(browser, "demand-unmet-table")[0][0] == "xqzv plorb"
    # SCAN Health: the holder notice, the levels, and what the last import took away
    assert "not necessarily its manufacturer" in browser.find_element(By.ID, "resilience-note").text
    assert len(_rows(browser, "resilience-table")) == 3
    lost = browser.find_element(By.ID, "resilience-lost-list").text
    assert "Hydrocortisone lost its last marketed holder" in lost
    assert len(_rows(browser, "reach-table")) == 32
    browser.save_screenshot(str(ARTIFACTS / "11-insights.png"))

    # from the keyboard: a glossary term typed, Enter, and the map is about it
    Select(browser.find_element(By.ID, "coverage-kind")).select_by_value("group")
    box = browser.find_element(By.ID, "coverage-value")
    box.send_keys("welding", Keys.ENTER)
    _wait(browser, lambda d: "welding" in _text(d, "#coverage-table caption").lower())

    browser.find_element(By.ID, "lang-switch").click()
    _wait(browser, lambda d: _text(d, "#insights-title") == "Analyses")
    _wait(browser, _drawn, 60)
    assert "Province ou territoire" in browser.find_element(By.ID, "coverage-table").text
    assert "pas nécessairement son fabricant" in browser.find_element(By.ID, "resilience-note").text
    assert (
        "a perdu son dernier titulaire" in browser.find_element(By.ID, "resilience-lost-list").text
    )
    browser.save_screenshot(str(ARTIFACTS / "12-insights-french.png"))


def test_without_the_admin_key_the_demand_is_not_shown(
    site: str,
    browser: WebDriver,  # noqa: F811
) -> None:
    browser.get(site + "/")
    browser.execute_script("sessionStorage.clear(); localStorage.setItem('ngen-lang', 'en')")
    browser.get(site + "/?again=1#/insights")  # a new page, not a hash change
    _wait(browser, lambda d: _text(d, "#demand-note") != "")
    assert "admin key" in browser.find_element(By.ID, "demand-note").text
    assert not browser.find_element(By.ID, "demand-body").is_displayed()
