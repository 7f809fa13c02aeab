"""A shortlist kept for a key: each key (admin, registry key, personal token) keeps its own, sees
its own only, and of it only the records it may read now."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ngen_connect import Kind
from tests.conftest import ADMIN_KEY, copy_index, demo_engine, in_process, invoke_cli

ADMIN = {"X-API-Key": ADMIN_KEY}
VAULT_KEY = "shortlist-vault-key-0123456789abcdef"
VAULT_CSV = "id,name,description\nsv-1,Sealed Vault Castings,Investment castings.\n"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("shortlists")
    data_dir = copy_index(sample_index, folder / "data")
    (folder / "vault.csv").write_text(VAULT_CSV, encoding="utf-8")
    fake = ("--data-dir", str(data_dir), "--model", "fake")
    assert (
        invoke_cli("registry", "import", "vault", str(folder / "vault.csv"), *fake).exit_code == 0
    )
    made = invoke_cli(
        "registry", "private", "vault", "--key", VAULT_KEY, "--data-dir", str(data_dir)
    )
    assert made.exit_code == 0, made.output
    with in_process(demo_engine(data_dir)) as client:
        yield client


def _ids(client: TestClient, kind: Kind, n: int) -> list[str]:
    records = client.app.state.service._engine.records().values()  # type: ignore[attr-defined]
    return [r.id for r in records if r.kind is kind and not r.attributes.get("registry")][:n]


def _token(client: TestClient, name: str) -> dict[str, str]:
    data_dir = client.app.state.service.settings.data_dir  # type: ignore[attr-defined]
    issued = invoke_cli("tokens", "create", name, "--data-dir", str(data_dir))
    assert issued.exit_code == 0, issued.output
    return {"X-API-Key": issued.stdout.strip()}


def test_a_key_keeps_its_shortlist_and_sees_its_own_only(client: TestClient) -> None:
    ana, ben = _token(client, "Ana Buyer"), _token(client, "Ben Buyer")
    orgs = _ids(client, Kind.ORGANIZATION, 3)
    [cluster] = _ids(client, Kind.CLUSTER, 1)
    wanted = [{"kind": "organization", "id": i} for i in orgs] + [
        {"kind": "cluster", "id": cluster}
    ]
    wanted += [{"kind": "organization", "id": orgs[0]}, {"kind": "organization", "id": "nope"}]
    kept = client.put("/shortlist", json={"records": wanted}, headers=ana)
    assert kept.status_code == 200, kept.text
    body = kept.json()
    assert [(r["kind"], r["id"]) for r in body["records"]] == [
        *(("organization", i) for i in orgs),
        ("cluster", cluster),
    ]  # in order, each once, the unknown id left out
    assert body["left_out"] == 2 and all(r["name"] for r in body["records"])
    # read back by the same token, in a later request; another token has its own (empty) list
    assert client.get("/shortlist", headers=ana).json()["records"] == body["records"]
    assert client.get("/shortlist", headers=ben).json()["records"] == []
    assert client.get("/shortlist", headers=ADMIN).json()["records"] == []
    # no key: the page keeps the list in the tab; a key that opens nothing keeps none
    assert client.get("/shortlist").status_code == 401
    assert client.put("/shortlist", json={"records": wanted}).status_code == 401
    wrong = {"X-API-Key": "no-such-key-0123456789abcdef"}
    assert client.get("/shortlist", headers=wrong).status_code == 403
    # an empty list forgets it
    assert client.put("/shortlist", json={"records": []}, headers=ana).json()["records"] == []
    assert client.get("/shortlist", headers=ana).json()["records"] == []


def test_a_private_record_is_kept_only_by_a_key_that_reads_it(client: TestClient) -> None:
    records = client.app.state.service._engine.records().values()  # type: ignore[attr-defined]
    [private] = [r.id for r in records if r.attributes.get("registry") == "vault"]
    wanted = {"records": [{"kind": "organization", "id": private}]}
    vault = {"X-API-Key": VAULT_KEY}
    kept = client.put("/shortlist", json=wanted, headers=vault).json()
    assert [r["name"] for r in kept["records"]] == ["Sealed Vault Castings"]
    stranger = _token(client, "Cleo Stranger")
    refused = client.put("/shortlist", json=wanted, headers=stranger).json()
    assert refused == {"records": [], "left_out": 1}
    # the registry made public and private again: a kept record is hidden, not shown by name
    data_dir = client.app.state.service.settings.data_dir  # type: ignore[attr-defined]
    public = invoke_cli("registry", "public", "vault", "--data-dir", str(data_dir))
    assert public.exit_code == 0, public.output
    assert client.put("/shortlist", json=wanted, headers=stranger).json()["left_out"] == 0
    private_again = invoke_cli(
        "registry", "private", "vault", "--key", VAULT_KEY, "--data-dir", str(data_dir)
    )
    assert private_again.exit_code == 0, private_again.output
    seen = client.get("/shortlist", headers=stranger)
    assert seen.json()["records"] == [] and b"Sealed Vault" not in seen.content
    stored = json.loads((data_dir / "shortlists" / "shortlists.json").read_text(encoding="utf-8"))
    assert VAULT_KEY not in json.dumps(stored)  # owners are named, never by their key
    assert oct((data_dir / "shortlists" / "shortlists.json").stat().st_mode & 0o777) == "0o600"
