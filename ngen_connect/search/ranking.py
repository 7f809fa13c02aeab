"""Hybrid ranking: a multilingual semantic leg, a bilingual keyword leg, a company-name leg
(`name_leg.py`) and a product leg (`products.py`, for records that list products: brands,
ingredients, forms...).

Fusion is additive on the semantic score, so each leg helps where it helps without overturning the
semantic order elsewhere:

    score = cosine(best passage) + language gap    [when that passage is not in the query's language]
          + keyword * BM25(best keyword passage) / BM25(best passage of any candidate)
          + name * name similarity                 [when the query reads as the organisation's
                                                    name, legal or operating]
          + product * product similarity           [a brand the query names, or BM25 over products]

The language gap corrects the model's preference for profiles written in the query's own language:
per query, it is the difference between the mean cosine of the best passages written in the query's
language and of the best written in the other, so both languages' best candidates compete evenly;
the keyword leg is fed the query plus its glossary translations, so it can match across languages
too. The weights were chosen on the relevance benchmark (benchmarks/relevance/).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from statistics import mean

import numpy as np

from ngen_connect.embedding.base import Vectors, cosines
from ngen_connect.glossary import Expansion, Glossary
from ngen_connect.index.vectors import Ids, VectorIndex
from ngen_connect.index.version import IndexVersion
from ngen_connect.models import StoredPassage
from ngen_connect.places import PROVINCES
from ngen_connect.search.name_leg import NameIndex
from ngen_connect.search.products import ProductIndex, ProductMatch, owners_allowed
from ngen_connect.text import analyse, fold

_PRODUCT_LANGUAGES = ("en", "fr")
#: passages drawn at random once per version: the background a query's evidence is measured on
_BACKGROUND = 1024
#: below this many passages, an index is too small to measure evidence on, and has no floor
_MIN_BACKGROUND = 200
#: passages each leg (each encoder's FAISS search, BM25) brings per record wanted in the result
#: pool, and at least `_MIN_DEPTH`: 2 per record (600 for the 300-record pool) ranks as well as 4
#: did (relevance benchmark nDCG@10: sample 0.868 vs 0.866, DPD 0.697 vs 0.697) and fuses 40 %
#: fewer candidates (a search at 10,000 organisations, its query embedded: 23.8 -> 16.6 ms)
_DEPTH = 2
_MIN_DEPTH = 500


class Ranking(StrEnum):
    """Which legs rank a query: all of them fused (hybrid), or one alone."""

    HYBRID = "hybrid"
    SEMANTIC = "semantic"
    KEYWORD = "keyword"


@dataclass(frozen=True)
class Weights:
    #: passages in the other language get the gap between the two languages' best cosines (the mean
    #: of each language's top `align_depth`), at most `max_cross_language`; with too few passages of
    #: either language to measure it, `cross_language` instead
    align_depth: int = 20
    max_cross_language: float = 0.1
    cross_language: float = 0.03
    keyword: float = 0.04
    name: float = 0.3
    name_threshold: float = 88.0
    #: a product the record lists (brand, ingredient, form, route...) matching the query
    product: float = 0.3
    #: added to records in the province a query names
    place: float = 0.03
    #: each fused encoder's weight, in order (empty: equal weights)
    encoders: tuple[float, ...] = ()
    #: the relevance floor, in standard deviations of semantic evidence: records with words or a
    #: name in common always count; by meaning alone, records reaching `result_floor` count when
    #: the query shares words with some record, or when its best record reaches `floor` (None: no
    #: floor)
    floor: float | None = 4.5
    result_floor: float = 3.0


@dataclass
class Candidate:
    """One record's evidence from every leg."""

    key: str
    #: best (cosine, passage id) per passage language
    by_language: dict[str, tuple[float, int]] = field(default_factory=dict)
    semantic: float = -1.0
    semantic_passage: int | None = None
    semantic_language: str = ""
    cross_language: float = 0.0
    keyword: float = 0.0
    keyword_passage: int | None = None
    #: the query's words in the keyword passage: filled for the results shown (`Ranker.explain`)
    keyword_terms: set[str] = field(default_factory=set)
    name: float = 0.0
    #: the record's best product for the query (see `ngen_connect.search.products`)
    product: float = 0.0
    product_match: ProductMatch | None = None
    place: float = 0.0
    score: float = 0.0
    #: how far the best passage's semantic score stands above the query's background (passages
    #: drawn at random), in standard deviations
    evidence: float = 0.0

    @property
    def in_common(self) -> bool:
        """Words, a name or a product in common with the query."""
        return self.keyword > 0 or self.name > 0 or self.product > 0


@dataclass
class QueryPlan:
    text: str
    language: str
    #: the query embedded by each encoder in use, in order
    vectors: list[Vectors]
    terms: set[str]
    expansions: list[Expansion]
    expansion_terms: set[str]
    #: a province the query names ("… au Québec", "Saskatchewan suppliers"): records there get a boost
    province: str | None = None
    #: product statuses the search is filtered by: the product leg matches only such products
    product_statuses: tuple[str, ...] = ()

    @property
    def vector(self) -> Vectors:
        """The query as the first encoder embeds it."""
        return self.vectors[0]


def plan_query(text: str, language: str, vectors: list[Vectors], glossary: Glossary) -> QueryPlan:
    terms = set(analyse(text, "und"))
    expansions = glossary.expand(text)
    extra: set[str] = set()
    for expansion in expansions:
        for term in expansion.group.en:
            extra.update(analyse(term, "en"))
        for term in expansion.group.fr:
            extra.update(analyse(term, "fr"))
    return QueryPlan(
        text, language, vectors, terms, expansions, extra - terms, named_province(text)
    )


def named_province(text: str) -> str | None:
    """The one province or territory a query names in full (English or French), if any."""
    folded = " " + re.sub(r"[^a-z]+", " ", fold(text)) + " "
    found = {code for code, name in _province_names() if name in folded}
    return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=1)
def _province_names() -> tuple[tuple[str, str], ...]:
    """(code, " name ") of every province and territory name longer than 4 letters, folded as
    queries are: worked out once, not per query."""
    return tuple(
        (code, f" {name} ")
        for code, names in PROVINCES.items()
        for name in (re.sub(r"[^a-z]+", " ", fold(n)).strip() for n in names)
        if len(name) > 4
    )


class Ranker:
    """Ranks one index version's records for a query plan: the legs, then their fusion."""

    def __init__(
        self, version: IndexVersion, weights: Weights, encoders: list[VectorIndex] | None = None
    ) -> None:
        #: each encoder's vectors, in the order of the query plan's vectors
        self.indexes = encoders or [version.vectors]
        self.vectors = self.indexes[0]
        self.keywords = version.keywords
        self.catalog = version.catalog
        self.weights = weights
        names = version.store.names()
        every = np.asarray(sorted(self.catalog.passages), dtype=np.int64)
        sample = np.random.default_rng(0).choice(
            every, size=min(_BACKGROUND, len(every)), replace=False
        )
        self._background = [index.vectors(np.sort(sample)) for index in self.indexes]
        self.products = ProductIndex(self.catalog.records.values(), version.products)
        self.names = NameIndex(names)
        # Filters select passages; a record passes when its first passage does.
        self._first_passage = self.names.first_passage

    def rank(
        self, plan: QueryPlan, allowed: Ids | None, pool: int, ranking: Ranking
    ) -> tuple[list[Candidate], dict[int, StoredPassage]]:
        """The best `pool` records, best first, and the passages their evidence refers to."""
        candidates: dict[str, Candidate] = {}
        passages: dict[int, StoredPassage] = {}
        fusion: _Fusion | None = None
        if ranking is not Ranking.KEYWORD:
            scores, ids, fusion = self._semantic(plan, allowed, pool, passages)
            for cosine, pid in zip(scores.tolist(), ids.tolist(), strict=True):
                self._take_semantic(candidates, pid, cosine, passages[pid])
        if ranking is not Ranking.SEMANTIC:
            self._keyword(plan, allowed, pool, candidates, passages)
        if ranking is not Ranking.SEMANTIC and len(self.products):
            self._products(plan, allowed, candidates, passages)
        if ranking is Ranking.HYBRID:
            self._names(plan, allowed, candidates)
            self._complete_semantic(plan, candidates, passages, fusion)
        for candidate in candidates.values():
            self._settle(plan, candidate, 0.0)
        if ranking is not Ranking.KEYWORD:
            self._measure_evidence(plan, candidates.values(), fusion)
        if ranking is Ranking.HYBRID:
            gap = self._language_gap(plan, candidates.values())
            for candidate in candidates.values():
                self._settle(plan, candidate, gap)
        if ranking is Ranking.HYBRID and plan.province:
            for candidate in candidates.values():
                record = self.catalog.records.get(candidate.key)
                if record and record.attributes.get("province") == plan.province:
                    candidate.place = self.weights.place
        for candidate in candidates.values():
            candidate.score = self._fuse(candidate, ranking)
        ranked = sorted(candidates.values(), key=lambda c: (-c.score, c.key))
        if ranking is Ranking.KEYWORD:
            ranked = [c for c in ranked if c.keyword > 0 or c.product > 0]
        # The relevance floor runs before the pool is cut: a record sharing words or a product
        # with the query must not lose its place to candidates the floor would drop anyway.
        return self.about_query(ranked, ranking)[:pool], passages

    def about_query(self, ranked: list[Candidate], ranking: Ranking) -> list[Candidate]:
        """The ranked records really about the query, in order (see `Weights.floor`): a query of
        words no record has must stand out by meaning to find anything. Only the hybrid ranking
        has every leg's evidence; one leg alone (a diagnostic) is returned as ranked."""
        floor = self.weights.floor
        if floor is None or ranking is not Ranking.HYBRID:
            return ranked
        by_meaning = any(c.in_common for c in ranked) or (
            max((c.evidence for c in ranked), default=0.0) >= floor
        )
        return [
            c
            for c in ranked
            if c.in_common or (by_meaning and c.evidence >= self.weights.result_floor)
        ]

    def _measure_evidence(
        self, plan: QueryPlan, candidates: Iterable[Candidate], fusion: _Fusion | None
    ) -> None:
        if len(self._background[0]) < _MIN_BACKGROUND:
            # Too few passages to tell a match from the rest: every candidate counts.
            for candidate in candidates:
                candidate.evidence = math.inf
            return
        by_encoder = [
            cosines(vectors, vector)
            for vectors, vector in zip(self._background, plan.vectors, strict=True)
        ]
        background = fusion.fuse(by_encoder) if fusion else by_encoder[0]
        mean, spread = float(background.mean()), max(float(background.std()), 1e-6)
        for candidate in candidates:
            if candidate.semantic_passage is not None:
                candidate.evidence = (candidate.semantic - mean) / spread

    def _fuse(self, c: Candidate, ranking: Ranking) -> float:
        if ranking is Ranking.SEMANTIC:
            return c.semantic
        if ranking is Ranking.KEYWORD:
            return max(c.keyword, c.product)
        w = self.weights
        return (
            c.semantic
            + c.cross_language
            + w.keyword * c.keyword
            + w.name * c.name
            + w.product * c.product
            + c.place
        )

    @staticmethod
    def _other_language(plan: QueryPlan, language: str) -> bool:
        return (
            plan.language in _PRODUCT_LANGUAGES
            and language in _PRODUCT_LANGUAGES
            and language != plan.language
        )

    def _base(self, c: Candidate) -> float:
        w = self.weights
        return c.semantic + w.keyword * c.keyword + w.name * c.name + w.product * c.product

    def _language_gap(self, plan: QueryPlan, candidates: Iterable[Candidate]) -> float:
        """How far the best candidates in the query's language outscore the best in the other,
        for this query: the difference of the means of each language's top `align_depth` fused
        scores. Measured on fused scores, it also offsets a keyword leg that matched one language only."""
        if plan.language not in _PRODUCT_LANGUAGES:
            return 0.0
        same: list[float] = []
        other: list[float] = []
        for candidate in candidates:
            if candidate.semantic_language == plan.language:
                same.append(self._base(candidate))
            elif self._other_language(plan, candidate.semantic_language):
                other.append(self._base(candidate))
        depth = self.weights.align_depth
        if depth and len(same) >= depth and len(other) >= depth:
            gap = mean(sorted(same, reverse=True)[:depth]) - mean(
                sorted(other, reverse=True)[:depth]
            )
            return min(max(gap, 0.0), self.weights.max_cross_language)
        return self.weights.cross_language

    def _settle(self, plan: QueryPlan, candidate: Candidate, gap: float) -> None:
        """Pick the record's best passage, the other language's passages counting `gap` more."""
        best: tuple[float, float, int, str] | None = None
        for language, (cosine, pid) in candidate.by_language.items():
            bias = gap if self._other_language(plan, language) else 0.0
            if best is None or cosine + bias > best[0] + best[1]:
                best = (cosine, bias, pid, language)
        if best is not None:
            (
                candidate.semantic,
                candidate.cross_language,
                candidate.semantic_passage,
                candidate.semantic_language,
            ) = best

    @staticmethod
    def _take_semantic(
        candidates: dict[str, Candidate],
        pid: int,
        cosine: float,
        passage: StoredPassage,
    ) -> None:
        candidate = _candidate(candidates, passage.record_key)
        language = passage.language
        if language not in candidate.by_language or cosine > candidate.by_language[language][0]:
            candidate.by_language[language] = (cosine, pid)

    def _semantic(
        self,
        plan: QueryPlan,
        allowed: Ids | None,
        pool: int,
        passages: dict[int, StoredPassage],
    ) -> tuple[Vectors, Ids, _Fusion | None]:
        """Top passages by cosine (fused over the encoders), widening the search until they cover
        `pool` records."""
        k = max(_MIN_DEPTH, pool * _DEPTH)
        while True:
            found_by = [
                index.search(vector, k, allowed)
                for index, vector in zip(self.indexes, plan.vectors, strict=True)
            ]
            ids = (
                found_by[0][1]
                if len(found_by) == 1
                else np.unique(np.concatenate([found for _, found in found_by]))
            )
            found = self.catalog.passages_by_id(ids.tolist())
            records = {found[pid].record_key for pid in ids.tolist()}
            if len(records) >= pool or all(len(found) < k for _, found in found_by):
                break
            k *= 4
        passages.update(found)
        if len(found_by) == 1:
            return found_by[0][0], ids, None
        by_encoder = self._cosines(plan, ids)
        fusion = _Fusion.of(by_encoder, self.weights.encoders)
        return fusion.fuse(by_encoder), ids, fusion

    def _cosines(self, plan: QueryPlan, ids: Ids) -> list[Vectors]:
        """Each encoder's cosine between the query and these passages."""
        return [
            cosines(index.vectors(ids), vector)
            for index, vector in zip(self.indexes, plan.vectors, strict=True)
        ]

    def _keyword(
        self,
        plan: QueryPlan,
        allowed: Ids | None,
        pool: int,
        candidates: dict[str, Candidate],
        passages: dict[int, StoredPassage],
    ) -> None:
        scores, ids, _ = self.keywords.search(
            plan.terms | plan.expansion_terms, max(_MIN_DEPTH, pool * _DEPTH), allowed
        )
        if not len(ids):
            return
        found = self.catalog.passages_by_id(ids.tolist())
        passages.update(found)
        best = float(scores[0])
        for score, pid in zip(scores.tolist(), ids.tolist(), strict=True):
            key = found[pid].record_key
            candidate = _candidate(candidates, key)
            if score / best > candidate.keyword:
                candidate.keyword, candidate.keyword_passage = score / best, pid

    def explain(self, plan: QueryPlan, shown: Iterable[Candidate]) -> None:
        """The query's words in each shown record's keyword passage (`keyword_terms`, for its
        explanation): worked out for a page of results, not for the hundreds ranked."""
        terms = plan.terms | plan.expansion_terms
        for candidate in shown:
            if candidate.keyword > 0 and candidate.keyword_passage is not None:
                candidate.keyword_terms = self.keywords.matched_terms(
                    candidate.keyword_passage, terms
                )

    def _products(
        self,
        plan: QueryPlan,
        allowed: Ids | None,
        candidates: dict[str, Candidate],
        passages: dict[int, StoredPassage],
    ) -> None:
        found = self.products.search(
            plan.text,
            plan.terms | plan.expansion_terms,
            owners_allowed(self._first_passage, allowed),
            self.weights.name_threshold,
            plan.product_statuses,
        )
        for key, match in found.items():
            candidate = _candidate(candidates, key)
            candidate.product, candidate.product_match = match.score, match
            if candidate.keyword_passage is None:
                # The record's summary stands for it when only a product matched.
                first = self._first_passage[key]
                candidate.keyword_passage = first
                passages.update(self.catalog.passages_by_id([first]))

    def _names(
        self, plan: QueryPlan, allowed: Ids | None, candidates: dict[str, Candidate]
    ) -> None:
        found = self.names.search(plan.text, allowed, self.weights.name_threshold)
        for key, score in found.items():
            _candidate(candidates, key).name = score

    def _complete_semantic(
        self,
        plan: QueryPlan,
        candidates: dict[str, Candidate],
        passages: dict[int, StoredPassage],
        fusion: _Fusion | None,
    ) -> None:
        """Exact semantic scores for records that only the keyword or name legs brought in."""
        missing = [key for key, c in candidates.items() if not c.by_language]
        if not missing:
            return
        found = self.catalog.passages_of(missing)
        passages.update(found)
        ids = np.asarray(sorted(found), dtype=np.int64)
        by_encoder = self._cosines(plan, ids)
        fused = fusion.fuse(by_encoder) if fusion else by_encoder[0]
        for pid, cosine in zip(ids.tolist(), fused.tolist(), strict=True):
            self._take_semantic(candidates, pid, float(cosine), found[pid])


def _candidate(candidates: dict[str, Candidate], key: str) -> Candidate:
    """The record's candidate, made on first sight (not `setdefault`, which would make one on
    every call: thousands per query)."""
    candidate = candidates.get(key)
    if candidate is None:
        candidate = candidates[key] = Candidate(key)
    return candidate


@dataclass(frozen=True)
class _Fusion:
    """Several encoders' cosines as one score, per query: each encoder's cosines z-scored over the
    query's candidate passages, summed with the encoders' weights, and put back on the first
    encoder's scale (its mean and spread), so the other legs' weights keep their meaning."""

    means: tuple[float, ...]
    spreads: tuple[float, ...]
    weights: tuple[float, ...]

    @classmethod
    def of(cls, cosines: list[Vectors], weights: tuple[float, ...]) -> _Fusion:
        chosen = weights if len(weights) == len(cosines) else (1.0,) * len(cosines)
        return cls(
            tuple(float(c.mean()) for c in cosines),
            tuple(max(float(c.std()), 1e-6) for c in cosines),
            chosen,
        )

    def fuse(self, cosines: list[Vectors]) -> Vectors:
        z = np.zeros(len(cosines[0]), dtype=np.float32)
        for c, m, s, w in zip(cosines, self.means, self.spreads, self.weights, strict=True):
            z += w * (c - m) / s
        fused: Vectors = (self.means[0] + self.spreads[0] * z / sum(self.weights)).astype(
            np.float32
        )
        return fused
