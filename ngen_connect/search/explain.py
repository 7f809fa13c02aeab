"""Why a result matched: the highlighted passage and the contribution of each ranking leg."""

from __future__ import annotations

import html
import math
import re
from functools import lru_cache
from typing import Any

from ngen_connect.search.ranking import Candidate, QueryPlan, Ranking, Weights
from ngen_connect.text import analyse

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


@lru_cache(maxsize=100_000)
def _word_terms(word: str, language: str) -> frozenset[str]:
    """A word's index terms; a page of results analyses the same words again and again."""
    return frozenset(analyse(word, language if language in {"en", "fr"} else "und"))


def matched_words(text: str, terms: set[str], language: str) -> list[str]:
    """The words of `text` whose index terms are in `terms`, once each, in order."""
    found: dict[str, None] = {}
    for match in _WORD.finditer(text):
        if terms & _word_terms(match.group(0), language):
            found.setdefault(match.group(0).lower(), None)
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
    """(structured explanation, one readable sentence in `ui_language`) for one result."""
    say = _FRENCH if ui_language == "fr" else _ENGLISH
    number = _french_number if ui_language == "fr" else _english_number
    legs: dict[str, Any] = {}
    parts = []
    if candidate.semantic_passage is not None:
        legs["semantic"] = round(candidate.semantic, 4)
        if math.isfinite(candidate.evidence):
            legs["evidence"] = round(candidate.evidence, 2)
        parts.append(
            say["semantic"].format(
                score=number(candidate.semantic, 3), n=ordinal + 1, of=passages, language=language
            )
        )
    if ranking is not Ranking.SEMANTIC and candidate.keyword > 0:
        text, text_language = keyword_passage or ("", language)
        # Terms matched in the record's name, certifications or codes have no word in the passage.
        terms = matched_words(text, candidate.keyword_terms, text_language) or sorted(
            {t.split(":", 1)[1] for t in candidate.keyword_terms}
        )
        legs["keyword"] = {"score": round(candidate.keyword, 4), "terms": terms}
        parts.append(
            say["keyword"].format(terms=", ".join(terms), score=number(candidate.keyword, 2))
        )
    if candidate.name > 0:
        legs["name"] = round(candidate.name, 4)
        parts.append(say["name"].format(score=number(candidate.name, 2)))
    if candidate.product_match is not None:
        match = candidate.product_match
        product = match.product
        legs["product"] = {
            "score": round(candidate.product, 4),
            "din": product.get("din", ""),
            "brand": product.get("brand", ""),
            "how": match.how,
        }
        brand = (product.get("brand_fr") or product.get("brand")) if ui_language == "fr" else None
        parts.append(
            say["product"].format(
                brand=brand or product.get("brand", ""),
                din=product.get("din", ""),
                score=number(candidate.product, 2),
            )
        )
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
            parts.append(say["cross_language"].format(score=number(candidate.cross_language, 3)))
        if candidate.keyword:
            boosts["keyword"] = round(weights.keyword * candidate.keyword, 4)
        if candidate.name:
            boosts["name"] = round(weights.name * candidate.name, 4)
        if candidate.product:
            boosts["product"] = round(weights.product * candidate.product, 4)
        if candidate.place:
            boosts["place"] = round(candidate.place, 4)
            parts.append(say["place"].format(province=plan.province))
    sentence = say["lead"] + "; ".join(parts) + "."
    return {"legs": legs, "boosts": boosts, "ranking": ranking.value}, sentence


_ENGLISH = {
    "lead": "Matched by ",
    "semantic": "semantic match {score} on passage {n} of {of} ({language})",
    "keyword": "keywords {terms} ({score})",
    "name": "name similarity {score}",
    "product": "product {brand} (DIN {din}, {score})",
    "glossary": "glossary {groups}",
    "cross_language": "cross-language correction +{score}",
    "place": "in {province}, the province the query names",
}
_FRENCH = {
    "lead": "Retenu pour : ",
    "semantic": "correspondance sémantique {score} sur le passage {n} de {of} ({language})",
    "keyword": "mots-clés {terms} ({score})",
    "name": "similarité du nom {score}",
    "product": "produit {brand} (DIN {din}, {score})",
    "glossary": "glossaire {groups}",
    "cross_language": "correction interlangue +{score}",
    "place": "en {province}, la province nommée dans la requête",
}


def _english_number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def _french_number(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace(".", ",")
