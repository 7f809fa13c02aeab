"""Registry uploads over HTTP and private registries, called in process through ASGI on the app
`ngen-connect demo` builds; the command line is run in process too."""

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from ngen_connect import QueryError
from ngen_connect.registries import check_registry_name
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
    # the file is named as sent, never by the server's temporary folder
    assert "r.csv" in no_name.json()["message"]
    assert tempfile.gettempdir() + "/" not in no_name.json()["message"]
    mapped = client.post(
        "/registries/simsa-test/uploads",
        params={"filename": "r.csv", "map": "name=Nom", "preview": "true"},
        content=b"city\nRegina\n",
        headers=ADMIN,
    )
    assert mapped.status_code == 400 and tempfile.gettempdir() + "/" not in mapped.text
    scan_health = client.post(
        "/registries/scan-health/uploads",
        params={"filename": "r.csv"},
        content=b"name\nA\n",
        headers=ADMIN,
    )
    assert scan_health.status_code == 400 and "scan-health import" in scan_health.json()["message"]
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


# -- reviewing an upload: the report, decisions, exports, needs lists --------------------------

TWINS = [
    {
        "id": "tw1",
        "name": "Prairie Polymers Ltd.",
        "description": "Plastic tanks.",
        "city": "Regina",
    },
    {
        "id": "tw2",
        "name": "Prairie Polymers Inc.",
        "description": "Plastic bins.",
        "city": "Moose Jaw",
    },
]
#: row 2 new, row 3 ambiguous between tw1 and tw2, row 4 rejected (no name), row 5 new (and a
#: name a spreadsheet would run as a formula)
REVIEW = (
    "name,description\n"
    "Saskatoon Conveyor Works,Conveyor belts and idlers for potash mines.\n"
    "Prairie Polymers,Rotomoulded tanks.\n"
    ",nameless\n"
    "=SUM(A1) Fabrication,Sheet metal work.\n"
)


@pytest.fixture(scope="module")
def reviewed(client: TestClient) -> str:
    """A registry whose first upload has one new, one ambiguous and one rejected row."""
    assert client.post("/records/organization", json=TWINS, headers=ADMIN).status_code == 200
    uploaded = client.post(
        "/registries/review-test/uploads",
        params={"filename": "suppliers.csv"},
        content=REVIEW.encode(),
        headers=ADMIN,
    ).json()
    assert [r["status"] for r in uploaded["rows"]] == ["new", "ambiguous", "rejected", "new"]
    assert uploaded["upload"] == 1
    return "/registries/review-test/uploads"


def test_the_registries_a_key_may_use_are_listed(client: TestClient, reviewed: str) -> None:
    assert client.get("/registries").status_code == 401
    stranger = client.get("/registries", headers={"X-API-Key": "x" * 20, "Accept-Language": "fr"})
    assert stranger.status_code == 403 and stranger.json()["message"].startswith("Cette clé")
    everything = {
        r["name"]: r for r in client.get("/registries", headers=ADMIN).json()["registries"]
    }
    assert everything["scan-health"]["private"] and everything["scan-health"]["records"] == 3
    assert everything["review-test"] == {
        "name": "review-test",
        "private": False,
        "uploads": 1,
        "records": 2,
        "listed": 0,
    }
    own = client.get("/registries", headers={"X-API-Key": KEY}).json()["registries"]
    assert [r["name"] for r in own] == ["scan-health"]
    assert client.get("/registries", params={"mine": "1"}, headers=ADMIN).status_code == 400


def test_a_report_is_read_by_status_with_candidates_and_their_evidence(
    client: TestClient, reviewed: str
) -> None:
    page = client.get(f"{reviewed}/latest", params={"status": "ambiguous"}, headers=ADMIN).json()
    assert page["upload"] == 1 and page["latest"] and page["total"] == 1
    assert page["counts"] == {"matched": 0, "ambiguous": 1, "new": 2, "rejected": 1, "warnings": 0}
    [row] = page["rows"]
    assert row["row"] == 3 and row["decidable"] and row["decision"] == ""
    places = {c["id"]: c["city"] for c in row["candidate_details"]}
    assert (places["tw1"], places["tw2"]) == ("Regina", "Moose Jaw")
    assert all(0 < c["confidence"] <= 1 and "evidence" in c for c in row["candidate_details"])
    # the row's own place and text, beside its candidates'
    assert (row["input_city"], row["input_text"]) == ("", "Rotomoulded tanks.")
    unmatched = client.get(f"{reviewed}/1", params={"status": "unmatched"}, headers=ADMIN).json()
    assert [r["status"] for r in unmatched["rows"]] == ["new", "ambiguous", "rejected", "new"]
    second = client.get(f"{reviewed}/1", params={"offset": 1, "limit": 1}, headers=ADMIN).json()
    assert second["total"] == 4 and [r["row"] for r in second["rows"]] == [3]
    bad = client.get(f"{reviewed}/1", params={"status": "done", "lang": "fr"}, headers=ADMIN)
    assert bad.status_code == 400 and bad.json()["message"].startswith("Statut inconnu")
    assert client.get(f"{reviewed}/9", headers=ADMIN).json()["code"] == "not_found"
    assert client.get(f"{reviewed}/first", headers=ADMIN).json()["code"] == "bad_query"
    assert client.get(f"{reviewed}/1", params={"stauts": "new"}, headers=ADMIN).status_code == 400


def test_review_routes_need_the_registrys_key_and_hide_private_registries(
    client: TestClient, reviewed: str
) -> None:
    decision = {"status": "new"}
    for method, path in (
        ("GET", f"{reviewed}/latest"),
        ("GET", f"{reviewed}/latest/export"),
        ("POST", f"{reviewed}/1/rows/3/decision"),
        ("POST", "/registries/review-test/needs?filename=n.csv"),
    ):
        anonymous = client.request(method, path, json=decision)
        assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized", path
        other = client.request(method, path, json=decision, headers={"X-API-Key": KEY})
        assert other.status_code == 403 and other.json()["code"] == "forbidden", path
    private = client.get("/registries/scan-health/uploads/latest", headers={"X-API-Key": "y" * 20})
    unknown = client.get(
        "/registries/no-such-thing/uploads/latest", headers={"X-API-Key": "y" * 20}
    )
    assert private.status_code == unknown.status_code == 403
    assert private.json() == unknown.json(), "a private registry answers like an unknown one"
    assert client.get("/registries/no-such-thing/uploads/latest", headers=ADMIN).status_code == 404
    assert client.get(f"{reviewed}/1", headers=ADMIN).status_code == 200, "nothing was decided"
    assert client.get(f"{reviewed}/1", headers=ADMIN).json()["counts"]["ambiguous"] == 1


def test_a_decision_is_saved_and_changes_search(client: TestClient, reviewed: str) -> None:
    query = {"q": "plastic tanks bins conveyor", "registry": "review-test", "limit": 50}
    before = {r["id"] for r in client.get("/search", params=query).json()["results"]}
    assert "tw2" not in before and any(i.startswith("review-test:") for i in before)
    own = client.get(f"/organizations/{min(i for i in before if i.startswith('review-test:'))}")
    assert own.json()["source"] == "suppliers.csv", "named as uploaded, never a server path"
    url = f"{reviewed}/1/rows/3/decision"
    for body, message in (
        ({"status": "matched", "candidate": "sample-org-000001"}, "not a candidate"),
        ({"status": "matched"}, "candidate's id"),
        ({"status": "maybe"}, "The body must be"),
        ({"status": "new", "extra": 1}, "The body must be"),
    ):
        refused = client.post(url, json=body, headers=ADMIN)
        assert refused.status_code == 400 and message in refused.json()["message"], body
    rejected = client.post(f"{reviewed}/1/rows/4/decision", json={"status": "new"}, headers=ADMIN)
    assert rejected.status_code == 400 and "rejected" in rejected.json()["message"]
    missing = client.post(f"{reviewed}/1/rows/40/decision", json={"status": "new"}, headers=ADMIN)
    assert missing.status_code == 404
    accepted = client.post(url, json={"status": "matched", "candidate": "tw2"}, headers=ADMIN)
    assert accepted.status_code == 200, accepted.text
    done = accepted.json()
    assert done["row"]["status"] == "matched" and done["row"]["match_id"] == "tw2"
    assert done["row"]["decision"] == "matched" and done["row"]["decided"]
    assert done["counts"]["matched"] == 1 and done["counts"]["ambiguous"] == 0
    assert done["records"] == {"added": 0, "updated": 0, "unchanged": 2, "removed": 0}
    after = {r["id"] for r in client.get("/search", params=query).json()["results"]}
    assert after == before | {"tw2"}
    listed = client.get("/organizations/tw2").json()["attributes"]["listed_in"]["review-test"]
    assert listed["name"] == "Prairie Polymers" and listed["row"] == 3
    kept = client.get(f"{reviewed}/latest", params={"status": "matched"}, headers=ADMIN).json()
    assert [r["match_id"] for r in kept["rows"]] == ["tw2"]


def test_a_report_exports_whole_or_unmatched_with_french_headers(
    client: TestClient, reviewed: str
) -> None:
    whole = client.get(f"{reviewed}/1/export", headers=ADMIN)
    assert whole.status_code == 200 and whole.headers["content-type"].startswith("text/csv")
    assert 'filename="review-test-00001.csv"' in whole.headers["content-disposition"]
    lines = whole.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("row,input_id,input_name,status") and len(lines) == 5
    assert lines[-1].startswith("5,,'=SUM(A1) Fabrication,new"), "a formula is only text"
    french = client.get(
        f"{reviewed}/1/export", params={"status": "unmatched", "lang": "fr"}, headers=ADMIN
    )
    rows = french.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("ligne,id fourni,nom fourni,statut,confiance")
    assert "unmatched" not in french.headers["content-disposition"]
    assert all(",matched," not in line for line in rows[1:])
    xlsx = client.get(f"{reviewed}/latest/export", params={"format": "xlsx"}, headers=ADMIN)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert (
        client.get(f"{reviewed}/1/export", params={"format": "pdf"}, headers=ADMIN).status_code
        == 422
    )


def test_a_needs_list_over_http(client: TestClient, reviewed: str) -> None:
    url = "/registries/review-test/needs"
    body = "Besoin\nconveyor belts for a potash mine\nréservoirs en plastique\n\n".encode()
    found = client.post(url, params={"filename": "besoins.csv"}, content=body, headers=ADMIN)
    assert found.status_code == 200, found.text
    answer = found.json()
    assert [n["need"] for n in answer["needs"]] == [
        "conveyor belts for a potash mine",
        "réservoirs en plastique",
    ]
    suppliers = {s["id"] for n in answer["needs"] for s in n["suppliers"]}
    assert suppliers and all(i.startswith("review-test:") or i in {"tw1", "tw2"} for i in suppliers)
    french = client.post(
        url,
        params={"filename": "besoins.csv", "format": "csv", "lang": "fr", "limit": 2},
        content=body,
        headers=ADMIN,
    )
    lines = french.content.decode("utf-8-sig").splitlines()
    assert (
        lines[0] == "ligne,besoin,rang,fournisseur,id,ville,province,pays,site web,score,pourquoi"
    )
    nobody = client.post(
        "/registries/nobody-here/needs", params={"filename": "n.csv"}, content=body, headers=ADMIN
    )
    assert nobody.status_code == 404 and "no suppliers yet" in nobody.json()["message"]
    many = ("need\n" + "".join(f"need {i}\n" for i in range(1_001))).encode()
    too_many = client.post(url, params={"filename": "n.csv"}, content=many, headers=ADMIN)
    assert too_many.status_code == 413 and too_many.json()["message"].startswith("n.csv")
    odd = client.post(url, params={"filename": "n.csv", "limt": 3}, content=body, headers=ADMIN)
    assert odd.status_code == 400 and "limit" in odd.json()["message"]


def test_a_decision_on_an_upload_that_is_no_longer_the_latest_is_a_conflict(
    client: TestClient, reviewed: str
) -> None:
    again = client.post(
        "/registries/review-test/uploads",
        params={"filename": "suppliers.csv"},
        content=REVIEW.encode(),
        headers=ADMIN,
    ).json()
    assert again["upload"] == 2 and again["counts"]["matched"] == 1, "the decision was kept"
    stale = client.post(f"{reviewed}/1/rows/3/decision", json={"status": "new"}, headers=ADMIN)
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    fresh = client.post(f"{reviewed}/2/rows/3/decision", json={"status": "new"}, headers=ADMIN)
    assert fresh.status_code == 200 and fresh.json()["records"]["added"] == 1
    query = {"q": "plastic tanks bins conveyor", "registry": "review-test", "limit": 50}
    found = {r["id"] for r in client.get("/search", params=query).json()["results"]}
    assert "tw2" not in found and sum(i.startswith("review-test:") for i in found) == 2
    listed = client.get("/registries", headers=ADMIN).json()["registries"]
    assert [(r["records"], r["listed"]) for r in listed if r["name"] == "review-test"] == [(3, 0)]


def test_an_upload_refuses_an_unknown_parameter(client: TestClient) -> None:
    answer = client.post(
        "/registries/simsa-test/uploads",
        params={"filename": "r.csv", "preveiw": "true", "lang": "fr"},
        content=b"name\nA\n",
        headers=ADMIN,
    )
    assert answer.status_code == 400 and "preveiw" in answer.json()["message"]
    assert "Paramètre inconnu" in answer.json()["message"]


def test_the_review_routes_are_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    decision = paths["/registries/{name}/uploads/{upload}/rows/{row}/decision"]["post"]
    assert "requestBody" in decision and {"401", "403", "404", "409"} <= set(decision["responses"])
    for path, method in (
        ("/registries", "get"),
        ("/registries/{name}/uploads/{upload}", "get"),
        ("/registries/{name}/uploads/{upload}/export", "get"),
        ("/registries/{name}/needs", "post"),
    ):
        assert "key" in paths[path][method]["description"], path


def test_a_registrys_own_key_reviews_and_decides_its_registry(
    client: TestClient, data_dir: Path, reviewed: str
) -> None:
    own = "own-registry-key-0123456789"
    made = invoke_cli("registry", "private", "own-reg", "--key", own, "--data-dir", str(data_dir))
    assert made.exit_code == 0
    mine = {"X-API-Key": own}
    assert [r["name"] for r in client.get("/registries", headers=mine).json()["registries"]] == [
        "own-reg"
    ]
    assert client.get("/registries/own-reg/uploads/latest", headers=mine).status_code == 404
    uploaded = client.post(
        "/registries/own-reg/uploads",
        params={"filename": "s.csv"},
        content=REVIEW.encode(),
        headers=mine,
    )
    assert uploaded.status_code == 200
    url = "/registries/own-reg/uploads/latest/rows/3/decision"
    decided = client.post(url, json={"status": "matched", "candidate": "tw1"}, headers=mine)
    assert decided.status_code == 200 and decided.json()["row"]["match_id"] == "tw1"
    public = client.get("/organizations/tw1").json()["attributes"].get("listed_in", {})
    assert "own-reg" not in public, "a private registry's listing stays private"
    keyed = client.get("/organizations/tw1", headers=mine).json()["attributes"]["listed_in"]
    assert "own-reg" in keyed
    huge = client.post(
        url,
        content=b'{"status": "new", "candidate": "' + b"x" * 3_000_000 + b'"}',
        headers={**mine, "Content-Type": "application/json"},
    )
    assert huge.status_code == 413 and huge.json()["code"] == "too_large"
    assert client.get("/registries/own-reg/uploads/1", headers=ADMIN).status_code == 200


def test_the_documented_registry_name_is_the_one_the_server_takes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = [
        parameter["schema"]
        for path, operations in spec["paths"].items()
        if "{name}" in path
        for operation in operations.values()
        for parameter in operation["parameters"]
        if parameter["name"] == "name"
    ]
    assert len(schemas) == 5 and all(schema == schemas[0] for schema in schemas)
    documented = jsonschema_rs.validator_for(schemas[0])
    names = ["scan-health", "a", "0-9", "a" * 63, "a" * 64, "-scan", "Scan", "scan_health"]
    names += ["scan-health\n", "scan health", "santé", ""]
    for name in names:
        try:
            check_registry_name(name)
            taken = True
        except QueryError:
            taken = False
        assert documented.is_valid(name) is taken, repr(name)
    assert "400" in spec["paths"]["/registries/{name}/uploads/{upload}"]["get"]["responses"]
    for name in ("Scan_Health", "a" * 64, "scan-health\n"):
        answer = client.get(f"/registries/{quote(name)}/uploads/latest", headers=ADMIN)
        assert answer.status_code == 400 and answer.json()["code"] == "bad_query", name


def _documented(spec: dict[str, Any], method: str, path: str) -> jsonschema_rs.Validator:
    """The JSON schema the OpenAPI document gives for a route's 200 answer."""
    answer = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]
    return jsonschema_rs.validator_for({**answer["schema"], "components": spec["components"]})


def test_every_answer_has_the_shape_its_document_gives(
    client: TestClient, reviewed: str, data_dir: Path, tmp_path: Path
) -> None:
    """The answers the worker process serialises (uploads, previews, reports, decisions, needs,
    record writes) and the others, read against the schemas the core's shapes generate: every
    field documented is there with its type."""
    spec = client.get("/openapi.json").json()
    suppliers = "name,city\nNorthern Conveyor Works,Regina\nPrairie Tanks Ltd,Saskatoon\n"
    calls = [
        ("post", "/registries/{name}/uploads", "/registries/shape-test/uploads", suppliers),
        (
            "post",
            "/registries/{name}/uploads",
            "/registries/shape-test/uploads?preview=1",
            suppliers,
        ),
        (
            "get",
            "/registries/{name}/uploads/{upload}",
            "/registries/shape-test/uploads/latest",
            None,
        ),
        ("post", "/registries/{name}/needs", "/registries/shape-test/needs", "need\nconveyors\n"),
        (
            "post",
            "/records/{kind}",
            "/records/organization?filename=r.csv",
            "id,name,description\nsh1,Shape Co,Sheet metal forming\n",
        ),
        ("post", "/records/{kind}/delete", "/records/organization/delete", '{"ids": ["sh1", "x"]}'),
        ("get", "/registries", "/registries", None),
        ("get", "/duplicates", "/duplicates", None),
        ("get", "/health", "/health", None),
        ("get", "/organizations/{record_id}", "/organizations/tw1", None),
    ]
    for method, route, url, body in calls:
        if method == "post" and "filename" not in url and not url.endswith("delete"):
            url += ("&" if "?" in url else "?") + "filename=f.csv"
        answer = client.request(method, url, content=body, headers=ADMIN)
        assert answer.status_code == 200, (url, answer.text)
        errors = [e.message for e in _documented(spec, method, route).iter_errors(answer.json())]
        assert not errors, (url, errors[:3])
    decided = client.post(
        f"{reviewed}/latest/rows/2/decision", json={"status": "new"}, headers=ADMIN
    )
    assert decided.status_code == 200, decided.text
    validator = _documented(spec, "post", "/registries/{name}/uploads/{upload}/rows/{row}/decision")
    assert validator.is_valid(decided.json())
    assert not validator.is_valid({**decided.json(), "counts": None}), "the schema checks something"
    path = tmp_path / "suppliers.csv"
    path.write_text(suppliers, encoding="utf-8")
    cli = invoke_cli(
        "match",
        str(path),
        "--registry",
        "shape-cli",
        "--data-dir",
        str(data_dir),
        "--model",
        "fake",
        "--json",
    )
    over_http = client.post(
        "/registries/shape-http/uploads",
        params={"filename": "s.csv"},
        content=suppliers,
        headers=ADMIN,
    ).json()
    assert set(json.loads(cli.stdout)) - {"report"} == set(over_http), "one shape for both fronts"


def test_supply_resilience_reaches_only_who_may_read_the_registry(client: TestClient) -> None:
    route = "/scan-health/resilience"
    # without the key, the answer of a registry never imported: nothing tells it is there
    hidden = client.get(route)
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["holders"] == 0 and hidden.json()["lines"] == []
    answer = client.get(route, params={"only": "single", "limit": 2}, headers={"X-API-Key": KEY})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["registry"] == "scan-health" and "not necessarily" in body["notice"]["en"]
    assert body["count"] >= len(body["lines"]) and len(body["lines"]) <= 2
    assert all(line["single_holder"] and line["holders"] == 1 for line in body["lines"])
    assert body["summary"]["ingredient"]["single_holder"] == body["count"]
    by_atc = client.get(route, params={"level": "atc"}, headers=ADMIN).json()
    assert {line["level"] for line in by_atc["lines"]} == {"atc"}
    bad = client.get(route, params={"only": "rare"}, headers=ADMIN)
    assert bad.status_code == 400 and "choose from" in bad.json()["message"]
    assert client.get(route, params={"level": "planet"}, headers=ADMIN).status_code in (400, 422)
    exported = client.get(f"{route}/export", params={"format": "csv"}, headers={"X-API-Key": KEY})
    assert exported.status_code == 200 and exported.text.lstrip("\ufeff").startswith("level,key")
    assert "dpd" not in client.get(f"{route}/export").text.lower()
    assert client.get(route, params={"planet": "x"}, headers=ADMIN).status_code == 400
