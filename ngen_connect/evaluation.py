"""Ranking evaluation on a user's own judgments: nDCG@k, recall@k and MRR@k, overall, by query
language and per query (the rank-evaluation idea of OpenSearch's `_rank_eval`).

Queries are a table of `query_id, query`; judgments a table of `query_id, record_id, grade` with
integer grades (0 not relevant; higher is better). Any format the indexer reads will do (CSV, TSV,
JSON Lines, XLSX), with English or French headers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

from ngen_connect.errors import FileProblem, InputFileError
from ngen_connect.indexer.readers import read_rows
from ngen_connect.language import detect_query_language
from ngen_connect.text import text_key

DEFAULT_DEPTH = 10

# Header spellings, compared after folding accents, case and separators.
_QUERY_ID = ("query_id", "qid", "requete_id", "id_requete", "id", "topic", "topic_id")
_QUERY_TEXT = ("query", "query_text", "text", "question", "requete", "texte", "recherche")
_RECORD_ID = (
    "record_id",
    "doc_id",
    "docid",
    "document_id",
    "record",
    "organization_id",
    "fiche",
    "id",
)
_GRADE = ("grade", "relevance", "rel", "score", "judgment", "judgement", "pertinence", "note")


@dataclass(frozen=True)
class JudgedQuery:
    id: str
    text: str


@dataclass(frozen=True)
class QueryScore:
    """One query's figures; a metric is None when the query has no relevant record judged."""

    id: str
    query: str
    language: str
    judged: int
    relevant: int
    ndcg: float | None
    recall: float | None
    mrr: float | None
    ranked: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "query_id": self.id,
            "query": self.query,
            "language": self.language,
            "judged": self.judged,
            "relevant": self.relevant,
            "ndcg": self.ndcg,
            "recall": self.recall,
            "mrr": self.mrr,
            "top": list(self.ranked),
        }


@dataclass
class Evaluation:
    depth: int
    queries: list[QueryScore]
    #: queries that have no judgment at all (not counted in the means)
    unjudged: list[str] = field(default_factory=list)
    warnings: list[FileProblem] = field(default_factory=list)

    def means(self, language: str | None = None) -> dict[str, float | None]:
        chosen = [q for q in self.queries if language is None or q.language == language]
        return {
            "queries": len([q for q in chosen if q.ndcg is not None]),
            "ndcg": _mean(q.ndcg for q in chosen),
            "recall": _mean(q.recall for q in chosen),
            "mrr": _mean(q.mrr for q in chosen),
        }

    def languages(self) -> list[str]:
        return sorted({q.language for q in self.queries})

    def to_dict(self) -> dict[str, Any]:
        return {
            "depth": self.depth,
            "overall": self.means(),
            "by_language": {lang: self.means(lang) for lang in self.languages()},
            "queries": [q.to_dict() for q in self.queries],
            "unjudged": self.unjudged,
            "warnings": [str(w) for w in self.warnings],
        }


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(mean(present), 4) if present else None


# -- metrics -----------------------------------------------------------------------------------


def dcg(grades: Sequence[int]) -> float:
    """Discounted cumulative gain with exponential gains (2^grade - 1)."""
    return float(sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades)))


def ndcg(ranked: Sequence[str], grades: dict[str, int], depth: int = DEFAULT_DEPTH) -> float | None:
    """nDCG@depth of a ranking against graded judgments; None when nothing is judged relevant."""
    ideal = dcg(sorted(grades.values(), reverse=True)[:depth])
    if ideal == 0:
        return None
    return dcg([grades.get(r, 0) for r in ranked[:depth]]) / ideal


def recall(ranked: Sequence[str], relevant: set[str], depth: int = DEFAULT_DEPTH) -> float | None:
    if not relevant:
        return None
    return len(relevant & set(ranked[:depth])) / len(relevant)


def reciprocal_rank(
    ranked: Sequence[str], relevant: set[str], depth: int = DEFAULT_DEPTH
) -> float | None:
    if not relevant:
        return None
    first = next((i for i, r in enumerate(ranked[:depth]) if r in relevant), None)
    return 0.0 if first is None else 1 / (first + 1)


# -- reading the files -------------------------------------------------------------------------


def _column(values: dict[str, Any], choices: Sequence[str], taken: set[str]) -> str | None:
    folded = {text_key(name, "_"): name for name in values if name not in taken}
    return next((folded[c] for c in choices if c in folded), None)


def _columns(
    path: Path, first: dict[str, Any], wanted: Mapping[str, Sequence[str]]
) -> dict[str, str]:
    found: dict[str, str] = {}
    for field_name, choices in wanted.items():
        column = _column(first, choices, set(found.values()))
        if column is None:
            raise InputFileError(
                FileProblem(
                    path.name,
                    None,
                    None,
                    f"no '{field_name}' column (columns: {', '.join(first)})",
                ),
                f"aucune colonne '{field_name}' (colonnes : {', '.join(first)})",
            )
        found[field_name] = column
    return found


def _table(
    path: Path, wanted: Mapping[str, Sequence[str]]
) -> Iterable[tuple[int, dict[str, str], list[FileProblem]]]:
    columns: dict[str, str] | None = None
    for row in read_rows(path):
        if isinstance(row, FileProblem):
            yield (row.row or 0), {}, [row]
            continue
        if columns is None:
            columns = _columns(path, row.values, wanted)
        cells = {name: str(row.values.get(col) or "").strip() for name, col in columns.items()}
        yield row.number, cells, list(row.notes)


def read_queries(path: Path) -> tuple[list[JudgedQuery], list[FileProblem]]:
    """The queries to evaluate, in file order, and the rows that could not be read."""
    queries: list[JudgedQuery] = []
    problems: list[FileProblem] = []
    seen: set[str] = set()
    for number, cells, notes in _table(path, {"query_id": _QUERY_ID, "query": _QUERY_TEXT}):
        problems.extend(n for n in notes if not cells)
        if not cells:
            continue
        if not cells["query_id"] or not cells["query"]:
            problems.append(FileProblem(path.name, number, None, "no query id or no query"))
        elif cells["query_id"] in seen:
            problems.append(
                FileProblem(path.name, number, None, f"query id '{cells['query_id']}' repeated")
            )
        else:
            seen.add(cells["query_id"])
            queries.append(JudgedQuery(cells["query_id"], cells["query"]))
    return queries, problems


def read_judgments(path: Path) -> tuple[dict[str, dict[str, int]], list[FileProblem]]:
    """Grades by query id and record id, and the rows that could not be read. A record judged
    twice for a query keeps its last grade."""
    grades: dict[str, dict[str, int]] = {}
    problems: list[FileProblem] = []
    # a judgment names its query by id: here "requête" or "query" is that id (in a queries file,
    # the query's text)
    wanted = {
        "query_id": (*_QUERY_ID, "requete", "query"),
        "record_id": _RECORD_ID,
        "grade": _GRADE,
    }
    for number, cells, notes in _table(path, wanted):
        problems.extend(n for n in notes if not cells)
        if not cells:
            continue
        if not cells["query_id"] or not cells["record_id"]:
            problems.append(FileProblem(path.name, number, None, "no query id or no record id"))
            continue
        try:
            value = float(cells["grade"])
        except ValueError:
            value = -1.0
        if value < 0 or not value.is_integer():
            problems.append(
                FileProblem(path.name, number, "grade", f"'{cells['grade']}' is not a grade ≥ 0")
            )
            continue
        grade = int(value)
        grades.setdefault(cells["query_id"], {})[cells["record_id"]] = grade
    return grades, problems


# -- evaluating --------------------------------------------------------------------------------


def evaluate_ranking(
    queries: Sequence[JudgedQuery],
    judgments: dict[str, dict[str, int]],
    rank: Callable[[str, int], list[str]],
    *,
    depth: int = DEFAULT_DEPTH,
    relevant_grade: int = 1,
) -> Evaluation:
    """Score `rank(query, depth)` (record ids, best first) on each judged query."""
    scores: list[QueryScore] = []
    unjudged: list[str] = []
    for query in queries:
        grades = judgments.get(query.id)
        if not grades:
            unjudged.append(query.id)
            continue
        ranked = rank(query.text, depth)
        relevant = {r for r, g in grades.items() if g >= relevant_grade}
        scores.append(
            QueryScore(
                id=query.id,
                query=query.text,
                language=detect_query_language(query.text),
                judged=len(grades),
                relevant=len(relevant),
                ndcg=_round(ndcg(ranked, grades, depth)),
                recall=_round(recall(ranked, relevant, depth)),
                mrr=_round(reciprocal_rank(ranked, relevant, depth)),
                ranked=tuple(ranked[:depth]),
            )
        )
    known = {q.id for q in queries}
    warnings = [
        FileProblem("judgments", None, None, f"query id '{qid}' is not among the queries")
        for qid in judgments
        if qid not in known
    ]
    return Evaluation(depth, scores, unjudged, warnings)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
