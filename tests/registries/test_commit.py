"""An upload, a supplier directory import and a decision each commit as one step: killed (SIGKILL)
at any step of the write, the data directory holds the old index version with the old kept
upload, or the new version with its upload, and the next write starts from the one it holds."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from ngen_connect import Engine, load_settings
from ngen_connect.index.datadir import FAULT_AT, DataDir
from ngen_connect.registries import RegistryService, Status
from ngen_connect.registries.service import registry_content
from ngen_connect.registries.uploads import UPLOADS
from tests.conftest import copy_index, run_cli

MEMBERS = """id,name,description,city,province
m1,Usinage Côté ltée,Usinage CNC de pièces en titane.,Québec,QC
m2,Prairie Plastics Ltd.,Injection moulding of plastic housings.,Regina,SK
m4,Prairie Plastics Inc.,Rotational moulding of tanks.,Saskatoon,SK
"""
#: a supplier directory, one row per company and category: m1 matched, one new supplier
FIRST = """name,city,province,category
USINAGE COTE LIMITEE,Québec,QC,machining
Keystone Pumps,Saskatoon,SK,pumps
Keystone Pumps,Saskatoon,SK,dewatering
"""
#: the next one: two more new suppliers
SECOND = FIRST + "Delta Hoists,Regina,SK,hoists\nOmega Liners,Timmins,ON,liners\n"
#: and the one after: Keystone and Delta leave, Sudbury Bolts comes
THIRD = """name,city,province,category
USINAGE COTE LIMITEE,Québec,QC,machining
Omega Liners,Timmins,ON,liners
Sudbury Bolts,Sudbury,ON,fasteners
"""

#: every step of a registry write, in order, and whether the write is live once it is reached
STEPS = {
    "version-built": False,
    "before-upload-kept": False,
    "after-upload-kept": False,
    "before-publish": False,
    "after-rename": False,
    "after-swap": True,
    "after-prune": True,
}


def _engine(data_dir: Path) -> Engine:
    return Engine(load_settings(data_dir=data_dir, model="fake"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@dataclass(frozen=True)
class Base:
    data_dir: Path
    version: str  # the live version, which produced upload 1
    files: Path  # FIRST, SECOND, THIRD as CSV files


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    """Members indexed, then FIRST imported as the registry's upload 1; copy it before writing."""
    files = tmp_path_factory.mktemp("files")
    data_dir = tmp_path_factory.mktemp("base") / "data"
    engine = _engine(data_dir)
    try:
        engine.index_files([_write(files / "members.csv", MEMBERS)])
        for name, text in (("first", FIRST), ("second", SECOND), ("third", THIRD)):
            _write(files / f"{name}.csv", text)
        RegistryService(engine).import_directory("simsa", files / "first.csv")
    finally:
        engine.close()
    current = DataDir(data_dir).current
    assert current is not None
    return Base(data_dir, current.name, files)


def _killed(args: list[str], step: str) -> None:
    """Run `args` (a command line) with the fault set at `step`; it must die by SIGKILL."""
    done = subprocess.run(
        args, capture_output=True, text=True, env=_env(step), timeout=300, check=False
    )
    assert done.returncode == -signal.SIGKILL, (step, done.returncode, done.stderr[-2000:])


def _env(step: str) -> dict[str, str]:
    return {**os.environ, FAULT_AT: step}


def _cli(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("ngen-connect")), *args]


def _check_consistent(service: RegistryService, name: str = "simsa") -> int:
    """The registry's records and listings in search are exactly its latest kept upload's;
    returns that upload's number."""
    latest = service.kept(name)
    expected_records, expected_listings = registry_content(name, latest.report.rows)
    records = service.engine.records()
    own = {key for key, r in records.items() if r.attributes.get("registry") == name}
    listed = {key for key, r in records.items() if name in (r.attributes.get("listed_in") or {})}
    assert own == {p.key for p in expected_records}
    assert listed == set(expected_listings)
    return latest.number


def _state(data_dir: Path) -> tuple[str, int]:
    """The live version and the latest kept upload's number, checked to agree with search."""
    current = DataDir(data_dir).current
    assert current is not None
    engine = _engine(data_dir)
    try:
        return current.name, _check_consistent(RegistryService(engine))
    finally:
        engine.close()


@pytest.mark.parametrize("step", list(STEPS))
def test_an_import_killed_at_any_step_leaves_the_old_state_or_the_new(
    base: Base, tmp_path: Path, step: str
) -> None:
    data_dir = copy_index(base.data_dir, tmp_path / "data")
    second = str(base.files / "second.csv")
    _killed(
        _cli("registry", "import", "simsa", second, "--data-dir", str(data_dir), "--model", "fake"),
        step,
    )

    version, latest = _state(data_dir)
    if STEPS[step]:
        assert version != base.version and latest == 2, "the new version with its upload"
    else:
        assert version == base.version and latest == 1, "the old version and upload"

    engine = _engine(data_dir)
    try:
        service = RegistryService(engine)
        assert len(service.kept("simsa").report.rows) == (4 if latest == 2 else 2)
        third = service.import_directory("simsa", base.files / "third.csv")
        assert third.number == latest + 1
        assert third.changes.previous == f"{latest:05d}", "changes against the upload kept"
        added, removed = (1, 2) if latest == 2 else (2, 1)
        assert (len(third.changes.added), len(third.changes.removed)) == (added, removed)
        assert _check_consistent(service) == latest + 1
    finally:
        engine.close()
    versions = {p.name for p in (data_dir / "versions").iterdir()}
    assert not [v for v in versions if v.startswith(".")], "leftovers cleared by the next write"


DECIDE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ngen_connect import Engine, load_settings
    from ngen_connect.registries import RegistryService, Status
    engine = Engine(load_settings(data_dir=Path(sys.argv[1]), model="fake"))
    RegistryService(engine).decide("simsa", None, 3, Status.MATCHED, "m4")
    """
)
#: row 2 matched, row 3 ambiguous (two members named Prairie Plastics), row 4 new
REVIEW = """name,description
USINAGE COTE LIMITEE,CNC machining
Prairie Plastics,Plastic parts
Keystone Pumps,Dewatering pumps for mines.
"""


@pytest.fixture(scope="module")
def reviewed(base: Base, tmp_path_factory: pytest.TempPathFactory) -> Base:
    """`base` with REVIEW uploaded (upload 2), its row 3 waiting for a decision."""
    data_dir = copy_index(base.data_dir, tmp_path_factory.mktemp("reviewed") / "data")
    engine = _engine(data_dir)
    try:
        upload = RegistryService(engine).upload("simsa", _write(base.files / "r.csv", REVIEW))
        assert upload.number == 2 and upload.report.row(3).match.status is Status.AMBIGUOUS
    finally:
        engine.close()
    current = DataDir(data_dir).current
    assert current is not None
    return Base(data_dir, current.name, base.files)


@pytest.mark.parametrize("step", ["after-upload-kept", "after-rename", "after-swap"])
def test_a_decision_killed_at_any_step_leaves_the_old_state_or_the_new(
    reviewed: Base, tmp_path: Path, step: str
) -> None:
    data_dir = copy_index(reviewed.data_dir, tmp_path / "data")
    _killed([sys.executable, "-c", DECIDE, str(data_dir)], step)

    version, latest = _state(data_dir)
    assert latest == 2
    engine = _engine(data_dir)
    try:
        service = RegistryService(engine)
        decision = service.kept("simsa").report.row(3).decision
        if STEPS[step]:
            assert version != reviewed.version and decision is not None
        else:
            assert version == reviewed.version and decision is None
        decided = service.decide("simsa", None, 3, Status.NEW)
        assert decided.row["status"] == "new" and decided.upload == 2
        assert _check_consistent(service) == 2
        assert service.kept("simsa").report.row(3).decision is not None
    finally:
        engine.close()


def _as_an_earlier_release(data_dir: Path) -> None:
    """Keep the uploads where an earlier release did (DATA_DIR/registries/NAME/00001.json) and
    in no version."""
    current = DataDir(data_dir).current
    assert current is not None
    legacy = data_dir / "registries"
    for registry in (current / UPLOADS).iterdir():
        shutil.copytree(registry, legacy / registry.name)
    for version in (data_dir / "versions").iterdir():
        shutil.rmtree(version / UPLOADS, ignore_errors=True)


@pytest.mark.parametrize("step", ["after-upload-kept", "after-swap", "legacy-removal", ""])
def test_an_earlier_releases_uploads_stay_readable_and_move_in_one_step(
    base: Base, tmp_path: Path, step: str
) -> None:
    data_dir = copy_index(base.data_dir, tmp_path / "data")
    _as_an_earlier_release(data_dir)
    assert _state(data_dir) == (base.version, 1), "read from DATA_DIR/registries"
    second = str(base.files / "second.csv")
    args = ["registry", "import", "simsa", second, "--data-dir", str(data_dir), "--model", "fake"]
    if step:
        _killed(_cli(*args), step)
    else:
        assert run_cli(*args).returncode == 0

    version, latest = _state(data_dir)
    assert (version == base.version, latest) == (
        (True, 1) if step == "after-upload-kept" else (False, 2)
    )
    legacy = data_dir / "registries" / "simsa"
    if not step:
        assert not legacy.exists(), "the earlier release's copies are removed once moved"
    engine = _engine(data_dir)
    try:
        third = RegistryService(engine).import_directory("simsa", base.files / "third.csv")
        assert (third.number, third.changes.previous) == (latest + 1, f"{latest:05d}")
    finally:
        engine.close()
    assert not legacy.exists()
    uploads = DataDir(data_dir).current / UPLOADS / "simsa"  # type: ignore[operator]
    assert [p.name for p in sorted(uploads.iterdir())] == [
        f"{n:05d}.json" for n in range(1, latest + 2)
    ]
