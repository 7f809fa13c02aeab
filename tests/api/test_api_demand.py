"""The search log through the fronts: searches over HTTP (GET, POST, export) and from the command
line are logged without keys, addresses or user agents; a setting turns it off; server processes
log each search once; `GET /insights/demand` and `ngen-connect insights demand` report it, for
the admin only, with clear errors."""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ngen_connect import Engine, load_settings
from tests.conftest import ADMIN_KEY, copy_index, in_process, invoke_cli, running_server

ADMIN = {"X-API-Key": ADMIN_KEY}
SNOOP = {"User-Agent": "Secret-Agent/7.1", "X-Forwarded-For": "203.0.113.77"}


def _entries(data_dir: Path, expected: int, timeout: float = 10.0) -> list[dict[str, object]]:
    """The log's entries once `expected` are written (a thread of the server writes them)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [
            line
            for path in sorted((data_dir / "search-log").glob("searches-*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()
        ]
        if len(lines) >= expected or time.monotonic() > deadline:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)


def _engine(data_dir: Path, **environ: str) -> Engine:
    env = {"NGEN_CONNECT_ADMIN_KEY": ADMIN_KEY, **environ}
    return Engine(load_settings(env, data_dir=data_dir, model="fake"))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Path:
    return copy_index(sample_index, tmp_path_factory.mktemp("demand") / "data")


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    with in_process(_engine(data_dir)) as client:
        yield client


def test_searches_over_http_are_logged_without_who_asked(
    client: TestClient, data_dir: Path
) -> None:
    headers = {**ADMIN, **SNOOP}
    assert client.get("/search", params={"q": "robotic welding", "province": "ON"}).is_success
    body = {"query": "usinage de précision", "kinds": ["organization"], "limit": 3}
    assert client.post("/search", json=body, headers=headers).is_success
    export = {"q": "zzyzx qqwv", "format": "csv"}
    assert client.get("/search/export", params=export, headers=headers).is_success
    assert client.get("/search", params={"q": " "}).status_code == 400  # no search, no entry
    entries = _entries(data_dir, 3)
    assert [e["query"] for e in entries] == [
        "robotic welding",
        "usinage de précision",
        "zzyzx qqwv",
    ]
    first, second = entries[0], entries[1]
    assert set(first) == {"at", "query", "language", "filters", "kinds", "total", "shown", "ms"}
    assert first["filters"] == {"province": ["ON"]} and first["kinds"] == []
    assert second["kinds"] == ["organization"] and second["language"] == "fr"
    assert 0 < int(second["shown"]) <= 3 <= int(second["total"])
    assert str(first["at"]).endswith("Z") and float(str(first["ms"])) > 0
    stored = _log_text(data_dir)
    for secret in (ADMIN_KEY, "Secret-Agent", "203.0.113.77", "testclient", "127.0.0.1"):
        assert secret not in stored


def _log_text(data_dir: Path) -> str:
    return "".join(
        p.read_text(encoding="utf-8") for p in (data_dir / "search-log").glob("searches-*")
    )


def test_the_demand_report_needs_the_admin_key(client: TestClient) -> None:
    missing = client.get("/insights/demand")
    assert missing.status_code == 401 and missing.json()["code"] == "unauthorized"
    other = client.get("/insights/demand", headers={"X-API-Key": "not-the-admin-key-0123"})
    assert other.status_code in (401, 403)


def test_bad_input_is_a_400_with_a_message(client: TestClient) -> None:
    for params, word in (
        ({"since": "2026-02-30"}, "YYYY-MM-DD"),
        ({"language": "de"}, "en or fr"),
        ({"sinse": "2026-01-01"}, "Unknown parameter"),
    ):
        answer = client.get("/insights/demand", params=params, headers=ADMIN)
        assert answer.status_code == 400, params
        assert answer.json()["code"] == "bad_query" and word in answer.json()["message"]
    french = client.get("/insights/demand", params={"since": "hier", "lang": "fr"}, headers=ADMIN)
    assert "AAAA-MM-JJ" in french.json()["message"]
    assert (
        client.get("/insights/demand", params={"few_results": 0}, headers=ADMIN).status_code == 422
    )


def test_the_report_counts_unmet_demand(client: TestClient, data_dir: Path) -> None:
    before = len(_entries(data_dir, 0))
    for query in ("xqzzv widgets", "Widgets XQZZV", "XQZZV  Widgets"):
        client.get("/search", params={"q": query})
    _entries(data_dir, before + 3)
    report = client.get("/insights/demand", params={"few_results": 10_000}, headers=ADMIN).json()
    assert report["searches"] == report["unmet"] >= 3, "every search has fewer than 10,000"
    found = client.get("/insights/demand", headers=ADMIN).json()
    group = next(g for g in found["top"] if "xqzzv" in g["query"].lower())
    assert group["searches"] == 3 and len(group["variants"]) == 3
    assert {c["name"] for c in found["provinces"]} >= {"ON"}
    assert found["weeks"] and found["dropped"] == 0 and found["unreadable_lines"] == 0
    cli = invoke_cli("insights", "demand", "--data-dir", str(data_dir), "--model", "fake", "--json")
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.stdout)["searches"] == found["searches"]


def test_the_setting_turns_the_log_off(tmp_path: Path, sample_index: Path) -> None:
    data_dir = copy_index(sample_index, tmp_path / "data")
    with in_process(_engine(data_dir, NGEN_CONNECT_SEARCH_LOG="off")) as client:
        assert client.get("/search", params={"q": "robotic welding"}).is_success
    assert not (data_dir / "search-log").exists()


def test_the_command_line_logs_only_when_asked(
    tmp_path: Path, sample_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = copy_index(sample_index, tmp_path / "data")
    common = ("--data-dir", str(data_dir), "--model", "fake")
    assert invoke_cli("search", "robotic welding", *common).exit_code == 0
    assert not (data_dir / "search-log").exists()
    monkeypatch.setenv("NGEN_CONNECT_SEARCH_LOG", "on")
    export = tmp_path / "out.csv"
    done = invoke_cli("search", "laser cutting", *common, "--export", str(export))
    assert done.exit_code == 0, done.output
    assert [e["query"] for e in _entries(data_dir, 1)] == ["laser cutting"]
    text = invoke_cli("insights", "demand", *common, "--out", str(tmp_path / "demand.xlsx"))
    assert text.exit_code == 0, text.output
    assert "laser cutting" in text.stdout and (tmp_path / "demand.xlsx").stat().st_size > 0


def test_command_line_errors_are_messages_and_exit_codes(tmp_path: Path) -> None:
    common = ("--data-dir", str(tmp_path / "data"), "--model", "fake")
    bad = invoke_cli("insights", "demand", *common, "--since", "2026/01/01")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.stderr and "Traceback" not in bad.output
    assert invoke_cli("insights", "demand", *common, "--language", "es").exit_code == 2
    out = invoke_cli("insights", "demand", *common, "--out", str(tmp_path / "demand.pdf"))
    assert out.exit_code == 2 and ".csv" in out.stderr
    empty = invoke_cli("insights", "demand", *common)
    assert empty.exit_code == 0 and empty.stdout.startswith("0 searches")


def test_server_processes_log_each_search_once(tmp_path: Path, sample_index: Path) -> None:
    data_dir = copy_index(sample_index, tmp_path / "data")
    serve = ("serve", "--data-dir", str(data_dir), "--model", "fake")
    with running_server(*serve, "--workers", "2", log_dir=tmp_path) as base:
        for n in range(6):
            assert httpx.get(f"{base}/search", params={"q": f"welding {n}"}).is_success
        entries = _entries(data_dir, 6)
    time.sleep(0.3)
    assert sorted(e["query"] for e in _entries(data_dir, 6)) == [f"welding {n}" for n in range(6)]
    assert len(entries) == 6
    off = copy_index(sample_index, tmp_path / "off")
    with running_server(
        "serve", "--data-dir", str(off), "--model", "fake", "--no-search-log", log_dir=tmp_path
    ) as base:
        assert httpx.get(f"{base}/search", params={"q": "welding"}).is_success
    assert not (off / "search-log").exists()


def test_only_a_members_first_page_is_logged_not_the_reports_searches(
    client: TestClient, data_dir: Path
) -> None:
    before = len(_entries(data_dir, 0))
    query = {"q": "precision machining services", "limit": 5}
    assert client.get("/search", params=query).is_success
    assert client.get("/search", params={**query, "offset": 5}).is_success  # its next page
    # a coverage report searches its query page by page: an analyst's report, not a member's search
    assert client.get("/insights/coverage", params={"query": "injection moulding"}).is_success
    _entries(data_dir, before + 1)
    time.sleep(0.3)  # a search that should not be logged would be written by now
    entries = _entries(data_dir, before + 1)
    assert [e["query"] for e in entries[before:]] == ["precision machining services"]


def test_a_similarity_that_would_group_everything_is_refused(client: TestClient) -> None:
    answer = client.get("/insights/demand", params={"similarity": "0.1"}, headers=ADMIN)
    assert answer.status_code == 400 and "similarity from 0.5 to 1" in answer.json()["message"]


def test_the_charts_script_is_served_once_built_and_revalidated(client: TestClient) -> None:
    first = client.get("/vendor/vega.js")
    assert first.status_code == 200 and "vegaEmbed" in first.text
    again = client.get("/vendor/vega.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content


def test_answers_that_depend_on_the_key_are_never_kept_by_a_shared_cache(
    client: TestClient,
) -> None:
    for url in ("/insights/demand", "/insights/reach", "/scan-health/resilience", "/search?q=x"):
        answer = client.get(url, headers=ADMIN)
        assert answer.headers["cache-control"] == "no-store", url
        assert "X-API-Key" in answer.headers["vary"], url
    assert client.get("/vendor/vega.js").headers["cache-control"].startswith("public")
