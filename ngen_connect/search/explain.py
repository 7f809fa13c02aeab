"""Why a result matched: the highlighted passage and the contribution of each ranking leg."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ngen_connect.search.ranking import Candidate, QueryPlan, Ranking, Weights
from ngen_connect.text import analyse, analyse_query

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


@lru_cache(maxsize=100_000)
def _word_terms(word: str, language: str) -> frozenset[str]:
    """A word's index terms; a page of results analyses the same words again and again."""
    return frozenset(analyse(word, language if language in {"en", "fr"} else "und"))


def matched_words(
    text: str, terms: set[str], language: str, *, as_query: bool = False
) -> list[str]:
    """The words of `text` whose index terms are in `terms`, once each, in order; `as_query`:
    the words analysed as a query's are (`analyse_query`), not as a passage's."""
    found: dict[str, None] = {}
    for match in _WORD.finditer(text):
        word = match.group(0)
        analysed = set(analyse_query(word, language)) if as_query else _word_terms(word, language)
        if terms & analysed:
            found.setdefault(word.lower(), None)
    return list(found)


def highlight(text: str, terms: set[str], language: str) -> str:
    """HTML-escaped text with the words whose index terms are in `terms` wrapped in <mark>."""
    out: list[str] = []
    last = 0
    for match in _WORD.finditer(text):
        word = match.group(0)
        if terms & _word_terms(word, language):
            out.append(html.escape(text[last : match.start()]))
            out.append(f"<mark>{html.escape(word)}</mark>")
            last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def why(
    candidate: Candidate,
    plan: QueryPlan,
    ranking: Ranking,
    weights: Weights,
    ordinal: int,
    passages: int,
    language: str,
    keyword_passage: tuple[str, str] | None,
    ui_language: str = "en",
) -> tuple[dict[str, Any], str]:
    """(structured explanation: each leg's evidence and boost, for `--json` and the page's
    details; one sentence in plain words in `ui_language`: words in common, meaning, name,
    product, place) for one result."""
    say = _FRENCH if ui_language == "fr" else _ENGLISH
    legs: dict[str, Any] = {}
    parts = []
    if ranking is not Ranking.SEMANTIC and candidate.keyword > 0:
        text, text_language = keyword_passage or ("", language)
        # Words matched in the record's name, certifications or codes are not in the passage: the
        # query's own words that matched them are named instead (never the index's stems).
        terms = matched_words(text, candidate.keyword_terms, text_language) or matched_words(
            plan.text, candidate.keyword_terms, plan.language, as_query=True
        )
        legs["keyword"] = {
            "score": round(candidate.keyword, 4),
            "coverage": round(candidate.coverage, 4),
            "terms": terms,
        }
        parts.append(say["keyword"].format(terms=", ".join(terms)) if terms else say["codes"])
    if candidate.semantic_passage is not None:
        legs["semantic"] = round(candidate.semantic, 4)
        legs["passage"] = {"number": ordinal + 1, "of": passages, "language": language}
        if math.isfinite(candidate.evidence):
            legs["evidence"] = round(candidate.evidence, 2)
        if plan.language in _NAMES and language in _NAMES and language != plan.language:
            parts.append(say["meaning_in"].format(language=say["languages"][language]))
        else:
            parts.append(say["meaning"])
    if candidate.name > 0:
        legs["name"] = round(candidate.name, 4)
        parts.append(say["name"])
    if candidate.product_match is not None:
        match = candidate.product_match
        product = match.product
        legs["product"] = {
            "score": round(candidate.product, 4),
            "din": product.get("din", ""),
            "brand": product.get("brand", ""),
            "how": match.how,
        }
        parts.append(say["product"].format(product=product_label(product, ui_language)))
    glossary = [
        e.group.label
        for e in plan.expansions
        if candidate.keyword_terms & e.group.terms - plan.terms
    ]
    if glossary:
        legs["glossary"] = glossary
        parts.append(say["glossary"].format(groups="; ".join(glossary)))
    boosts: dict[str, float] = {}
    if ranking is Ranking.HYBRID:
        if candidate.cross_language:
            boosts["cross_language"] = round(candidate.cross_language, 4)
        if candidate.keyword:
            boosts["keyword"] = round(
                weights.keyword * candidate.keyword + weights.coverage * candidate.coverage, 4
            )
        if candidate.name:
            boosts["name"] = round(weights.name * candidate.name, 4)
        if candidate.product:
            boosts["product"] = round(weights.product * candidate.product, 4)
        if candidate.place:
            boosts["place"] = round(candidate.place, 4)
            parts.append(say["place"].format(province=plan.province))
    sentence = say["lead"] + "; ".join(parts) + "."
    return {"legs": legs, "boosts": boosts, "ranking": ranking.value}, sentence


def product_label(product: Mapping[str, Any], language: str) -> str:
    """'TYLENOL (DIN 02345678)': a product as a buyer names it, in the page's language."""
    brand = (product.get("brand_fr") or product.get("brand")) if language == "fr" else None
    brand = brand or product.get("brand") or product.get("ingredient") or ""
    din = product.get("din")
    return f"{brand} (DIN {din})" if din else str(brand)


_NAMES = ("en", "fr")
_ENGLISH: dict[str, Any] = {
    "lead": "Matched by: ",
    "keyword": "words in common ({terms})",
    "codes": "a name or code in common",
    "meaning": "close in meaning",
    "meaning_in": "close in meaning, in its {language} text",
    "name": "its name reads as the query",
    "product": "its product {product}",
    "glossary": "translated terms ({groups})",
    "place": "in {province}, the province the query names",
    "languages": {"en": "English", "fr": "French"},
}
_FRENCH: dict[str, Any] = {
    "lead": "Retenu pour : ",
    "keyword": "mots en commun ({terms})",
    "codes": "un nom ou un code en commun",
    "meaning": "proche par le sens",
    "meaning_in": "proche par le sens, dans son texte en {language}",
    "name": "son nom correspond à la requête",
    "product": "son produit {product}",
    "glossary": "termes traduits ({groups})",
    "place": "en {province}, la province nommée dans la requête",
    "languages": {"en": "anglais", "fr": "français"},
}
