"""Saved searches with alerts: a check lists the records that pass the search now and did not at
the last check; each key sees its own alerts only; the Atom feed; the command line."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_KEY, DATA, copy_index, demo_engine, in_process, invoke_cli

ADMIN = {"X-API-Key": ADMIN_KEY}
OTHER = "alerts-registry-key-0123456789abcdef"
NEW_SHOP = '[{"id": "al1", "name": "Alertville Titanium Works", "province": "MB", "description": "Five-axis titanium machining for aerospace."}]'


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Iterator[TestClient]:
    data_dir = copy_index(sample_index, tmp_path_factory.mktemp("alerts") / "data")
    made = invoke_cli("registry", "private", "other", "--key", OTHER, "--data-dir", str(data_dir))
    assert made.exit_code == 0, made.output
    with in_process(demo_engine(data_dir)) as client:
        yield client


def test_an_alert_lists_what_is_new_after_an_index_write(client: TestClient) -> None:
    saved = client.post(
        "/alerts",
        json={"query": "titanium machining", "filters": {"province": "MB"}, "name": "Ti in MB"},
        headers=ADMIN,
    )
    assert saved.status_code == 200, saved.text
    alert = saved.json()
    assert alert["owner"] == "admin" and alert["filters"] == {"province": ["MB"]}
    route = f"/alerts/{alert['id']}"
    assert client.get(f"{route}/new", headers=ADMIN).json()["new"] == []  # nothing since saving
    assert client.post("/records/organization", content=NEW_SHOP, headers=ADMIN).status_code == 200
    found = client.get(f"{route}/new", headers=ADMIN).json()["new"]
    assert [f["key"] for f in found] == ["organization:al1"]
    assert client.get(f"{route}/new", headers=ADMIN).json()["new"] == []  # seen now
    feed = client.get(f"{route}.atom", params={"token": ADMIN_KEY})
    assert feed.status_code == 200 and feed.headers["content-type"].startswith(
        "application/atom+xml"
    )
    titles = [t.text for t in ET.fromstring(feed.text).iter("{http://www.w3.org/2005/Atom}title")]
    assert "Alertville Titanium Works" in titles
    # another key sees nothing of it; no key, no alerts
    other = {"X-API-Key": OTHER}
    assert client.get(f"{route}/new", headers=other).status_code == 404
    assert alert["id"] not in {
        a["id"] for a in client.get("/alerts", headers=other).json()["alerts"]
    }
    assert client.get(f"{route}.atom", params={"token": OTHER}).status_code == 404
    assert client.get("/alerts").status_code == 401
    assert client.post("/alerts", json={"query": "  "}, headers=ADMIN).status_code == 400
    assert client.delete(route, headers=other).status_code == 404
    assert client.delete(route, headers=ADMIN).status_code == 200
    assert client.get(f"{route}/new", headers=ADMIN).status_code == 404


def test_alerts_from_the_command_line(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "d")
    fake = ("--data-dir", data_dir, "--model", "fake")
    assert invoke_cli("index", str(DATA / "crosslang.csv"), *fake).exit_code == 0
    made = invoke_cli("alerts", "create", "titanium machining", "--name", "Ti", *fake, "--json")
    assert made.exit_code == 0, made.output
    alert_id = json.loads(made.stdout)["id"]
    extra = tmp_path / "new.csv"
    extra.write_text(
        "id,name,description\nal2,Northern Titanium Machining,Titanium machining and milling.\n",
        encoding="utf-8",
    )
    assert invoke_cli("index", str(extra), *fake).exit_code == 0
    checked = invoke_cli("alerts", "check", alert_id, *fake)
    assert checked.exit_code == 0 and "Northern Titanium Machining" in checked.output
    listed = invoke_cli("alerts", "list", "--data-dir", data_dir)
    assert alert_id in listed.output
    assert invoke_cli("alerts", "delete", alert_id, "--data-dir", data_dir).exit_code == 0
    gone = invoke_cli("alerts", "check", alert_id, *fake)
    assert gone.exit_code != 0 and "no alert" in gone.output.lower()


def test_a_personal_token_keeps_its_own_alerts(client: TestClient, tmp_path: Path) -> None:
    data_dir = client.app.state.service.settings.data_dir  # type: ignore[attr-defined]
    issued = invoke_cli("tokens", "create", "Ana Buyer", "--data-dir", str(data_dir))
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    mine = {"X-API-Key": token}
    saved = client.post("/alerts", json={"query": "sheet metal"}, headers=mine)
    assert saved.status_code == 200, saved.text
    assert saved.json()["owner"].startswith("token:Ana Buyer#")
    assert [a["id"] for a in client.get("/alerts", headers=mine).json()["alerts"]] == [
        saved.json()["id"]
    ]
    assert (
        client.get(f"/alerts/{saved.json()['id']}.atom", params={"token": token}).status_code == 200
    )
    # the token opens no registry and writes nothing
    assert client.post("/records/organization", content=NEW_SHOP, headers=mine).status_code == 403
    stored = (data_dir / "registries" / "tokens.json").read_text(encoding="utf-8")
    assert token not in stored and "Ana Buyer" in stored


def test_a_scan_health_watch_lists_products_that_changed(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "d")
    fake = ("--data-dir", data_dir, "--model", "fake")
    assert invoke_cli("scan-health", "import", str(DATA / "dpd_v1"), *fake).exit_code == 0
    watched = invoke_cli("alerts", "watch", "company", "prairie tablets", *fake, "--json")
    assert watched.exit_code == 0, watched.output
    alert_id = json.loads(watched.stdout)["id"]
    gone = invoke_cli("alerts", "watch", "ingredient", "hydrocortisone", *fake, "--json")
    gone_id = json.loads(gone.stdout)["id"]
    assert invoke_cli("scan-health", "import", str(DATA / "dpd_v2"), *fake).exit_code == 0
    checked = json.loads(invoke_cli("alerts", "check", alert_id, *fake, "--json").stdout)
    [found] = checked["checked"]
    lines = sorted(f["name"] for f in found["new"])
    # Metformin went from marketed to dormant: the dormant product is new, the marketed one gone
    assert any("Metformin" in line and "DORMANT" in line for line in lines), lines
    assert any(line.endswith("MARKETED: gone") for line in lines), lines
    [ended] = json.loads(invoke_cli("alerts", "check", gone_id, *fake, "--json").stdout)["checked"]
    assert [f["name"] for f in ended["new"]] == ["02000004 MARKETED: gone"]
    refused = invoke_cli("alerts", "watch", "planet", "mars", *fake)
    assert refused.exit_code != 0 and "ingredient" in refused.output


def test_a_watch_over_http(client: TestClient) -> None:
    saved = client.post("/alerts", json={"watch": {"brand": "tylenol"}}, headers=ADMIN)
    assert saved.status_code == 200 and saved.json()["watch"] == {"brand": "tylenol"}
    two = {"watch": {"brand": "a", "company": "b"}}
    assert client.post("/alerts", json=two, headers=ADMIN).status_code == 400
