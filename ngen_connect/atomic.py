"""Files written whole: readers see the old content or the new, never half of it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to a hidden file beside `path`, then rename it over `path`."""
    replace_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def replace_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Let `write` fill a hidden file beside `path`, then rename it over `path`: `path` gets a new
    file, so another hard link to the old one (an index version sharing it) keeps the old content."""
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)
