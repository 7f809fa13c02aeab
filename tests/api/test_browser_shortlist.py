"""After a search, in a real headless Chromium over `ngen-connect serve`: a buyer shortlists three
suppliers, compares them side by side and exports the list through the page (the downloaded file
is read back); with a personal token the list is kept on the server and is there again in a new
tab; an alert saved from a search lists a record indexed after it, in the page and in its Atom
feed. Screenshots go to test-artifacts/browser/."""

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from tests.api.test_browser import ARTIFACTS, _downloaded, _wait, browser  # noqa: F401 (a fixture)
from tests.conftest import ADMIN_KEY, copy_index, invoke_cli, running_server

NEW_SHOP = (
    '[{"id": "br-al1", "name": "Alertville Precision Machining", "province": "MB",'
    ' "description": "CNC machining of titanium and aluminum parts for aerospace."}]'
)


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, sample_index: Path
) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("shortlist")
    data_dir = copy_index(sample_index, folder / "data")
    with running_server(
        "serve", "--data-dir", str(data_dir), "--model", "fake", log_dir=folder
    ) as base:
        yield base, data_dir


@pytest.fixture
def downloads(browser: WebDriver, tmp_path: Path) -> Path:  # noqa: F811
    folder = tmp_path / "downloads"
    folder.mkdir()
    browser.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)}
    )
    return folder


def _token(data_dir: Path, name: str) -> str:
    issued = invoke_cli("tokens", "create", name, "--data-dir", str(data_dir))
    assert issued.exit_code == 0, issued.output
    return issued.stdout.strip()


def _fresh_tab(browser: WebDriver, url: str, language: str = "en") -> None:  # noqa: F811
    """`url` in a tab of the site that holds nothing yet (no key, no shortlist), from a page of
    the site that runs no script (none of the page's calls still under way)."""
    browser.get(url.split("?")[0].split("#")[0].rstrip("/") + "/health")
    browser.execute_script(
        f"sessionStorage.clear(); localStorage.setItem('ngen-lang', '{language}')"
    )
    browser.get(url)


def _shortlist_three(browser: WebDriver) -> list[str]:  # noqa: F811
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results .hit")) >= 3)
    buttons = browser.find_elements(By.CSS_SELECTOR, "#results .hit button.keep")[:3]
    names = [
        b.find_element(By.XPATH, "ancestor::li").find_element(By.TAG_NAME, "h3").text
        for b in buttons
    ]
    for button in buttons:
        button.click()
        assert button.get_attribute("aria-pressed") == "true"
    return names


def test_a_buyer_shortlists_compares_and_exports(
    site: tuple[str, Path],
    browser: WebDriver,  # noqa: F811
    downloads: Path,
) -> None:
    base, _ = site
    _fresh_tab(browser, base + "/?fresh=1#/search?q=machining")
    names = _shortlist_three(browser)
    assert browser.find_element(By.ID, "nav-shortlist").text == "Shortlist (3)"
    # "Skip to results" moves the focus and leaves the search where it is
    address = browser.current_url
    browser.execute_script("document.querySelector('a.skip').click()")
    assert browser.current_url == address
    assert browser.switch_to.active_element.get_attribute("id") == "main"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#results .hit")) >= 3
    browser.find_element(By.ID, "nav-shortlist").click()
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#shortlist-items li")) == 3)
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#shortlist-items a")] == names
    assert "Kept in this browser tab" in browser.find_element(By.ID, "shortlist-note").text
    for box in browser.find_elements(By.CSS_SELECTOR, "#shortlist-items input")[:3]:
        box.send_keys(" ")  # ticked from the keyboard
    browser.find_element(By.ID, "compare-button").click()
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#compare-table thead th")) == 4)
    heads = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#compare-table thead th")]
    # each record by its name, a fictitious sample profile marked so
    assert heads[1:] == [f"{name} sample data" for name in names]
    rows = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#compare-table tbody th")]
    assert "Industry (NAICS)" in rows and "Place" in rows
    industries = browser.find_elements(By.CSS_SELECTOR, "#compare-table tbody tr")[
        rows.index("Industry (NAICS)")
    ].find_elements(By.TAG_NAME, "td")
    # each code with its title ("332710 · Machine shops"), not a bare number
    assert all(re.search(r"\d{4,6} · \w", td.text) for td in industries), [
        td.text for td in industries
    ]
    browser.save_screenshot(str(ARTIFACTS / "13-shortlist-compare.png"))
    # the export, as the page downloads it: the same records, in order
    before = set(downloads.glob("*"))
    browser.find_element(By.CSS_SELECTOR, "button[data-shortlist-export=csv]").click()
    lines = list(
        csv.reader(io.StringIO(_downloaded(downloads, ".csv", before).read_text("utf-8-sig")))
    )
    assert lines[0][:3] == ["name", "kind", "id"] and [r[0] for r in lines[1:]] == names
    assert lines[0][-1] == "sample" and {r[-1] for r in lines[1:]} == {"yes"}
    # in French: French headers
    browser.find_element(By.ID, "lang-switch").click()
    _wait(browser, lambda d: d.find_element(By.ID, "nav-shortlist").text == "Liste restreinte (3)")
    before = set(downloads.glob("*"))
    browser.find_element(By.CSS_SELECTOR, "button[data-shortlist-export=xlsx]").click()
    sheet = openpyxl.load_workbook(_downloaded(downloads, ".xlsx", before)).active
    rows_read = list(sheet.values)
    assert rows_read[0][:3] == ("nom", "type de fiche", "identifiant")
    assert [r[0] for r in rows_read[1:]] == names
    assert {(r[1], r[-1]) for r in rows_read[1:]} == {("organisation", "oui")}
    browser.find_element(By.ID, "lang-switch").click()
    # one click removes a record from the list
    browser.find_element(By.CSS_SELECTOR, "#shortlist-items li button").click()
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#shortlist-items li")) == 2)


def test_with_a_token_the_shortlist_is_kept_on_the_server(
    site: tuple[str, Path],
    browser: WebDriver,  # noqa: F811
) -> None:
    base, data_dir = site
    token = _token(data_dir, "Dana Buyer")
    _fresh_tab(browser, base + "/?fresh=2#/search?q=sheet metal")
    first = _shortlist_three(browser)[0]  # kept in the tab, before any key
    browser.get(base + "/#/alerts")
    # a key no one issued is said so, and not kept
    browser.find_element(By.ID, "alerts-key").send_keys("not-a-real-token-0123456789", Keys.ENTER)
    _wait(browser, lambda d: d.find_element(By.ID, "alerts-error").is_displayed())
    assert "This key was not kept" in browser.find_element(By.ID, "alerts-error").text
    assert browser.execute_script("return sessionStorage.getItem('ngen-api-key')") is None
    browser.find_element(By.ID, "alerts-key").send_keys(token, Keys.ENTER)
    _wait(
        browser, lambda d: d.find_element(By.ID, "alerts-status").text == "Key kept for this tab."
    )

    def kept_on_server() -> list[str]:
        answer = httpx.get(f"{base}/shortlist", headers={"X-API-Key": token})
        return [r["name"] for r in answer.json()["records"]]

    _wait(browser, lambda d: len(kept_on_server()) == 3)  # what the tab kept went to the server
    # another tab, the same token: the list is there
    _fresh_tab(browser, base + "/?fresh=3#/shortlist")
    browser.execute_script("sessionStorage.setItem('ngen-api-key', arguments[0])", token)
    browser.get(base + "/?fresh=4#/shortlist")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#shortlist-items li")) == 3)
    assert browser.find_element(By.CSS_SELECTOR, "#shortlist-items a").text == first
    assert "Kept on the server" in browser.find_element(By.ID, "shortlist-note").text
    browser.find_element(By.CSS_SELECTOR, "#shortlist-items li button").click()
    _wait(browser, lambda d: len(kept_on_server()) == 2)
    assert first not in kept_on_server()


def test_an_alert_saved_from_a_search_lists_a_record_indexed_after_it(
    site: tuple[str, Path],
    browser: WebDriver,  # noqa: F811
) -> None:
    base, data_dir = site
    token = _token(data_dir, "Eli Buyer")
    _fresh_tab(browser, base + "/?fresh=5#/alerts")
    browser.execute_script("sessionStorage.setItem('ngen-api-key', arguments[0])", token)
    browser.get(base + "/?fresh=6#/search?q=titanium machining&province=MB")
    _wait(browser, lambda d: d.find_element(By.ID, "alert-link").is_displayed())
    browser.find_element(By.ID, "alert-link").click()
    _wait(browser, lambda d: d.find_element(By.ID, "alert-forms").is_displayed())
    assert browser.find_element(By.ID, "alert-query").get_attribute("value") == "titanium machining"
    assert "Province or territory = Manitoba" in browser.find_element(By.ID, "alert-filters").text
    browser.find_element(By.ID, "alert-name").send_keys("Titanium in Manitoba", Keys.ENTER)
    _wait(browser, lambda d: "saved" in d.find_element(By.ID, "alerts-status").text)
    # an index write between checks
    written = httpx.post(
        f"{base}/records/organization", content=NEW_SHOP, headers={"X-API-Key": ADMIN_KEY}
    )
    assert written.status_code == 200, written.text
    item = browser.find_element(By.CSS_SELECTOR, "#alerts-list .alert-item")
    assert item.find_element(By.TAG_NAME, "h4").text == "Titanium in Manitoba"
    assert "(Province or territory = Manitoba)" in item.find_element(By.CLASS_NAME, "meta").text
    item.find_element(By.XPATH, ".//button[text()='Check now']").send_keys(Keys.ENTER)
    _wait(
        browser,
        lambda d: (
            "new since the last check" in item.find_element(By.CLASS_NAME, "alert-found").text
        ),
    )
    found = [a.text for a in item.find_elements(By.CSS_SELECTOR, ".alert-found a")]
    assert "Alertville Precision Machining" in found
    browser.save_screenshot(str(ARTIFACTS / "14-alerts.png"))
    # the feed a reader follows lists it too
    feed_url = item.find_element(By.CSS_SELECTOR, "a.feed").get_attribute("href")
    assert feed_url and feed_url.startswith(base)
    assert token not in feed_url  # the feed's own secret, never the key the page holds
    feed = httpx.get(feed_url)
    assert feed.status_code == 200
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [e.findtext(f"{atom}title") for e in ET.fromstring(feed.text).iter(f"{atom}entry")]
    assert titles == ["Alertville Precision Machining"]
    logged = (data_dir.parent / "server.log").read_text(encoding="utf-8")
    assert ".atom?token=…" in logged and token not in logged  # the access log hides the key
    # a watch on a name no product has is kept, and said so
    browser.find_element(By.ID, "watch-value").send_keys("hydrocortisonne", Keys.ENTER)
    _wait(browser, lambda d: "check the spelling" in d.find_element(By.ID, "alerts-status").text)
    # in French, the view reads in French
    browser.find_element(By.ID, "lang-switch").click()
    _wait(browser, lambda d: d.find_element(By.ID, "alerts-title").text == "Alertes")
    _wait(browser, lambda d: d.find_elements(By.XPATH, "//button[text()='Vérifier maintenant']"))
    browser.save_screenshot(str(ARTIFACTS / "15-alerts-french.png"))
    browser.find_element(By.ID, "lang-switch").click()
