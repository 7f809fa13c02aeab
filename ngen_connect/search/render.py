"""Ranked candidates -> search hits: the snippet, its highlights, the explanation, the attributes
the caller may see."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ngen_connect.index.products import PRODUCT_LIST
from ngen_connect.limits import MAX_RESULT_ATTRIBUTES_CHARS
from ngen_connect.models import RecordSummary, SearchHit, StoredPassage
from ngen_connect.search.explain import highlight, product_label, why
from ngen_connect.search.ranking import Candidate, QueryPlan, Ranking, Weights
from ngen_connect.text import fold, split_sentences

_SNIPPET_CHARS = 300


def render_hit(
    record: RecordSummary,
    candidate: Candidate,
    passages: Mapping[int, StoredPassage],
    plan: QueryPlan,
    ranking: Ranking,
    weights: Weights,
    hidden: Sequence[str] = (),
    cluster_names: Mapping[str, str] | None = None,
    ui_language: str = "en",
) -> SearchHit:
    """One result: the record, the passage that ranked it and why; cluster ids come with their
    names when `cluster_names` knows them."""
    pid = candidate.best_passage
    assert pid is not None, "a ranked candidate has a passage from some leg"
    best = passages[pid]
    quoted = passages[candidate.snippet_passage] if candidate.snippet_passage is not None else best
    assert quoted.text is not None, (
        "the results shown have their passages' text (Catalog.with_text)"
    )
    snippet = _snippet(quoted.text, plan.text)
    if candidate.product_match is not None:
        snippet = _naming_product(snippet, candidate.product_match.product, ui_language)
    keyword_passage = None
    if candidate.keyword_passage is not None:
        matched = passages[candidate.keyword_passage]
        assert matched.text is not None
        keyword_passage = (matched.text, matched.language)
    structured, sentence = why(
        candidate,
        plan,
        ranking,
        weights,
        best.ordinal,
        record.passages,
        best.language,
        keyword_passage,
        ui_language,
    )
    return SearchHit(
        id=record.id,
        kind=record.kind,
        name=record.name,
        score=candidate.score,
        language=record.language,
        snippet=snippet,
        snippet_language=quoted.language,
        explanation=sentence,
        attributes=_within_limit(
            _named_clusters(
                _without_products(visible_attributes(record.attributes, hidden)), cluster_names
            )
        ),
        snippet_highlighted=highlight(snippet, plan.terms | plan.expansion_terms, quoted.language),
        why=structured,
    )


def visible_attributes(attributes: Mapping[str, Any], hidden: Sequence[str]) -> dict[str, Any]:
    """A record's attributes without the listings of registries the caller may not read."""
    listed = attributes.get("listed_in")
    if not listed or not hidden:
        return dict(attributes)
    kept = {name: values for name, values in listed.items() if name not in hidden}
    shown = {k: v for k, v in attributes.items() if k != "listed_in"}
    return {**shown, "listed_in": kept} if kept else shown


def _within_limit(attributes: dict[str, Any]) -> dict[str, Any]:
    """A result's attributes in at most MAX_RESULT_ATTRIBUTES_CHARS of JSON: the values that do
    not fit are left out and named in `omitted` (the record's own page shows them all), so a page
    of results stays small whatever a record holds."""
    sizes = {
        key: len(json.dumps(value, ensure_ascii=False, default=str))
        for key, value in attributes.items()
    }
    if sum(sizes.values()) <= MAX_RESULT_ATTRIBUTES_CHARS:
        return attributes
    kept: dict[str, Any] = {}
    used = 0
    for key, value in attributes.items():
        if used + sizes[key] <= MAX_RESULT_ATTRIBUTES_CHARS:
            kept[key] = value
            used += sizes[key]
    kept["omitted"] = [key for key in attributes if key not in kept]
    return kept


def _without_products(attributes: dict[str, Any]) -> dict[str, Any]:
    """A result names the product that matched (in `why`); the whole list is the record's page."""
    return {k: v for k, v in attributes.items() if k != PRODUCT_LIST}


def _named_clusters(attributes: dict[str, Any], names: Mapping[str, str] | None) -> dict[str, Any]:
    clusters = attributes.get("clusters")
    if not clusters or not names:
        return attributes
    return {**attributes, "cluster_names": [names.get(c, c) for c in clusters]}


def _naming_product(snippet: str, product: Mapping[str, Any], language: str) -> str:
    """The snippet of a record matched by one of its products, led by that product unless it
    already names it: a buyer sees which product made the match without opening "why"."""
    label = product_label(product, language)
    brand = str(product.get("brand") or "")
    if not label or (brand and fold(brand) in fold(snippet)):
        return snippet
    lead = "Produit" if language == "fr" else "Product"
    separator = " : " if language == "fr" else ": "
    return f"{lead}{separator}{label}. {snippet}"


def _snippet(text: str, query: str) -> str:
    """The passage, or for a long one the run of sentences that shares most words with the query."""
    if len(text) <= _SNIPPET_CHARS:
        return text
    words = {w for w in fold(query).split() if len(w) > 2}
    sentences = split_sentences(text)
    start = max(
        range(len(sentences)), key=lambda i: (len(words & set(fold(sentences[i]).split())), -i)
    )
    snippet = " ".join(sentences[start:])
    if len(snippet) > _SNIPPET_CHARS:
        snippet = snippet[:_SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
    return ("…" if start else "") + snippet
