"""The HTTP app run by a real uvicorn server, started the way users start it (`ngen-connect demo`)."""

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`ngen-connect demo` on the bundled sample data, with the fake model to keep it quick."""
    folder = tmp_path_factory.mktemp("api")
    with running_server(
        "demo", "--data-dir", str(folder / "data"), "--model", "fake", log_dir=folder
    ) as base:
        yield base


def test_health_reports_model_and_counts(server: str) -> None:
    body = httpx.get(f"{server}/health").json()
    assert body["status"] == "ok" and body["model"] == "fake:64"
    assert body["counts"] == {"organization": 500, "cluster": 32, "ip_asset": 200}
    assert body["passages"] >= 732 and body["index_version"]


def test_search_get_and_post_agree(server: str) -> None:
    got = httpx.get(f"{server}/search", params={"q": "injection moulding", "limit": 5}).json()
    posted = httpx.post(f"{server}/search", json={"query": "injection moulding", "limit": 5}).json()
    assert got == posted
    assert got["total"] == 300 and len(got["results"]) == 5  # the result pool
    assert all(r["sample"] is True for r in got["results"])


def test_kinds_filter(server: str) -> None:
    body = httpx.post(
        f"{server}/search", json={"query": "aerospace", "kinds": ["cluster"], "limit": 3}
    ).json()
    assert body["total"] == 32 and {r["kind"] for r in body["results"]} == {"cluster"}


def test_bad_input_is_a_4xx_with_a_message(server: str) -> None:
    empty = httpx.get(f"{server}/search", params={"q": "   "})
    assert empty.status_code == 400 and empty.json()["code"] == "bad_query"
    assert httpx.get(f"{server}/search", params={"q": "x", "limit": 0}).status_code == 422
    assert (
        httpx.post(f"{server}/search", json={"query": "x", "kinds": ["planet"]}).status_code == 422
    )


def test_page_and_docs_are_served(server: str) -> None:
    page = httpx.get(f"{server}/")
    assert page.status_code == 200 and "NGen Connect" in page.text and "Français" in page.text
    assert httpx.get(f"{server}/openapi.json").json()["info"]["title"] == "NGen Connect"


def test_filters_and_facets(server: str) -> None:
    body = httpx.post(
        f"{server}/search",
        json={
            "query": "machining",
            "filters": {"province": ["QC", "NB"], "language": "fr"},
            "limit": 5,
        },
    ).json()
    assert body["results"] and {r["province"] for r in body["results"]} <= {"QC", "NB"}
    provinces = {f["value"]: f["count"] for f in body["facets"]["province"]}
    assert set(provinces) <= {"QC", "NB"} and sum(provinces.values()) == body["total"]
    bad = httpx.post(f"{server}/search", json={"query": "x", "filters": {"planet": "Mars"}})
    assert bad.status_code == 400 and "planet" in bad.json()["message"]


def test_messages_follow_the_language_asked_for(server: str) -> None:
    english = httpx.get(f"{server}/search", params={"q": " "}).json()
    french = httpx.get(
        f"{server}/search", params={"q": " "}, headers={"Accept-Language": "fr-CA,fr;q=0.9"}
    ).json()
    by_param = httpx.get(f"{server}/search", params={"q": " ", "lang": "fr"}).json()
    assert (
        english["message"] == "The query is empty." and french["message"] == "La requête est vide."
    )
    assert by_param == french and english["code"] == french["code"] == "bad_query"
    invalid = httpx.get(f"{server}/search", params={"q": "x", "limit": 500, "lang": "fr"})
    assert invalid.status_code == 422 and invalid.json()["code"] == "invalid_request"
    assert (
        invalid.json()["message"].startswith("La requête n'est pas valide")
        and "limit" in invalid.json()["message"]
    )


def test_get_search_takes_filters_and_labels_facets_in_french(server: str) -> None:
    body = httpx.get(
        f"{server}/search",
        params={"q": "usinage", "province": ["QC"], "naics": "3327", "lang": "fr"},
    ).json()
    assert body["results"] and all(r["province"] == "QC" for r in body["results"])
    assert all(any(c.startswith("3327") for c in r["naics"]) for r in body["results"])
    labels = {f["value"]: f["label"] for f in body["facets"]["naics"]}
    assert labels.get("332710") == "Ateliers d'usinage"


def test_record_detail_and_similar(server: str) -> None:
    top = httpx.get(
        f"{server}/search", params={"q": "machining", "kind": "organization", "limit": 1}
    ).json()
    record_id = top["results"][0]["id"]
    detail = httpx.get(f"{server}/organizations/{record_id}").json()
    assert detail["id"] == record_id and detail["texts"] and detail["attributes"]["sample"] is True
    similar = httpx.get(f"{server}/organizations/{record_id}/similar", params={"limit": 4}).json()
    assert len(similar["results"]) == 4 and record_id not in [r["id"] for r in similar["results"]]
    cluster = httpx.get(f"{server}/clusters/sample-cluster-001").json()
    assert cluster["kind"] == "cluster" and cluster["attributes"]["members"]
    asset = httpx.get(f"{server}/ip-assets/sample-ip-0001").json()
    assert asset["kind"] == "ip_asset" and asset["attributes"]["ipc"]
    missing = httpx.get(f"{server}/organizations/nope", params={"lang": "fr"})
    assert missing.status_code == 404 and missing.json() == {
        "code": "not_found",
        "message": "Fiche introuvable.",
    }
    assert httpx.get(f"{server}/no/such/route").json()["code"] == "not_found"


def test_export_csv_and_xlsx(server: str) -> None:
    csv_file = httpx.get(
        f"{server}/search/export", params={"q": "welding", "limit": 7, "format": "csv"}
    )
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_file.headers["content-disposition"]
    lines = csv_file.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("rank,id,kind,name,score") and len(lines) == 8
    xlsx = httpx.get(f"{server}/search/export", params={"q": "welding", "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert (
        httpx.get(f"{server}/search/export", params={"q": "welding", "format": "pdf"}).status_code
        == 422
    )
