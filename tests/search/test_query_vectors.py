"""A search's query vectors arrive as each encoder is done, and its ranking is handed out a page at
a time: what the legs that need no vectors rank meanwhile must not change the answer."""

import threading
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytest

from ngen_connect import EmbedderError, Engine
from ngen_connect.glossary import load_glossary
from ngen_connect.search.ranking import QueryVectors, Ranking, plan_query
from tests.search.test_ranking import MEMBERS


def test_encoders_elsewhere_search_there_and_this_thread_embeds_once_they_are_done() -> None:
    later: Future[np.ndarray] = Future()
    embedded: list[tuple[str, bool]] = []
    searched: list[tuple[int, str]] = []

    def here() -> np.ndarray:
        embedded.append((threading.current_thread().name, later.done()))
        return np.full(2, 2.0, dtype=np.float32)

    def search(at: int, vector: np.ndarray) -> float:
        searched.append((at, threading.current_thread().name))
        return float(vector[0]) + 10 * at

    ready = np.full(2, 1.0, dtype=np.float32)
    vectors = QueryVectors([later, here, ready])
    timer = threading.Timer(0.2, later.set_result, [np.zeros(2, dtype=np.float32)])
    timer.start()
    assert vectors.searched(search) == [0.0, 12.0, 21.0]  # in the encoders' order
    this = threading.current_thread().name
    assert embedded == [(this, True)]  # after the encoder at work elsewhere, on this thread
    assert dict(searched) == {0: timer.name, 1: this, 2: this}  # where each embedded
    assert [v[0] for v in vectors.all()] == [0.0, 2.0, 1.0]
    assert len(embedded) == 1  # worked out once


def test_an_encoders_error_reaches_the_search() -> None:
    failed: Future[np.ndarray] = Future()
    failed.set_exception(EmbedderError("the model could not embed"))
    vectors = QueryVectors([failed])
    with pytest.raises(EmbedderError, match="could not embed"):
        vectors.all()
    with pytest.raises(EmbedderError):
        vectors.searched(lambda at, vector: 0)


def test_a_search_elsewhere_that_fails_reaches_the_search() -> None:
    done: Future[np.ndarray] = Future()
    vectors = QueryVectors([done, lambda: np.ones(2, dtype=np.float32)])

    def search(at: int, vector: np.ndarray) -> int:
        if at == 0:
            raise MemoryError("the index could not be read")
        return at

    threading.Timer(0.05, done.set_result, [np.zeros(2, dtype=np.float32)]).start()
    with pytest.raises(MemoryError, match="could not be read"):
        vectors.searched(search)


@pytest.fixture
def engine(fake_engine: Engine, tmp_path: Path) -> Engine:
    path = tmp_path / "members.csv"
    path.write_text(MEMBERS, encoding="utf-8")
    fake_engine.index_files([path])
    return fake_engine


@pytest.mark.parametrize("ranking", list(Ranking))
def test_ranked_records_are_handed_out_a_page_at_a_time(engine: Engine, ranking: Ranking) -> None:
    query = "usinage titane aerospace"
    plan = plan_query(query, "fr", engine._start_encoding_query(query), load_glossary())
    with engine._reading() as reader:
        ranked = reader.ranker.rank(plan, None, 300, ranking)
    every = list(ranked)
    assert len(every) == len(ranked) == len(ranked.keys) >= 2
    assert [c.key for c in every] == ranked.keys
    assert [c.score for c in every] == sorted((c.score for c in every), reverse=True)
    assert ranked[1:2] == every[1:2] and ranked[-1] == every[-1] and ranked[0] == every[0]
    with pytest.raises(IndexError):
        ranked[len(ranked)]
    assert ranked[len(ranked) :] == []
