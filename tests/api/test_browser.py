"""The web page in a real headless Chromium (Debian's chromium + chromium-driver), with the real model.

Screenshots are saved under test-artifacts/browser/.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import DATA, REPO, run_cli, running_server

pytestmark = pytest.mark.model
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
ARTIFACTS = REPO / "test-artifacts" / "browser"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    data_dir = str(folder / "data")
    assert run_cli("index", str(DATA / "crosslang.csv"), "--data-dir", data_dir).returncode == 0
    with running_server("serve", "--data-dir", data_dir, log_dir=folder) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.fail(
            "Chromium is missing: `make test` installs Debian's chromium and chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1000",
        "--lang=en-CA",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def _wait(driver: WebDriver, condition, seconds: float = 30):  # type: ignore[no-untyped-def]
    return WebDriverWait(driver, seconds).until(condition)


def _result_names(driver: WebDriver) -> list[str]:
    return [node.text for node in driver.find_elements(By.CSS_SELECTOR, "#results .hit h3")]


def _search(driver: WebDriver, query: str) -> None:
    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys(query)
    before = driver.find_element(By.ID, "status").text
    driver.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").click()
    _wait(
        driver,
        lambda d: (
            d.find_element(By.ID, "status").text not in {before, "Searching…", "Recherche…", ""}
        ),
    )


def test_a_member_searches_filters_opens_a_profile_and_switches_to_french(
    site: str, browser: WebDriver
) -> None:
    browser.get(site + "/")
    _wait(browser, ec.visibility_of_element_located((By.ID, "q")))

    # A French query finds the English-only profile.
    _search(browser, "usinage de pièces en titane pour moteurs d'avion")
    names = _result_names(browser)
    assert "Titan Aero Machining Inc." in names[:3], names
    first = browser.find_element(By.CSS_SELECTOR, "#results .hit")
    assert "English" in first.text
    browser.save_screenshot(str(ARTIFACTS / "1-french-query.png"))

    # Ticking a facet narrows the results and changes the counts.
    total_before = browser.find_element(By.ID, "status").text
    quebec = browser.find_element(By.CSS_SELECTOR, "input[name=province][value=QC]")
    count = int(quebec.find_element(By.XPATH, "..").find_element(By.CLASS_NAME, "count").text)
    quebec.click()
    _wait(browser, lambda d: d.find_element(By.ID, "status").text.startswith(f"{count} results"))
    assert browser.find_element(By.ID, "status").text != total_before
    assert len(_result_names(browser)) == count
    assert not browser.find_element(By.ID, "pager").is_displayed()  # one page only
    assert browser.find_element(By.CSS_SELECTOR, "input[name=province][value=QC]").is_selected()
    assert not browser.find_elements(By.CSS_SELECTOR, "input[name=province][value=ON]")
    browser.save_screenshot(str(ARTIFACTS / "2-facet-quebec.png"))

    # Opening an organisation shows its profile and similar organisations.
    browser.find_element(By.CSS_SELECTOR, "#results .hit h3 a").click()
    _wait(browser, ec.visibility_of_element_located((By.ID, "record-view")))
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#similar .hit")) > 0)
    assert browser.find_element(By.ID, "record-name").text
    browser.save_screenshot(str(ARTIFACTS / "3-organisation.png"))

    # The language switch changes every word on the page.
    browser.find_element(By.ID, "back").click()
    _wait(browser, ec.visibility_of_element_located((By.ID, "search-view")))
    browser.find_element(By.ID, "lang-switch").click()
    _wait(browser, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr")
    _wait(browser, lambda d: "résultats" in d.find_element(By.ID, "status").text)
    assert (
        browser.find_element(By.CSS_SELECTOR, "#search-form button[type=submit]").text
        == "Rechercher"
    )
    assert browser.find_element(By.ID, "lang-switch").text == "English"
    assert browser.find_element(By.ID, "facets-title").text == "Filtres"
    assert "Province ou territoire" in browser.find_element(By.ID, "facets").text
    browser.save_screenshot(str(ARTIFACTS / "4-french.png"))


def test_the_page_works_on_a_narrow_screen(site: str, browser: WebDriver) -> None:
    browser.set_window_size(390, 900)
    try:
        browser.get(site + "/#/search?q=robotic+welding")
        _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#results .hit"))
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400, f"the page scrolls sideways ({width}px)"
        browser.save_screenshot(str(ARTIFACTS / "5-narrow.png"))
    finally:
        browser.set_window_size(1280, 1000)
