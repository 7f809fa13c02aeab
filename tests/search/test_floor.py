"""The relevance floor with the real default model: nonsense and stop words find nothing, before
and after a registry of bare names joins the index, and real queries still find their answers."""

import csv
import random
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from ngen_connect import Engine, load_settings
from ngen_connect.sample import bundled_sample_files
from tests.conftest import run_cli

pytestmark = pytest.mark.model

STOP_WORDS = ["the", "The", "THE", "and", "of the", "with", "le", "la", "les", "de", "et", "pour"]
REAL = ["injection moulding", "usinage de précision", "aerospace machining", "emballage"]


def nonsense(count: int = 100, seed: int = 7) -> list[str]:
    """Made-up words: no language, no company, no capability (as benchmarks/bench_floor.py)."""
    rng = random.Random(seed)
    return [
        " ".join(
            "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9)))
            for _ in range(rng.randint(2, 4))
        )
        for _ in range(count)
    ]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("floor") / "data"
    organisations = dict(bundled_sample_files())
    engine = Engine(load_settings(data_dir=folder))
    from ngen_connect.models import Kind

    engine.index_files([organisations[Kind.ORGANIZATION]])
    engine.close()
    yield folder


def _found(data_dir: Path, queries: list[str]) -> dict[str, int]:
    engine = Engine(load_settings(data_dir=data_dir))
    try:
        return {q: engine.search(q).total for q in queries}
    finally:
        engine.close()


def _name_only_slice(shared_data: Path, out: Path, count: int = 30) -> Path:
    """The first `count` rows of the real mining-supplier directory that have no description."""
    source = shared_data / "mining_suppliers_us" / "coal_mining_supplier_directory_flat.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if not r["description"].strip()][:count]
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["company", "city", "state", "country", "website"]
        )
        writer.writeheader()
        writer.writerows({k: r[k] for k in writer.fieldnames} for r in rows)
    return out


def test_the_floor_holds_before_and_after_a_registry_of_names(
    data_dir: Path, shared_data: Path, tmp_path: Path
) -> None:
    made_up = nonsense()
    for moment in ("before", "after"):
        found = _found(data_dir, [*made_up, *STOP_WORDS, *REAL])
        empty = sum(found[q] == 0 for q in made_up)
        assert empty >= 98, (moment, {q: n for q, n in found.items() if q in made_up and n})
        assert all(found[q] == 0 for q in STOP_WORDS), (moment, found)
        assert all(found[q] > 0 for q in REAL), (moment, found)
        if moment == "before":
            names = _name_only_slice(shared_data, tmp_path / "names.csv")
            imported = run_cli(
                "registry", "import", "simsa", str(names), "--data-dir", str(data_dir)
            )
            assert imported.returncode == 0, imported.stderr
