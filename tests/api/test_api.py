"""The HTTP app, called in process through ASGI, built the way `ngen-connect demo` builds it.

The same app behind a real uvicorn process is tested in test_server.py.
"""

import csv
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ngen_connect import Engine, FakeEmbedder, load_settings
from ngen_connect.api.app import create_app
from ngen_connect.limits import MAX_QUERY_CHARS
from tests.conftest import ADMIN_KEY, copy_index, demo_engine, in_process


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Iterator[TestClient]:
    """`ngen-connect demo --model fake` on the bundled sample data (indexed once per session)."""
    data_dir = copy_index(sample_index, tmp_path_factory.mktemp("api") / "data")
    with in_process(demo_engine(data_dir)) as client:
        yield client


def test_health_reports_model_and_counts(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["model"] == "fake:64"
    assert body["counts"] == {"organization": 500, "cluster": 32, "ip_asset": 200}
    assert body["passages"] >= 732 and body["index_version"]


def test_search_get_and_post_agree(client: TestClient) -> None:
    got = client.get("/search", params={"q": "injection moulding", "limit": 5}).json()
    posted = client.post("/search", json={"query": "injection moulding", "limit": 5}).json()
    assert got == posted
    # the result set: the records about the query (words in common or semantic evidence)
    assert 5 < got["total"] < 300 and len(got["results"]) == 5
    assert all(r["sample"] is True for r in got["results"])


def test_kinds_filter(client: TestClient) -> None:
    body = client.post(
        "/search", json={"query": "aerospace", "kinds": ["cluster"], "limit": 3}
    ).json()
    assert 0 < body["total"] <= 32 and {r["kind"] for r in body["results"]} == {"cluster"}


def test_bad_input_is_a_4xx_with_a_message(client: TestClient) -> None:
    empty = client.get("/search", params={"q": "   "})
    assert empty.status_code == 400 and empty.json()["code"] == "bad_query"
    assert client.get("/search", params={"q": "x", "limit": 0}).status_code == 422
    assert client.post("/search", json={"query": "x", "kinds": ["planet"]}).status_code == 422


def test_page_and_docs_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "NGen Connect" in page.text and "Français" in page.text
    assert client.get("/openapi.json").json()["info"]["title"] == "NGen Connect"


def test_filters_and_facets(client: TestClient) -> None:
    body = client.post(
        "/search",
        json={
            "query": "machining",
            "filters": {"province": ["QC", "NB"], "language": "fr"},
            "limit": 5,
        },
    ).json()
    assert body["results"] and {r["province"] for r in body["results"]} <= {"QC", "NB"}
    provinces = {f["value"]: f["count"] for f in body["facets"]["province"]}
    assert set(provinces) <= {"QC", "NB"} and sum(provinces.values()) == body["total"]
    bad = client.post("/search", json={"query": "x", "filters": {"planet": "Mars"}})
    assert bad.status_code == 400 and "planet" in bad.json()["message"]


def test_messages_follow_the_language_asked_for(client: TestClient) -> None:
    english = client.get("/search", params={"q": " "}).json()
    french = client.get(
        "/search", params={"q": " "}, headers={"Accept-Language": "fr-CA,fr;q=0.9"}
    ).json()
    by_param = client.get("/search", params={"q": " ", "lang": "fr"}).json()
    assert (
        english["message"] == "The query is empty." and french["message"] == "La requête est vide."
    )
    assert by_param == french and english["code"] == french["code"] == "bad_query"
    invalid = client.get("/search", params={"q": "x", "limit": 500, "lang": "fr"})
    assert invalid.status_code == 422 and invalid.json()["code"] == "invalid_request"
    assert (
        invalid.json()["message"].startswith("La requête n'est pas valide")
        and "limit" in invalid.json()["message"]
    )


def test_get_search_takes_filters_and_labels_facets_in_french(client: TestClient) -> None:
    body = client.get(
        "/search",
        params={"q": "usinage", "province": ["QC"], "naics": "3327", "lang": "fr"},
    ).json()
    assert body["results"] and all(r["province"] == "QC" for r in body["results"])
    assert all(any(c.startswith("3327") for c in r["naics"]) for r in body["results"])
    labels = {f["value"]: f["label"] for f in body["facets"]["naics"]}
    assert labels.get("332710") == "Ateliers d'usinage"


def test_record_detail_and_similar(client: TestClient) -> None:
    top = client.get(
        "/search", params={"q": "machining", "kind": "organization", "limit": 1}
    ).json()
    record_id = top["results"][0]["id"]
    detail = client.get(f"/organizations/{record_id}").json()
    assert detail["id"] == record_id and detail["texts"] and detail["attributes"]["sample"] is True
    # a caller reads the file's name, the admin where the server read it
    assert detail["source"] == "organizations.csv"
    admin = client.get(f"/organizations/{record_id}", headers={"X-API-Key": ADMIN_KEY}).json()
    assert admin["source"].endswith("/organizations.csv") and Path(admin["source"]).is_absolute()
    similar = client.get(f"/organizations/{record_id}/similar", params={"limit": 4}).json()
    assert len(similar["results"]) == 4 and record_id not in [r["id"] for r in similar["results"]]
    cluster = client.get("/clusters/sample-cluster-001").json()
    assert cluster["kind"] == "cluster" and cluster["attributes"]["members"]
    asset = client.get("/ip-assets/sample-ip-0001").json()
    assert asset["kind"] == "ip_asset" and asset["attributes"]["ipc"]
    missing = client.get("/organizations/nope", params={"lang": "fr"})
    assert missing.status_code == 404 and missing.json() == {
        "code": "not_found",
        "message": "Fiche introuvable.",
    }
    assert client.get("/no/such/route").json()["code"] == "not_found"


def test_export_csv_and_xlsx(client: TestClient) -> None:
    csv_file = client.get("/search/export", params={"q": "welding", "limit": 7, "format": "csv"})
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_file.headers["content-disposition"]
    lines = csv_file.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("rank,id,kind,name,score") and len(lines) == 8
    xlsx = client.get("/search/export", params={"q": "welding", "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/search/export", params={"q": "welding", "format": "pdf"}).status_code == 422


def test_an_unknown_filter_is_refused_on_every_route(client: TestClient) -> None:
    some_id = client.get("/search", params={"q": "machining", "kind": "organization"}).json()
    record_id = some_id["results"][0]["id"]
    for path, params in (
        ("/search", {"q": "machining", "foo": "bar"}),
        ("/search/export", {"q": "machining", "provnce": "QC"}),
        (f"/organizations/{record_id}/similar", {"sme": "yes", "colour": "red"}),
    ):
        answer = client.get(path, params={**params, "lang": "fr"})
        assert answer.status_code == 400, path
        assert answer.json()["code"] == "bad_query"
        assert "Paramètre inconnu" in answer.json()["message"]
    assert client.post("/search", json={"query": "x", "filters": {"foo": "bar"}}).status_code == 400


def test_typed_filter_values_over_http(client: TestClient) -> None:
    by_code = client.get("/search", params={"q": "machining", "ownership": "women_owned"}).json()
    by_words = client.get(
        "/search", params={"q": "machining", "ownership": "appartenant à des femmes"}
    ).json()
    assert by_code["total"] == by_words["total"] > 0
    sized = client.get("/search", params={"q": "machining", "size": "20-99"}).json()
    assert sized["total"] > 0 and {f["value"] for f in sized["facets"]["size"]} == {"20-99"}
    clusters = client.get("/search", params={"q": "machining"}).json()["facets"]["cluster"]
    assert all(entry.get("label") for entry in clusters)


def test_a_query_about_nothing_says_so_in_both_languages(client: TestClient) -> None:
    english = client.get("/search", params={"q": "xqzv plorb wibble"}).json()
    assert (english["total"], english["results"], english["facets"]) == (0, [], {})
    assert english["message"].startswith("No record found")
    french = client.post("/search?lang=fr", json={"query": "xqzv plorb wibble"}).json()
    assert french["message"].startswith("Aucune fiche trouvée")
    assert client.get("/search", params={"q": "injection moulding"}).json()["message"] is None


def test_accept_language_weights_and_unknown_body_keys(client: TestClient) -> None:
    def language(header: str) -> str:
        answer = client.get("/search", params={"q": " "}, headers={"Accept-Language": header})
        return "fr" if "vide" in answer.json()["message"] else "en"

    assert language("fr;q=0.1, en") == "en"
    assert language("en;q=0.1, fr") == "fr"
    assert language("fr-CA") == "fr"
    assert client.post("/search", json={"query": "machining", "foo": "bar"}).status_code == 422


def test_a_wrong_method_is_a_405_that_says_which_methods_are_taken(client: TestClient) -> None:
    answer = client.delete("/search", params={"lang": "fr"})
    assert answer.status_code == 405 and answer.json() == {
        "code": "method_not_allowed",
        "message": "Cette adresse n'accepte pas cette méthode; voir /docs.",
    }
    assert sorted(m.strip() for m in answer.headers["allow"].split(",")) == ["GET", "POST"]
    assert client.put("/health").headers["allow"] == "GET"


def test_a_body_over_the_limit_is_refused_in_the_language_asked_for(client: TestClient) -> None:
    answer = client.post(
        "/search?lang=fr",
        content=b'{"query": "x", "pad": "' + b"a" * 3_000_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413 and answer.json() == {
        "code": "too_large",
        "message": "Le corps de la requête est trop grand; voir les limites dans /docs.",
    }


def test_an_api_key_sent_twice_is_refused_and_one_is_trimmed(client: TestClient) -> None:
    twice = [("X-API-Key", ADMIN_KEY), ("X-API-Key", "another-key-0123456789")]
    for path in ("/health", "/search?q=welding", "/duplicates"):
        refused = client.get(path, headers=twice)
        assert refused.status_code == 400 and refused.json() == {
            "code": "bad_request",
            "message": "Send one X-API-Key header, not several.",
        }, path
    french = client.get("/duplicates", headers=[*twice, ("Accept-Language", "fr")])
    assert french.json()["message"] == "Envoyez un seul en-tête X-API-Key, pas plusieurs."
    same_twice = client.get("/duplicates", headers=[("X-API-Key", ADMIN_KEY)] * 2)
    assert same_twice.status_code == 400, "never the first one wins, even when both agree"
    for padded in (f"{ADMIN_KEY}\t", f" {ADMIN_KEY} ", f"\t{ADMIN_KEY}"):
        assert client.get("/duplicates", headers={"X-API-Key": padded}).status_code == 200
    assert client.get("/duplicates", headers={"X-API-Key": " \t "}).status_code == 401
    assert client.get("/duplicates", headers={"X-API-Key": ADMIN_KEY[:-1]}).status_code == 403


def test_the_documented_query_limit_is_the_servers(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    documented = [
        next(p["schema"] for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "q")
        for path in ("/search", "/search/export")
    ]
    documented.append(spec["components"]["schemas"]["SearchRequest"]["properties"]["query"])
    for schema in documented:
        assert (schema["minLength"], schema["maxLength"]) == (1, MAX_QUERY_CHARS)
    longest = "a" * MAX_QUERY_CHARS
    assert client.get("/search", params={"q": longest}).status_code == 200
    assert client.post("/search", json={"query": longest}).status_code == 200
    for length in (MAX_QUERY_CHARS + 1, 10 * MAX_QUERY_CHARS + 1):  # the second was a 422
        over = "a" * length
        for answer in (
            client.get("/search", params={"q": over, "lang": "fr"}),
            client.get("/search/export", params={"q": over, "lang": "fr"}),
            client.post("/search?lang=fr", json={"query": over}),
        ):
            assert answer.status_code == 400 and answer.json() == {
                "code": "bad_query",
                "message": f"La requête compte {length:,} caractères; la limite est 1,000.",
            }
    # counted as sent: spaces that the engine would collapse count too, as maxLength says
    spaced = client.get("/search", params={"q": "a" + " " * MAX_QUERY_CHARS})
    assert spaced.status_code == 400 and spaced.json()["code"] == "bad_query"
    empty = client.post("/search", json={"query": ""})
    assert empty.status_code == 400 and empty.json()["message"] == "The query is empty."


def test_the_documented_query_limit_follows_the_engines_setting(tmp_path: Path) -> None:
    settings = replace(load_settings(data_dir=tmp_path / "index", model="fake"), max_query_chars=50)
    spec = create_app(Engine(settings, embedder=FakeEmbedder())).openapi()
    assert spec["components"]["schemas"]["SearchRequest"]["properties"]["query"]["maxLength"] == 50
    assert [
        p["schema"]["maxLength"]
        for p in spec["paths"]["/search"]["get"]["parameters"]
        if p["name"] == "q"
    ] == [50]


def test_every_error_answer_is_documented_as_a_problem(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
            assert {"400", "422", "503"} <= set(errors), (method, path)
            for status, response in errors.items():
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
    for kind in ("organizations", "clusters", "ip-assets"):
        similar = spec["paths"][f"/{kind}/{{record_id}}/similar"]["get"]["responses"]
        assert {"400", "404", "422"} <= set(similar)
    bad_filter = client.get("/clusters/sample-cluster-001/similar", params={"sme": "maybe"})
    assert bad_filter.status_code == 400 and bad_filter.json()["code"] == "bad_query"


def test_an_export_takes_the_whole_result_set_and_says_when_it_is_cut(
    client: TestClient,
) -> None:
    import io

    import openpyxl

    total = client.get("/search", params={"q": "manufacturing"}).json()["total"]
    assert total > 100  # more than one page of the search
    csv_file = client.get("/search/export", params={"q": "manufacturing", "format": "csv"})
    rows = csv_file.content.decode("utf-8-sig").splitlines()[1:]
    assert len(rows) == min(total, 300)
    assert [line.split(",")[0] for line in rows[:3]] == ["1", "2", "3"]
    assert client.get("/search/export", params={"q": "x", "limit": 301}).status_code == 422
    xlsx = client.get(
        "/search/export", params={"q": "manufacturing", "format": "xlsx", "lang": "fr"}
    )
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    about = {row[0]: row[1] for row in book["À propos"].values}
    assert about["résultats"] == total
    shown = about["lignes exportées"]
    assert shown == total if total <= 300 else str(shown).startswith("les 300 premiers")


def test_an_ip_assets_owner_is_named(client: TestClient) -> None:
    asset = client.get("/ip-assets/sample-ip-0001").json()
    owner = asset["attributes"]["owner"]
    member = client.get(f"/organizations/{owner}").json()
    assert asset["attributes"]["owner_name"] == member["name"]


def test_a_shortlist_exports_what_the_caller_may_read_without_formulas(
    client: TestClient,
) -> None:
    hostile = (
        '[{"id": "sl-1", "name": "=HYPERLINK(\\"http://x\\") Works", "description": "Welding"}]'
    )
    headers = {"X-API-Key": ADMIN_KEY}
    assert client.post("/records/organization", content=hostile, headers=headers).status_code == 200
    body = {
        "records": [{"kind": "organization", "id": "sl-1"}, {"kind": "organization", "id": "nope"}]
    }
    answer = client.post("/shortlist/export", params={"format": "csv"}, json=body)
    assert answer.status_code == 200
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("name,kind,id") and len(lines) == 2  # the unknown id left out
    first_cell = next(csv.reader([lines[1]]))[0]
    assert first_cell.startswith("'=HYPERLINK")  # text a spreadsheet shows, never runs
    too_many = {"records": [{"kind": "organization", "id": str(n)} for n in range(51)]}
    assert client.post("/shortlist/export", json=too_many).status_code in (400, 422)
