"""The product leg: every product a record lists (a licence holder's drugs), searchable on its own.

A record may list products under `PRODUCT_LIST` (a Health Canada licence holder lists all its
DINs: thousands for the largest). Its passages summarise them; this index keeps each product whole,
so a brand, an ingredient, a dosage form or a route finds the holder however many products it has:
BM25 over each product's words (brands, ingredients, forms, routes, ATC classes, schedules, status,
in English and French), and the query read as a brand name (rapidfuzz, as company names are).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process, utils

from ngen_connect.index.keywords import KeywordIndex
from ngen_connect.index.products import (
    PRODUCT_LIST,
    listed_products,
    product_keywords,
)
from ngen_connect.models import RecordSummary
from ngen_connect.names import normalise_name
from ngen_connect.text import analyse, query_words


@dataclass(frozen=True)
class ProductMatch:
    """A record's best product for a query: its similarity in [0, 1], and how it matched."""

    score: float
    product: Mapping[str, Any]
    #: "brand" when the query reads as the product's brand, else "words"
    how: str
    terms: frozenset[str] = frozenset()


#: words about the supplier, not the product ("fabricant de vaccins", "DIN 00015741"), and words
#: every product of a drug registry is ("médicaments" matched the schedule "Médicaments sur
#: ordonnance" of every prescription product): a product never matches on them
ROLE_WORDS = (
    "manufacturer manufacturers manufacturing maker makers supplier suppliers producer producers "
    "distributor distributors company companies holder holders licence license din product "
    "products fabricant fabricants fabrication fournisseur fournisseurs producteur producteurs "
    "distributeur distributeurs entreprise entreprises compagnie titulaire titulaires produit "
    "produits drug drugs medication medications médicament médicaments"
)


@lru_cache(maxsize=1)
def _role_terms() -> frozenset[str]:
    return frozenset(analyse(ROLE_WORDS, "und"))


class ProductIndex:
    """BM25 over products and a brand-name matcher, from the records that list products."""

    def __init__(
        self, records: Iterable[RecordSummary], keywords: KeywordIndex | None = None
    ) -> None:
        lists = [
            (record.key, listed)
            for record in records
            if isinstance(listed := record.attributes.get(PRODUCT_LIST), list)
        ]
        self._owners: list[str] = []
        self._products: list[Mapping[str, Any]] = []
        #: each distinct brand (as compared) and the products that carry it
        brands: dict[str, list[int]] = {}
        for index, (key, product) in enumerate(listed_products(lists)):
            self._owners.append(key)
            self._products.append(product)
            for brand in {product.get("brand"), product.get("brand_fr")}:
                if brand:
                    compared = utils.default_process(normalise_name(str(brand)))
                    brands.setdefault(compared, []).append(index)
        if keywords is None or len(keywords.passage_ids) != len(self._products):
            # an index written before products were kept apart: analyse them now
            keywords = product_keywords(lists)
        self._keywords = keywords
        self._brands = list(brands)
        self._brand_products = list(brands.values())

    def __len__(self) -> int:
        return len(self._products)

    def search(
        self,
        text: str,
        terms: set[str],
        allowed: set[str] | None,
        threshold: float,
        statuses: Sequence[str] = (),
        phrases: Sequence[str] = (),
    ) -> dict[str, ProductMatch]:
        """Each record's best product for the query (`terms` are its analysed words, glossary
        expansions included); `allowed` limits the records, `threshold` is the brand similarity
        (0-100) that counts, `statuses` (marketed, dormant...) the products that may match;
        `phrases`, the glossary terms of several words the query holds, each one thing: a
        product holds all of a phrase's words or none ("Busulfan For Injection" holds nothing of
        "injection moulding")."""
        best: dict[str, ProductMatch] = {}
        wanted = tuple(s.lower() for s in statuses)

        def eligible(index: int) -> bool:
            owner = self._owners[index]
            if allowed is not None and owner not in allowed:
                return False
            status = str(self._products[index].get("status", "")).lower()
            return not wanted or status.startswith(wanted)

        def offer(index: int, match: ProductMatch) -> None:
            owner = self._owners[index]
            if not eligible(index):
                return
            if owner not in best or match.score > best[owner].score:
                best[owner] = match

        terms = terms - _role_terms()
        if self._keywords is not None and terms:
            scores, ids, known = self._keywords.search(terms, 1000)
            top = float(scores[0]) if len(ids) else 1.0
            # best first: an owner's first product here is its best
            firsts: dict[str, tuple[float, int]] = {}
            for score, index in zip(scores.tolist(), ids.tolist(), strict=True):
                owner = self._owners[index]
                if owner not in firsts and eligible(index):
                    firsts[owner] = (score, index)
            found = self._keywords.matched_terms_of([i for _, i in firsts.values()], terms)
            # a product counts as much as it covers the query's words: those products have, or
            # all the query's own words when more, so "5-axis titanium machining" is not a search
            # for the products holding titanium dioxide; a short number alone ("5" of "5 mg") is
            # no evidence of a product, a DIN is
            words = _query_words(text)
            wholes = [set(_query_words(phrase)) for phrase in phrases]
            asked = max(len(_evidence(known)), len(words))
            for owner, (score, index) in firsts.items():
                matched = frozenset(found[index])
                holding = {word for word in words if word & matched}
                for whole in wholes:
                    if not all(word & matched for word in whole):
                        holding -= whole
                held = len(holding)
                counted = held if words else len(_evidence(matched))
                coverage = min(1.0, counted / max(asked, 1))
                if coverage <= 0:  # it holds nothing the query asks
                    continue
                # squared: a product holding one word of four ("titane" of "usinage 5 axes de
                # titane, AS9100", a sunscreen's titanium dioxide) is a sixteenth of a match,
                # not a quarter; one holding every word is a whole one
                best[owner] = ProductMatch(
                    score / top * coverage**2, self._products[index], "words", matched
                )
        query = utils.default_process(normalise_name(text))
        if len(query) >= 3 and self._brands:
            # The query read as a whole brand, misspelt a little: "lipitor atorvastatin" names the
            # brand Lipitor, not every brand called Atorvastatin (a plain edit ratio, which also
            # keeps this fast over tens of thousands of brands).
            for _, score, at in process.extract(
                query, self._brands, scorer=fuzz.ratio, limit=20, score_cutoff=threshold
            ):
                for index in self._brand_products[at]:
                    offer(index, ProductMatch(score / 100, self._products[index], "brand"))
        return best


#: a number alone this long is a code (a DIN has 8 digits), shorter it is a dose or a count
_CODE_DIGITS = 5


def _evidence(terms: Iterable[str]) -> list[str]:
    """The terms that say something of a product: not a short number alone ("5" of "5 mg")."""
    return [
        t
        for t in terms
        if not ((stem := t.partition(":")[2]).isdigit() and len(stem) < _CODE_DIGITS)
    ]


def _query_words(text: str) -> list[frozenset[str]]:
    """The query's words that could name a product, each as its terms in both languages: not
    role words ("manufacturer", "DIN"), not stop words, not short numbers. A product holds a
    word when it holds one of its terms (a word's glossary translation does not count twice)."""
    roles = _role_terms()
    return [
        frozenset(terms)
        for terms in query_words(text, "und")
        if _evidence(terms) and not set(terms) <= roles
    ]


def owners_allowed(
    first_passages: Mapping[str, int], allowed: np.ndarray[Any, Any] | None
) -> set[str] | None:
    """The records whose first passage the filters allow (None: every record)."""
    if allowed is None:
        return None
    allowed_set = set(allowed.tolist())
    return {key for key, pid in first_passages.items() if pid in allowed_set}
