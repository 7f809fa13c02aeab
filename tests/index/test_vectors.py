"""The FAISS vector index: exact inner product, keyed by passage id, saved as one file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ngen_connect.embedding import FakeEmbedder
from ngen_connect.errors import IndexMismatchError
from ngen_connect.index.vectors import VectorIndex


def ids(*values: int) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


@pytest.fixture
def index() -> VectorIndex:
    built = VectorIndex(4)
    built.add(
        ids(10, 20, 30, 40),
        np.stack([unit(1, 0, 0, 0), unit(0, 1, 0, 0), unit(1, 1, 0, 0), unit(0, 0, 0, 1)]),
    )
    return built


def test_search_ranks_by_inner_product(index: VectorIndex) -> None:
    assert len(index) == 4
    scores, found = index.search(unit(1, 0.2, 0, 0), 3)
    assert found.tolist() == [10, 30, 20]
    assert found.dtype == np.int64
    expected = [float(unit(1, 0.2, 0, 0) @ v) for v in index.vectors(found)]
    np.testing.assert_allclose(scores, expected, rtol=1e-6)
    assert scores[0] == pytest.approx(float(unit(1, 0.2, 0, 0)[0]), rel=1e-6)


def test_search_never_returns_more_than_it_holds(index: VectorIndex) -> None:
    scores, found = index.search(unit(0, 0, 1, 0), 50)
    assert sorted(found.tolist()) == [10, 20, 30, 40]
    assert len(scores) == 4
    empty = VectorIndex(4)
    scores, found = empty.search(unit(1, 0, 0, 0), 5)
    assert (len(scores), len(found)) == (0, 0)
    scores, found = index.search(unit(1, 0, 0, 0), 0)
    assert len(found) == 0


def test_search_among_allowed_ids_only(index: VectorIndex) -> None:
    _, found = index.search(unit(1, 0, 0, 0), 10, allowed=ids(20, 40))
    assert sorted(found.tolist()) == [20, 40]
    # ids the index does not hold are harmless in the allowed set
    _, found = index.search(unit(1, 0, 0, 0), 10, allowed=ids(40, 999))
    assert found.tolist() == [40]
    _, found = index.search(unit(1, 0, 0, 0), 10, allowed=ids())
    assert found.size == 0


def test_vectors_returns_stored_rows_in_the_order_asked(index: VectorIndex) -> None:
    rows = index.vectors(ids(40, 10))
    np.testing.assert_allclose(rows, np.stack([unit(0, 0, 0, 1), unit(1, 0, 0, 0)]))
    assert index.vectors(ids()).shape == (0, 4)


def test_remove_by_id(index: VectorIndex) -> None:
    assert index.remove(ids(10, 30)) == 2
    assert len(index) == 2
    _, found = index.search(unit(1, 0, 0, 0), 10)
    assert sorted(found.tolist()) == [20, 40]
    np.testing.assert_allclose(index.vectors(ids(20)), unit(0, 1, 0, 0)[None, :])


def test_removing_unknown_ids_is_harmless(index: VectorIndex) -> None:
    assert index.remove(ids(7, 8)) == 0
    assert index.remove(ids()) == 0
    assert len(index) == 4
    assert index.remove(ids(10, 10, 99)) == 1
    assert len(index) == 3


def test_adding_nothing_is_harmless(index: VectorIndex) -> None:
    index.add(ids(), np.zeros((0, 4), dtype=np.float32))
    assert len(index) == 4


def test_save_and_load_keep_ids_and_results(index: VectorIndex, tmp_path: Path) -> None:
    index.remove(ids(20))
    index.add(ids(1_000_000_007), unit(0, 0, 1, 1)[None, :])
    path = tmp_path / "vectors.faiss"
    index.save(path)
    loaded = VectorIndex.load(path, 4)
    assert len(loaded) == len(index) == 4
    for query in (unit(1, 0, 0, 0), unit(0, 0, 1, 1), unit(0.3, 0.1, 0.5, 0.2)):
        expected_scores, expected_ids = index.search(query, 4)
        scores, found = loaded.search(query, 4)
        assert found.tolist() == expected_ids.tolist()
        np.testing.assert_allclose(scores, expected_scores)
    np.testing.assert_allclose(
        loaded.vectors(ids(1_000_000_007, 30)), index.vectors(ids(1_000_000_007, 30))
    )
    # the loaded index keeps working by id
    assert loaded.remove(ids(1_000_000_007)) == 1
    assert 1_000_000_007 not in loaded.search(unit(0, 0, 1, 1), 4)[1].tolist()


def test_loading_vectors_of_another_dimension_fails(index: VectorIndex, tmp_path: Path) -> None:
    path = tmp_path / "vectors.faiss"
    index.save(path)
    with pytest.raises(IndexMismatchError, match="4"):
        VectorIndex.load(path, 8)


def test_fake_embedder_passages_find_their_own_words() -> None:
    embedder = FakeEmbedder(dim=32)
    texts = [
        "Five-axis machining of titanium aircraft parts",
        "Injection moulding of plastic housings",
        "Robotic welding of steel frames",
    ]
    index = VectorIndex(embedder.dim)
    index.add(ids(5, 6, 7), embedder.encode_documents(texts))
    _, found = index.search(embedder.encode_query("steel welding robots"), 1)
    assert found.tolist() == [7]
    _, found = index.search(embedder.encode_query("titanium machining"), 1)
    assert found.tolist() == [5]
