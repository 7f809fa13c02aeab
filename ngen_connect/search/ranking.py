"""Hybrid ranking: a multilingual semantic leg, a bilingual keyword leg, a company-name leg
(`name_leg.py`) and a product leg (`products.py`, for records that list products: brands,
ingredients, forms...).

Fusion is additive on the semantic score, so each leg helps where it helps without overturning the
semantic order elsewhere:

    score = cosine(best passage) + language gap    [when that passage is not in the query's language]
          + keyword * BM25(best keyword passage) / BM25(best passage of any candidate)
          + coverage * IDF of the query's words in that passage / IDF of all the query's words
          + name * name similarity                 [when the query reads as the organisation's
                                                    name, legal or operating]
          + product * product similarity           [a brand the query names, or BM25 over products]

The language gap corrects the model's preference for profiles written in the query's own language:
per query, it is measured where nothing but the language differs, on the records written in both
(`bilingual_gap`); among profiles of one language each, it is the difference between the mean
cosine of the best passages written in the query's language and of the best written in the other,
so both languages' best candidates compete evenly;
the keyword leg is fed the query's words stemmed in its own language (and in both where the two
stemmers agree, as on names and codes) plus its glossary translations, so it can match across
languages too, but never through a word stemmed as the other language's. The keyword and coverage
weights were chosen with a fit on the relevance collections' judgments (leave-one-collection-out
cross-validated, benchmarks/relevance/fit.py) and the bilingual needs lists (`Weights.keyword`),
the others on the relevance benchmark.

The relevance floor measures how far a record's best passage stands above a background of the
index's passages written in the same language, so an answer in the query's other language is
measured against its own language's passages, not held back by the gap between languages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache, partial
from statistics import mean
from typing import TypeVar, overload

import numpy as np
import numpy.typing as npt

from ngen_connect.embedding.base import Vectors, cosines
from ngen_connect.glossary import Expansion, Glossary
from ngen_connect.index.store import Catalog
from ngen_connect.index.vectors import Ids, VectorIndex, locate
from ngen_connect.index.version import IndexVersion
from ngen_connect.places import PROVINCES
from ngen_connect.search.name_leg import NameIndex
from ngen_connect.search.products import ProductIndex, ProductMatch, owners_allowed
from ngen_connect.text import fold, query_words, words

_PRODUCT_LANGUAGES = ("en", "fr")
_R = TypeVar("_R")
#: passages that stand for the index: the background a query's evidence is measured on
_BACKGROUND = 1024
#: below this many passages, an index is too small to measure evidence on, and has no floor
_MIN_BACKGROUND = 200
#: a language with fewer background passages is measured against the whole background
_MIN_LANGUAGE_BACKGROUND = 100
#: passages each leg (each encoder's FAISS search, BM25) brings per record wanted in the result
#: pool, and at least `_MIN_DEPTH`: 2 per record (600 for the 300-record pool) ranks as well as 4
#: did on the relevance benchmark and fuses fewer candidates, so a search is faster (figures in
#: benchmarks/RESULTS.md, "Relevance" and "Where the time of one search goes")
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
    #: a query of at most `short_query` words besides stop words (a label: "Used car dealers")
    #: gets `short_gap_scale` times the gap: the same-language records that share all its few
    #: words ("New car dealers") stand further above the rest than the top `align_depth` tell,
    #: and the answer may exist only in the other language (benchmarks/RESULTS.md, "Fusion
    #: weights": leave-one-collection-out over sample, DPD and the short-label collections)
    short_query: int = 3
    short_gap_scale: float = 1.5
    #: the keyword leg: its BM25 score as a share of the query's best (`keyword`), and the share
    #: of the query's information, its words' IDF, that the passage holds (`coverage`): a match on
    #: words hundreds of profiles share is little evidence. The judgments of the relevance
    #: collections ask for less of the share, more of the coverage (benchmarks/relevance/fit.py);
    #: the SIMSA needs lists in both languages need the share to keep their English and French
    #: top 10s alike (benchmarks/bench_needs.py): figures in benchmarks/RESULTS.md, "Fusion weights"
    keyword: float = 0.025
    coverage: float = 0.025
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
    #: floor). At a `floor` of 4.5, 4 of 100 seeded nonsense queries found profiles with unusual
    #: names among 2,000 sample organisations; at 5, 2, the judged queries losing nothing
    #: (benchmarks/bench_floor.py)
    floor: float | None = 5.0
    result_floor: float = 3.0


@dataclass
class Candidate:
    """One record's evidence from every leg."""

    key: str
    semantic: float = -1.0
    semantic_passage: int | None = None
    semantic_language: str = ""
    cross_language: float = 0.0
    keyword: float = 0.0
    #: the share of the query's information (its words' IDF) in the keyword passage
    coverage: float = 0.0
    keyword_passage: int | None = None
    #: the query's words in the keyword passage: filled for the results shown (`Ranker.explain`)
    keyword_terms: set[str] = field(default_factory=set)
    #: the passage quoted as the result's snippet: the best in the page's language when the record
    #: has passages in it, else the best passage (`Ranker.explain`)
    snippet_passage: int | None = None
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
    def best_passage(self) -> int | None:
        """The passage that ranked the record: its semantic leg's, else its keyword leg's."""
        return self.semantic_passage if self.semantic_passage is not None else self.keyword_passage


class QueryVectors:
    """The query as each encoder in use embeds it, in order. An encoder may still be at work on it
    on another thread (a `Future`), or embed it on the search's own thread when first asked (a
    function): the legs that need no vectors rank meanwhile."""

    def __init__(self, parts: Sequence[Vectors | Future[Vectors] | Callable[[], Vectors]]) -> None:
        self._parts = list(parts)

    def get(self, at: int) -> Vectors:
        part = self._parts[at]
        if isinstance(part, np.ndarray):
            return part
        vector = part.result() if isinstance(part, Future) else part()
        self._parts[at] = vector
        return vector

    def ready(self) -> list[Vectors] | None:
        """Every encoder's vector when all have embedded the query by now, else None (a keyword
        search never needs them): what a caller may keep without embedding anything more."""
        done = [part for part in self._parts if isinstance(part, np.ndarray)]
        return done if len(done) == len(self._parts) else None

    def all(self) -> list[Vectors]:
        return [self.get(at) for at in range(len(self._parts))]

    def searched(self, search: Callable[[int, Vectors], _R]) -> list[_R]:
        """`search(position, vector)` for each encoder, in order. An encoder at work on another
        thread searches there as soon as it has embedded the query. This thread waits for those
        embeddings before it embeds with its own encoder: one search then keeps about one core
        busy, and concurrent searches share the cores instead of each taking two."""
        elsewhere = {at: part for at, part in enumerate(self._parts) if isinstance(part, Future)}
        found = {at: _then(part, partial(search, at)) for at, part in elsewhere.items()}
        try:
            wait(elsewhere.values())
            here = {
                at: search(at, self.get(at)) for at in range(len(self._parts)) if at not in found
            }
            return [
                here[at] if at in here else found[at].result() for at in range(len(self._parts))
            ]
        finally:
            wait(found.values())  # the version stays open until the searches elsewhere are done


def background(passages: Ids, size: int = _BACKGROUND) -> Ids:
    """The `size` passages (sorted ids) whose hashed ids are smallest: a sample that a write
    changes only by the passages it adds or removes, so a query's evidence, and whether the floor
    keeps its results, does not flip with a reshuffle on every write."""
    if len(passages) <= size:
        return passages
    mixed = (passages.astype(np.uint64) * np.uint64(_GOLDEN)) >> np.uint64(11)
    chosen: Ids = np.sort(passages[np.argpartition(mixed, size - 1)[:size]])
    return chosen


def bare_names(catalog: Catalog) -> Ids:
    """The passages (sorted ids) that stand for a registry's record that came without a
    description: its name, its only text (`registry_record`, a supplier directory's row). A
    member's own short profile that reads as its name (a label) is text, and is not one of them.
    Texts are compared only where the sizes agree."""
    single = [
        (pids[0], key)
        for key, pids in catalog.by_record.items()
        if len(pids) == 1
        and key in catalog.records
        and catalog.records[key].attributes.get("registry")
    ]
    if not single:
        return np.zeros(0, np.int64)
    ids = np.fromiter((pid for pid, _ in single), dtype=np.int64, count=len(single))
    names = [catalog.records[key].name for _, key in single]
    sizes = catalog.texts.sizes(ids)
    alike = [at for at, name in enumerate(names) if len(name.encode()) == sizes[at]]
    texts = catalog.texts.get(ids[alike].tolist())
    bare = [int(ids[at]) for at in alike if texts.get(int(ids[at])) == names[at]]
    return np.asarray(sorted(bare), dtype=np.int64)


#: Fibonacci hashing's multiplier (2^64 / golden ratio): consecutive ids spread over the range
_GOLDEN = 0x9E3779B97F4A7C15


def bilingual_gap(
    semantic: _Semantic, same: int, other: int, depth: int, cap: float
) -> float | None:
    """The encoders' preference for the query's language (code `same`) over the other, measured
    where nothing else differs: on the records written in both, the median of their best passage's
    cosine in the query's language minus in the other, over the `depth` such records closest to
    the query, within [0, cap]. None when fewer such records are among the candidates: a corpus
    of one-language profiles leaves the gap to `Ranker._language_gap`, which compares each
    language's best and so also measures how many good answers each language holds."""
    same_rows = semantic.languages == same
    other_rows = semantic.languages == other
    both, at_same, at_other = np.intersect1d(
        semantic.records[same_rows], semantic.records[other_rows], return_indices=True
    )
    if len(both) < depth:
        return None
    same_cos = semantic.cosines[same_rows][at_same]
    other_cos = semantic.cosines[other_rows][at_other]
    closest = np.argsort(-np.maximum(same_cos, other_cos), kind="stable")[:depth]
    gap = float(np.median(same_cos[closest] - other_cos[closest]))
    return min(max(gap, 0.0), cap)


def _then(future: Future[Vectors], step: Callable[[Vectors], _R]) -> Future[_R]:
    """`step` of what `future` gives, run by the thread that completes it, as soon as it does."""
    chained: Future[_R] = Future()

    def run(done: Future[Vectors]) -> None:
        try:
            chained.set_result(step(done.result()))
        except BaseException as exc:  # handed to the thread that waits for `chained`
            chained.set_exception(exc)

    future.add_done_callback(run)
    return chained


@dataclass
class QueryPlan:
    text: str
    language: str
    embedding: QueryVectors
    terms: set[str]
    expansions: list[Expansion]
    expansion_terms: set[str]
    #: a province the query names ("… au Québec", "Saskatchewan suppliers"): records there get a boost
    province: str | None = None
    #: product statuses the search is filtered by: the product leg matches only such products
    product_statuses: tuple[str, ...] = ()
    #: correct the encoders' preference for the query's language whatever the ranking, by the
    #: fixed `Weights.cross_language` (a record's likeness, `similar`; the hybrid ranking always
    #: corrects it, by the gap it measures)
    balance_languages: bool = False
    #: the query's words as index terms, without the words about the supplier (`plan_query`):
    #: what the keyword leg's coverage and words in common are measured on
    words: list[list[str]] = field(default_factory=list)
    #: how many words the query has besides stop words, supplier words included (its shape)
    length: int = 0

    @property
    def expansion_phrases(self) -> list[tuple[str, ...]]:
        """The glossary terms the query's expansions add, each as its words' index terms."""
        return [phrase for e in self.expansions for phrase in e.group.phrases]

    @property
    def vectors(self) -> list[Vectors]:
        """The query as each encoder embeds it, once they are done."""
        return self.embedding.all()


#: words about the supplier a query asks for, not about what it makes: "oral solution
#: manufacturer" asks who makes oral solutions, and its "manufacturer" is no evidence that
#: "Armstrong Manufacturing" or "Total Fabrication" does. A query's keywords leave them out when
#: any other word is left ("contract manufacturing", "fabrication" stay: they are capabilities).
SUPPLIER_WORDS = frozenset(
    words(
        "manufacturer manufacturers maker makers supplier suppliers vendor vendors distributor "
        "distributors company companies fabricant fabricants fournisseur fournisseurs "
        "distributeur distributeurs entreprise entreprises compagnie compagnies"
    )
)


def _short_number(terms: Sequence[str]) -> bool:
    """Whether a query word's terms are a number of one or two digits."""
    return all((stem := t.partition(":")[2]).isdigit() and len(stem) <= 2 for t in terms)


def plan_query(text: str, language: str, embedding: QueryVectors, glossary: Glossary) -> QueryPlan:
    length = len(query_words(text, language))
    content = query_words(text, language, SUPPLIER_WORDS)
    terms = {term for word in content for term in word}
    expansions = glossary.expand(text)
    if len(content) < length:  # supplier words left out: their glossary groups too
        expansions = [e for e in expansions if fold(e.matched) not in SUPPLIER_WORDS]
    extra: set[str] = set()
    for expansion in expansions:
        extra |= expansion.group.terms
    return QueryPlan(
        text,
        language,
        embedding,
        terms,
        expansions,
        extra - terms,
        named_province(text),
        words=content,
        length=length,
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
    """Ranks one index version's records for a query plan: the legs, then their fusion.

    The legs' evidence is gathered in arrays over record ordinals (records in key order) and fused
    with numpy; `Candidate`s are made only for the records ranked."""

    def __init__(
        self, version: IndexVersion, weights: Weights, encoders: list[VectorIndex] | None = None
    ) -> None:
        #: each encoder's vectors, in the order of the query plan's vectors
        self.indexes = encoders or [version.vectors]
        self.keywords = version.keywords
        self.catalog = version.catalog
        self.weights = weights
        names = version.store.names()
        every = np.asarray(sorted(self.catalog.passages), dtype=np.int64)
        standing = background(every)
        self._background = [index.vectors(standing) for index in self.indexes]
        self.products = ProductIndex(self.catalog.records.values(), version.products)
        self.names = NameIndex(names)
        # Filters select passages; a record passes when its first passage does.
        self._first_passage = self.names.first_passage
        self._table = _Table(self.catalog, self._first_passage)
        #: the background passages' language codes: evidence is measured against the passages of
        #: the candidate's own language (a profile in the query's other language scores lower
        #: against every query, the true answer too)
        self._background_language = self._table.passage_language[standing]
        #: passages that are only a registry record's name (it came without a description): no
        #: evidence by meaning
        self._bare_names = bare_names(self.catalog)

    def rank(self, plan: QueryPlan, allowed: Ids | None, pool: int, ranking: Ranking) -> Ranked:
        """The best `pool` records, best first."""
        table = self._table
        # The legs that need no vectors first: the encoders may still be embedding the query.
        keyword = self._keyword(plan, allowed, pool) if ranking is not Ranking.SEMANTIC else None
        products: dict[int, ProductMatch] = {}
        if ranking is not Ranking.SEMANTIC and len(self.products):
            products = self._products(plan, allowed)
        names = self._names(plan, allowed) if ranking is Ranking.HYBRID else {}
        semantic = fusion = None
        if ranking is not Ranking.KEYWORD:
            semantic, fusion = self._semantic(plan, allowed, pool)
        found = [
            np.fromiter(products, dtype=np.int64, count=len(products)),
            np.fromiter(names, dtype=np.int64, count=len(names)),
        ]
        if keyword is not None:
            found.append(keyword.records)
        if ranking is Ranking.HYBRID:
            semantic = self._complete_semantic(plan, semantic, np.concatenate(found), fusion)
        if semantic is not None:
            found.append(semantic.records)
        records = np.unique(np.concatenate(found))
        if not len(records):
            return Ranked(_Evidence(records), np.zeros(0, np.int64), table, products)
        evidence = _Evidence(records)
        if keyword is not None:
            rows = np.searchsorted(records, keyword.records)
            evidence.keyword[rows], evidence.keyword_passage[rows] = keyword.ratio, keyword.passage
            evidence.coverage[rows] = keyword.coverage
            evidence.words[rows] = keyword.in_common
        for ordinal, match in products.items():
            row = int(np.searchsorted(records, ordinal))
            evidence.product[row] = match.score
            if evidence.keyword_passage[row] < 0:
                # The record's summary stands for it when only a product matched.
                evidence.keyword_passage[row] = self._first_passage[table.keys[ordinal]]
        for ordinal, similarity in names.items():
            evidence.name[np.searchsorted(records, ordinal)] = similarity
        if semantic is not None:
            other = self._other_languages(plan)
            evidence.settle(semantic, other, 0.0)
            self._measure_evidence(plan, evidence, fusion)
            if ranking is Ranking.HYBRID:
                gap = self._bilingual_gap(plan, semantic)
                if gap is None:
                    gap = self._language_gap(plan, evidence, other)
                if plan.length <= self.weights.short_query:
                    gap *= self.weights.short_gap_scale
                evidence.settle(semantic, other, gap)
            elif plan.balance_languages:
                # A record's likeness: the other language may hold nothing as close, so the fixed
                # correction is added, not the measured gap, which would make both languages'
                # best equal (on the mining and Québec directories, 2.6 French-only profiles in
                # an English supplier's 10 with the gap, 1.2 with the fixed correction).
                evidence.settle(semantic, other, self.weights.cross_language)
        if ranking is Ranking.HYBRID and plan.province:
            evidence.place[table.provinces[records] == plan.province] = self.weights.place
        score = self._fuse(evidence, ranking)
        order = np.lexsort((records, -score))  # best first; equal scores in key order
        if ranking is Ranking.KEYWORD:
            order = order[(evidence.keyword[order] > 0) | (evidence.product[order] > 0)]
        # The relevance floor runs before the pool is cut: a record sharing words or a product
        # with the query must not lose its place to candidates the floor would drop anyway.
        evidence.score = score
        return Ranked(evidence, self._about_query(evidence, order, ranking)[:pool], table, products)

    def _about_query(self, evidence: _Evidence, order: Ids, ranking: Ranking) -> Ids:
        """The ranked records really about the query, in order (see `Weights.floor`): a query of
        words no record has must stand out by meaning to find anything. Only the hybrid ranking
        has every leg's evidence; one leg alone (a diagnostic) is returned as ranked."""
        floor = self.weights.floor
        if floor is None or ranking is not Ranking.HYBRID:
            return order
        in_common = evidence.in_common()[order]
        strength = evidence.evidence[order]
        by_meaning = bool(in_common.any()) or (
            (float(strength.max()) if len(strength) else 0.0) >= floor
        )
        kept: Ids = order[in_common | (by_meaning & (strength >= self.weights.result_floor))]
        return kept

    def _measure_evidence(
        self, plan: QueryPlan, evidence: _Evidence, fusion: _Fusion | None
    ) -> None:
        if len(self._background[0]) < _MIN_BACKGROUND:
            # Too few passages to tell a match from the rest: every candidate counts.
            evidence.evidence[:] = math.inf
            return
        by_encoder = [
            cosines(vectors, vector)
            for vectors, vector in zip(self._background, plan.vectors, strict=True)
        ]
        background = fusion.fuse(by_encoder) if fusion else by_encoder[0]
        means = np.full(len(self._table.languages), float(background.mean()))
        spreads = np.full(len(means), max(float(background.std()), 1e-6))
        for code in range(len(means)):
            own = background[self._background_language == code]
            if len(own) >= _MIN_LANGUAGE_BACKGROUND:
                means[code], spreads[code] = float(own.mean()), max(float(own.std()), 1e-6)
        seen = evidence.semantic_passage >= 0
        language = evidence.semantic_language[seen]
        evidence.evidence[seen] = (evidence.semantic[seen] - means[language]) / spreads[language]
        # A record's name standing in for a description says nothing of what it does: made-up
        # words read as close to a bare name as anything does.
        bare = np.isin(evidence.semantic_passage, self._bare_names)
        evidence.evidence[bare] = -math.inf

    def _fuse(self, e: _Evidence, ranking: Ranking) -> Scores:
        if ranking is Ranking.SEMANTIC:
            # (the language gap is 0 unless the plan balances languages)
            balanced: Scores = e.semantic + e.cross_language
            return balanced
        if ranking is Ranking.KEYWORD:
            keyword_or_product: Scores = np.maximum(e.keyword, e.product)
            return keyword_or_product
        fused: Scores = e.semantic + e.cross_language + self._weighted_legs(e) + e.place
        return fused

    def _weighted_legs(self, e: _Evidence) -> Scores:
        """The keyword, coverage, name and product legs, each by its weight, summed."""
        w = self.weights
        legs: Scores = (
            w.keyword * e.keyword
            + w.coverage * e.coverage
            + w.name * e.name
            + w.product * e.product
        )
        return legs

    def _other_languages(self, plan: QueryPlan) -> npt.NDArray[np.bool_]:
        """For each passage language code: written in the query's other language (English or
        French)?"""
        return np.asarray(
            [
                plan.language in _PRODUCT_LANGUAGES
                and language in _PRODUCT_LANGUAGES
                and language != plan.language
                for language in self._table.languages
            ],
            dtype=bool,
        )

    def _bilingual_gap(self, plan: QueryPlan, semantic: _Semantic) -> float | None:
        """`bilingual_gap` for this query's language and the other, or None."""
        code = self._table.code
        if plan.language not in _PRODUCT_LANGUAGES or not self.weights.align_depth:
            return None
        other = "fr" if plan.language == "en" else "en"
        if plan.language not in code or other not in code:
            return None
        w = self.weights
        return bilingual_gap(
            semantic, code[plan.language], code[other], w.align_depth, w.max_cross_language
        )

    def _language_gap(
        self, plan: QueryPlan, e: _Evidence, other_languages: npt.NDArray[np.bool_]
    ) -> float:
        """How far the best candidates in the query's language outscore the best in the other,
        for this query: the difference of the means of each language's top `align_depth` fused
        scores. Measured on fused scores, it also offsets a keyword leg that matched one language only."""
        if plan.language not in _PRODUCT_LANGUAGES:
            return 0.0
        w = self.weights
        base = e.semantic + self._weighted_legs(e)
        seen = e.semantic_passage >= 0
        language = np.where(seen, e.semantic_language, 0)
        same_code = self._table.code.get(plan.language, -1)
        same = np.sort(base[seen & (language == same_code)])[::-1]
        other = np.sort(base[seen & other_languages[language]])[::-1]
        depth = w.align_depth
        if depth and len(same) >= depth and len(other) >= depth:
            gap: float = mean(same[:depth].tolist()) - mean(other[:depth].tolist())
            return min(max(gap, 0.0), w.max_cross_language)
        return w.cross_language

    def _semantic(
        self, plan: QueryPlan, allowed: Ids | None, pool: int
    ) -> tuple[_Semantic, _Fusion | None]:
        """Top passages by cosine (fused over the encoders), widening the search until they cover
        `pool` records."""
        k = max(_MIN_DEPTH, pool * _DEPTH)
        found_by = plan.embedding.searched(
            lambda at, vector: self.indexes[at].search(vector, k, allowed)
        )
        while True:
            ids = (
                found_by[0][1]
                if len(found_by) == 1
                else np.unique(np.concatenate([found for _, found in found_by]))
            )
            covered = len(np.unique(self._table.passage_record[ids]))
            if covered >= pool or all(len(found) < k for _, found in found_by):
                break
            k *= 4
            found_by = [
                index.search(vector, k, allowed)
                for index, vector in zip(self.indexes, plan.vectors, strict=True)
            ]
        if len(found_by) == 1 or not len(ids):
            # (nothing found: the filters let no passage through)
            return _Semantic.of(self._table, ids, found_by[0][0]), None
        by_encoder = [
            _completed(index, vector, ids, found)
            for index, vector, found in zip(self.indexes, plan.vectors, found_by, strict=True)
        ]
        fusion = _Fusion.of(by_encoder, self.weights.encoders)
        return _Semantic.of(self._table, ids, fusion.fuse(by_encoder)), fusion

    def _cosines(self, plan: QueryPlan, ids: Ids) -> list[Vectors]:
        """Each encoder's cosine between the query and these passages."""
        return [
            index.cosines(vector, ids)
            for index, vector in zip(self.indexes, plan.vectors, strict=True)
        ]

    def _keyword(self, plan: QueryPlan, allowed: Ids | None, pool: int) -> _Keyword:
        scores, ids, _ = self.keywords.search(
            plan.terms | plan.expansion_terms, max(_MIN_DEPTH, pool * _DEPTH), allowed
        )
        found = _Keyword.of(self._table, scores, ids)
        found.coverage[:] = self.keywords.coverage(found.passage, plan.words, plan.expansion_terms)
        # a number of one or two digits alone ("5" of "usinage 5 axes") is in every other text:
        # no word in common (it still weighs in the ranking)
        common = [w for w in plan.words if not _short_number(w)] or plan.words
        found.in_common[:] = self.keywords.holding(found.passage, common, plan.expansion_phrases)
        return found

    def explain(
        self, plan: QueryPlan, shown: Sequence[Candidate], page_language: str = "en"
    ) -> None:
        """For a page of results (not the hundreds ranked): the query's words in each record's
        keyword passage (`keyword_terms`) and the passage its snippet quotes (`snippet_passage`)."""
        matched = [c for c in shown if c.keyword > 0 and c.keyword_passage is not None]
        found = self.keywords.matched_terms_of(
            [c.keyword_passage for c in matched if c.keyword_passage is not None],
            plan.terms | plan.expansion_terms,
        )
        for candidate in matched:
            if candidate.keyword_passage is not None:
                candidate.keyword_terms = found[candidate.keyword_passage]
        for candidate in shown:
            candidate.snippet_passage = self._snippet_passage(plan, candidate, page_language)

    def _snippet_passage(self, plan: QueryPlan, candidate: Candidate, language: str) -> int | None:
        """The candidate's best passage if it is in `language` or the record has none in it;
        else the record's passage in `language` closest to the query (by the first encoder)."""
        best = candidate.best_passage
        table = self._table
        code = table.code.get(language)
        if best is None or code is None or table.passage_language[best] == code:
            return best
        own = np.asarray(self.catalog.by_record.get(candidate.key, ()), dtype=np.int64)
        own = own[table.passage_language[own] == code]
        if not len(own):
            return best
        if len(own) == 1:
            return int(own[0])
        closeness = self.indexes[0].cosines(plan.embedding.get(0), own)
        return int(own[int(np.argmax(closeness))])

    def _products(self, plan: QueryPlan, allowed: Ids | None) -> dict[int, ProductMatch]:
        """Record ordinal -> its best product for the query."""
        found = self.products.search(
            plan.text,
            plan.terms | plan.expansion_terms,
            owners_allowed(self._first_passage, allowed),
            self.weights.name_threshold,
            plan.product_statuses,
            [e.matched for e in plan.expansions if len(e.matched.split()) > 1],
        )
        return {self._table.ordinal(key): match for key, match in found.items()}

    def _names(self, plan: QueryPlan, allowed: Ids | None) -> dict[int, float]:
        """Record ordinal -> how well its name reads as the query."""
        found = self.names.search(plan.text, allowed, self.weights.name_threshold)
        return {self._table.ordinal(key): score for key, score in found.items()}

    def _complete_semantic(
        self,
        plan: QueryPlan,
        semantic: _Semantic | None,
        records: Ids,
        fusion: _Fusion | None,
    ) -> _Semantic | None:
        """Exact semantic scores for records that only the keyword, product or name legs brought
        in (after the semantic leg's own passages)."""
        known = semantic.records if semantic is not None else np.zeros(0, np.int64)
        missing = np.setdiff1d(records, known)
        if not len(missing):
            return semantic
        keys, by_record = self._table.keys, self.catalog.by_record
        ids = np.asarray(
            sorted(pid for at in missing.tolist() for pid in by_record.get(keys[at], ())),
            dtype=np.int64,
        )
        if not len(ids):
            return semantic
        by_encoder = self._cosines(plan, ids)
        fused = fusion.fuse(by_encoder) if fusion else by_encoder[0]
        added = _Semantic.of(self._table, ids, fused)
        return added if semantic is None else semantic.followed_by(added)


def _completed(
    index: VectorIndex, vector: Vectors, ids: Ids, found: tuple[Vectors, Ids]
) -> Vectors:
    """One encoder's cosines for these passages (sorted ids): those its own search found, as
    found, and the others' (found by another encoder) computed."""
    scores, found_ids = found
    order = np.argsort(found_ids)
    at, known = locate(found_ids[order], ids)
    out: Vectors = np.empty(len(ids), dtype=np.float32)
    out[known] = scores[order][at[known]]
    if not known.all():
        out[~known] = index.cosines(vector, ids[~known])
    return out


#: scores over candidates, in double precision as the fusion adds them
Scores = npt.NDArray[np.float64]


class _Table:
    """An index version's passages and records as arrays: record ordinals (records in key order),
    each passage's record and language code."""

    def __init__(self, catalog: Catalog, first_passage: Mapping[str, int]) -> None:
        self.keys = sorted(catalog.records.keys() | catalog.by_record.keys())
        ordinal = {key: at for at, key in enumerate(self.keys)}
        self.languages = sorted({p.language for p in catalog.passages.values()}) or ["und"]
        self.code = {language: at for at, language in enumerate(self.languages)}
        count = len(catalog.passages)
        pids = np.fromiter(catalog.passages, dtype=np.int64, count=count)
        size = int(pids.max()) + 1 if count else 0
        self.passage_record = np.full(size, -1, dtype=np.int32)
        self.passage_record[pids] = np.fromiter(
            (ordinal[p.record_key] for p in catalog.passages.values()), dtype=np.int32, count=count
        )
        self.passage_language = np.zeros(size, dtype=np.int16)
        self.passage_language[pids] = np.fromiter(
            (self.code[p.language] for p in catalog.passages.values()), dtype=np.int16, count=count
        )
        self.provinces = np.asarray(
            [
                str(catalog.records[key].attributes.get("province") or "")
                if key in catalog.records
                else ""
                for key in self.keys
            ],
            dtype=object,
        )
        self._first_passage = first_passage

    def ordinal(self, key: str) -> int:
        """A record's ordinal (through its first passage: no map of its own)."""
        return int(self.passage_record[self._first_passage[key]])


@dataclass(frozen=True)
class _Semantic:
    """The semantic leg's evidence: each record's best passage per passage language."""

    records: Ids
    languages: Ids
    cosines: Scores
    passages: Ids
    #: where the (record, language) was first seen, among all the passages scored: the first seen
    #: wins between equal scores
    first_seen: Ids

    @classmethod
    def of(cls, table: _Table, ids: Ids, scores: Vectors, offset: int = 0) -> _Semantic:
        records = table.passage_record[ids].astype(np.int64)
        languages = table.passage_language[ids].astype(np.int64)
        cosine = scores.astype(np.float64)
        seen = np.arange(offset, offset + len(ids), dtype=np.int64)
        group = records * len(table.languages) + languages
        best = _best_of_groups(group, cosine, seen)
        _, first = np.unique(group, return_index=True)
        return cls(records[best], languages[best], cosine[best], ids[best], seen[first])

    def followed_by(self, other: _Semantic) -> _Semantic:
        """This evidence and another's, of records this one does not hold, seen after it."""
        shift = int(self.first_seen.max()) + 1 if len(self.first_seen) else 0
        return _Semantic(
            np.concatenate([self.records, other.records]),
            np.concatenate([self.languages, other.languages]),
            np.concatenate([self.cosines, other.cosines]),
            np.concatenate([self.passages, other.passages]),
            np.concatenate([self.first_seen, other.first_seen + shift]),
        )


@dataclass(frozen=True)
class _Keyword:
    """The keyword leg's evidence: each record's best BM25 passage, as a share of the best."""

    records: Ids
    ratio: Scores
    passage: Ids
    #: each best passage's share of the query's information (`KeywordIndex.coverage`)
    coverage: Scores
    #: whether each best passage holds a word of the query or a glossary phrase of it whole
    #: (`KeywordIndex.holding`): a word of a translation alone is no word in common
    in_common: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, table: _Table, scores: npt.NDArray[np.float32], ids: Ids) -> _Keyword:
        if not len(ids):
            empty = np.zeros(0, np.int64)
            none = np.zeros(0, np.float64)
            return cls(empty, none, empty, none, np.zeros(0, dtype=bool))
        records = table.passage_record[ids].astype(np.int64)
        ratio = scores.astype(np.float64) / float(scores[0])
        best = _best_of_groups(records, ratio, np.arange(len(ids)))
        return cls(
            records[best], ratio[best], ids[best], np.zeros(len(best)), np.zeros(len(best), bool)
        )


class _Evidence:
    """Every leg's evidence for the candidate records (ordinals, ascending), one array per leg."""

    def __init__(self, records: Ids) -> None:
        n = len(records)
        self.records = records
        self.semantic = np.full(n, -1.0)
        self.semantic_passage = np.full(n, -1, dtype=np.int64)
        self.semantic_language = np.zeros(n, dtype=np.int64)
        self.cross_language = np.zeros(n)
        self.keyword = np.zeros(n)
        self.coverage = np.zeros(n)
        #: the keyword passage holds a word of the query or a glossary phrase of it whole
        self.words = np.zeros(n, dtype=bool)
        self.keyword_passage = np.full(n, -1, dtype=np.int64)
        self.name = np.zeros(n)
        self.product = np.zeros(n)
        self.place = np.zeros(n)
        self.evidence = np.zeros(n)
        self.score = np.zeros(n)

    def settle(self, semantic: _Semantic, other: npt.NDArray[np.bool_], gap: float) -> None:
        """Pick each record's best passage, the other language's passages counting `gap` more."""
        bias = np.where(other[semantic.languages], gap, 0.0)
        best = _best_of_groups(semantic.records, semantic.cosines + bias, semantic.first_seen)
        at = np.searchsorted(self.records, semantic.records[best])
        self.semantic[at] = semantic.cosines[best]
        self.cross_language[at] = bias[best]
        self.semantic_passage[at] = semantic.passages[best]
        self.semantic_language[at] = semantic.languages[best]

    def in_common(self) -> npt.NDArray[np.bool_]:
        """Words, a name or a product in common with the query."""
        common: npt.NDArray[np.bool_] = self.words | (self.name > 0) | (self.product > 0)
        return common


class Ranked(Sequence[Candidate]):
    """The records ranked, best first: their keys at once, each one's `Candidate` (its evidence,
    for its explanation) when asked for; a search asks for a page of them."""

    def __init__(
        self,
        evidence: _Evidence,
        order: Ids,
        table: _Table,
        products: dict[int, ProductMatch],
    ) -> None:
        self._evidence = evidence
        self._order = order
        self._table = table
        self._products = products
        keys = table.keys
        #: the records' keys, best first
        self.keys = [keys[at] for at in evidence.records[order].tolist()]

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[Candidate]:
        return iter(self[:])

    @overload
    def __getitem__(self, at: int) -> Candidate: ...

    @overload
    def __getitem__(self, at: slice) -> list[Candidate]: ...

    def __getitem__(self, at: int | slice) -> Candidate | list[Candidate]:
        if isinstance(at, slice):
            return self._candidates(self._order[at])
        return self._candidates(self._order[[range(len(self))[at]]])[0]

    def _candidates(self, rows: Ids) -> list[Candidate]:
        e, table = self._evidence, self._table
        languages = table.languages
        return [
            Candidate(
                key=table.keys[record],
                semantic=semantic,
                semantic_passage=semantic_passage if semantic_passage >= 0 else None,
                semantic_language=languages[language] if semantic_passage >= 0 else "",
                cross_language=cross_language,
                keyword=keyword,
                coverage=coverage,
                keyword_passage=keyword_passage if keyword_passage >= 0 else None,
                name=name,
                product=product,
                product_match=self._products.get(record),
                place=place,
                score=score,
                evidence=evidence,
            )
            for (
                record,
                semantic,
                semantic_passage,
                language,
                cross_language,
                keyword,
                coverage,
                keyword_passage,
                name,
                product,
                place,
                score,
                evidence,
            ) in zip(
                *(
                    column[rows].tolist()
                    for column in (
                        e.records,
                        e.semantic,
                        e.semantic_passage,
                        e.semantic_language,
                        e.cross_language,
                        e.keyword,
                        e.coverage,
                        e.keyword_passage,
                        e.name,
                        e.product,
                        e.place,
                        e.score,
                        e.evidence,
                    )
                ),
                strict=True,
            )
        ]


def _best_of_groups(group: Ids, value: Scores, first: Ids) -> Ids:
    """For each distinct `group` (ascending), the row with the highest `value`, the lowest `first`
    between equal values."""
    if not len(group):
        return np.zeros(0, np.int64)
    order = np.lexsort((first, -value, group))
    sorted_groups = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    best: Ids = order[starts]
    return best


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
