"""GET /duplicates, called in process through ASGI: the admin key only, members only (never a
private registry's records), the same body as `ngen-connect duplicates --json`."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ngen_connect import Engine, load_settings
from tests.conftest import ADMIN_KEY, in_process, invoke_cli

ADMIN = {"X-API-Key": ADMIN_KEY}
REGISTRY_KEY = "private-registry-key-0123456789"
MEMBERS = """id,name,description,city,province
a,Campbell Tool & Die Inc.,Tool and die making.,Hamilton,ON
b,Campbell Tool and Die Ltd.,Progressive dies and stamping.,Hamilton,ON
c,Usinage St-Laurent ltée,Usinage CNC.,St-Hyacinthe,QC
d,Usinage Saint-Laurent inc.,Usinage de précision.,Saint-Hyacinthe,QC
e,Northern Welding Corp.,Robotic welding.,Calgary,AB
f,Northern Welding Ltd.,Manual welding.,Edmonton,AB
"""
#: two rows that are new to the members and duplicates of each other, in a private registry
PRIVATE = """name,description,city,province
Secret Foundry Inc.,Sand casting.,Sudbury,ON
Secret Foundry Ltd.,Sand casting of bronze.,Sudbury,ON
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("duplicates")
    (folder / "members.csv").write_text(MEMBERS, encoding="utf-8")
    (folder / "private.csv").write_text(PRIVATE, encoding="utf-8")
    data_dir = folder / "data"
    common = ("--data-dir", str(data_dir), "--model", "fake")
    assert invoke_cli("index", str(folder / "members.csv"), *common).exit_code == 0
    assert (
        invoke_cli(
            "registry", "private", "vault", "--key", REGISTRY_KEY, "--data-dir", str(data_dir)
        ).exit_code
        == 0
    )
    uploaded = invoke_cli("match", str(folder / "private.csv"), "--registry", "vault", *common)
    assert uploaded.exit_code == 0, uploaded.output
    assert "2 new" in uploaded.stdout, "both rows are the private registry's own records"
    return data_dir


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    engine = Engine(
        load_settings({"NGEN_CONNECT_ADMIN_KEY": ADMIN_KEY}, data_dir=data_dir, model="fake")
    )
    with in_process(engine) as client:
        yield client


def test_the_admin_key_is_needed(client: TestClient) -> None:
    missing = client.get("/duplicates")
    assert missing.status_code == 401 and missing.json()["code"] == "unauthorized"
    french = client.get("/duplicates", headers={"Accept-Language": "fr"})
    assert french.status_code == 401 and "clé d'API" in french.json()["message"]
    other = client.get("/duplicates", headers={"X-API-Key": REGISTRY_KEY})
    assert other.status_code == 403 and other.json()["code"] == "forbidden"


def test_duplicates_are_listed_with_their_evidence(client: TestClient) -> None:
    body = client.get("/duplicates", headers=ADMIN).json()
    assert body["members"] == 6 and body["min_confidence"] == 0.6
    assert [sorted(g["ids"]) for g in body["groups"]] == [["a", "b"], ["c", "d"]]
    first = body["pairs"][0]
    assert first["level"] == "high" and first["evidence"] == {"name": "same", "city": True}
    assert first["explanation"].startswith("same name")
    assert set(first["a"]) >= {"id", "name", "operating_name", "city", "website", "phone"}
    french = client.get("/duplicates", params={"lang": "fr", "min_confidence": 0.3}, headers=ADMIN)
    pairs = french.json()["pairs"]
    assert pairs[0]["explanation"].startswith("même nom")
    assert {(p["a"]["id"], p["b"]["id"]) for p in pairs if p["level"] == "low"} <= {
        ("e", "f"),
        ("f", "e"),
    }


def test_private_registry_records_never_appear(client: TestClient) -> None:
    for params in ({}, {"min_confidence": 0}):
        text = client.get("/duplicates", params=params, headers=ADMIN).text
        assert "Secret Foundry" not in text and "vault" not in text


def test_bad_parameters_are_4xx_in_the_request_language(client: TestClient) -> None:
    unknown = client.get("/duplicates", params={"min_confidense": 0.5, "lang": "fr"}, headers=ADMIN)
    assert unknown.status_code == 400 and unknown.json()["code"] == "bad_query"
    assert "Paramètre inconnu « min_confidense »" in unknown.json()["message"]
    assert "min_confidence" in unknown.json()["message"]
    out_of_range = client.get("/duplicates", params={"min_confidence": 2}, headers=ADMIN)
    assert out_of_range.status_code == 422 and out_of_range.json()["code"] == "invalid_request"


def test_the_command_line_prints_the_same_json(client: TestClient, data_dir: Path) -> None:
    over_http = client.get("/duplicates", params={"lang": "fr"}, headers=ADMIN).json()
    printed = invoke_cli(
        "duplicates", "--data-dir", str(data_dir), "--model", "fake", "--json", "--lang", "fr"
    )
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == over_http


def test_the_route_is_documented(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/duplicates"]["get"]
    assert "admin key" in operation["description"]
    assert {"401", "403"} <= set(operation["responses"])
