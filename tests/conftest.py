"""Shared fixtures. Every test runs in its own folder with NGEN_CONNECT_* variables cleared."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ngen_connect import (
    Engine,
    FakeEmbedder,
    IndexMismatchError,
    IndexNotFoundError,
    load_settings,
)

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


#: set by CI (.ci/run), where the reference data is present: its absence fails the tests using it
REQUIRE_SHARED_DATA = "NGEN_CONNECT_REQUIRE_SHARED_DATA"
#: read once, before `_isolated` clears every NGEN_CONNECT_* variable for the tests
_SHARED_DATA_REQUIRED = os.environ.get(REQUIRE_SHARED_DATA, "") not in ("", "0")


def reference_data(folder: Path, *, required: bool) -> Path:
    """`folder` if it exists; otherwise the test is skipped, or fails when it is `required`."""
    if not folder.is_dir():
        message = f"the reference data folder {folder} is missing (it sits beside the repository)"
        if required:
            pytest.fail(f"{message}; {REQUIRE_SHARED_DATA} is set, so it must be there")
        pytest.skip(message)
    return folder


@pytest.fixture
def shared_data() -> Path:
    """The real registries in ../shared/data; a test using them is skipped when the folder is
    absent (a clone elsewhere), and fails instead where CI says it must be there."""
    return reference_data(SHARED_DATA, required=_SHARED_DATA_REQUIRED)


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
    with server_process(*args, log_dir=log_dir, env=env) as (base, _):
        yield base


@contextmanager
def server_process(
    *args: str,
    log_dir: Path,
    env: dict[str, str] | None = None,
    prefix: Sequence[str] = (),
    program: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """As `running_server`, with the server's process; `prefix` runs the command through another
    (`unshare`, a shell that prepares a folder first); `program` is another `ngen-connect` than
    this environment's (one installed elsewhere)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    command = [
        *prefix,
        str(program or Path(sys.executable).with_name("ngen-connect")),
        *args,
        "--port",
        str(port),
    ]
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
            yield base, process
        finally:
            process.terminate()
            process.wait(timeout=30)


def invoke_cli(*args: str) -> Result:
    """`ngen-connect ARGS` run in this process (no interpreter start-up); stdout and stderr apart."""
    from ngen_connect.cli import app

    return CliRunner().invoke(app, list(args))


def demo_engine(
    data_dir: Path, *, model: str = "fake", admin_key: str | None = ADMIN_KEY
) -> Engine:
    """The engine `ngen-connect demo --data-dir DATA_DIR --model MODEL` serves, with
    NGEN_CONNECT_ADMIN_KEY=ADMIN_KEY: the bundled SAMPLE data indexed (if changed) first."""
    from ngen_connect.sample import bundled_sample_files

    environ = {"NGEN_CONNECT_ADMIN_KEY": admin_key} if admin_key else {}
    engine = Engine(load_settings(environ, data_dir=data_dir, model=model))
    rebuild = False
    try:
        engine.manifest()
    except IndexNotFoundError:
        pass
    except IndexMismatchError:
        rebuild = True
    for kind, path in bundled_sample_files():
        engine.index_files([path], kind=kind, rebuild=rebuild)
        rebuild = False
    return engine


@contextmanager
def in_process(engine: Engine) -> Iterator[TestClient]:
    """The app `serve` and `demo` run, called through ASGI in this process; the lifespan runs
    (the index opens on entry, the engine closes on exit)."""
    from ngen_connect.api.app import create_app

    with TestClient(create_app(engine), follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the bundled SAMPLE data indexed with the fake model, built once per
    session; copy it with `copy_index` rather than writing to it."""
    data_dir = tmp_path_factory.mktemp("sample-index") / "data"
    demo_engine(data_dir).close()
    return data_dir


def copy_index(source: Path, data_dir: Path) -> Path:
    """A private copy of a data folder (its `current` link is relative, so the copy stands alone)."""
    shutil.copytree(source, data_dir, symlinks=True)
    return data_dir
