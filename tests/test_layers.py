"""The folders follow the flow: files -> indexer -> index version -> search / registries -> fronts.

Each part of the package may import only the parts below it. The indexer (files in, versions out)
and the search (versions in, results out) both stand on the index format and never on each other;
the engine and the evaluation put them together; the registries stand on the engine; the service,
which applies who may see and do what, on all of the core; the fronts (HTTP API, command line) on
everything. The graph is read from the source of every installed
module, so a new module is checked without editing this test.
"""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO

#: what every part may build on: text analysis, vocabularies, models, errors, limits, settings
BASE = {
    "alerts",
    "atomic",
    "audit",
    "errors",
    "export",
    "glossary",
    "language",
    "limits",
    "models",
    "naics",
    "names",
    "places",
    "settings",
    "shortlist",
    "text",
    "values",
}
BELOW_ENGINE = {*BASE, "embedding", "index", "indexer", "search"}
#: each part -> the parts it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    **{module: BASE for module in BASE},
    "embedding": BASE,
    "index": {*BASE, "embedding"},
    "indexer": {*BASE, "embedding", "index"},
    "search": {*BASE, "embedding", "index"},
    "sample": BASE,
    "engine": BELOW_ENGINE,
    "evaluation": BELOW_ENGINE,
    "registries": {*BELOW_ENGINE, "engine", "evaluation"},
    # reports over what the service hands them (records, the search log, query vectors): no
    # reads of the index of their own
    "insights": {*BASE, "embedding"},
    "service": {*BELOW_ENGINE, "engine", "evaluation", "registries", "insights"},
    "(package)": {
        *BELOW_ENGINE,
        "engine",
        "evaluation",
        "sample",
        "registries",
        "insights",
        "service",
    },
    # folders of data (the bundled vocabularies, the sample files): no code, no imports
    "data": set(),
    "fixtures": set(),
    "api": {"*"},
    "cli": {"*"},
}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(package)"


def _modules() -> list[str]:
    """Every module of every package the project installs (pyproject.toml's list: some map
    folders outside `ngen_connect/`, so walking its folder alone would miss them)."""
    packages = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]["packages"]
    found = []
    for package in packages:
        loaded = importlib.import_module(package)
        found.append(package)
        found += [f"{package}.{info.name}" for info in pkgutil.iter_modules(loaded.__path__)]
    return sorted(set(found))


def _imports(module: str) -> set[str]:
    """The ngen_connect modules `module` imports, wherever in its source (functions included)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None, module
    if spec.origin is None:  # a folder of data (the page, the sample files): no code
        return set()
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "ngen_connect"}


def violations(edges: dict[str, set[str]]) -> list[str]:
    """`module imports module` lines for every import a part may not make."""
    problems = []
    for module, imported in sorted(edges.items()):
        part = _part(module)
        allowed = ALLOWED.get(part)
        if allowed is None:
            problems.append(f"{module}: part '{part}' has no place in ALLOWED; give it one")
            continue
        for target in sorted(imported):
            other = _part(target)
            if other != part and "*" not in allowed and other not in allowed:
                problems.append(f"{module} imports {target} ('{part}' may not import '{other}')")
    return problems


def test_every_part_imports_only_the_parts_below_it() -> None:
    modules = _modules()
    assert {"ngen_connect.api.app", "ngen_connect.indexer.readers", "ngen_connect.cli"} <= set(
        modules
    )
    problems = violations({module: _imports(module) for module in modules})
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("ngen_connect.indexer.writer", "ngen_connect.search.products"),
        ("ngen_connect.search.render", "ngen_connect.indexer.passages"),
        ("ngen_connect.index.store", "ngen_connect.engine"),
        ("ngen_connect.text", "ngen_connect.search"),
    ],
)
def test_the_check_catches_an_import_against_the_flow(module: str, target: str) -> None:
    assert violations({module: {target}})
