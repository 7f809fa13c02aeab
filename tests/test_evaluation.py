"""Evaluation on judged queries: the metrics against hand-computed values, and reading the files."""

import math
from pathlib import Path

import pytest

from ngen_connect import InputFileError, evaluate_ranking, read_judgments, read_queries
from ngen_connect.evaluation import JudgedQuery, ndcg, recall, reciprocal_rank


def test_ndcg_against_a_hand_computation() -> None:
    grades = {"a": 2, "b": 1, "c": 0}
    # ranked b, x, a: gains 1 at rank 1 and 3 at rank 3; ideal 3 at rank 1, 1 at rank 2
    expected = (1 + 3 / math.log2(4)) / (3 + 1 / math.log2(3))
    assert ndcg(["b", "x", "a"], grades) == pytest.approx(expected)
    assert ndcg(["a", "b"], grades) == pytest.approx(1.0)
    assert ndcg(["a", "b"], {"a": 0}) is None
    # the cut-off: a relevant record below depth counts for nothing
    assert ndcg(["x", "a"], {"a": 1}, depth=1) == 0.0


def test_recall_and_reciprocal_rank() -> None:
    assert recall(["a", "x", "b"], {"a", "b", "c"}) == pytest.approx(2 / 3)
    assert recall(["a", "x", "b"], {"a", "b"}, depth=2) == pytest.approx(0.5)
    assert reciprocal_rank(["x", "y", "b"], {"b"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x", "y", "b"], {"b"}, depth=2) == 0.0
    assert recall([], set()) is None and reciprocal_rank([], set()) is None


def test_files_with_french_headers_and_bad_rows(tmp_path: Path) -> None:
    queries = tmp_path / "requetes.tsv"
    queries.write_text(
        "id\trequête\nq1\tusinage de titane\nq2\ttitanium machining\nq1\trepeated\nq3\t\n",
        encoding="utf-8",
    )
    judgments = tmp_path / "jugements.csv"
    judgments.write_text(
        "requete_id;fiche;pertinence\nq1;a;2\nq1;b;1.0\nq2;a;deux\nq2;b;-1\nq9;a;1\n",
        encoding="utf-8",
    )
    asked, query_problems = read_queries(queries)
    assert asked == [
        JudgedQuery("q1", "usinage de titane"),
        JudgedQuery("q2", "titanium machining"),
    ]
    assert [p.row for p in query_problems] == [4, 5]
    grades, judgment_problems = read_judgments(judgments)
    assert grades == {"q1": {"a": 2, "b": 1}, "q9": {"a": 1}}
    assert [(p.row, p.column) for p in judgment_problems] == [(4, "grade"), (5, "grade")]


def test_a_file_without_the_columns_is_refused_naming_them(tmp_path: Path) -> None:
    judgments = tmp_path / "judgments.csv"
    judgments.write_text("query_id,record_id\nq1,a\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"no 'grade' column.*query_id, record_id"):
        read_judgments(judgments)


def test_evaluation_overall_by_language_and_per_query() -> None:
    queries = [
        JudgedQuery("en1", "titanium machining for aircraft engines"),
        JudgedQuery("fr1", "usinage de pièces en titane pour les moteurs d'avion"),
        JudgedQuery("none", "a query nobody judged"),
    ]
    grades = {"en1": {"a": 2, "b": 1}, "fr1": {"a": 2, "c": 0}, "ghost": {"a": 1}}
    rankings = {queries[0].text: ["a", "b", "x"], queries[1].text: ["x", "c", "a"]}
    result = evaluate_ranking(queries, grades, lambda text, k: rankings[text][:k], depth=10)
    by_id = {q.id: q for q in result.queries}
    assert by_id["en1"].ndcg == 1.0 and by_id["en1"].mrr == 1.0 and by_id["en1"].recall == 1.0
    assert by_id["fr1"].ndcg == pytest.approx(0.5, abs=1e-4)  # rank 3: 1 / log2(4)
    assert by_id["fr1"].mrr == pytest.approx(1 / 3, abs=1e-4)
    assert (by_id["en1"].language, by_id["fr1"].language) == ("en", "fr")
    assert result.unjudged == ["none"]
    assert result.means()["ndcg"] == pytest.approx(0.75, abs=1e-4)
    assert result.means("fr")["queries"] == 1
    assert ["'ghost' is not among the queries" in str(w) for w in result.warnings] == [True]
    assert set(result.to_dict()["by_language"]) == {"en", "fr"}
