"""The data directory: hidden building folders, the atomic `current` swap, pruning, the lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from ngen_connect.atomic import replace_atomic
from ngen_connect.errors import IndexLockedError, IndexMismatchError, IndexNotFoundError
from ngen_connect.index.datadir import FAULT_AT, DataDir
from ngen_connect.index.store import SCHEMA_VERSION
from ngen_connect.index.version import MANIFEST, RECORDS, VECTORS, Manifest

REPO = Path(__file__).resolve().parents[2]


def complete(folder: Path, model: str = "fake:64") -> Path:
    """Fill a building folder as a write does before publishing it."""
    for name in (RECORDS, VECTORS):
        (folder / name).write_text(f"{name} of {folder.name}", encoding="utf-8")
    Manifest(model, 64, version=DataDir.version_name(folder)).write(folder)
    return folder


def publish_new(data: DataDir) -> Path:
    with data.write_lock():
        return data.publish(complete(data.new_version(data.current)))


def published(data: DataDir) -> list[str]:
    return sorted(p.name for p in (data.root / "versions").iterdir())


def test_an_empty_data_dir_has_no_current_version(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "index")
    assert data.current is None
    with pytest.raises(IndexNotFoundError, match="index"):
        data.require_current()


def test_a_building_version_is_hidden_until_published(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "index")
    folder = data.new_version(None)
    assert folder.is_dir() and folder.name.startswith(".")
    assert folder.parent == data.root / "versions"
    assert list(folder.iterdir()) == []
    assert not data.current
    complete(folder)
    final = data.publish(folder)
    assert final.name == DataDir.version_name(folder) == folder.name.removeprefix(".building-")
    assert not folder.exists()
    assert data.current == final.resolve()
    assert data.require_current() == final.resolve()
    assert (final / RECORDS).read_text(encoding="utf-8") == f"{RECORDS} of {folder.name}"
    # `current` is a relative symlink, so the data dir can be moved or mounted elsewhere
    link = os.readlink(data.root / "current")
    assert not os.path.isabs(link)
    assert not [p for p in data.root.iterdir() if p.name.startswith(".current-")]


def test_a_file_system_without_hard_links_gets_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = DataDir(tmp_path / "index")
    first = publish_new(data)

    def no_links(source: Path, target: Path) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    copy = data.new_version(data.current)
    assert (copy / VECTORS).read_bytes() == (first / VECTORS).read_bytes()
    assert (copy / VECTORS).stat().st_ino != (first / VECTORS).stat().st_ino


def test_publish_swaps_current_and_copies_start_from_the_live_version(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "index")
    first = publish_new(data)
    copy = data.new_version(data.current)
    for name in (RECORDS, VECTORS, MANIFEST):
        assert (copy / name).read_bytes() == (first / name).read_bytes()
    assert data.current == first.resolve()  # the copy changes nothing live
    (copy / RECORDS).write_text("changed", encoding="utf-8")
    assert (first / RECORDS).read_text(encoding="utf-8") != "changed"
    # records and manifest are copies (changed in place); the other files are links (replaced)
    assert (copy / RECORDS).stat().st_ino != (first / RECORDS).stat().st_ino
    assert (copy / MANIFEST).stat().st_ino != (first / MANIFEST).stat().st_ino
    assert (copy / VECTORS).stat().st_ino == (first / VECTORS).stat().st_ino
    second = data.publish(copy)
    assert data.current == second.resolve() != first.resolve()
    assert (data.require_current() / RECORDS).read_text(encoding="utf-8") == "changed"


def test_a_versions_subfolders_are_linked_into_the_next_even_a_rebuilds(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "index")
    with data.write_lock():
        folder = complete(data.new_version(None))
        (folder / "uploads" / "simsa").mkdir(parents=True)
        (folder / "uploads" / "simsa" / "00001.json").write_text("first", encoding="utf-8")
        (folder / "uploads" / "simsa" / ".00002.json.tmp").write_text("half", encoding="utf-8")
        first = data.publish(folder)
    kept = first / "uploads" / "simsa" / "00001.json"
    for copy_from in (data.current, None):  # the next write, a rebuild
        copy = data.new_version(copy_from)
        linked = copy / "uploads" / "simsa" / "00001.json"
        assert linked.stat().st_ino == kept.stat().st_ino
        assert [p.name for p in linked.parent.iterdir()] == ["00001.json"], "no half-written file"
        replace_atomic(linked, lambda tmp: tmp.write_text("decided", encoding="utf-8"))
        assert kept.read_text(encoding="utf-8") == "first", "the live version keeps its own"
        data.discard(copy)


def test_a_fault_point_kills_the_process_only_at_its_step(tmp_path: Path) -> None:
    script = "from ngen_connect.index.datadir import fault_point; fault_point('a'); print('on')"
    for step, killed in (("a", True), ("b", False)):
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, FAULT_AT: step},
            check=False,
        )
        assert (done.returncode, done.stdout) == ((-signal.SIGKILL, "") if killed else (0, "on\n"))


def test_discard_removes_a_building_folder_and_keeps_current(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "index")
    live = publish_new(data)
    folder = complete(data.new_version(live))
    data.discard(folder)
    assert not folder.exists()
    assert data.current == live.resolve()
    assert published(data) == [live.name]
    data.discard(folder)  # twice is harmless


def test_a_crashed_write_is_ignored_then_cleared(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "index")
    live = publish_new(data)
    # a write killed half-way leaves its hidden folder behind, complete or not
    crashed = complete(data.new_version(live))
    half = data.new_version(None)
    assert not crashed.exists()  # a new write clears older leftovers first
    (half / RECORDS).write_text("half", encoding="utf-8")
    assert data.current == live.resolve()
    # the next write clears it away, and only it
    after = publish_new(data)
    assert not half.exists()
    assert published(data) == sorted([live.name, after.name])
    assert data.current == after.resolve()


def test_prune_keeps_the_three_newest_versions(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "index")
    made = [publish_new(data).name for _ in range(5)]
    assert made == sorted(made)  # names sort in the order they were made
    assert published(data) == made[-3:]
    assert data.current is not None and data.current.name == made[-1]


def test_prune_never_removes_the_live_version(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "index")
    newer = [publish_new(data).name for _ in range(3)]
    # a version whose name sorts first (a clock set back) is published last
    with data.write_lock():
        early = data.root / "versions" / ".building-19990101T000000000000Z-abcdef"
        early.mkdir()
        live = data.publish(complete(early))
    assert live.name == "19990101T000000000000Z-abcdef"
    assert data.current == live.resolve()
    assert published(data) == [live.name, *newer]


def test_a_folder_without_a_manifest_is_not_a_version(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "index")
    stray = data.root / "versions" / "00000000T000000000000Z-stray0"
    stray.mkdir(parents=True)
    made = [publish_new(data).name for _ in range(4)]
    assert stray.is_dir()  # not pruned, and not counted among the versions kept
    assert published(data) == sorted([stray.name, *made[-3:]])


def test_the_write_lock_excludes_a_second_writer(tmp_path: Path) -> None:
    root = tmp_path / "index"
    first, second = DataDir(root), DataDir(root)
    with first.write_lock():
        with pytest.raises(IndexLockedError, match="index"), second.write_lock():
            pytest.fail("two writers held the lock")
        assert (root / ".write.lock").exists()
    with second.write_lock():  # released on exit
        pass


def test_the_write_lock_is_taken_again_by_its_holder_only(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "index")
    failures: list[BaseException] = []

    def other_thread() -> None:
        try:
            with data.write_lock():
                pass
        except IndexLockedError as exc:
            failures.append(exc)

    with data.write_lock():
        with data.write_lock():  # a write inside a read-then-write step
            pass
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert len(failures) == 1, "another thread of the same process is a second writer"
    with DataDir(tmp_path / "index").write_lock():  # released once the outer step ends
        pass


def test_the_write_lock_is_released_when_the_write_fails(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "index")
    with pytest.raises(RuntimeError), data.write_lock():
        raise RuntimeError("write failed")
    with DataDir(tmp_path / "index").write_lock():
        pass


def test_the_write_lock_excludes_another_process(tmp_path: Path) -> None:
    holder = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from ngen_connect.index.datadir import DataDir

        with DataDir(Path(sys.argv[1])).write_lock():
            print("locked", flush=True)
            sys.stdin.readline()
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", holder, str(tmp_path / "index")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert process.stdout is not None and process.stdin is not None
        assert process.stdout.readline().strip() == "locked"
        with pytest.raises(IndexLockedError), DataDir(tmp_path / "index").write_lock():
            pytest.fail("the lock was taken while another process held it")
        process.stdin.write("done\n")
        process.stdin.flush()
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
    with DataDir(tmp_path / "index").write_lock():  # free once that process let go
        pass


def test_manifest_round_trip(tmp_path: Path) -> None:
    manifest = Manifest("fake:64", 64, counts={"organization": 2}, passages=5, created="c")
    manifest.write(tmp_path)
    assert Manifest.read(tmp_path) == manifest
    assert json.loads((tmp_path / MANIFEST).read_text(encoding="utf-8"))["schema_version"] == (
        SCHEMA_VERSION
    )
    assert not [p for p in tmp_path.iterdir() if p.name != MANIFEST]  # no temporary file left


def test_an_unreadable_manifest_is_a_mismatch(tmp_path: Path) -> None:
    with pytest.raises(IndexMismatchError, match=MANIFEST):
        Manifest.read(tmp_path)
    (tmp_path / MANIFEST).write_text("{half", encoding="utf-8")
    with pytest.raises(IndexMismatchError):
        Manifest.read(tmp_path)
    (tmp_path / MANIFEST).write_text('{"model": "fake:64"}', encoding="utf-8")
    with pytest.raises(IndexMismatchError):
        Manifest.read(tmp_path)


def test_check_compatible(tmp_path: Path) -> None:
    manifest = Manifest("fake:64", 64)
    manifest.check_compatible("fake:64", 64, tmp_path)
    with pytest.raises(IndexMismatchError, match="fake:64") as other_model:
        manifest.check_compatible("intfloat/multilingual-e5-small", 64, tmp_path)
    assert "intfloat/multilingual-e5-small" in str(other_model.value)
    with pytest.raises(IndexMismatchError, match="384"):
        manifest.check_compatible("fake:64", 384, tmp_path)
    old = Manifest("fake:64", 64, schema_version=SCHEMA_VERSION - 1)
    with pytest.raises(IndexMismatchError, match=str(SCHEMA_VERSION - 1)):
        old.check_compatible("fake:64", 64, tmp_path)
