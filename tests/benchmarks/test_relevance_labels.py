"""The relevance benchmark's short-label collections (benchmarks/relevance/labels.py), built from
the real vocabularies in ../shared/data: their shape, not their figures (run.py measures those)."""

import csv
import importlib
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO

RELEVANCE = REPO / "benchmarks" / "relevance"


@pytest.fixture
def labels(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """labels.py as run.py imports it: a script beside datasets.py, not a package."""
    monkeypatch.syspath_prepend(str(RELEVANCE))
    return importlib.import_module("labels")


def _profiles(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def _built(labels: ModuleType, name: str, shared: Path, work: Path) -> list[object]:
    builder = labels.BUILDERS[name]
    if name == "esco":  # a smaller sample, same code
        return list(builder(work, shared, queried=60, total=300))
    return list(builder(work, shared, queried=60))


@pytest.mark.parametrize("name", ["esco", "naics", "ipc"])
def test_every_query_is_answered_in_the_other_language(
    labels: ModuleType, name: str, shared_data: Path, tmp_path: Path
) -> None:
    for collection in _built(labels, name, shared_data, tmp_path):
        profiles = _profiles(collection.csv_path)
        assert set(profiles) == set(collection.languages)
        for record, language in collection.languages.items():
            other = "fr" if language == "en" else "en"
            assert profiles[record][f"description_{language}"]
            assert not profiles[record][f"description_{other}"]
        assert {q.language for q in collection.queries} == {"en", "fr"}
        assert len(collection.queries) == 120
        for query in collection.queries:
            assert 1 <= len(query.text.split()) <= labels.MAX_WORDS, query.text
            answers = [r for r, grade in query.judgments.items() if grade == 2]
            assert answers, query.id
            assert all(r in collection.languages for r in query.judgments)
            assert {collection.languages[r] for r in answers} == {
                "fr" if query.language == "en" else "en"
            }
            assert {collection.languages[r] for r, g in query.judgments.items() if g == 1} == {
                query.language
            }


@pytest.mark.parametrize("name", ["esco", "naics", "ipc"])
def test_a_collection_is_the_same_each_time(
    labels: ModuleType, name: str, shared_data: Path, tmp_path: Path
) -> None:
    first = _built(labels, name, shared_data, tmp_path / "a")
    again = _built(labels, name, shared_data, tmp_path / "b")
    for one, other in zip(first, again, strict=True):
        assert one.queries == other.queries and one.languages == other.languages
        assert one.csv_path.read_bytes() == other.csv_path.read_bytes()


def test_esco_samples_concepts_and_distractors(
    labels: ModuleType, shared_data: Path, tmp_path: Path
) -> None:
    [esco] = labels.esco_collection(tmp_path, shared_data, queried=60, total=300)
    assert len(esco.languages) == 600  # 300 concepts, an English and a French profile each
    [other] = labels.esco_collection(tmp_path / "b", shared_data, queried=60, total=300, seed=12)
    assert other.queries != esco.queries


def test_ipc_profiles_are_in_sentence_case_and_caps_queries_are_not(
    labels: ModuleType, shared_data: Path, tmp_path: Path
) -> None:
    ipc, caps = labels.ipc_collection(tmp_path, shared_data, queried=60)
    assert (ipc.name, caps.name) == ("ipc", "ipc-caps") and ipc.csv_path == caps.csv_path
    for row in _profiles(ipc.csv_path).values():
        assert row["name"][0].isupper() and not row["name"].isupper(), row["name"]
    pairs = list(zip(ipc.queries, caps.queries, strict=True))
    assert all(
        q.text == labels.sentence_case(c.text) != c.text for q, c in pairs if len(q.text) > 3
    )
    # as in the file: capitals but for a few abbreviations ("e.g.")
    assert sum(c.text.isupper() for _, c in pairs) >= 0.9 * len(pairs)
    assert [q.judgments for q in ipc.queries] == [q.judgments for q in caps.queries]


@pytest.mark.parametrize(
    ("label", "query"),
    [
        ("directeur technique/directrice technique", "directeur technique"),
        ("vendeur/vendeuse en articles de sport", "vendeur en articles de sport"),
        ("audiologiste", "audiologiste"),
        ('formateur "a/b"/formatrice "a/b"', ""),
    ],
)
def test_a_french_esco_query_is_the_labels_first_form(
    labels: ModuleType, label: str, query: str
) -> None:
    assert labels.first_form(label) == query
