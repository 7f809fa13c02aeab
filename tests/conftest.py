"""Shared fixtures. Every test runs in its own folder with NGEN_CONNECT_* variables cleared."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

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
