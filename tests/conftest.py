"""Shared fixtures. Every test runs in its own folder with NGEN_CONNECT_* variables cleared."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ngen_connect import Engine, FakeEmbedder, load_settings

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("NGEN_CONNECT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def fake_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = Engine(
        load_settings(data_dir=tmp_path / "index", model="fake"), embedder=FakeEmbedder()
    )
    yield engine
    engine.close()


@pytest.fixture
def crosslang_csv() -> Path:
    return DATA / "crosslang.csv"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(
            f"the reference data folder {SHARED_DATA} is missing (it sits beside the repository)"
        )
    return SHARED_DATA


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `ngen-connect` command as a user would."""
    command = [str(Path(sys.executable).with_name("ngen-connect")), *args]
    return subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600
    )


ADMIN_KEY = "admin-key-for-tests-0123456789"


@contextmanager
def running_server(*args: str, log_dir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`ngen-connect ARGS --port P` on a free loopback port; yields its base URL once /health answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    command = [str(Path(sys.executable).with_name("ngen-connect")), *args, "--port", str(port)]
    log_path = log_dir / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "NGEN_CONNECT_ADMIN_KEY": ADMIN_KEY, **(env or {})},
        )
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
