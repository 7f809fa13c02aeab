"""Registry uploads over HTTP and private registries, called in process through ASGI on the app
`ngen-connect demo` builds; the command line is run in process too."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_KEY, DATA, copy_index, demo_engine, in_process, invoke_cli

KEY = "scan-health-key-0123456789"
ADMIN = {"X-API-Key": ADMIN_KEY}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Path:
    return copy_index(sample_index, tmp_path_factory.mktemp("registries") / "data")


@pytest.fixture(scope="module")
def client(data_dir: Path) -> Iterator[TestClient]:
    """`ngen-connect demo --model fake`; then, while it serves, a private scan-health registry."""
    with in_process(demo_engine(data_dir)) as client:
        imported = invoke_cli(
            "scan-health",
            "import",
            str(DATA / "dpd_v1"),
            "--data-dir",
            str(data_dir),
            "--model",
            "fake",
        )
        assert imported.exit_code == 0, imported.output
        assert (
            invoke_cli(
                "registry", "private", "scan-health", "--key", KEY, "--data-dir", str(data_dir)
            ).exit_code
            == 0
        )
        yield client


def test_a_private_registry_is_invisible_to_other_keys(client: TestClient) -> None:
    query = {"q": "sterile injectable solutions", "registry": "scan-health"}
    assert client.get("/search", params=query).json()["total"] == 0
    assert (
        client.get("/search", params=query, headers={"X-API-Key": "another-key-0123456789"}).json()[
            "total"
        ]
        == 0
    )
    allowed = client.get("/search", params=query, headers={"X-API-Key": KEY}).json()
    assert allowed["total"] >= 1 and {r["registry"] for r in allowed["results"]} == {"scan-health"}
    everything = client.get(
        "/search", params={"q": "sterile injectable solutions", "limit": 100}
    ).json()
    assert not any(r["id"].startswith("dpd-") for r in everything["results"])
    assert client.get("/organizations/dpd-100").status_code == 404
    assert (
        client.get("/organizations/dpd-100", headers={"X-API-Key": KEY}).json()["name"]
        == "STERILE SOLUTIONS QUEBEC INC."
    )
    assert client.get("/organizations/dpd-100/similar").status_code == 404
    exported = client.get(
        "/search/export", params={"q": "sterile", "limit": 100, "registry": "scan-health"}
    )
    assert "dpd-" not in exported.text
    post = client.post("/search", json={"query": "sterile", "filters": {"registry": "scan-health"}})
    assert post.json()["total"] == 0


def test_upload_preview_and_match(client: TestClient) -> None:
    body = "Entreprise;Ville\nUnknown Foundry;Laval\n;Laval\n".encode("cp1252")
    preview = client.post(
        "/registries/simsa-test/uploads",
        params={"filename": "r.csv", "preview": "true"},
        content=body,
        headers=ADMIN,
    )
    assert preview.status_code == 200 and preview.json()["mapping"] == {
        "name": "Entreprise",
        "city": "Ville",
    }
    first = client.post(
        "/registries/simsa-test/uploads",
        params={"filename": "r.csv"},
        content=body,
        headers=ADMIN,
    ).json()
    assert first["counts"] == {
        "matched": 0,
        "ambiguous": 0,
        "new": 1,
        "rejected": 1,
        "warnings": 0,
    }
    assert [r["row"] for r in first["rows"]] == [2, 3] and first["changes"]["added"] == [
        "unknown foundry"
    ]
    again = client.post(
        "/registries/simsa-test/uploads",
        params={"filename": "r.csv"},
        content=body,
        headers=ADMIN,
    ).json()
    assert again["changes"]["unchanged"] == 1 and again["changes"]["previous_upload"] == "00001"


def test_bad_uploads_get_clear_errors(client: TestClient) -> None:
    wrong = client.post(
        "/registries/simsa-test/uploads",
        params={"filename": "r.pdf"},
        content=b"x",
        headers=ADMIN,
    )
    assert (
        wrong.status_code == 400
        and wrong.json()["code"] == "bad_file"
        and ".pdf" in wrong.json()["message"]
    )
    empty = client.post(
        "/registries/simsa-test/uploads",
        params={"filename": "r.csv", "lang": "fr"},
        content=b"",
        headers=ADMIN,
    )
    assert empty.status_code == 400 and empty.json()["message"].endswith("le fichier est vide")
    no_name = client.post(
        "/registries/simsa-test/uploads",
        params={"filename": "r.csv"},
        content=b"city\nRegina\n",
        headers=ADMIN,
    )
    assert no_name.status_code == 400 and "no name column" in no_name.json()["message"]
    bad_name = client.post(
        "/registries/Bad Name/uploads",
        params={"filename": "r.csv"},
        content=b"name\nA\n",
        headers=ADMIN,
    )
    assert bad_name.status_code == 400 and bad_name.json()["code"] == "bad_query"
    trailing_newline = client.post(
        "/registries/abc%0A/uploads",
        params={"filename": "r.csv"},
        content=b"name\nA\n",
        headers=ADMIN,
    )
    assert trailing_newline.status_code == 400


def test_writes_need_a_key_and_keys_have_scopes(client: TestClient) -> None:
    url = "/registries/scan-health/uploads"
    body = b"name\nSome Company Ltd\n"
    anonymous = client.post(url, params={"filename": "r.csv"}, content=body)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"
    wrong = client.post(
        url, params={"filename": "r.csv"}, content=body, headers={"X-API-Key": "x" * 20}
    )
    assert wrong.status_code == 403 and wrong.json()["code"] == "forbidden"
    unknown = client.post(
        "/registries/no-such-registry/uploads",
        params={"filename": "r.csv"},
        content=body,
        headers={"X-API-Key": "x" * 20},
    )
    assert unknown.status_code == 403, "an unknown and a private registry answer alike"
    other = client.post(
        "/registries/simsa-test/uploads",
        params={"filename": "r.csv", "preview": "true"},
        content=body,
        headers={"X-API-Key": KEY},
    )
    assert other.status_code == 403, "a registry key writes its own registry only"
    preview = client.post(
        url,
        params={"filename": "r.csv", "preview": "true"},
        content=body,
        headers={"X-API-Key": KEY},
    )
    assert preview.status_code == 200


def test_an_upload_report_never_names_a_private_record(client: TestClient) -> None:
    answer = client.post(
        "/registries/anyname/uploads",
        params={"filename": "a.csv"},
        content=b"name\nSTERILE SOLUTIONS QUEBEC INC.\n",
        headers=ADMIN,
    ).json()
    [row] = answer["rows"]
    assert row["status"] == "new" and not row["match_id"] and not row["candidates"]
    assert "dpd-" not in str(answer)


def test_records_are_written_and_deleted_with_the_admin_key(client: TestClient) -> None:
    records = [
        {
            "id": "w1",
            "name": "Written Welding Ltd.",
            "description": "Orbital welding.",
            "province": "Qc",
        },
        {"id": "w2", "name": "", "description": "No name."},
    ]
    url = "/records/organization"
    assert client.post(url, json=records).status_code == 401
    assert client.post(url, json=records, headers={"X-API-Key": KEY}).status_code == 403
    written = client.post(url, json=records, headers=ADMIN).json()
    assert written["counts"]["added"] == 1 and written["counts"]["rejected"] == 1
    assert written["rejected"][0]["row"] == 2 and written["rejected"][0]["file"] == "records.json"
    detail = client.get("/organizations/w1").json()
    assert detail["name"] == "Written Welding Ltd." and detail["attributes"]["province"] == "QC"
    too_many = [{"name": f"N{i}", "description": "x"} for i in range(10_001)]
    assert client.post(url, json=too_many, headers=ADMIN).status_code == 413
    deleted = client.post(f"{url}/delete", json={"ids": ["w1", "nope"]}, headers=ADMIN).json()
    assert deleted == {"removed": ["w1"], "missing": ["nope"]}
    assert client.get("/organizations/w1").status_code == 404


def test_every_http_error_is_code_and_message(client: TestClient) -> None:
    wrong_method = client.delete("/search")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"
    unparseable = client.post("/search", content=b"{", headers={"Content-Type": "application/json"})
    assert unparseable.status_code == 422 and set(unparseable.json()) >= {"code", "message"}
    too_many = client.get("/search", params=[("q", "x")] + [("city", str(i)) for i in range(60)])
    assert too_many.status_code == 400 and too_many.json()["code"] == "bad_query"
    spec = client.get("/openapi.json").json()
    upload = spec["paths"]["/registries/{name}/uploads"]["post"]
    assert "requestBody" in upload and {"401", "403", "413"} <= set(upload["responses"])


def test_command_line_and_http_uploads_agree_and_listings_stay_private(
    client: TestClient, data_dir: Path, tmp_path: Path
) -> None:
    members = client.get("/search", params={"q": "machining", "limit": 2}).json()["results"]
    names = [m["name"] for m in members if not m.get("registry")]
    text = "name\n" + "\n".join(names) + "\nBrand New Fabricators Ltd\n"
    path = tmp_path / "listing.csv"
    path.write_text(text, encoding="utf-8")
    over_http = client.post(
        "/registries/parity-http/uploads",
        params={"filename": "listing.csv"},
        content=text.encode(),
        headers=ADMIN,
    ).json()
    cli = invoke_cli(
        "match",
        str(path),
        "--registry",
        "parity-cli",
        "--data-dir",
        str(data_dir),
        "--model",
        "fake",
        "--json",
    )
    assert json.loads(cli.stdout)["counts"] == over_http["counts"]
    assert over_http["counts"]["matched"] == len(names) and over_http["counts"]["new"] == 1
    for registry in ("parity-http", "parity-cli"):
        found = client.get(
            "/search",
            params={"q": "fabricators machining", "registry": registry, "limit": 50},
        ).json()
        assert found["total"] == len(names) + 1, registry
    secret = "secret-registry-key-0123456789"
    assert (
        invoke_cli(
            "registry", "private", "secret-reg", "--key", secret, "--data-dir", str(data_dir)
        ).exit_code
        == 0
    )
    uploaded = client.post(
        "/registries/secret-reg/uploads",
        params={"filename": "listing.csv"},
        content=text.encode(),
        headers={"X-API-Key": secret},
    )
    assert uploaded.status_code == 200
    query = {"q": names[0], "limit": 5}
    public = client.get("/search", params=query).json()["results"]
    assert all("secret-reg" not in r.get("listed_in", {}) for r in public)
    keyed = client.get("/search", params=query, headers={"X-API-Key": secret}).json()
    assert any("secret-reg" in r.get("listed_in", {}) for r in keyed["results"])
    hidden = client.get("/search", params={**query, "registry": "secret-reg"}).json()
    assert hidden["total"] == 0 and hidden["facets"] == {}
    member_id = next(r["id"] for r in keyed["results"] if "secret-reg" in r.get("listed_in", {}))
    detail = client.get(f"/organizations/{member_id}").json()
    assert "secret-reg" not in detail["attributes"].get("listed_in", {})


def test_hostile_callers_get_clean_answers(client: TestClient) -> None:
    odd_key = client.get(
        "/search",
        params={"q": "pharma"},
        headers={"X-API-Key": "clé-0123456789abcdef".encode()},
    )
    assert odd_key.status_code == 200, "a key that opens nothing reads public data"
    odd_write = client.post(
        "/records/organization",
        json=[],
        headers={"X-API-Key": "clé-0123456789abcdef".encode()},
    )
    assert odd_write.status_code == 403
    assert client.post("/records/nosuchkind").status_code == 401
    assert client.post("/records/organization/delete", content=b"{bad").status_code == 401
    big = client.post(
        "/search",
        content=b'{"query": "x", "pad": "' + b"a" * 3_000_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert big.status_code == 413 and big.json()["code"] == "too_large"
    rows = client.post(
        "/registries/hostile/uploads",
        params={"filename": "many.csv"},
        content=("name\n" + "".join(f"Co {i}\n" for i in range(100_001))).encode(),
        headers=ADMIN,
    ).json()
    assert rows["code"] == "too_large" and "/tmp" not in rows["message"]
    assert rows["message"].startswith("many.csv")
    written = client.post(
        "/records/organization",
        params={"filename": "members-2026.csv"},
        content=b"id,name,description\nsrc1,Source Co,Welding.\n",
        headers=ADMIN,
    ).json()
    assert written["files"] == ["members-2026.csv"]
    assert client.get("/organizations/src1").json()["source"] == "members-2026.csv"


def test_health_counts_only_what_the_caller_may_read(client: TestClient) -> None:
    public = client.get("/health").json()
    keyed = client.get("/health", headers={"X-API-Key": KEY}).json()
    assert keyed["counts"]["organization"] - public["counts"]["organization"] == 3
    assert keyed["passages"] > public["passages"]
