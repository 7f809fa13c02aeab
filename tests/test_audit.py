"""The audit trail: every write appends an entry (when, who, what, outcome) chained by hashes;
a removed or altered entry is found; keys never appear; a registry's key reads its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ngen_connect import ANONYMOUS, AuthError, Kind
from ngen_connect.audit import AUDIT_FILE, AuditTrail
from tests.conftest import ADMIN_KEY, copy_index, demo_engine, in_process, invoke_cli

KEY = "audit-registry-key-0123456789abcdef"


def test_a_chain_that_holds_and_one_that_was_tampered_with(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path)
    for n in range(3):
        trail.append("admin", "index", "ok", {"added": n})
    assert trail.verify().intact and trail.verify().entries == 3
    path = tmp_path / AUDIT_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    altered = json.loads(lines[1])
    altered["details"]["added"] = 99
    path.write_text("\n".join([lines[0], json.dumps(altered), lines[2]]) + "\n", encoding="utf-8")
    broken = trail.verify()
    assert (broken.broken_line, broken.entries) == (2, 1) and "hash" in broken.problem
    path.write_text("\n".join([lines[0], lines[2]]) + "\n", encoding="utf-8")  # one removed
    assert trail.verify().broken_line == 2
    # a line a crash cut short: the next entry starts on a line of its own, the cut is reported
    path.write_text("\n".join(lines) + "\n" + lines[2][:30], encoding="utf-8")
    trail.append("admin", "delete", "ok", {})
    assert len(path.read_text(encoding="utf-8").splitlines()) == 5
    assert trail.verify().broken_line == 4


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Iterator[TestClient]:
    data_dir = copy_index(sample_index, tmp_path_factory.mktemp("audit") / "data")
    with in_process(demo_engine(data_dir)) as client:
        made = invoke_cli(
            "registry", "private", "audited", "--key", KEY, "--data-dir", str(data_dir)
        )
        assert made.exit_code == 0, made.output
        client.app.state.data_dir = data_dir  # type: ignore[attr-defined]
        yield client


def test_every_write_is_an_entry_with_who_and_never_the_key(site: TestClient) -> None:
    data_dir: Path = site.app.state.data_dir  # type: ignore[attr-defined]
    admin = {"X-API-Key": ADMIN_KEY}
    body = '[{"id": "au1", "name": "Audit Works", "description": "Sheet metal"}]'
    assert site.post("/records/organization", content=body, headers=admin).status_code == 200
    rows = "name,description\nPrairie Audit Tanks,Rotomoulded tanks.\n"
    uploaded = site.post(
        "/registries/audited/uploads",
        params={"filename": "tanks.csv"},
        content=rows.encode(),
        headers={"X-API-Key": KEY},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert site.post("/records/organization/delete", json={"ids": ["au1"]}).status_code == 401
    with pytest.raises(AuthError):  # the service refuses, and says so in the trail
        site.app.state.service.delete(ANONYMOUS, ["au1"], Kind.ORGANIZATION)  # type: ignore[attr-defined]
    entries = site.get("/audit", headers=admin).json()["entries"]
    by_action = {(e["action"], e["outcome"]): e for e in entries}
    assert by_action["make_private", "ok"]["actor"].startswith("cli:")
    written = by_action["index", "ok"]
    assert written["actor"] == "admin" and written["details"]["added"] == 1
    upload = by_action["upload", "ok"]
    assert upload["actor"].startswith("key:audited#") and upload["details"]["upload"] == 1
    assert by_action["delete", "refused"]["actor"] == "anonymous"
    stored = (data_dir / AUDIT_FILE).read_text(encoding="utf-8")
    assert ADMIN_KEY not in stored and KEY not in stored
    # a registry's key reads its registry's entries; without a key, nothing
    own = site.get("/audit", headers={"X-API-Key": KEY}).json()["entries"]
    assert own and {e["details"].get("registry") for e in own} == {"audited"}
    assert site.get("/audit").status_code == 401
    assert site.get("/audit", params={"since": "yesterday"}, headers=admin).status_code == 400
    checked = invoke_cli("audit", "verify", "--data-dir", str(data_dir))
    assert checked.exit_code == 0 and "holds" in checked.output
    listed = invoke_cli("audit", "--data-dir", str(data_dir), "--registry", "audited", "--json")
    assert {e["action"] for e in json.loads(listed.stdout)["entries"]} >= {"make_private", "upload"}


def test_a_decision_keeps_who_made_it_and_what_it_replaced(site: TestClient) -> None:
    rows = "name,description\nPrairie Decided Tanks,Rotomoulded tanks.\n"
    route = "/registries/audited/uploads"
    key = {"X-API-Key": KEY}
    uploaded = site.post(route, params={"filename": "d.csv"}, content=rows.encode(), headers=key)
    assert uploaded.status_code == 200, uploaded.text
    for caller in (key, {"X-API-Key": ADMIN_KEY}):
        decided = site.post(
            f"{route}/latest/rows/2/decision", json={"status": "new"}, headers=caller
        )
        assert decided.status_code == 200, decided.text
    [row] = site.get(f"{route}/latest", headers=key).json()["rows"]
    assert row["decided_by"] == "admin" and row["decision"] == "new"
    [earlier] = row["replaced"]
    assert earlier["by"].startswith("key:audited#") and earlier["status"] == "new"
    assert earlier["decided"] <= row["decided"]
    decisions = [
        e for e in site.get("/audit", headers=key).json()["entries"] if e["action"] == "decide"
    ]
    assert [e["actor"][:4] for e in decisions[-2:]] == ["key:", "admi"]
