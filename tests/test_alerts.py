"""Saved searches with alerts: a check lists the records that pass the search now and did not at
the last check; each key sees its own alerts only; the Atom feed; the command line."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ngen_connect.alerts import ALERTS_FILE, Alert, Alerts
from ngen_connect.errors import RecordNotFoundError
from ngen_connect.registries.access import Access
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
    # Metformin went from marketed to dormant: one finding says so
    assert any(
        "Metformin" in line and "DORMANT" in line and line.endswith("; was MARKETED")
        for line in lines
    ), lines
    assert not any(line.endswith(": gone") for line in lines), lines
    [ended] = json.loads(invoke_cli("alerts", "check", gone_id, *fake, "--json").stdout)["checked"]
    assert [f["name"] for f in ended["new"]] == ["02000004 MARKETED: gone"]
    refused = invoke_cli("alerts", "watch", "planet", "mars", *fake)
    assert refused.exit_code != 0 and "ingredient" in refused.output


def test_a_watch_over_http(client: TestClient) -> None:
    saved = client.post("/alerts", json={"watch": {"brand": "tylenol"}}, headers=ADMIN)
    assert saved.status_code == 200 and saved.json()["watch"] == {"brand": "tylenol"}
    two = {"watch": {"brand": "a", "company": "b"}}
    assert client.post("/alerts", json=two, headers=ADMIN).status_code == 400
    both = {"watch": {"brand": "tylenol"}, "query": "machining"}
    assert client.post("/alerts", json=both, headers=ADMIN).status_code == 400


VAULT = "alerts-vault-key-0123456789abcdef"
VAULT_CSV = "id,name,description,province\nav-1,Zyxvault Aero Machining,Titanium machining.,MB\n"


def test_a_check_searches_with_its_owners_rights_never_more(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "d")
    fake = ("--data-dir", data_dir, "--model", "fake")
    assert invoke_cli("index", str(DATA / "crosslang.csv"), *fake).exit_code == 0
    issued = invoke_cli("tokens", "create", "Ana", "--data-dir", data_dir)
    token = {"X-API-Key": issued.stdout.strip()}
    with in_process(demo_engine(Path(data_dir))) as client:
        saved = client.post("/alerts", json={"query": "titanium machining"}, headers=token)
        assert saved.status_code == 200, saved.text
        route = f"/alerts/{saved.json()['id']}"
        (tmp_path / "vault.csv").write_text(VAULT_CSV, encoding="utf-8")
        imported = invoke_cli("registry", "import", "vault", str(tmp_path / "vault.csv"), *fake)
        assert imported.exit_code == 0, imported.output
        private = invoke_cli("registry", "private", "vault", "--key", VAULT, "--data-dir", data_dir)
        assert private.exit_code == 0
        # the command line checks a token's alert as the token, not with every right
        checked = invoke_cli("alerts", "check", *fake)
        assert checked.exit_code == 0 and "Zyxvault" not in checked.output
        assert b"Zyxvault" not in client.get(route + "/new", headers=token).content
        # public for a while, then private again: what was found is no longer shown
        assert invoke_cli("registry", "public", "vault", "--data-dir", data_dir).exit_code == 0
        found = client.get(route + "/new", headers=token).json()["new"]
        assert [f["name"] for f in found] == ["Zyxvault Aero Machining"]
        invoke_cli("registry", "private", "vault", "--key", VAULT, "--data-dir", data_dir)
        for answer in (
            client.get("/alerts", headers=token),
            client.get(route + "/new", headers=token),
            client.get(route + ".atom", params={"token": token["X-API-Key"]}),
        ):
            assert answer.status_code == 200 and b"Zyxvault" not in answer.content
        # a registry key's alert is left to that key by the command line
        vault = {"X-API-Key": VAULT}
        theirs = client.post("/alerts", json={"query": "titanium"}, headers=vault).json()
        assert theirs["owner"].startswith("key:")
        skipped = json.loads(invoke_cli("alerts", "check", *fake, "--json").stdout)["skipped"]
        assert skipped == [theirs["id"]]
        one = invoke_cli("alerts", "check", theirs["id"], *fake)
        assert one.exit_code != 0 and "checked with that key" in one.output
        # the key granted the registry again (a new salt): its alerts and shortlist are still its
        again = invoke_cli("registry", "private", "vault", "--key", VAULT, "--data-dir", data_dir)
        assert again.exit_code == 0
        listed = client.get("/alerts", headers=vault).json()["alerts"]
        assert [a["id"] for a in listed] == [theirs["id"]]


def test_a_feed_address_reads_its_feed_only_and_holds_no_key(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "d")
    fake = ("--data-dir", data_dir, "--model", "fake")
    assert invoke_cli("index", str(DATA / "crosslang.csv"), *fake).exit_code == 0
    vault_csv = tmp_path / "vault.csv"
    vault_csv.write_text(VAULT_CSV, encoding="utf-8")
    assert invoke_cli("registry", "import", "vault", str(vault_csv), *fake).exit_code == 0
    private = invoke_cli("registry", "private", "vault", "--key", VAULT, "--data-dir", data_dir)
    assert private.exit_code == 0
    vault = {"X-API-Key": VAULT}
    with in_process(demo_engine(Path(data_dir))) as client:
        saved = client.post("/alerts", json={"query": "titanium machining"}, headers=vault)
        assert saved.status_code == 200, saved.text
        theirs, admins = (
            saved.json(),
            client.post("/alerts", json={"query": "titanium machining"}, headers=ADMIN).json(),
        )
        for alert in (theirs, admins):
            assert alert["feed"].startswith(f"http://testserver/alerts/{alert['id']}.atom?token=")
            assert VAULT not in alert["feed"] and ADMIN_KEY not in alert["feed"]
        assert theirs["feed"] != admins["feed"]
        listed = client.get("/alerts", headers=vault).json()["alerts"]
        assert [a["feed"] for a in listed] == [theirs["feed"]]
        # a new record of the private registry: the owner's feed shows it, nobody else finds it
        vault_csv.write_text(
            VAULT_CSV + "av-2,Qwertvault Titanium Machining,Titanium machining.,MB\n",
            encoding="utf-8",
        )
        assert invoke_cli("registry", "import", "vault", str(vault_csv), *fake).exit_code == 0
        feed = client.get(theirs["feed"])
        assert feed.status_code == 200 and b"Qwertvault" in feed.content, feed.text
        assert b"Qwertvault" in client.get(admins["feed"]).content
        assert client.get("/search", params={"q": "Qwertvault"}).json()["total"] == 0
        # the address's secret opens that feed only: not another alert's, not a write
        secret = theirs["feed"].partition("token=")[2]
        assert client.get(f"/alerts/{admins['id']}.atom", params={"token": secret}).status_code in (
            403,
            404,
        )
        assert client.get("/alerts", headers={"X-API-Key": secret}).status_code == 403
        refused = client.post("/alerts", json={"query": "x"}, headers={"X-API-Key": secret})
        assert refused.status_code == 403
        # spaces around it are ignored, as around a key; a wrong one names the feed's address
        assert client.get(theirs["feed"] + "%20").status_code == 200
        wrong = client.get(f"/alerts/{theirs['id']}.atom", params={"token": secret[:-1]})
        assert wrong.status_code == 403 and "feed" in wrong.json()["message"]
        # the owner's key still reads its feed, as addresses given before did
        assert (
            client.get(f"/alerts/{theirs['id']}.atom", params={"token": VAULT}).status_code == 200
        )
        # the key revoked: its feed's address no longer opens it
        revoked = invoke_cli("registry", "revoke", "vault", "--key", VAULT, "--data-dir", data_dir)
        assert revoked.exit_code == 0, revoked.output
        gone = client.get(theirs["feed"])
        assert gone.status_code == 403 and "revoked" in gone.json()["message"]
        assert client.get(admins["feed"]).status_code == 200
    # the command line's own alert reads with the machine's rights: it has no feed
    assert invoke_cli("alerts", "create", "titanium", *fake).exit_code == 0
    listed_cli = json.loads(invoke_cli("alerts", "list", "--data-dir", data_dir, "--json").stdout)[
        "alerts"
    ]
    feeds = sorted(str(a["feed"]) for a in listed_cli)
    assert feeds == sorted([theirs["feed"][17:], admins["feed"][17:], "None"])
    # a personal token revoked: its alerts' feeds are refused with it
    token = invoke_cli("tokens", "create", "Ana", "--data-dir", data_dir).stdout.strip()
    with in_process(demo_engine(Path(data_dir))) as client:
        saved = client.post("/alerts", json={"query": "titanium"}, headers={"X-API-Key": token})
        assert client.get(saved.json()["feed"]).status_code == 200
        issued = json.loads(invoke_cli("tokens", "list", "--data-dir", data_dir, "--json").stdout)
        [ana] = [t["id"] for t in issued["tokens"] if t["name"] == "Ana"]
        assert token not in json.dumps(issued)
        revoked = invoke_cli("tokens", "revoke", ana, "--data-dir", data_dir)
        assert revoked.exit_code == 0, revoked.output
        assert client.get(saved.json()["feed"]).status_code == 403
        assert client.get("/alerts", headers={"X-API-Key": token}).status_code == 403
    assert invoke_cli("tokens", "revoke", ana, "--data-dir", data_dir).exit_code == 1


def test_an_owner_lends_a_feed_only_the_rights_it_has_now(tmp_path: Path) -> None:
    access = Access(tmp_path, admin_key=None)
    assert access.owner_rights("admin") is None  # no admin key on this server: no admin's feed
    assert access.owner_rights("cli:someone") is None  # the machine's rights are never lent
    assert access.owner_rights("token:ana#00000000") is None  # a token not issued here
    assert Access(tmp_path, admin_key=ADMIN_KEY).owner_rights("admin") is not None


def test_two_checks_at_once_find_a_record_once_and_a_deleted_alert_is_not_found(
    tmp_path: Path,
) -> None:
    alerts = Alerts(tmp_path)
    made = alerts.create(Alert("", "admin", "", "titanium", created="2026-01-01T00:00:00Z"))
    found = {"organization:a": "A Works"}
    first = alerts.record_check(made.id, found, "2026-01-02T00:00:00Z")[1]
    second = alerts.record_check(made.id, found, "2026-01-02T00:00:01Z")[1]
    assert [f.key for f in first] == ["organization:a"] and second == []
    alerts.delete(made.id, "admin")
    with pytest.raises(RecordNotFoundError):
        alerts.record_check(made.id, found, "2026-01-03T00:00:00Z")
    assert oct((tmp_path / ALERTS_FILE).stat().st_mode & 0o777) == "0o600"


def test_a_feed_is_well_formed_whatever_the_query_name_and_records(client: TestClient) -> None:
    odd = '[{"id": "al-odd", "name": "Zorblax\\ufffeGadgets\\uffff \\u009b Ltd", "description": "Quoted \\"cryogenic welding\\" fixtures"}]'
    assert client.post("/records/organization", content=odd, headers=ADMIN).status_code == 200
    saved = client.post(
        "/alerts",
        json={"query": '"cryogenic welding" onload="x', "name": "a\u0000b\u0001"},
        headers=ADMIN,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["name"] == "ab"
    alert_id = saved.json()["id"]
    client.post("/records/organization", content=odd.replace("al-odd", "al-odd2"), headers=ADMIN)
    feed = client.get(f"/alerts/{alert_id}.atom", params={"token": ADMIN_KEY})
    root = ET.fromstring(feed.text)  # a parser takes it: quotes, controls, non-characters
    atom = "{http://www.w3.org/2005/Atom}"
    [entry] = root.findall(f"{atom}entry")
    assert entry.findtext(f"{atom}title") == "ZorblaxGadgets Ltd"
    links = {e: e.find(f"{atom}link") for e in (entry, root)}
    hrefs = {e: (link.get("href") if link is not None else "") or "" for e, link in links.items()}
    assert hrefs[entry].endswith("#/organization/al-odd2")  # the record found
    assert hrefs[root].endswith("#/search?q=%22cryogenic%20welding%22%20onload%3D%22x")
    too_many = {"query": "machining", "kinds": ["cluster"] * 4}
    assert client.post("/alerts", json=too_many, headers=ADMIN).status_code == 422
    assert client.get("/alerts", params={"x": "1"}, headers=ADMIN).status_code == 400
    surrogate = '{"query": "welding", "filters": {"province": ["\\ud800"]}}'  # JSON's escape
    as_json = {**ADMIN, "Content-Type": "application/json"}
    refused = client.post("/alerts", content=surrogate, headers=as_json)
    assert refused.status_code == 400 and refused.json()["code"] == "bad_query"  # not a 500


def test_what_a_command_line_cannot_decode_is_cleaned_not_a_crash(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "d")
    fake = ("--data-dir", data_dir, "--model", "fake")
    assert invoke_cli("index", str(DATA / "crosslang.csv"), *fake).exit_code == 0
    made = invoke_cli("alerts", "create", "\udcffwelding", *fake, "--json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["query"] == "welding"
    issued = invoke_cli("tokens", "create", "\udcffcarol\x1b[31m", "--data-dir", data_dir)
    assert issued.exit_code == 0, issued.output
    stored = (tmp_path / "d" / "registries" / "tokens.json").read_text(encoding="utf-8")
    assert '"name": "carol[31m"' in stored  # no escape left to act on a terminal
    trail = invoke_cli("audit", "verify", "--data-dir", data_dir)
    assert trail.exit_code == 0, trail.output


def test_the_access_log_hides_a_feeds_key_however_its_name_is_written() -> None:
    from ngen_connect.api.app import _hidden

    assert _hidden("/alerts/a.atom?token=SECRET") == "/alerts/a.atom?token=…"
    assert _hidden("/alerts/a.atom?x=1&%74ok%65n=SECRET") == "/alerts/a.atom?token=…"
    assert _hidden("/search?q=token%3Dx") == "/search?q=token%3Dx"


def test_an_alert_id_can_be_typed_on_a_command_line(tmp_path: Path) -> None:
    # an id starting with "-" read as an option: "alerts delete -J2x..." was a usage error
    alerts = Alerts(tmp_path)
    made = [
        alerts.create(Alert("", "admin", "", f"q{n}", created="2026-01-01T00:00:00Z")).id
        for n in range(40)
    ]
    assert all(re.fullmatch("[0-9a-f]{16}", alert_id) for alert_id in made)
    assert len(set(made)) == len(made)
