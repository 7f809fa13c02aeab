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
#: a number of one or two digits is in every other text: alone it is no word in common
NUMBERED = ["5 xqzvplorb wibble", "12 uvleieohx mpfv", "xqzv 3 plorb"]
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
        found = _found(data_dir, [*made_up, *STOP_WORDS, *NUMBERED, *REAL])
        empty = sum(found[q] == 0 for q in made_up)
        assert empty >= 98, (moment, {q: n for q, n in found.items() if q in made_up and n})
        assert all(found[q] == 0 for q in [*STOP_WORDS, *NUMBERED]), (moment, found)
        assert all(found[q] > 0 for q in REAL), (moment, found)
        if moment == "before":
            names = _name_only_slice(shared_data, tmp_path / "names.csv")
            imported = run_cli(
                "registry", "import", "simsa", str(names), "--data-dir", str(data_dir)
            )
            assert imported.returncode == 0, imported.stderr


def test_a_glossary_phrase_is_in_common_only_whole(data_dir: Path, tmp_path: Path) -> None:
    # "CNC" expands to "commande numérique" and "computer numerical control": a record holding
    # one word of them ("numériques", "control") has nothing in common with "CNC"
    extra = tmp_path / "extra.csv"
    with extra.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "description_en", "description_fr", "province"])
        writer.writerow(["drug-ids", "Laboratoires Pharmaskin", "", PHARMA_FR, "QC"])
        writer.writerow(["lab", "Cosmeto Labs", COSMETICS_EN, "", "QC"])
        writer.writerow(["cn", "Ateliers Mékinac", "", WHOLE_FR, "QC"])
    engine = Engine(load_settings(data_dir=data_dir))
    try:
        engine.index_files([extra])
        first = engine.search("CNC", limit=100)
        found = [hit.id for hit in first.results]
        while len(found) < first.total:
            found += [h.id for h in engine.search("CNC", limit=100, offset=len(found)).results]
    finally:
        engine.close()
    assert "cn" in found
    assert "drug-ids" not in found and "lab" not in found, first.total


PHARMA_FR = (
    "Onguents et crèmes dermatologiques en vente libre. Identifications numériques de drogue "
    "attribuées par Santé Canada pour chaque produit."
)
COSMETICS_EN = "Quality control testing of shampoos, lotions and creams for cosmetics brands."
WHOLE_FR = "Pièces tournées et fraisées sur machines à commande numérique pour l'agroalimentaire."
