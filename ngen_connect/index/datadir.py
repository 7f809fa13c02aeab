"""The data directory: index versions as folders of plain files, a manifest, an atomic swap.

    DATA_DIR/
      current -> versions/20261124T201500Z-1a2b3c   (symlink, replaced atomically)
      versions/<version>/manifest.json, records.duckdb, vectors.faiss
      .write.lock

A write copies the live version into a hidden folder (`versions/.building-<version>`), changes
the copy, renames it to its version name and only then points `current` at it, so a reader never
sees half an index, and a write that fails or is killed leaves no folder that counts as a version:
the next write clears it away.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ngen_connect.errors import IndexLockedError, IndexMismatchError, IndexNotFoundError
from ngen_connect.index.store import SCHEMA_VERSION

MANIFEST = "manifest.json"
RECORDS = "records.duckdb"
VECTORS = "vectors.faiss"
_KEEP_VERSIONS = 3
_BUILDING = ".building-"


@dataclass
class Manifest:
    model: str
    dim: int
    schema_version: int = SCHEMA_VERSION
    counts: dict[str, int] = field(default_factory=dict)
    passages: int = 0
    created: str = ""
    updated: str = ""
    version: str = ""

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as exc:
            raise IndexMismatchError(
                f"The index manifest {path} is missing or unreadable: {exc}"
            ) from exc

    def write(self, folder: Path) -> None:
        write_atomic(folder / MANIFEST, json.dumps(asdict(self), indent=2) + "\n")

    def check_compatible(self, model_id: str, dim: int, where: Path) -> None:
        if self.schema_version != SCHEMA_VERSION:
            raise IndexMismatchError(
                f"The index in {where} has schema version {self.schema_version}; this release reads "
                f"version {SCHEMA_VERSION}. Rebuild it with: ngen-connect index --rebuild FILE..."
            )
        if self.model != model_id or self.dim != dim:
            raise IndexMismatchError(
                f"The index in {where} was built with the model '{self.model}' ({self.dim} dimensions), "
                f"but this process uses '{model_id}' ({dim} dimensions). Use --model {self.model} "
                "(or NGEN_CONNECT_MODEL), or rebuild with: ngen-connect index --rebuild FILE..."
            )


def write_atomic(path: Path, text: str) -> None:
    """Write a file so readers see the old content or the new, never half of it."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class DataDir:
    def __init__(self, root: Path) -> None:
        self.root = root

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
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".write.lock").open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexLockedError(
                    f"Another process is writing to {self.root}; wait for it to finish and try again."
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def new_version(self, copy_from: Path | None) -> Path:
        """A fresh, hidden version folder, holding a copy of `copy_from`'s files when given.

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
            for name in (RECORDS, VECTORS, MANIFEST):
                shutil.copy2(copy_from / name, folder / name)
        return folder

    @staticmethod
    def version_name(folder: Path) -> str:
        """The name a version folder has once published."""
        return folder.name.removeprefix(_BUILDING)

    def publish(self, folder: Path) -> Path:
        """Give `folder` its version name, point `current` at it in one atomic rename, then drop
        old versions; returns the published folder."""
        final = folder.with_name(self.version_name(folder))
        os.rename(folder, final)
        tmp = self.root / f".current-{secrets.token_hex(4)}"
        tmp.symlink_to(final.relative_to(self.root))
        os.replace(tmp, self.root / "current")
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
