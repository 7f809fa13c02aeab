"""The web page in a real headless Chromium (Debian's chromium + chromium-driver), with the real model.

Screenshots are saved under test-artifacts/browser/.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.conftest import ADMIN_KEY, DATA, REPO, run_cli, running_server

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


def test_why_a_result_matched_reads_in_plain_words_with_figures_behind_a_toggle(
    site: str, browser: WebDriver
) -> None:
    browser.get(site + "/")
    browser.execute_script("localStorage.setItem('ngen-lang', 'en')")  # as a new English visitor
    browser.get(site + "/")
    _wait(browser, ec.visibility_of_element_located((By.ID, "q")))
    _search(browser, "usinage de pièces en titane pour moteurs d'avion")
    why = browser.find_element(By.CSS_SELECTOR, "#results .hit details.why")
    why.find_element(By.TAG_NAME, "summary").click()
    plain = why.find_element(By.CLASS_NAME, "why-plain").text
    assert plain.startswith("Matched by: ") and "close in meaning" in plain, plain
    assert "passage" not in plain and not any(c.isdigit() for c in plain), plain
    details = why.find_element(By.CSS_SELECTOR, "details.why-details")
    assert not details.find_element(By.TAG_NAME, "ul").is_displayed()
    details.find_element(By.TAG_NAME, "summary").click()
    figures = details.find_element(By.TAG_NAME, "ul").text
    assert "Meaning matches (semantic similarity): 0." in figures, figures
    browser.save_screenshot(str(ARTIFACTS / "1b-why-plain-and-details.png"))


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


# -- the registries view ---------------------------------------------------------------------------

#: two members a registry row cannot tell apart (same name and text, neither in the row's city)
TWINS = """id,name,description,city,province
tw1,Prairie Polymers Ltd.,Rotational moulding of plastic tanks for potash mines.,Regina,SK
tw2,Prairie Polymers Inc.,Rotational moulding of plastic tanks for potash mines.,Moose Jaw,SK
"""
#: row 2 ambiguous between the twins, rows 3 and 4 new (4 looks like a formula), row 5 rejected;
#: "Location" is no column name the reader knows, so the city is mapped by hand
REGISTRY = """Company,Activities,Location
Prairie Polymers,Rotational moulding of plastic tanks for potash mines.,Saskatoon
Saskatoon Conveyor Works,Conveyor belts and idlers for potash mines.,Saskatoon
=SUM(A1) Fabrication,Sheet metal work for mine sites.,Regina
,A row without a name.,Regina
"""
NEEDS = "need\nconveyor belts for a potash mine\nréservoirs en plastique\n"


@pytest.fixture(scope="module")
def registry_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("browser-registries")
    data_dir = str(folder / "data")
    (folder / "twins.csv").write_text(TWINS, encoding="utf-8")
    (folder / "suppliers.csv").write_text(REGISTRY, encoding="utf-8")
    (folder / "needs.csv").write_text(NEEDS, encoding="utf-8")
    indexed = run_cli(
        "index", str(DATA / "crosslang.csv"), str(folder / "twins.csv"), "--data-dir", data_dir
    )
    assert indexed.returncode == 0, indexed.stderr
    with running_server("serve", "--data-dir", data_dir, log_dir=folder) as base:
        yield base, folder


def _text(driver: WebDriver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def _progress(driver: WebDriver, starts: str, seconds: float = 120) -> str:
    """Wait for the view's live status to start with `starts`; fail at once on an error."""

    def done(d: WebDriver) -> bool:
        error = d.find_element(By.ID, "reg-error")
        assert not error.is_displayed(), error.text
        return _text(d, "reg-status").startswith(starts)

    _wait(driver, done, seconds)
    return _text(driver, "reg-status")


def _downloaded(folder: Path, suffix: str, before: set[Path], seconds: float = 30) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        new = {p for p in folder.glob(f"*{suffix}")} - before
        if new:
            return new.pop()
        time.sleep(0.2)
    pytest.fail(f"no {suffix} file was downloaded into {folder}")


def test_a_registry_owner_uploads_maps_matches_decides_exports_and_runs_needs(
    registry_site: tuple[str, Path], browser: WebDriver
) -> None:
    site, folder = registry_site
    downloads = folder / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    admin = {"X-API-Key": ADMIN_KEY}
    browser.get(site + "/")
    browser.execute_script("localStorage.setItem('ngen-lang', 'en')")
    browser.get(site + "/")
    browser.find_element(By.ID, "nav-registries").click()
    _wait(browser, ec.visibility_of_element_located((By.ID, "registries-view")))
    assert not browser.find_element(By.ID, "search-form").is_displayed()

    # Without a key nothing goes out; with the admin key the registries are listed.
    browser.find_element(By.ID, "registry-name").send_keys("simsa-page")
    browser.find_element(By.CSS_SELECTOR, "#registry-form button[type=submit]").click()
    _wait(browser, lambda d: "API key first" in _text(d, "reg-error"))
    browser.find_element(By.ID, "api-key").send_keys(ADMIN_KEY)
    browser.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
    _progress(browser, "Key kept for this session")

    # Upload: the guessed columns are shown; the city is mapped by hand.
    browser.find_element(By.ID, "registry-file").send_keys(str(folder / "suppliers.csv"))
    browser.find_element(By.CSS_SELECTOR, "#upload-form button[type=submit]").click()
    _progress(browser, "Columns read from the first 4 rows")
    assert browser.switch_to.active_element.get_attribute("id") == "mapping-title"
    assert Select(browser.find_element(By.ID, "map-name")).first_selected_option.text == "Company"
    city = Select(browser.find_element(By.ID, "map-city"))
    assert city.first_selected_option.text == "(not read)"
    city.select_by_visible_text("Location")
    assert "changed" in browser.find_element(By.ID, "map-city").find_element(
        By.XPATH, ".."
    ).get_attribute("class")
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#preview-table thead th")]
    assert headers == ["Row", "Company", "Activities", "Location"]
    formula = browser.find_element(
        By.XPATH, "//table[@id='preview-table']//td[starts-with(., '=SUM')]"
    )
    assert formula.text == "=SUM(A1) Fabrication", "shown as text, never run or parsed"
    browser.save_screenshot(str(ARTIFACTS / "6-registry-columns.png"))

    # Match: focus moves to the report; its mapping has the hand-mapped city.
    browser.find_element(By.ID, "match-button").click()
    assert _progress(browser, "Matched") == ("Matched: 0 matched, 1 ambiguous, 2 new, 1 rejected.")
    assert browser.switch_to.active_element.get_attribute("id") == "report-title"
    assert "City = Location" in _text(browser, "report-summary")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#report-rows > tr")) == 4

    # Filter by status: the ambiguous row and its candidates with their evidence.
    browser.find_element(By.ID, "status-ambiguous").send_keys(Keys.SPACE)  # by keyboard
    _progress(browser, "1 row shown")
    assert _text(browser, "report-caption") == "1 row (Ambiguous)"
    [row] = browser.find_elements(By.CSS_SELECTOR, "#report-rows > tr")
    assert row.find_element(By.TAG_NAME, "th").text == "2"
    candidates = row.find_elements(By.CSS_SELECTOR, "table.candidates tbody tr")
    places = {c.find_elements(By.TAG_NAME, "td")[1].text for c in candidates}
    assert {"Regina, Saskatchewan", "Moose Jaw, Saskatchewan"} <= places
    assert "city: differs" in row.text
    browser.save_screenshot(str(ARTIFACTS / "7-registry-ambiguous.png"))

    # Accept one twin: saved on the server, and search shows the listing.
    row.find_element(
        By.CSS_SELECTOR, "button[aria-label='Accept Prairie Polymers Inc. for row 2']"
    ).send_keys(Keys.ENTER)
    _progress(browser, "Saved: row 2 is now matched to Prairie Polymers Inc.")
    assert browser.switch_to.active_element.text == "2"
    saved = httpx.get(
        f"{site}/registries/simsa-page/uploads/latest", params={"status": "matched"}, headers=admin
    ).json()
    assert [(r["row"], r["match_id"], r["decision"]) for r in saved["rows"]] == [
        (2, "tw2", "matched")
    ]
    assert saved["mapping"]["city"] == "Location"
    listed = httpx.get(
        f"{site}/search", params={"q": "plastic tanks", "registry": "simsa-page"}
    ).json()
    assert "tw2" in {r["id"] for r in listed["results"]}
    assert "tw1" not in {r["id"] for r in listed["results"]}

    # A reload keeps the key for the session and shows the decision from the server.
    browser.refresh()
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#report-rows > tr")) == 4)
    first = browser.find_element(By.ID, "report-row-2")
    assert "Matched" in first.text and "decided by a person" in first.text
    assert "Prairie Polymers Inc." in first.text
    browser.save_screenshot(str(ARTIFACTS / "8-registry-decided.png"))

    # Exports: the whole report, then only the unmatched rows, as CSV files.
    before = set(downloads.glob("*"))
    browser.find_element(By.CSS_SELECTOR, "button[data-download=csv]:not([data-status])").click()
    whole = _downloaded(downloads, ".csv", before)
    lines = whole.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("row,input_id,input_name,status") and len(lines) == 5
    assert "'=SUM(A1) Fabrication" in whole.read_text(encoding="utf-8-sig")
    before = set(downloads.glob("*"))
    browser.find_element(
        By.CSS_SELECTOR, "button[data-download=csv][data-status=unmatched]"
    ).click()
    unmatched = _downloaded(downloads, ".csv", before).read_text(encoding="utf-8-sig")
    assert len(unmatched.splitlines()) == 4 and ",matched," not in unmatched

    # A needs list: each need with its suppliers, the registry's own first.
    browser.find_element(By.ID, "needs-file").send_keys(str(folder / "needs.csv"))
    province = browser.find_element(By.ID, "needs-province")
    province.send_keys("SK")
    browser.find_element(By.CSS_SELECTOR, "#needs-form button[type=submit]").click()
    _progress(browser, "Suppliers found for 2 needs", seconds=180)
    assert browser.switch_to.active_element.get_attribute("id") == "needs-results-title"
    needs = browser.find_elements(By.CSS_SELECTOR, "#needs-list section.need")
    assert (
        needs[0].find_element(By.TAG_NAME, "h4").text == "Row 2: conveyor belts for a potash mine"
    )
    suppliers = [a.text for a in needs[0].find_elements(By.CSS_SELECTOR, "tbody a")]
    assert suppliers and suppliers[0] == "Saskatoon Conveyor Works", suppliers
    browser.save_screenshot(str(ARTIFACTS / "9-registry-needs.png"))

    # French: every label of the view changes.
    browser.find_element(By.ID, "lang-switch").click()
    _wait(browser, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr")
    _wait(browser, lambda d: "Rapprochée (1)" in _text(d, "status-options"))
    assert _text(browser, "registries-title") == "Registres"
    assert _text(browser, "reg-status") == "", "no message left in English"
    assert "Ville = Location" in _text(browser, "report-summary")
    assert "1 téléversement, 2 fiches propres, 1 membre inscrit" in _text(browser, "registry-list")
    assert _text(browser, "nav-registries") == "Registres"
    assert browser.find_element(By.CSS_SELECTOR, "label[for=api-key]").text == (
        "Clé d'administration ou clé du registre"
    )
    match_button = browser.find_element(By.ID, "match-button")  # hidden since the reload
    assert match_button.get_attribute("textContent") == "Rapprocher des membres"
    assert browser.find_element(By.CSS_SELECTOR, "label[for=registry-file]").text == (
        "Fichier (CSV, XLSX, JSON ou JSON Lines)"
    )
    assert [
        th.text for th in browser.find_elements(By.CSS_SELECTOR, "#report-table > thead th")
    ] == [
        "Ligne",
        "Nom dans le fichier",
        "Statut",
        "Confiance",
        "Membre",
        "Candidats et décision",
    ]
    assert "tranché par une personne" in browser.find_element(By.ID, "report-row-2").text
    assert _text(browser, "needs-title") == "6. Fournisseurs pour une liste de besoins"
    assert browser.find_element(By.CSS_SELECTOR, "#needs-list h4").text.startswith("Ligne 2 :")
    browser.save_screenshot(str(ARTIFACTS / "10-registry-french.png"))

    browser.set_window_size(390, 900)
    try:
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400, f"the registries view scrolls sideways ({width}px)"
        browser.save_screenshot(str(ARTIFACTS / "11-registry-narrow.png"))
    finally:
        browser.set_window_size(1280, 1000)
