"""The project as it is installed: one package, `ngen_connect`, with the fronts (api/, indexer/)
mapped into it from their own folders."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import ngen_connect
import ngen_connect.api.app
import ngen_connect.indexer
from tests.conftest import REPO


def _typecheck() -> ModuleType:
    """scripts/typecheck.py, which reads the packages and their folders from pyproject.toml."""
    spec = importlib.util.spec_from_file_location("typecheck", REPO / "scripts" / "typecheck.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_folder_of_the_package_is_installed() -> None:
    folders = _typecheck().package_folders()
    assert folders["ngen_connect.api"] == REPO / "api"
    assert folders["ngen_connect.indexer"] == REPO / "indexer"
    on_disk = {
        path.parent
        for top in ("ngen_connect", "api", "indexer")
        for path in (REPO / top).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert on_disk - set(folders.values()) == set(), "folders missing from pyproject's packages"
    assert set(folders.values()) - on_disk == set(), "packages listed without a folder"


def test_the_fronts_are_the_installed_modules_under_one_name() -> None:
    assert Path(ngen_connect.api.app.__file__).parent == REPO / "api"
    assert Path(ngen_connect.indexer.__file__).parent == REPO / "indexer"
    assert Path(ngen_connect.__file__).parent == REPO / "ngen_connect"
    assert not {"api", "indexer"} & set(sys.modules), "a second copy was imported"
    assert not (REPO / "ngen_connect" / "api").exists(), "no link or copy inside the core"


@pytest.mark.parametrize("name", ["api", "api.app", "indexer"])
def test_importing_a_front_by_its_folder_name_is_refused(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 1
    package = name.split(".")[0]
    assert f"ImportError: this folder is the package ngen_connect.{package}" in done.stderr
