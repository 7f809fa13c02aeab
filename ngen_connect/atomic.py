"""Files written whole: readers see the old content or the new, never half of it. A full disk
is a StorageError, and leaves the old file as it was."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ngen_connect.errors import StorageError


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to a hidden file beside `path`, then rename it over `path`."""
    replace_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


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
