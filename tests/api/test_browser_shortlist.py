"""A buyer shortlists three suppliers, compares them side by side and exports the list, in a real
headless Chromium over `ngen-connect serve`; the export's file is read back."""

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.api.test_browser import ARTIFACTS, _wait, browser  # noqa: F401 (a fixture)
from tests.conftest import copy_index, running_server


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("shortlist")
    data_dir = str(copy_index(sample_index, folder / "data"))
    with running_server("serve", "--data-dir", data_dir, "--model", "fake", log_dir=folder) as base:
        yield base


def test_a_buyer_shortlists_compares_and_exports(site: str, browser: WebDriver) -> None:  # noqa: F811
    browser.get(site + "/")
    browser.execute_script("sessionStorage.clear(); localStorage.setItem('ngen-lang', 'en')")
    browser.get(site + "/?fresh=1#/search?q=machining")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results .hit")) >= 3)
    buttons = browser.find_elements(By.CSS_SELECTOR, "#results .hit button.keep")[:3]
    names = [
        b.find_element(By.XPATH, "ancestor::li").find_element(By.TAG_NAME, "h3").text
        for b in buttons
    ]
    for button in buttons:
        button.click()
        assert button.get_attribute("aria-pressed") == "true"
    assert browser.find_element(By.ID, "nav-shortlist").text == "Shortlist (3)"
    browser.find_element(By.ID, "nav-shortlist").click()
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#shortlist-items li")) == 3)
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#shortlist-items a")] == names
    for box in browser.find_elements(By.CSS_SELECTOR, "#shortlist-items input")[:3]:
        box.send_keys(" ")  # ticked from the keyboard
    browser.find_element(By.ID, "compare-button").click()
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#compare-table thead th")) == 4)
    heads = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#compare-table thead th")]
    assert heads[1:] == names
    rows = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#compare-table tbody th")]
    assert "Industry (NAICS)" in rows and "Place" in rows
    browser.save_screenshot(str(ARTIFACTS / "13-shortlist-compare.png"))
    # the export the page asks for, read back: the same records, French headers in French
    kept = browser.execute_script("return JSON.parse(sessionStorage.getItem('ngen-shortlist'))")
    body = {"records": [{"kind": r["kind"], "id": r["id"]} for r in kept]}
    answer = httpx.post(
        f"{site}/shortlist/export", params={"format": "xlsx", "lang": "fr"}, json=body
    )
    assert answer.status_code == 200, answer.text
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    rows_read = list(sheet.values)
    assert rows_read[0][:3] == ("nom", "type de fiche", "identifiant")
    assert [r[0] for r in rows_read[1:]] == names
    # one click removes a record from the list
    browser.find_element(By.CSS_SELECTOR, "#shortlist-items li button").click()
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#shortlist-items li")) == 2)
