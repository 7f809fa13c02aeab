"""Search: a query plan, the ranking legs (semantic, keyword, name) and their fusion, filters and
facets, hits rendered with their explanation, and evaluation on judged queries."""

from ngen_connect.search.evaluation import (
    DEFAULT_DEPTH,
    Evaluation,
    evaluate_ranking,
    read_judgments,
    read_queries,
)
from ngen_connect.search.filters import FACET_KEYS, FILTER_KEYS, Filters, facet_counts
from ngen_connect.search.ranking import Ranking, Weights
from ngen_connect.search.render import visible_attributes

__all__ = [
    "DEFAULT_DEPTH",
    "FACET_KEYS",
    "FILTER_KEYS",
    "Evaluation",
    "Filters",
    "Ranking",
    "Weights",
    "evaluate_ranking",
    "facet_counts",
    "read_judgments",
    "read_queries",
    "visible_attributes",
]
