"""The name leg: the trigram shortlist finds exactly what comparing every name of the band finds."""

import math
import random

import numpy as np
import pytest
from rapidfuzz import fuzz, process, utils

from ngen_connect import Engine
from ngen_connect.names import distinctive_name, normalise_name
from ngen_connect.sample import generate
from ngen_connect.search.name_leg import (
    MIN_TRIGRAMS,
    NAME_LENGTHS,
    NameIndex,
    Trigrams,
    words_in_name,
)

THRESHOLD = 88.0
#: names built to sit close to each other, so matches compete for the ten places WRatio keeps
FAMILIES = [
    "Les Industries Bélanger & Fils ltée",
    "Industries Belanger et Fils inc.",
    "Bélanger Industries Inc.",
    "Usinage St-Laurent Mfg. Inc.",
    "Usinage Saint-Laurent Manufacturing Ltée",
    "Usinage Ste-Foy inc.",
    "Usinage Sainte-Foy S.E.N.C.",
    "Fabrication métallique Côté ltée",
    "Fabrication Metallique Cote Inc.",
    "Côté Fabrication métallique",
    "Prairie Plastics Ltd.",
    "Prairie Plastic Products Ltd.",
    "Plastiques Prairie inc.",
    "Titan Aero Machining Inc.",
    "Titan Aerospace Machining Corp.",
    "Aero Titan Machining",
    "Bélanger",
    "Belanger Machining",
    "Gagnon",
    "Moulures Gagnon inc.",
]
_LEGAL = ["Inc.", "Ltd.", "Ltée", "inc.", "Corp.", "S.E.C.", ""]


def _corpus() -> list[tuple[str, str, int]]:
    """(record key, name, first passage id): sample organisations, the families above several
    times over, and operating names for some records."""
    rng = random.Random(11)
    orgs, _, _ = generate(2500, 0, 0, seed=7)
    names = [str(o["name"]) for o in orgs]
    names += [_variant(name, rng) for name in FAMILIES for _ in range(6)]
    rows: list[tuple[str, str, int]] = []
    for number, name in enumerate(names):
        key = f"r{number}"
        rows.append((key, name, 3 * number))
        if number % 7 == 0:
            rows.append((key, _variant(rng.choice(names), rng), 3 * number))  # an operating name
    return rows


def _typo(text: str, rng: random.Random) -> str:
    chars = list(text)
    at = rng.randrange(len(chars))
    kind = rng.choice(["substitute", "insert", "delete", "transpose"])
    if kind == "substitute":
        chars[at] = rng.choice("aeioubcdrstéè")
    elif kind == "insert":
        chars.insert(at, rng.choice("aeioubcdrst"))
    elif kind == "delete" and len(chars) > 1:
        del chars[at]
    elif at + 1 < len(chars):
        chars[at], chars[at + 1] = chars[at + 1], chars[at]
    return "".join(chars)


def _variant(name: str, rng: random.Random) -> str:
    words = name.split()
    roll = rng.random()
    if roll < 0.2 and len(words) > 1:
        words = [*words[:-1], rng.choice(_LEGAL)]  # legal form changed or dropped
    elif roll < 0.35:
        rng.shuffle(words)
    elif roll < 0.5:
        words = [w.replace("Saint-", "St-").replace("Sainte-", "Ste-") for w in words]
    elif roll < 0.6:
        words = [w.replace("e", "é", 1) if rng.random() < 0.3 else w for w in words]
    text = " ".join(w for w in words if w)
    for _ in range(rng.choice([0, 0, 1, 2])):
        text = _typo(text, rng)
    return text


def _queries(rows: list[tuple[str, str, int]]) -> list[str]:
    rng = random.Random(5)
    names = [name for _, name, _ in rows]
    queries = [
        "Belangr",
        "Bélanger",
        "Gagon",
        "Industries Belanger",
        "St-Laurent usinage",
        "usinage saint laurent",
        "Titan Machining Aero",
        "Prairie Plastics",
        "5-axis titanium machining AS9100",
        "usinage 5 axes de titane",
        "robotic welding cells",
        "peinture en poudre",
        "abc",
        "St-",
    ]
    for name in rng.sample(names, 120) + FAMILIES:
        queries += [name, _variant(name, rng), _typo(name, rng)]
        words = name.split()
        queries.append(" ".join(words[: max(1, len(words) - 2)]))  # truncated
    return queries


def _reference(rows: list[tuple[str, str, int]]):  # type: ignore[no-untyped-def]
    """The name leg without its shortlist: WRatio over every name of about the query's length,
    stop words set aside."""
    by_length = sorted(
        ((distinctive_name(name) or normalise_name(name), key) for key, name, _ in rows),
        key=lambda n: len(n[0]),
    )
    keys = [key for _, key in by_length]
    texts = [text for text, _ in by_length]
    lengths = np.asarray([len(text) for text in texts])
    compared = [utils.default_process(text) for text in texts]
    first = {key: pid for key, _, pid in rows}

    def search(text: str, allowed: np.ndarray | None) -> dict[str, float]:
        query = distinctive_name(text)
        if len(query) < 3:
            return {}
        low = int(np.searchsorted(lengths, math.floor(NAME_LENGTHS * len(query))))
        high = int(np.searchsorted(lengths, math.ceil(len(query) / NAME_LENGTHS), "right"))
        matches = process.extract(
            utils.default_process(query),
            compared[low:high],
            scorer=fuzz.WRatio,
            limit=10,
            score_cutoff=THRESHOLD,
        )
        found: dict[str, float] = {}
        for _, score, at in matches:
            key = keys[low + at]
            if allowed is not None and not np.isin(first[key], allowed):
                continue
            length = len(texts[low + at])
            close = min(len(query), length) / max(len(query), length, 1) >= NAME_LENGTHS
            if close and words_in_name(utils.default_process(query), compared[low + at]):
                found[key] = max(found.get(key, 0.0), score / 100)
        return found

    return search


ROWS = _corpus()
QUERIES = _queries(ROWS)


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex(ROWS)


def test_matches_are_those_of_the_full_comparison(index: NameIndex) -> None:
    reference = _reference(ROWS)
    pids = np.asarray(sorted({pid for _, _, pid in ROWS}), dtype=np.int64)
    rng = np.random.default_rng(3)
    allowed_sets = [None, np.sort(rng.choice(pids, size=len(pids) // 3, replace=False))]
    found_any = 0
    for query in QUERIES:
        for allowed in allowed_sets:
            expected = reference(query, allowed)
            assert index.search(query, allowed, THRESHOLD) == expected, query
            found_any += bool(expected)
    assert found_any > len(QUERIES)  # most queries find names, with and without the filter


@pytest.mark.parametrize("threshold", [86.0, 88.0, 92.0, 97.0])
def test_the_shortlist_keeps_every_name_reaching_the_threshold(threshold: float) -> None:
    names = sorted({utils.default_process(normalise_name(name)) for _, name, _ in ROWS}, key=len)
    trigrams = Trigrams(names)
    kept_share = []
    for query in QUERIES[::2]:
        compared = utils.default_process(normalise_name(query))
        shortlist = trigrams.shortlist(compared, 0, len(names), threshold)
        if shortlist is None:
            continue
        reaching = process.extract(
            compared, names, scorer=fuzz.WRatio, limit=None, score_cutoff=threshold
        )
        assert {at for _, _, at in reaching} <= set(shortlist.tolist()), query
        kept_share.append(len(shortlist) / len(names))
    assert len(kept_share) > len(QUERIES) // 3
    assert float(np.median(kept_share)) < 0.1  # and it is short


def test_a_short_query_is_compared_with_its_whole_band(index: NameIndex) -> None:
    # one trigram a character that is not a space: "St-F" has three
    assert MIN_TRIGRAMS == 4
    for query in ("Gag", "St-F", "Côt"):
        assert index.compared(query, THRESHOLD) == index.compared(query, THRESHOLD, exhaustive=True)
        assert index.search(query, None, THRESHOLD) == _reference(ROWS)(query, None)
    assert index.search("ab", None, THRESHOLD) == {}  # too short to read as a name
    long = "Fabrication métallique Côté ltée"
    assert index.compared(long, THRESHOLD) < index.compared(long, THRESHOLD, exhaustive=True) / 10


def test_a_filter_excludes_a_record_by_its_first_passage() -> None:
    index = NameIndex(
        [
            ("a", "Usinage Côté ltée", 10),
            ("b", "Usinage Cote Inc.", 20),
            ("c", "Plastiques Prairie inc.", 30),
        ]
    )
    assert index.search("Usinage Côté", None, THRESHOLD) == {"a": 1.0, "b": 1.0}
    only_b = np.asarray([20, 21, 30], dtype=np.int64)
    assert index.search("Usinage Côté", only_b, THRESHOLD) == {"b": 1.0}
    assert index.search("Usinage Côté", np.asarray([11], dtype=np.int64), THRESHOLD) == {}


def test_legal_and_operating_names_of_a_record_keep_the_best_score() -> None:
    index = NameIndex(
        [
            ("a", "9123-4567 Québec inc.", 10),
            ("a", "Usinage Saint-Laurent Manufacturing", 10),
            ("b", "Usinage Laurentien inc.", 20),
            ("c", "Laurent Usinage Mfg", 30),
        ]
    )
    found = index.search("Usinage St-Laurent Mfg.", None, THRESHOLD)
    assert found["a"] == 1.0  # the operating name, not the numbered legal name
    assert set(found) <= {"a", "b", "c"} and found.get("c", 0.0) < 1.0
    both = NameIndex([("a", "Bélanger Usinage", 1), ("a", "Belanger Usinag", 1)])
    assert both.search("Belanger Usinage", None, THRESHOLD) == {"a": 1.0}


def test_stop_words_alone_match_no_name() -> None:
    """ "the" read as a name matched "Thern, Inc." (0.90): stop words of either language are set
    aside on both sides, and a query needs a distinctive part of a name."""
    index = NameIndex(
        [
            ("thern", "Thern, Inc.", 1),
            ("bmo", "Bank of Montreal", 2),
            ("aliments", "Les Aliments du Québec", 3),
            ("dela", "Delaware Dynamics", 4),
        ]
    )
    for query in ("the", "THE", "of the", "le la de", "de la", "and", "du"):
        assert index.search(query, None, 88.0) == {}, query
        assert index.search(query, None, 88.0, exhaustive=True) == {}, query
        assert index.compared(query, 88.0) == 0
    assert index.search("the thern", None, 88.0) == {"thern": 1.0}
    assert index.search("bank of montreal", None, 88.0) == {"bmo": 1.0}
    assert index.search("bank montreal", None, 88.0) == {"bmo": 1.0}
    assert index.search("aliments du québec", None, 88.0) == {"aliments": 1.0}


def test_a_query_of_stop_words_finds_nothing_through_the_name_leg(fake_engine: Engine) -> None:
    from ngen_connect.indexer import build_passages
    from ngen_connect.models import Kind, Profile

    texts = {"en": "Precision sheet metal enclosures."}
    fake_engine.index_profiles(
        [
            Profile(
                "t1",
                Kind.ORGANIZATION,
                "Thern, Inc.",
                texts,
                "en",
                {},
                passages=tuple(build_passages(texts)),
            )
        ]
    )
    for query in ("the", "The", "de la"):
        assert all("name" not in hit.why["legs"] for hit in fake_engine.search(query).results)
    assert fake_engine.search("Thern").results[0].why["legs"]["name"] == 1.0


def test_a_query_reads_as_a_name_only_when_each_of_its_words_is_in_it() -> None:
    rows = [
        ("engineering", "Mechanical Engineering", 0),
        ("marathi", "Understand spoken Marathi", 1),
        ("acme", "Acme Machining Inc.", 2),
        ("river", "Red River Co-operative Ltd.", 3),
    ]
    index = NameIndex(rows)
    # a whole name and more, or a name but for one word: a search for something else
    assert index.search("principles of mechanical engineering", None, THRESHOLD) == {}
    assert index.search("understand spoken Arabic", None, THRESHOLD) == {}
    # a typo, a name given in part, words written together: still the name
    assert set(index.search("Acme Machinng", None, THRESHOLD)) == {"acme"}
    assert set(index.search("Acme Machin", None, THRESHOLD)) == {"acme"}
    assert set(index.search("Redriver Cooperative", None, THRESHOLD)) == {"river"}
