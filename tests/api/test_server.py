"""The app behind a real uvicorn process, started the way users start it (`ngen-connect serve`,
`ngen-connect demo`): only what a separate process shows — the commands' start-up, output and exit
codes, bodies streamed over a socket, requests served at the same time. The HTTP behaviour itself
is tested in process (test_api.py, test_api_registries.py); the web page in test_browser.py."""

import asyncio
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI

from ngen_connect.api.app import create_app
from tests.conftest import ADMIN_KEY, copy_index, demo_engine, running_server

ADMIN = {"X-API-Key": ADMIN_KEY}
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Iterator[str]:
    """`ngen-connect serve --model fake` on a copy of the indexed sample data."""
    folder = tmp_path_factory.mktemp("server")
    data_dir = copy_index(sample_index, folder / "data")
    with running_server(
        "serve", "--data-dir", str(data_dir), "--model", "fake", log_dir=folder
    ) as base:
        yield base


def _streamed(head: bytes, size: int, tail: bytes) -> Iterator[bytes]:
    """A body sent in chunks, without a Content-Length."""
    yield head
    chunk = b"a" * 65_536
    for _ in range(size // len(chunk) + 1):
        yield chunk
    yield tail


def test_serve_answers_health_and_search(server: str) -> None:
    health = httpx.get(f"{server}/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok" and body["model"] == "fake:64"
    assert body["counts"] == {"organization": 500, "cluster": 32, "ip_asset": 200}
    got = httpx.get(f"{server}/search", params={"q": "injection moulding", "limit": 5})
    posted = httpx.post(f"{server}/search", json={"query": "injection moulding", "limit": 5})
    assert got.status_code == posted.status_code == 200 and got.json() == posted.json()
    assert 5 < got.json()["total"] < 300 and len(got.json()["results"]) == 5
    empty = httpx.get(f"{server}/search", params={"q": " ", "lang": "fr"})
    assert empty.status_code == 400 and empty.json() == {
        "code": "bad_query",
        "message": "La requête est vide.",
    }
    page = httpx.get(f"{server}/")
    assert page.status_code == 200 and "NGen Connect" in page.text


def test_bodies_over_the_limit_are_refused_as_they_arrive(server: str) -> None:
    declared = httpx.post(
        f"{server}/search",
        content=b'{"query": "x", "pad": "' + b"a" * 3_000_000 + b'"}',
        headers=JSON,
    )
    assert declared.status_code == 413 and declared.json()["code"] == "too_large"
    streamed = httpx.post(
        f"{server}/records/organization/delete",
        content=_streamed(b'{"ids": ["', 3_000_000, b'"]}'),
        headers={**JSON, **ADMIN},
    )
    assert streamed.status_code == 413 and streamed.json()["code"] == "too_large"
    upload = httpx.post(
        f"{server}/registries/streamed/uploads",
        params={"filename": "big.json"},
        content=_streamed(b'[{"name": "', 11 * 1024 * 1024, b'"}]'),
        headers=ADMIN,
        timeout=60,
    )
    assert upload.status_code == 413 and upload.json()["code"] == "too_large"
    assert upload.json()["message"].startswith("big.json") and "10 MB" in upload.json()["message"]
    assert httpx.get(f"{server}/health").status_code == 200


def test_a_streamed_search_body_over_the_limit_is_413(server: str) -> None:
    answer = httpx.post(
        f"{server}/search",
        content=_streamed(b'{"query": "x", "pad": "', 3_000_000, b'"}'),
        headers=JSON,
    )
    assert answer.status_code == 413 and answer.json()["code"] == "too_large"


def test_searches_served_at_once_answer_as_one_at_a_time(server: str) -> None:
    requests = [
        {"q": query, "limit": 5, **extra}
        for query in ("machining", "usinage", "welding", "soudage", "aerospace", "packaging")
        for extra in ({}, {"province": ["QC", "ON"]}, {"kind": "ip_asset", "lang": "fr"})
    ]

    def search(params: dict[str, Any]) -> Any:
        answer = httpx.get(f"{server}/search", params=params, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.json()

    alone = [search(params) for params in requests]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(search, requests * 2)) == alone * 2


def test_searches_are_served_while_a_write_runs(server: str) -> None:
    queries = ["machining", "usinage", "welding", "soudage", "aerospace", "injection moulding"] * 2
    record = {"id": "concurrent-1", "name": "Concurrent Castings Ltd.", "description": "Casting."}

    def search(query: str) -> httpx.Response:
        return httpx.get(f"{server}/search", params={"q": query, "limit": 5}, timeout=60)

    with ThreadPoolExecutor(max_workers=8) as pool:
        first = pool.map(search, queries[:6])
        write = pool.submit(
            httpx.post,
            f"{server}/records/organization",
            json=[record],
            headers=ADMIN,
            timeout=60,
        )
        answers = [*first, *pool.map(search, queries[6:])]
    assert write.result().status_code == 200
    assert write.result().json()["counts"]["added"] == 1
    for query, answer in zip(queries, answers, strict=True):
        assert answer.status_code == 200, answer.text
        assert answer.json()["query"] == query and answer.json()["results"]
    assert httpx.get(f"{server}/organizations/concurrent-1").json()["name"] == record["name"]
    deleted = httpx.post(
        f"{server}/records/organization/delete", json={"ids": ["concurrent-1"]}, headers=ADMIN
    )
    assert deleted.json() == {"removed": ["concurrent-1"], "missing": []}


def test_workers_share_the_index_and_see_each_others_writes(
    tmp_path: Path, sample_index: Path
) -> None:
    """`serve --workers 2`: two processes on one port, each with its own engine; a write made
    through either is seen by both, and the admin key reaches both."""
    data_dir = copy_index(sample_index, tmp_path / "data")
    with running_server(
        "serve", "--data-dir", str(data_dir), "--model", "fake", "--workers", "2", log_dir=tmp_path
    ) as base:
        queries = [{"q": "injection moulding", "limit": 5}, {"q": "usinage", "province": "QC"}]
        first = [httpx.get(f"{base}/search", params=q).json() for q in queries]
        with ThreadPoolExecutor(max_workers=4) as pool:
            again = list(
                pool.map(lambda q: httpx.get(f"{base}/search", params=q).json(), queries * 4)
            )
        assert again == first * 4
        record = {"id": "workers-1", "name": "Zorblax Tempering Ltd.", "description": "Tempering."}
        added = httpx.post(f"{base}/records/organization", json=[record], headers=ADMIN, timeout=60)
        assert added.status_code == 200 and added.json()["counts"]["added"] == 1
        for _ in range(8):  # whichever worker answers
            found = httpx.get(f"{base}/search", params={"q": "zorblax tempering"}).json()
            assert found["results"][0]["id"] == "workers-1"
    log = (tmp_path / "server.log").read_text()
    assert log.count("Application startup complete") == 2


def test_connections_to_workers_send_without_delay() -> None:
    """The socket bound for `--workers` says it is TCP, so asyncio turns Nagle's algorithm off on
    the connections it accepts (with uvicorn's own, every kept-alive request waited ~40 ms)."""
    from ngen_connect.api.app import _WorkersConfig

    config = _WorkersConfig("ngen_connect.api.app:app_from_environment", host="127.0.0.1", port=0)
    listening = config.bind_socket()
    nodelay: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            nodelay.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
        _, writer = await asyncio.open_connection(*listening.getsockname())
        for _ in range(100):
            if nodelay:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(accept_one())
    assert listening.proto == socket.IPPROTO_TCP and nodelay == [1]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_without_an_index_exits_with_a_message(tmp_path: Path, workers: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [str(Path(sys.executable).with_name("ngen-connect")), "serve", "--port", str(port)]
    finished = subprocess.run(
        [*command, "--data-dir", str(tmp_path / "data"), "--model", "fake", "--workers", workers],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 1 and finished.stderr.startswith("Error / Erreur: ")
    assert str(tmp_path / "data") in finished.stderr


def test_demo_makes_and_prints_an_admin_key_when_none_is_set(
    tmp_path: Path, sample_index: Path
) -> None:
    data_dir = str(copy_index(sample_index, tmp_path / "data"))  # already indexed: starts sooner
    with running_server(
        "demo",
        "--data-dir",
        data_dir,
        "--model",
        "fake",
        log_dir=tmp_path,
        env={"NGEN_CONNECT_ADMIN_KEY": ""},
    ) as base:
        log = (tmp_path / "server.log").read_text()
        key = log.split("Admin API key for this run (X-API-Key): ", 1)[1].split()[0]
        assert len(key) >= 32
        body = b"name\nSome Company Ltd\n"
        url = f"{base}/registries/demo-reg/uploads"
        assert httpx.post(url, params={"filename": "a.csv"}, content=body).status_code == 401
        accepted = httpx.post(
            url, params={"filename": "a.csv"}, content=body, headers={"X-API-Key": key}
        )
        assert accepted.status_code == 200


@contextmanager
def _serving(app: FastAPI, protocol: str) -> Iterator[tuple[str, int]]:
    """`app` behind a real uvicorn server (`protocol`: its HTTP parser) on a thread here."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, http=protocol, log_level="critical")
    )
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "the server did not start"
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.mark.parametrize("protocol", ["httptools", "h11"])
def test_a_kept_alive_connection_stays_usable_after_a_500(
    tmp_path: Path, sample_index: Path, protocol: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected error answers 500 `internal_error` and the client's next request on the same
    connection is served (uvicorn used to close it, unannounced, and that request failed with a
    reset)."""
    broken = APIRouter()

    @broken.get("/broken")
    def fails() -> None:
        raise RuntimeError("a bug in a route")

    app = create_app(demo_engine(copy_index(sample_index, tmp_path / "data")))
    app.include_router(broken)
    with _serving(app, protocol) as (host, port):
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            connection.request("GET", "/broken", headers={"Accept-Language": "fr"})
            failed = connection.getresponse()
            assert failed.status == 500 and json.loads(failed.read()) == {
                "code": "internal_error",
                "message": "Une erreur s'est produite de notre côté; elle a été consignée.",
            }
            socket_used = connection.sock
            assert socket_used is not None and not failed.will_close
            for path in ("/health", "/broken", "/search?q=welding"):
                connection.request("GET", path)
                answer = connection.getresponse()
                answer.read()
                assert answer.status in {200, 500}, path
                assert connection.sock is socket_used, f"{path}: the connection was not kept"
        finally:
            connection.close()
    assert "RuntimeError: a bug in a route" in caplog.text and "Traceback" in caplog.text
