"""Hybrid ranking: a multilingual semantic leg, a bilingual keyword leg and a company-name leg.

Fusion is additive on the semantic score, so each leg helps where it helps without overturning the
semantic order elsewhere:

    score = cosine(best passage) + cross_language  [when that passage is not in the query's language]
          + keyword * BM25(best keyword passage) / BM25(best passage of any candidate)
          + name * name similarity                 [when the query reads as the organisation's name]

`cross_language` corrects the model's preference for profiles written in the query's own language;
the keyword leg is fed the query plus its glossary translations, so it can match across languages
too. The weights were chosen on the relevance benchmark (benchmarks/relevance/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from rapidfuzz import fuzz, process, utils

from ngen_connect.embedding.base import Vectors
from ngen_connect.glossary import Expansion, Glossary
from ngen_connect.keywords import KeywordIndex
from ngen_connect.store import Store
from ngen_connect.text import analyse, fold
from ngen_connect.vectors import Ids, VectorIndex

_PRODUCT_LANGUAGES = ("en", "fr")
_LEGAL_FORMS = re.compile(
    r"\b(inc|incorporated|ltd|ltee|limited|limitee|corp|corporation|co|company|cie|llc|ulc|lp|sec|senc|"
    r"group|groupe|les|the)\b\.?"
)


class Ranking(StrEnum):
    HYBRID = "hybrid"
    SEMANTIC = "semantic"
    KEYWORD = "keyword"


@dataclass(frozen=True)
class Weights:
    cross_language: float = 0.03
    keyword: float = 0.04
    name: float = 0.3
    name_threshold: float = 88.0


@dataclass
class Candidate:
    """One record's evidence from every leg."""

    key: str
    semantic: float = -1.0
    semantic_passage: int | None = None
    cross_language: float = 0.0
    keyword: float = 0.0
    keyword_passage: int | None = None
    keyword_terms: set[str] = field(default_factory=set)
    name: float = 0.0
    score: float = 0.0


@dataclass
class QueryPlan:
    text: str
    language: str
    vector: Vectors
    terms: set[str]
    expansions: list[Expansion]
    expansion_terms: set[str]


def name_key(name: str) -> str:
    """A company name without legal forms, accents, case or punctuation."""
    folded = re.sub(r"[^a-z0-9 ]+", " ", fold(name).replace("&", " and "))
    return " ".join(_LEGAL_FORMS.sub(" ", folded).split())


def plan_query(text: str, language: str, vector: Vectors, glossary: Glossary) -> QueryPlan:
    terms = set(analyse(text, "und"))
    expansions = glossary.expand(text)
    extra: set[str] = set()
    for expansion in expansions:
        for term in expansion.group.en:
            extra.update(analyse(term, "en"))
        for term in expansion.group.fr:
            extra.update(analyse(term, "fr"))
    return QueryPlan(text, language, vector, terms, expansions, extra - terms)


class Ranker:
    """Everything a query needs besides the embedder, loaded once per index version."""

    def __init__(
        self, store: Store, vectors: VectorIndex, keywords: KeywordIndex, weights: Weights
    ) -> None:
        self.store = store
        self.vectors = vectors
        self.keywords = keywords
        self.weights = weights
        names = store.names()
        self._name_keys = [key for key, _, _ in names]
        self._name_texts = [name_key(name) for _, name, _ in names]
        # Filters select passages; a record passes when its first passage does.
        self._first_passage = {key: pid for key, _, pid in names}

    def rank(
        self, plan: QueryPlan, allowed: Ids | None, pool: int, ranking: Ranking
    ) -> tuple[list[Candidate], dict[int, tuple[str, int, str, str]]]:
        """The best `pool` records, best first, and the passages their evidence refers to."""
        candidates: dict[str, Candidate] = {}
        passages: dict[int, tuple[str, int, str, str]] = {}
        if ranking is not Ranking.KEYWORD:
            self._semantic(plan, allowed, pool, candidates, passages)
        if ranking is not Ranking.SEMANTIC:
            self._keyword(plan, allowed, pool, candidates, passages)
        if ranking is Ranking.HYBRID:
            self._names(plan, allowed, candidates)
            self._complete_semantic(plan, candidates, passages)
        for candidate in candidates.values():
            candidate.score = self._fuse(candidate, ranking)
        ranked = sorted(candidates.values(), key=lambda c: (-c.score, c.key))
        if ranking is Ranking.KEYWORD:
            ranked = [c for c in ranked if c.keyword > 0]
        return ranked[:pool], passages

    def _fuse(self, c: Candidate, ranking: Ranking) -> float:
        if ranking is Ranking.SEMANTIC:
            return c.semantic
        if ranking is Ranking.KEYWORD:
            return c.keyword
        w = self.weights
        return c.semantic + c.cross_language + w.keyword * c.keyword + w.name * c.name

    def _semantic_score(self, plan: QueryPlan, cosine: float, language: str) -> tuple[float, float]:
        """(cosine, cross-language correction) of one passage."""
        other = (
            plan.language in _PRODUCT_LANGUAGES
            and language in _PRODUCT_LANGUAGES
            and language != plan.language
        )
        return cosine, self.weights.cross_language if other else 0.0

    def _take_semantic(
        self,
        plan: QueryPlan,
        candidates: dict[str, Candidate],
        pid: int,
        cosine: float,
        passage: tuple[str, int, str, str],
    ) -> None:
        key = passage[0]
        raw, bias = self._semantic_score(plan, cosine, passage[3])
        candidate = candidates.setdefault(key, Candidate(key))
        if (
            candidate.semantic_passage is None
            or raw + bias > candidate.semantic + candidate.cross_language
        ):
            candidate.semantic, candidate.cross_language, candidate.semantic_passage = (
                raw,
                bias,
                pid,
            )

    def _semantic(
        self,
        plan: QueryPlan,
        allowed: Ids | None,
        pool: int,
        candidates: dict[str, Candidate],
        passages: dict[int, tuple[str, int, str, str]],
    ) -> None:
        k = max(1000, pool * 4)
        while True:
            scores, ids = self.vectors.search(plan.vector, k, allowed)
            found = self.store.passages_by_id(ids)
            records = {found[pid][0] for pid in ids.tolist()}
            if len(records) >= pool or len(ids) < k:
                break
            k *= 4
        passages.update(found)
        for cosine, pid in zip(scores.tolist(), ids.tolist(), strict=True):
            self._take_semantic(plan, candidates, pid, cosine, found[pid])

    def _keyword(
        self,
        plan: QueryPlan,
        allowed: Ids | None,
        pool: int,
        candidates: dict[str, Candidate],
        passages: dict[int, tuple[str, int, str, str]],
    ) -> None:
        scores, ids, _ = self.keywords.search(
            plan.terms | plan.expansion_terms, max(1000, pool * 4), allowed
        )
        if not len(ids):
            return
        found = self.store.passages_by_id(ids)
        passages.update(found)
        best = float(scores[0])
        for score, pid in zip(scores.tolist(), ids.tolist(), strict=True):
            key = found[pid][0]
            candidate = candidates.setdefault(key, Candidate(key))
            if score / best > candidate.keyword:
                candidate.keyword, candidate.keyword_passage = score / best, pid
                candidate.keyword_terms = self.keywords.matched_terms(
                    pid, plan.terms | plan.expansion_terms
                )

    def _names(
        self, plan: QueryPlan, allowed: Ids | None, candidates: dict[str, Candidate]
    ) -> None:
        query = name_key(plan.text)
        if len(query) < 3:
            return
        matches = process.extract(
            query,
            self._name_texts,
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            limit=10,
            score_cutoff=self.weights.name_threshold,
        )
        for _, score, index in matches:
            key = self._name_keys[index]
            if allowed is not None and not np.isin(self._first_passage[key], allowed):
                continue
            # Name similarity only counts when the query is about as long as the name.
            length_ratio = min(len(query), len(self._name_texts[index])) / max(
                len(query), len(self._name_texts[index]), 1
            )
            if length_ratio >= 0.6:
                candidates.setdefault(key, Candidate(key)).name = score / 100

    def _complete_semantic(
        self,
        plan: QueryPlan,
        candidates: dict[str, Candidate],
        passages: dict[int, tuple[str, int, str, str]],
    ) -> None:
        """Exact semantic scores for records that only the keyword or name legs brought in."""
        missing = [key for key, c in candidates.items() if c.semantic_passage is None]
        if not missing:
            return
        found = self.store.passages_of(missing)
        passages.update(found)
        ids = np.asarray(sorted(found), dtype=np.int64)
        cosines = self.vectors.vectors(ids) @ plan.vector
        for pid, cosine in zip(ids.tolist(), cosines.tolist(), strict=True):
            self._take_semantic(plan, candidates, pid, float(cosine), found[pid])
