"""The data directory: index versions as folders of plain files, a manifest, an atomic swap.

    DATA_DIR/
      current -> versions/20261124T201500Z-1a2b3c   (symlink, replaced atomically)
      versions/<version>/manifest.json, records.duckdb, vectors.*.faiss, keywords.npz...
      .write.lock

A write starts the next version in a hidden folder (`versions/.building-<version>`) from the live
one: a copy of the records and the manifest, which it changes in place, and hard links to every
other file (vector segments, keyword and product indexes), which it only ever replaces. It then
renames the folder to its version name and only then points `current` at it, so a reader never
sees half an index, and a write that fails or is killed leaves no folder that counts as a version:
the next write clears it away. A 10-row change thus writes about 10 rows' worth of vectors, plus
a copy of the records file.

A version's subfolders hold what must change together with the index (the registries' kept
uploads, `versions/<version>/uploads/`): every file in them is linked into the next version, even
a rebuild's, and a write that changes one replaces it in the building folder, so the one `current`
swap publishes the index and those files at once.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ngen_connect.errors import IndexLockedError, IndexNotFoundError
from ngen_connect.index.version import COPIED, MANIFEST

_KEEP_VERSIONS = 3
_BUILDING = ".building-"

#: For tests only: the step of a write (see `fault_point`) at which the process kills itself.
FAULT_AT = "NGEN_CONNECT_FAULT_AT"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def fault_point(step: str) -> None:
    """For tests only: kill this process (SIGKILL, as a crash or `kill -9` would) when
    NGEN_CONNECT_FAULT_AT names `step`, so a test can check that a write stopped at any step
    leaves the data directory in its old state or its new one. Never set it outside tests."""
    if os.environ.get(FAULT_AT) == step:
        os.kill(os.getpid(), signal.SIGKILL)


class DataDir:
    def __init__(self, root: Path) -> None:
        self.root = root
        #: the thread holding the write lock, which may take it again
        self._holder: int | None = None

    @property
    def current(self) -> Path | None:
        link = self.root / "current"
        return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None

    def require_current(self) -> Path:
        folder = self.current
        if folder is None:
            raise IndexNotFoundError(
                f"There is no index in {self.root} yet. Build one with: ngen-connect index FILE... "
                f"--data-dir {self.root}"
            )
        return folder

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """One writer at a time, across processes; any other writer gets IndexLockedError at once.
        The thread holding it may take it again, so a read-then-write (a decision on a kept
        upload) holds it around a write that takes it too."""
        if self._holder == threading.get_ident():
            yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".write.lock").open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexLockedError(
                    "Another write to this index is under way; wait for it to finish and try "
                    "again.",
                    "Une autre écriture dans cet index est en cours ; attendez qu'elle se termine "
                    "et réessayez.",
                ) from None
            self._holder = threading.get_ident()
            try:
                yield
            finally:
                self._holder = None
                fcntl.flock(handle, fcntl.LOCK_UN)

    def new_version(self, copy_from: Path | None) -> Path:
        """A fresh, hidden version folder, starting from `copy_from`'s files when given (the
        records and manifest copied, the other files linked), with the files of the subfolders of
        `copy_from`, else of the live version (a rebuild keeps them), linked.

        Call it under the write lock: leftovers of writes that failed or were killed go first.
        """
        versions = self.root / "versions"
        versions.mkdir(parents=True, exist_ok=True)
        for leftover in versions.glob(f"{_BUILDING}*"):
            shutil.rmtree(leftover, ignore_errors=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        folder = versions / f"{_BUILDING}{stamp}-{secrets.token_hex(3)}"
        folder.mkdir()
        if copy_from is not None:
            for path in copy_from.iterdir():
                if not path.is_file() or path.name.startswith("."):
                    continue
                if path.name in COPIED:
                    shutil.copy2(path, folder / path.name)
                else:
                    _link_or_copy(path, folder / path.name)
        carried = copy_from if copy_from is not None else self.current
        if carried is not None:
            for path in carried.iterdir():
                if path.is_dir() and not path.name.startswith("."):
                    link_tree(path, folder / path.name)
        return folder

    @staticmethod
    def version_name(folder: Path) -> str:
        """The name a version folder has once published."""
        return folder.name.removeprefix(_BUILDING)

    def publish(self, folder: Path) -> Path:
        """Give `folder` its version name, point `current` at it in one atomic rename, then drop
        old versions; returns the published folder."""
        fault_point("before-publish")
        final = folder.with_name(self.version_name(folder))
        os.rename(folder, final)
        fault_point("after-rename")
        tmp = self.root / f".current-{secrets.token_hex(4)}"
        tmp.symlink_to(final.relative_to(self.root))
        os.replace(tmp, self.root / "current")
        fault_point("after-swap")
        self._prune(keep=final)
        return final

    def discard(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    def _prune(self, keep: Path) -> None:
        """Keep the newest complete versions; a folder without a manifest never counts as one."""
        versions = sorted(
            p
            for p in (self.root / "versions").iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file()
        )
        for old in versions[:-_KEEP_VERSIONS]:
            if old != keep:
                shutil.rmtree(old, ignore_errors=True)


def link_tree(source: Path, target: Path) -> None:
    """`source`'s folders made again under `target`, and its files linked there (hidden files,
    half-written ones, left out)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.name.startswith("."):
            continue
        if path.is_dir():
            link_tree(path, target / path.name)
        elif path.is_file():
            _link_or_copy(path, target / path.name)


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link, or a copy on a file system without them."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
