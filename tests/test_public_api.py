"""The fronts (the HTTP API and the command line) use the core only through its public API."""

import ast
import importlib
from pathlib import Path

import pytest

import ngen_connect
import ngen_connect.api
import ngen_connect.limits

PACKAGE = Path(ngen_connect.__file__).parent
API = Path(ngen_connect.api.__file__).parent
FRONTS = [*sorted(API.rglob("*.py")), PACKAGE / "cli.py"]
#: modules whose `__all__` is the public API (the limits module: its constants)
PUBLIC = {
    "ngen_connect",
    "ngen_connect.indexer",
    "ngen_connect.insights",
    "ngen_connect.registries",
    "ngen_connect.sample",
    "ngen_connect.search",
    "ngen_connect.limits",
}


def _public_names(module: str) -> set[str]:
    loaded = importlib.import_module(module)
    if module == "ngen_connect.limits":
        return {name for name in vars(loaded) if name.isupper()}
    return set(loaded.__all__)


def _core_imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import of a core module in a front's file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            module, names = node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found.append((node.lineno, alias.name, []))
            continue
        else:
            continue
        found.append((node.lineno, module, names))
    return [
        (line, module, names)
        for line, module, names in found
        if module.split(".")[0] == "ngen_connect" and not module.startswith("ngen_connect.api")
    ]


def test_the_fronts_are_found() -> None:
    assert len(FRONTS) > 5 and (API / "app.py") in FRONTS


@pytest.mark.parametrize("path", FRONTS, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_a_front_imports_only_the_public_api(path: Path) -> None:
    problems = []
    for line, module, names in _core_imports(path):
        if module not in PUBLIC:
            problems.append(f"line {line}: {module} is a private module")
            continue
        private = sorted(set(names) - _public_names(module))
        if private:
            problems.append(f"line {line}: {module} does not export {', '.join(private)}")
    assert not problems, "\n".join(problems)


def test_the_check_catches_a_private_import(tmp_path: Path) -> None:
    front = tmp_path / "front.py"
    front.write_text(
        "from ngen_connect.search.ranking import Ranker\nfrom ngen_connect import Engine\n"
    )
    assert _core_imports(front) == [
        (1, "ngen_connect.search.ranking", ["Ranker"]),
        (2, "ngen_connect", ["Engine"]),
    ]
    assert "ngen_connect.search.ranking" not in PUBLIC
    assert "Ranker" not in _public_names("ngen_connect.search")


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_every_public_name_exists_and_is_documented(module: str) -> None:
    loaded = importlib.import_module(module)
    assert loaded.__doc__, f"{module} has no docstring"
    undocumented = [
        name
        for name in sorted(_public_names(module))
        if callable(getattr(loaded, name)) and not getattr(loaded, name).__doc__
    ]
    assert not undocumented, f"{module}: no docstring on {', '.join(undocumented)}"


def test_the_core_api_is_pinned() -> None:
    assert {"Engine", "Kind", "Profile", "SearchResponse", "NgenConnectError", "load_settings"} <= (
        set(ngen_connect.__all__)
    )
    assert ngen_connect.limits.MAX_LIMIT == 100
