"""The project as it is installed: one package, `ngen_connect`, with the fronts (api/, indexer/) and
the demo data (fixtures/) mapped into it; a wheel built from it runs the demo on another machine."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

import ngen_connect
import ngen_connect.api.app
import ngen_connect.indexer
from tests.conftest import REPO, server_process

#: top-level folders of the repository that are no part of the package (nor of its sdist)
NOT_PACKAGED = {"build", "dist", "data", "benchmarks", "tests", "test-artifacts"}


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
    assert folders["ngen_connect.fixtures.sample"] == REPO / "fixtures" / "sample"
    on_disk = {
        path.parent
        for top in ("ngen_connect", "api", "indexer", "fixtures")
        for path in (REPO / top).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert on_disk - set(folders.values()) == set(), "folders missing from pyproject's packages"
    assert set(folders.values()) - on_disk == set(), "packages listed without a folder"


def test_the_fronts_are_the_installed_modules_under_one_name() -> None:
    assert Path(ngen_connect.api.app.__file__).parent == REPO / "api"
    assert Path(ngen_connect.indexer.__file__).parent == REPO / "indexer"
    assert Path(ngen_connect.__file__).parent == REPO / "ngen_connect"
    assert not {"api", "indexer", "fixtures"} & set(sys.modules), "a second copy was imported"
    assert not (REPO / "ngen_connect" / "api").exists(), "no link or copy inside the core"


@pytest.mark.parametrize("name", ["api", "api.app", "indexer"])
def test_importing_a_front_by_its_folder_name_is_refused(name: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 1
    package = name.split(".")[0]
    assert f"ImportError: this folder is the package ngen_connect.{package}" in done.stderr


def _run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode:
        pytest.fail(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m build` (sdist, then a wheel from the sdist) on a copy of the repository, so the
    build writes nothing into it; without build isolation, with the pinned setuptools installed."""
    source = tmp_path_factory.mktemp("source") / "ngen-connect"

    def ignore(folder: str, names: list[str]) -> list[str]:
        top = Path(folder) == REPO
        return [
            name
            for name in names
            if name.startswith(".")
            or name == "__pycache__"
            # a left-over SOURCES.txt would add files the configuration does not
            or name.endswith(".egg-info")
            or (top and name in NOT_PACKAGED)
        ]

    shutil.copytree(REPO, source, ignore=ignore)
    dist = source.parent / "dist"
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source))
    (found,) = dist.glob("ngen_connect-*.whl")
    return found


def test_the_wheel_holds_the_package_and_its_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    dist_info = "-".join(wheel.name.split("-")[:2]) + ".dist-info"
    assert {name.split("/")[0] for name in names} == {"ngen_connect", dist_info}
    for needed in (
        "ngen_connect/api/app.py",
        "ngen_connect/api/routers/search.py",
        "ngen_connect/api/static/index.html",
        "ngen_connect/indexer/writer.py",
        "ngen_connect/fixtures/sample/organizations.csv",
        "ngen_connect/fixtures/sample/clusters.csv",
        "ngen_connect/fixtures/sample/ip_assets.csv",
        "ngen_connect/data/naics_titles.tsv",
        "ngen_connect/py.typed",
    ):
        assert needed in names


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment holding only the wheel, installed by pip with --no-deps.

    Its dependencies are the ones this environment installed from constraints.txt, reached by a
    .pth file that adds this environment's site-packages after the new one's own (a folder added
    that way is not a site folder: its .pth files, such as the editable install's, are not run).
    Nothing is downloaded, and the project's own files come from the wheel alone."""
    venv = tmp_path_factory.mktemp("wheel-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    Path(site, "dependencies.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    _run(*pip, "install", "--quiet", "--no-deps", "--no-index", str(wheel))
    return venv


#: offline: any outbound HTTP request would go to a closed port
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "no_proxy": "127.0.0.1,localhost",
}


@pytest.fixture
def elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing in the environment points at this checkout."""
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)


@pytest.mark.usefixtures("elsewhere")
def test_the_installed_package_comes_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    script = (
        "import ngen_connect, ngen_connect.api, ngen_connect.indexer, ngen_connect.fixtures\n"
        "from ngen_connect.sample import bundled_sample_files\n"
        "for m in (ngen_connect, ngen_connect.api, ngen_connect.indexer, ngen_connect.fixtures):\n"
        "    print(m.__file__)\n"
        "print(*(path for _, path in bundled_sample_files()), sep='\\n')\n"
    )
    done = subprocess.run(
        [str(installed / "bin" / "python"), "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, **OFFLINE},
        check=True,
    )
    paths = [Path(line) for line in done.stdout.splitlines()]
    assert len(paths) == 7
    for path in paths:
        assert path.is_relative_to(installed), path


@pytest.fixture
def demo(installed: Path, tmp_path: Path, elsewhere: None) -> Iterator[str]:
    with server_process(
        "demo",
        "--model",
        "fake",
        "--data-dir",
        str(tmp_path / "data"),
        log_dir=tmp_path,
        env=OFFLINE,
        program=installed / "bin" / "ngen-connect",
    ) as (base, _):
        yield base


def test_the_installed_demo_serves_the_page_and_searches_offline(demo: str) -> None:
    page = httpx.get(f"{demo}/", timeout=30)
    assert page.status_code == 200
    assert "<title>NGen Connect</title>" in page.text
    found = httpx.get(f"{demo}/search", params={"q": "titanium machining"}, timeout=30)
    assert found.status_code == 200
    body = found.json()
    assert body["total"] > 0
    assert all(result["id"].startswith("sample-") for result in body["results"])
    assert httpx.get(f"{demo}/health", timeout=30).json()["counts"]["organization"] > 0
