"""The keyword leg: BM25 over analysed passages, checked against an independent BM25 (bm25s)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import bm25s  # type: ignore[import-untyped]
import numpy as np
import pytest

from ngen_connect.index import keywords
from ngen_connect.index.keywords import KeywordIndex
from ngen_connect.index.store import Store
from ngen_connect.models import Kind, Passage, Profile
from ngen_connect.text import analyse

# Short capability passages in English and French (and one that is both), some repeating a
# term so term frequency and length normalisation both matter.
CORPUS: list[tuple[str, str]] = [
    ("Five-axis CNC machining of titanium aircraft parts.", "en"),
    ("Precision machining, machining and more machining of aluminium housings.", "en"),
    ("Robotic welding of steel frames for heavy trucks.", "en"),
    ("Injection moulding of plastic housings for medical devices.", "en"),
    ("Carbon fibre composite boat hulls and wind turbine blades.", "en"),
    ("Metal 3D printing: additive manufacturing of titanium implants.", "en"),
    ("Sheet metal stamping, laser cutting and bending of steel.", "en"),
    ("Heat treatment and surface finishing of aerospace steel parts.", "en"),
    ("Printed circuit board assembly for industrial electronics.", "en"),
    ("Hydraulic pumps and valves for mining equipment.", "en"),
    ("Software for predictive maintenance of CNC machines.", "en"),
    ("Certified AS9100 supplier of aircraft landing gear components.", "en"),
    ("Food packaging machines and conveyors.", "en"),
    (
        "Welding, welding, welding: a long list of welding services including TIG and MIG welding "
        "of stainless steel, aluminium and titanium for pressure vessels and piping.",
        "en",
    ),
    ("Plastic extrusion of pipes.", "en"),
    ("Usinage CNC cinq axes de pièces en titane pour l'aéronautique.", "fr"),
    ("Moulage par injection de boîtiers en plastique pour l'automobile.", "fr"),
    ("Soudage robotisé de châssis en acier pour camions.", "fr"),
    ("Fabrication additive et impression 3D de pièces métalliques.", "fr"),
    ("Traitement thermique et finition de surface des pièces d'acier.", "fr"),
    ("Découpe laser, pliage et emboutissage de tôles d'acier inoxydable.", "fr"),
    ("Coques de bateaux en fibre de carbone et matériaux composites.", "fr"),
    ("Pompes hydrauliques et vannes pour l'industrie minière.", "fr"),
    ("Assemblage de cartes électroniques pour l'industrie.", "fr"),
    ("Logiciel de maintenance prédictive pour machines-outils.", "fr"),
    ("Usinage de précision, usinage de prototypes et usinage en série.", "fr"),
    ("Emballage alimentaire : machines et convoyeurs.", "fr"),
    ("Extrusion de tuyaux en plastique.", "fr"),
    ("Titanium machining / usinage du titane, AS9100.", "und"),
    ("Le, la, les.", "fr"),  # nothing left after analysis: a passage of length 0
]
# Passage ids that are not row numbers, so a mix-up between the two would show.
PIDS = [1000 + 7 * row for row in range(len(CORPUS))]

QUERIES: list[tuple[str, str]] = [
    ("titanium machining", "en"),
    ("steel welding", "en"),
    ("plastic housings", "en"),
    ("usinage titane", "fr"),
    ("pièces d'acier", "fr"),
    ("machines", "und"),
    ("AS9100 aircraft", "und"),
    ("composite carbon fibre hulls", "und"),
    ("welding robots trucks steel frames", "en"),
]


def analysed_corpus() -> list[list[str]]:
    return [analyse(text, language) for text, language in CORPUS]


@pytest.fixture(scope="module")
def index() -> KeywordIndex:
    return KeywordIndex.build(zip(PIDS, analysed_corpus(), strict=True))


@pytest.fixture(scope="module")
def oracle() -> bm25s.BM25:
    # The keyword leg scores idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)) with
    # idf = ln(1 + (N - df + 0.5) / (df + 0.5)). In bm25s that is the ATIRE term-frequency part
    # (which keeps the (k1 + 1) factor that bm25s's "lucene" method leaves out) with the Lucene
    # IDF, so the scores must agree exactly, not just in order. Same k1 and b, read from the module.
    retriever = bm25s.BM25(k1=keywords.K1, b=keywords.B, method="atire", idf_method="lucene")
    retriever.index(analysed_corpus(), show_progress=False)
    return retriever


def oracle_scores(oracle: bm25s.BM25, terms: list[str]) -> dict[int, float]:
    """pid -> bm25s score, for the distinct query terms (the keyword leg counts each term once)."""
    unique = sorted(set(terms))
    scores = oracle.get_scores(unique) if unique else np.zeros(len(PIDS))
    return dict(zip(PIDS, scores.tolist(), strict=True))


@pytest.mark.parametrize(("query", "language"), QUERIES)
def test_scores_and_ranking_agree_with_bm25s(
    index: KeywordIndex, oracle: bm25s.BM25, query: str, language: str
) -> None:
    terms = analyse(query, language)
    expected = oracle_scores(oracle, terms)
    scores, found, known = index.search(terms, k=len(PIDS))
    assert known  # every query has words the corpus knows
    ours = dict(zip(found.tolist(), scores.tolist(), strict=True))
    # the same passages score above zero, with the same scores
    assert set(ours) == {pid for pid, score in expected.items() if score > 0}
    for pid, score in ours.items():
        assert score == pytest.approx(expected[pid], rel=1e-5, abs=1e-6)
    # our order is a ranking under bm25s's scores (ties may come in either order)
    ranked = [expected[pid] for pid in found.tolist()]
    assert all(a >= b - 1e-5 for a, b in pairwise(ranked))


@pytest.mark.parametrize(("query", "language"), QUERIES)
def test_top_k_agrees_with_bm25s(
    index: KeywordIndex, oracle: bm25s.BM25, query: str, language: str
) -> None:
    terms = analyse(query, language)
    expected = oracle_scores(oracle, terms)
    _, found, _ = index.search(terms, k=3)
    assert len(found) == min(3, sum(score > 0 for score in expected.values()))
    # nothing left out scores higher than what was kept
    kept = min(expected[pid] for pid in found.tolist())
    left_out = [score for pid, score in expected.items() if pid not in set(found.tolist())]
    assert all(score <= kept + 1e-5 for score in left_out)
    # and bm25s's own top 3 is ours, rank by rank, wherever its score is not tied with another
    top, _ = oracle.retrieve([sorted(set(terms))], k=len(found), show_progress=False)
    for ours, row in zip(found.tolist(), top[0].tolist(), strict=True):
        theirs = PIDS[row]
        tied = [pid for pid, score in expected.items() if abs(score - expected[theirs]) <= 1e-5]
        assert ours == theirs if len(tied) == 1 else ours in tied


def test_the_oracle_queries_are_not_trivial(oracle: bm25s.BM25) -> None:
    # Guards the test above: rankings with several hits, in both languages.
    for query, language in QUERIES:
        hits = [s for s in oracle_scores(oracle, analyse(query, language)).values() if s > 0]
        assert len(hits) >= 2, query


def test_search_reports_known_terms_and_limits_k(index: KeywordIndex) -> None:
    terms = analyse("titanium xylophone machining", "en")
    scores, found, known = index.search(terms, k=2)
    assert known == ["en:machin", "en:titanium"]
    assert len(found) == len(scores) == 2
    assert scores[0] >= scores[1] > 0
    assert found[0] == PIDS[0]  # titanium and machining in one short passage


def test_unknown_terms_find_nothing(index: KeywordIndex) -> None:
    scores, found, known = index.search(["en:xylophon"], k=5)
    assert (len(scores), len(found), known) == (0, 0, [])
    assert index.search([], k=5)[1].size == 0


def test_search_among_allowed_passages(index: KeywordIndex) -> None:
    terms = analyse("steel", "en")
    _, everywhere, _ = index.search(terms, k=10)
    assert len(everywhere) >= 3
    allowed = np.asarray([everywhere[-1], 99_999], dtype=np.int64)  # an unknown id is harmless
    _, found, _ = index.search(terms, k=10, allowed=allowed)
    assert found.tolist() == [everywhere[-1]]
    _, found, _ = index.search(terms, k=10, allowed=np.asarray([PIDS[3]], dtype=np.int64))
    assert found.size == 0  # allowed, but without the word


def test_matched_terms(index: KeywordIndex) -> None:
    wanted = {"fr:usinag", "fr:titan", "en:titanium", "fr:acier"}
    assert index.matched_terms(PIDS[15], wanted) == {"fr:usinag", "fr:titan"}
    assert index.matched_terms(PIDS[28], wanted) == {"fr:usinag", "fr:titan", "en:titanium"}
    assert index.matched_terms(PIDS[4], wanted) == set()
    assert index.matched_terms(12345, wanted) == set()


def test_matched_terms_of_several_passages_at_once(index: KeywordIndex) -> None:
    wanted = {"fr:usinag", "fr:titan", "en:titanium", "fr:acier", "en:xylophon"}
    pids = [PIDS[28], PIDS[15], 12345, PIDS[4], PIDS[0]]
    found = index.matched_terms_of(pids, wanted)
    assert list(found) == pids
    assert found == {pid: index.matched_terms(pid, wanted) for pid in pids}
    assert found[PIDS[28]] == {"fr:usinag", "fr:titan", "en:titanium"}
    assert index.matched_terms_of([], wanted) == {}


def test_a_passage_holds_a_query_word_or_a_glossary_phrase_whole(index: KeywordIndex) -> None:
    welding, sheet, composite = PIDS[2], PIDS[6], PIDS[4]  # robotic welding; sheet metal; hulls
    passages = np.asarray([welding, sheet, composite])
    # the query's own words: any of a word's terms
    assert index.holding(passages, [["en:steel", "fr:steel"]], []).tolist() == [True, True, False]
    # a phrase: only where all its words are
    phrases = [("en:robot", "en:weld")]
    assert index.holding(passages, [["fr:soudag"]], phrases).tolist() == [True, False, False]
    assert not index.holding(passages, [], [("en:weld", "en:xylophon")]).any()
    assert index.holding(np.zeros(0, np.int64), [["en:steel"]], phrases).tolist() == []


def test_coverage_weighs_the_words_matched_by_how_rare_they_are(
    oracle: bm25s.BM25, index: KeywordIndex
) -> None:
    n = len(PIDS)
    df = {t: sum(t in set(terms) for terms in analysed_corpus()) for t in ("en:steel", "en:truck")}
    idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
    assert df["en:steel"] > df["en:truck"] == 1
    query = [["en:steel"], ["en:truck"]]
    generic, both = PIDS[6], PIDS[2]  # "Sheet metal ... steel", "Robotic welding ... trucks"
    found = index.coverage(np.asarray([generic, both, PIDS[4]]), query)
    assert found.tolist() == pytest.approx(
        [idf["en:steel"] / (idf["en:steel"] + idf["en:truck"]), 1.0, 0.0]
    )
    # a word no passage holds counts as the rarest: matching the rest covers little of the query
    unseen = math.log(1 + (n + 0.5) / 0.5)
    [partial] = index.coverage(np.asarray([generic]), [["en:steel"], ["en:xylophon"]]).tolist()
    assert partial == pytest.approx(idf["en:steel"] / (idf["en:steel"] + unseen))
    # a translation of a query word counts, never beyond the whole query
    [translated] = index.coverage(np.asarray([both]), [["fr:tombereau"]], ["en:truck"]).tolist()
    assert translated == pytest.approx(min(1.0, idf["en:truck"] / unseen))
    assert index.coverage(np.asarray([both]), []).tolist() == [0.0]
    # a word is one word, whichever of its terms (its stem in either language) a passage holds
    word = ["en:steel", "fr:steel"]  # "fr:steel" is in no passage: "steel" is worth "en:steel"
    [once] = index.coverage(np.asarray([generic]), [word, ["en:truck"]]).tolist()
    assert once == pytest.approx(idf["en:steel"] / (idf["en:steel"] + idf["en:truck"]))


def test_save_and_load_round_trip(index: KeywordIndex, tmp_path: Path) -> None:
    index.save(tmp_path)
    loaded = KeywordIndex.load(tmp_path)
    assert loaded is not None
    assert loaded.passage_ids.tolist() == PIDS
    for query, language in QUERIES:
        terms = analyse(query, language)
        expected_scores, expected_ids, _ = index.search(terms, k=5)
        scores, found, _ = loaded.search(terms, k=5)
        assert found.tolist() == expected_ids.tolist()
        np.testing.assert_allclose(scores, expected_scores)
    assert loaded.matched_terms(PIDS[2], {"en:steel"}) == {"en:steel"}


def test_a_saved_index_of_another_analysis_is_not_loaded(
    index: KeywordIndex, tmp_path: Path
) -> None:
    assert KeywordIndex.load(tmp_path) is None  # nothing saved yet
    index.save(tmp_path)
    meta = json.loads((tmp_path / "keywords.json").read_text(encoding="utf-8"))
    meta["analysis"] = keywords.ANALYSIS_VERSION - 1
    (tmp_path / "keywords.json").write_text(json.dumps(meta), encoding="utf-8")
    assert KeywordIndex.load(tmp_path) is None
    (tmp_path / "keywords.json").write_text("{not json", encoding="utf-8")
    assert KeywordIndex.load(tmp_path) is None


def test_an_updated_index_is_the_index_a_full_build_gives() -> None:
    corpus = analysed_corpus()
    full = KeywordIndex.build(zip(PIDS, corpus, strict=True))
    # passages 2 and 5 change (new ids, new words), passage 7 goes, one passage is new
    removed = np.asarray([PIDS[2], PIDS[5], PIDS[7]], dtype=np.int64)
    added = [
        (9001, analyse("Robotic welding cells for heavy steel frames", "en")),
        (9002, analyse("Soudage robotisé de châssis d'acier", "fr")),
        (9003, analyse("zirconium crucibles", "en")),  # words no passage had
    ]
    updated = full.updated(removed, added)
    kept = [(pid, terms) for pid, terms in zip(PIDS, corpus, strict=True) if pid not in removed]
    rebuilt = KeywordIndex.build([*kept, *added])
    assert updated.passage_ids.tolist() == rebuilt.passage_ids.tolist()
    assert set(updated.vocabulary) == set(rebuilt.vocabulary)
    for query, language in [*QUERIES, ("zirconium welding", "en"), ("soudage", "fr")]:
        terms = analyse(query, language)
        expected_scores, expected_ids, expected_known = rebuilt.search(terms, k=8)
        scores, found, known = updated.search(terms, k=8)
        assert found.tolist() == expected_ids.tolist()
        np.testing.assert_allclose(scores, expected_scores, rtol=1e-6)
        assert known == expected_known
    # a term only the removed passages had is no longer known
    gone = set(full.vocabulary) - set(rebuilt.vocabulary)
    assert gone and not gone & set(updated.vocabulary)
    assert updated.matched_terms(9003, set(analyse("zirconium", "en"))) == set(
        analyse("zirconium", "en")
    )


def test_an_empty_index_finds_nothing(tmp_path: Path) -> None:
    empty = KeywordIndex.build([])
    assert empty.search(["en:steel"], k=3)[1].size == 0
    empty.save(tmp_path)
    loaded = KeywordIndex.load(tmp_path)
    assert loaded is not None and loaded.search(["en:steel"], k=3)[1].size == 0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "records.duckdb")
    yield opened
    opened.close()


def test_from_store_searches_names_certifications_and_naics(store: Store) -> None:
    titan = Profile(
        id="m3",
        kind=Kind.ORGANIZATION,
        name="Titan Aero",
        texts={"en": "Five-axis machining. Aircraft parts."},
        language="en",
        attributes={"certifications": ["AS 9100"], "naics": ["332710"]},
        passages=(Passage(0, "Five-axis machining.", "en"), Passage(1, "Aircraft parts.", "en")),
    )
    cote = Profile(
        id="m4",
        kind=Kind.ORGANIZATION,
        name="Usinage Côté",
        texts={"fr": "Usinage de pièces."},
        language="fr",
        passages=(Passage(0, "Usinage de pièces.", "fr"),),
    )
    ids = store.allocate_passage_ids(3)
    store.upsert([(titan, ("t", "c")), (cote, ("t", "c"))], {titan.key: ids[:2], cote.key: ids[2:]})
    index = KeywordIndex.from_store(store)
    first, second, third = ids.tolist()
    # facts ride on the first passage only, analysed in both languages
    assert index.search(analyse("as9100", "und"), k=5)[1].tolist() == [first]
    assert index.search(analyse("332710", "und"), k=5)[1].tolist() == [first]
    assert index.search(analyse("titan", "en"), k=5)[1].tolist() == [first]
    assert index.search(analyse("aircraft", "en"), k=5)[1].tolist() == [second]
    assert set(index.search(analyse("usinage", "fr"), k=5)[1].tolist()) == {third}
