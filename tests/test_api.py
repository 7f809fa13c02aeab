"""The HTTP app run by a real uvicorn server, started the way users start it (`ngen-connect demo`)."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`ngen-connect demo` on the bundled sample data, with the fake model to keep it quick."""
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("api") / "data"
    command = [
        str(Path(sys.executable).with_name("ngen-connect")),
        "demo",
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
        "--model",
        "fake",
    ]
    log_path = data_dir.parent / "server.log"
    log = log_path.open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the server exited early:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            pytest.fail("the server did not answer /health within 120 s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


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
    assert empty.status_code == 400 and empty.json()["code"] == "QueryError"
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
