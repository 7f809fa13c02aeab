"""A search's query vectors arrive as each encoder is done, and its ranking is handed out a page at
a time: what the legs that need no vectors rank meanwhile must not change the answer."""

import threading
import time
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytest

from ngen_connect import EmbedderError, Engine
from ngen_connect.glossary import load_glossary
from ngen_connect.search.ranking import QueryVectors, Ranking, plan_query
from tests.search.test_ranking import MEMBERS


def test_query_vectors_in_turn_ready_then_own_thread_then_as_done() -> None:
    later: Future[np.ndarray] = Future()
    calls: list[str] = []

    def here() -> np.ndarray:
        calls.append(threading.current_thread().name)
        return np.full(2, 2.0, dtype=np.float32)

    ready = np.full(2, 1.0, dtype=np.float32)
    vectors = QueryVectors([later, here, ready])
    threading.Timer(0.5, later.set_result, [np.zeros(2, dtype=np.float32)]).start()
    started = time.monotonic()
    turns = vectors.in_turn()
    assert next(turns)[0] == 1 and calls == [threading.current_thread().name]
    assert next(turns)[0] == 2
    assert time.monotonic() - started < 0.4  # without waiting for the encoder still at work
    at, vector = next(turns)
    assert at == 0 and not vector.any()
    assert [v[0] for v in vectors.all()] == [0.0, 2.0, 1.0]
    assert len(calls) == 1  # worked out once


def test_an_encoders_error_reaches_the_search() -> None:
    failed: Future[np.ndarray] = Future()
    failed.set_exception(EmbedderError("the model could not embed"))
    vectors = QueryVectors([failed])
    with pytest.raises(EmbedderError, match="could not embed"):
        vectors.all()
    with pytest.raises(EmbedderError):
        list(vectors.in_turn())


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
