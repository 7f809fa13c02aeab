"""mypy over the installed package `ngen_connect`, every module under the name it is installed as.

    python scripts/typecheck.py [MYPY OPTIONS]      # what `make typecheck` runs

mypy names a file after the folders around it, so `api/app.py` would be checked as `api.app`; it is
installed as `ngen_connect.api.app` (pyproject's `[tool.setuptools.package-dir]`), and mypy cannot
follow the import hook of an editable install. This reads the packages and their folders from
pyproject.toml, as setuptools does, and hands mypy each file with its installed module name; the
options are `[tool.mypy]`'s. Errors are reported at the files' real paths (`api/app.py:12: ...`).
"""

from __future__ import annotations

import os
import sys
import time
import tomllib
from pathlib import Path

from mypy.fscache import FileSystemCache
from mypy.main import process_options, run_build
from mypy.modulefinder import BuildSource

ROOT = Path(__file__).resolve().parents[1]


def package_folders(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, Path]:
    """Each installed package and the folder it is built from (setuptools' longest-prefix rule)."""
    setuptools = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]
    mapping: dict[str, str] = setuptools.get("package-dir", {})
    folders = {}
    for package in setuptools["packages"]:
        parts = package.split(".")
        for cut in range(len(parts), 0, -1):
            prefix = ".".join(parts[:cut])
            if prefix in mapping:
                folders[package] = ROOT / mapping[prefix] / Path(*parts[cut:])
                break
        else:
            folders[package] = ROOT / Path(*parts)
    return folders


def sources(folders: dict[str, Path]) -> list[BuildSource]:
    """Every Python file of the packages, with its installed module name."""
    found = []
    for package, folder in sorted(folders.items()):
        for path in sorted(folder.glob("*.py")):
            module = package if path.name == "__init__.py" else f"{package}.{path.stem}"
            found.append(BuildSource(str(path.relative_to(ROOT)), module))
    return found


def main(argv: list[str]) -> int:
    started = time.time()
    os.chdir(ROOT)
    fscache = FileSystemCache()
    # mypy asks for a target; the real ones are the packages' files, given below.
    _, options = process_options(
        ["--config-file", "pyproject.toml", *argv, "-c", "pass"], fscache=fscache
    )
    checked = sources(package_folders())
    _, messages, blockers = run_build(checked, options, fscache, started, sys.stdout, sys.stderr)
    errors = [line for line in messages if ": error:" in line]
    if blockers or errors:
        files = len({line.split(":", 1)[0] for line in errors})
        print(f"Found {len(errors)} errors in {files} files")
        return 1
    print(f"Success: no issues found in {len(checked)} source files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
