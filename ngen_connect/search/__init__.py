"""Search: a query plan, the ranking legs (semantic, keyword, name) and their fusion, filters and
facets, hits rendered with their explanation."""

from ngen_connect.search.filters import FACET_KEYS, FILTER_KEYS, FILTERS, Filters, facet_counts
from ngen_connect.search.ranking import Ranking, Weights
from ngen_connect.search.render import visible_attributes

__all__ = [
    "FACET_KEYS",
    "FILTERS",
    "FILTER_KEYS",
    "Filters",
    "Ranking",
    "Weights",
    "facet_counts",
    "visible_attributes",
]
