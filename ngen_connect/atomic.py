"""Files written whole: readers see the old content or the new, never half of it. A full disk
is a StorageError, and leaves the old file as it was."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ngen_connect.errors import StorageError


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Write `text` to a hidden file beside `path`, made with `mode` (before any byte is in it),
    then rename it over `path`."""

    def write(tmp: Path) -> None:
        tmp.unlink(missing_ok=True)  # one a crash left, perhaps with another mode
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as out:
            out.write(text.encode("utf-8"))

    replace_atomic(path, write)


def replace_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Let `write` fill a hidden file beside `path`, then rename it over `path`: `path` gets a new
    file, so another hard link to the old one (an index version sharing it) keeps the old content."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        full = StorageError.of(exc)
        if full is not None:
            raise full from None
        raise


def read_json(path: Path) -> dict[str, Any]:
    """A small JSON object kept in one file; {} when there is none yet."""
    try:
        found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return found


@contextmanager
def locked_json(path: Path) -> Iterator[dict[str, Any]]:
    """A small JSON object to change, written back whole (0600) when the block ends, one writer at
    a time across processes (a lock file beside it); an error in the block writes nothing."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        body = read_json(path)
        yield body
        write_atomic(path, json.dumps(body, ensure_ascii=False, indent=1), mode=0o600)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        os.close(lock)
