"""The FAISS vector index: exact inner product, keyed by passage id, saved as segments."""

from __future__ import annotations

from pathlib import Path

import faiss
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


def test_save_and_open_keep_ids_and_results(index: VectorIndex, tmp_path: Path) -> None:
    index.remove(ids(20))
    index.add(ids(1_000_000_007), unit(0, 0, 1, 1)[None, :])
    segments, deleted = index.save(tmp_path)
    assert deleted is None  # removed before it was ever written
    loaded = VectorIndex.open(tmp_path, 4, segments, deleted)
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


def _shuffled(n: int, dim: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_a_write_adds_a_segment_and_lists_deletions_without_rewriting_the_others(
    tmp_path: Path,
) -> None:
    base = VectorIndex(8)
    base.add(np.arange(100, dtype=np.int64), _shuffled(100, 8, 0))
    (tmp_path / "v1").mkdir()
    first, _ = base.save(tmp_path / "v1")
    # the next version links the first one's segment and changes 5 passages
    (tmp_path / "v2").mkdir()
    for file in first:
        (tmp_path / "v2" / file).hardlink_to(tmp_path / "v1" / file)
    written = (tmp_path / "v1" / first[0]).read_bytes()
    changed = VectorIndex.open(tmp_path / "v2", 8, first)
    assert changed.remove(ids(3, 4, 5, 6, 7)) == 5
    changed.add(ids(100, 101, 102, 103, 104), _shuffled(5, 8, 1))
    segments, deleted = changed.save(tmp_path / "v2")
    assert segments[0] == first[0] and len(segments) == 2 and deleted is not None
    assert (tmp_path / "v1" / first[0]).read_bytes() == written  # never rewritten

    # what a reader opens is what a single index holding the same vectors finds
    reader = VectorIndex.open(tmp_path / "v2", 8, segments, deleted)
    alone = VectorIndex(8)
    kept = [i for i in range(100) if i not in (3, 4, 5, 6, 7)]
    alone.add(np.asarray(kept, dtype=np.int64), _shuffled(100, 8, 0)[kept])
    alone.add(np.arange(100, 105, dtype=np.int64), _shuffled(5, 8, 1))
    assert len(reader) == len(alone) == 100
    for query in _shuffled(20, 8, 2):
        expected_scores, expected_ids = alone.search(query, 10)
        scores, found = reader.search(query, 10)
        assert found.tolist() == expected_ids.tolist()
        np.testing.assert_allclose(scores, expected_scores, rtol=1e-6)
        _, among = reader.search(query, 3, allowed=ids(1, 2, 101))
        assert sorted(among.tolist()) == [1, 2, 101]
    np.testing.assert_allclose(reader.vectors(ids(101, 2)), alone.vectors(ids(101, 2)))


def test_many_writes_compact_into_one_segment(tmp_path: Path) -> None:
    index = VectorIndex(8)
    index.add(np.arange(20, dtype=np.int64), _shuffled(20, 8, 0))
    segments, deleted = index.save(tmp_path)
    for write in range(12):
        index = VectorIndex.open(tmp_path, 8, segments, deleted)
        index.remove(ids(write))
        index.add(ids(1000 + write), _shuffled(1, 8, 10 + write))
        segments, deleted = index.save(tmp_path)
        assert len(segments) <= 8
    reader = VectorIndex.open(tmp_path, 8, segments, deleted)
    assert len(reader) == 20
    _, found = reader.search(_shuffled(1, 8, 99)[0], 50)
    assert sorted(found.tolist()) == [*range(12, 20), *range(1000, 1012)]


def test_vectors_are_stored_in_half_precision(tmp_path: Path) -> None:
    vectors = _shuffled(300, 64, 0)
    index = VectorIndex(64)
    index.add(np.arange(300, dtype=np.int64), vectors)
    [segment], _ = index.save(tmp_path)
    # two bytes a value, against four in single precision
    assert (tmp_path / segment).stat().st_size < 300 * 64 * 3
    rounded = vectors.astype(np.float16).astype(np.float32)
    reader = VectorIndex.open(tmp_path, 64, [segment])
    np.testing.assert_array_equal(reader.vectors(ids(7, 250)), rounded[[7, 250]])
    # cosines within 1e-3 of single precision, top results in the same order
    query = _shuffled(1, 64, 1)[0]
    scores, found = reader.search(query, 5)
    exact = vectors @ query
    assert found.tolist() == np.argsort(-exact)[:5].tolist()
    np.testing.assert_allclose(scores, exact[found], atol=1e-3)


def test_a_single_precision_segment_of_an_earlier_version_is_read_beside_new_ones(
    tmp_path: Path,
) -> None:
    vectors = _shuffled(50, 8, 0)
    earlier = faiss.IndexIDMap2(faiss.IndexFlatIP(8))
    earlier.add_with_ids(vectors, np.arange(50, dtype=np.int64))
    faiss.write_index(earlier, str(tmp_path / "vectors.old.faiss"))
    index = VectorIndex.open(tmp_path, 8, ["vectors.old.faiss"])
    index.remove(ids(0, 1))
    index.add(ids(50, 51), _shuffled(2, 8, 1))
    segments, deleted = index.save(tmp_path)
    assert segments[0] == "vectors.old.faiss" and len(segments) == 2
    reader = VectorIndex.open(tmp_path, 8, segments, deleted)
    assert len(reader) == 50
    np.testing.assert_array_equal(reader.vectors(ids(2, 49)), vectors[[2, 49]])
    query = vectors[3]
    _, found = reader.search(query, 50)
    assert found[0] == 3 and {0, 1}.isdisjoint(found.tolist()) and {50, 51} <= set(found.tolist())


def test_cosines_of_chosen_passages_across_segments_in_the_order_asked(tmp_path: Path) -> None:
    index = VectorIndex(8)
    index.add(np.arange(40, dtype=np.int64), _shuffled(40, 8, 0))
    segments, _ = index.save(tmp_path)
    index = VectorIndex.open(tmp_path, 8, segments)
    index.remove(ids(5, 6))
    index.add(ids(40, 41), _shuffled(2, 8, 1))  # in memory, not saved yet
    query = _shuffled(1, 8, 2)[0]
    chosen = ids(41, 3, 39, 40, 3, 0)  # either part, any order, repeats
    expected = index.vectors(chosen) @ query
    np.testing.assert_allclose(index.cosines(query, chosen), expected, rtol=1e-5, atol=1e-6)
    # the same through a hash set, for ids too large for a bitmap
    large = VectorIndex(8)
    large.add(ids(3, 1_000_000_007), _shuffled(2, 8, 3))
    np.testing.assert_allclose(
        large.cosines(query, ids(1_000_000_007, 3)),
        large.vectors(ids(1_000_000_007, 3)) @ query,
        rtol=1e-5,
        atol=1e-6,
    )
    assert index.cosines(query, ids()).shape == (0,)


def test_opening_vectors_of_another_dimension_fails(index: VectorIndex, tmp_path: Path) -> None:
    segments, _ = index.save(tmp_path)
    with pytest.raises(IndexMismatchError, match="4"):
        VectorIndex.open(tmp_path, 8, segments)


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
