"""The name leg: how well a query reads as an organisation's name, legal or operating.

A query is compared with every name about as long as itself by rapidfuzz's WRatio, which forgives
typos, reordered words and a name given in part. Over a large membership that band holds most of
the names, and comparing them all took more than half of a search. So names are first shortlisted
by the character trigrams they share with the query, and only the shortlist, a small part of the
band, is compared. The shortlist keeps every name sharing at least a bound of trigrams with the
query, and no name reaching the threshold can share fewer (`least_shared`): the matches are those
of comparing the whole band (benchmarks/bench_name_leg.py; figures in benchmarks/RESULTS.md, "Name
leg: trigram shortlist").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process, utils
from scipy import sparse

from ngen_connect.index.vectors import Ids, locate
from ngen_connect.names import distinctive_name, normalise_name

#: a query reads as a name only when its length and the name's are within this ratio
NAME_LENGTHS = 0.6
#: a query word is the name's word it is this similar to (rapidfuzz's ratio, 0-100): one typo in
#: a word of five letters
WORD_RATIO = 80
#: WRatio keeps the best names of the band, and only then are the filters and the length ratio
#: applied (a filtered or much longer name takes a place among them)
_LIMIT = 10
#: a query with fewer trigrams is compared with its whole length band: its bound would keep about
#: every name, and its band is small
MIN_TRIGRAMS = 4
#: WRatio's scales (rapidfuzz): token ratios count 0.95, partial ratios 0.9 (the length ratio
#: within the band is below 8), a partial token ratio 0.95 * 0.9
_UNBASE = 0.95
_PARTIAL = 0.9
#: rounding room when a distance bound is worked out from a float threshold
_SLACK = 1e-6

Floats = npt.NDArray[np.float64]


class NameIndex:
    """Every name of one index version (legal and operating), by length, with its trigrams."""

    def __init__(self, names: Iterable[tuple[str, str, int]]) -> None:
        """`names`: (record key, name, first passage id), as `Store.names` lists them; a record
        with an operating name has two."""
        rows = list(names)
        by_length = sorted(
            ((_compared_name(name), key) for key, name, _ in rows), key=lambda n: len(n[0])
        )
        self._keys = [key for _, key in by_length]
        self._lengths = [len(text) for text, _ in by_length]
        self._by_length = np.asarray(self._lengths, dtype=np.int64)
        #: the names as compared (rapidfuzz's default processing), done once per version
        self._compared = [utils.default_process(text) for text, _ in by_length]
        #: filters select passages; a record passes when its first passage does
        self.first_passage = {key: pid for key, _, pid in rows}
        self.trigrams = Trigrams(self._compared)

    def __len__(self) -> int:
        return len(self._keys)

    def search(
        self, text: str, allowed: Ids | None, threshold: float, *, exhaustive: bool = False
    ) -> dict[str, float]:
        """Record key -> the best similarity in [0, 1] of its names to the query, for the records
        `allowed` lets through (passage ids, None: every record) whose name reads as the query:
        WRatio at least `threshold` (0-100), lengths within `NAME_LENGTHS`. `exhaustive` compares
        the whole length band, without the trigram shortlist: what the shortlist is measured by.
        Stop words are set aside on both sides (`distinctive_name`): a query of stop words alone
        reads as no name."""
        query = distinctive_name(text)
        if len(query) < 3:
            return {}
        compared = utils.default_process(query)
        choices, positions = self._choices(compared, len(query), threshold, exhaustive)
        matches = process.extract(
            compared, choices, scorer=fuzz.WRatio, limit=_LIMIT, score_cutoff=threshold
        )
        found: dict[str, float] = {}
        for _, score, at in matches:
            index = positions[at]
            key = self._keys[index]
            if allowed is not None and not np.isin(self.first_passage[key], allowed):
                continue
            length = self._lengths[index]
            if min(len(query), length) / max(len(query), length, 1) < NAME_LENGTHS:
                continue
            if words_in_name(compared, self._compared[index]):
                found[key] = max(found.get(key, 0.0), score / 100)  # legal or operating name
        return found

    def compared(self, text: str, threshold: float, *, exhaustive: bool = False) -> int:
        """How many names a query is compared with."""
        query = distinctive_name(text)
        if len(query) < 3:
            return 0
        choices, _ = self._choices(utils.default_process(query), len(query), threshold, exhaustive)
        return len(choices)

    def _choices(
        self, compared: str, length: int, threshold: float, exhaustive: bool
    ) -> tuple[Sequence[str], Sequence[int]]:
        """The names to compare the query with, and their positions: the names about as long as
        the query (the length ratio, rounded outwards), then those sharing enough trigrams."""
        low = int(np.searchsorted(self._by_length, math.floor(NAME_LENGTHS * length)))
        high = int(np.searchsorted(self._by_length, math.ceil(length / NAME_LENGTHS), "right"))
        shortlist = None if exhaustive else self.trigrams.shortlist(compared, low, high, threshold)
        if shortlist is None:
            return self._compared[low:high], range(low, high)
        positions = shortlist.tolist()
        return [self._compared[i] for i in positions], positions


def words_in_name(query: str, name: str) -> bool:
    """Whether every word of a query (as compared) is in a name, give or take a typo
    (`WORD_RATIO`), as the start of one of its words, or across words written apart ("redriver",
    "red river"). WRatio forgives a name given in part, both ways: a query that holds a whole
    name and more ("principles of mechanical engineering" and a profile named "Mechanical
    engineering") or that differs in one word ("understand spoken Arabic", "... Marathi") is a
    search for something else, not for that name."""
    words = name.split()
    joined = "".join(words)
    return all(
        word in joined
        or any(w.startswith(word) or fuzz.ratio(word, w) >= WORD_RATIO for w in words)
        for word in query.split()
    )


def _compared_name(name: str) -> str:
    """A name as queries are compared with it: its distinctive words, or the whole name normalised
    when it has none (a name of stop words only), which only a query with a word of its own can
    reach."""
    return distinctive_name(name) or normalise_name(name)


class Trigrams:
    """The character trigrams of some texts (names as compared: words split by single spaces), as
    a sparse matrix texts × trigrams of counts, built once per version. A word's trigrams are taken
    with a space each side ("acme" -> " ac", "acm", "cme", "me "), none across words: reordering
    words keeps a text's trigrams, and a text has one trigram per character that is not a space."""

    def __init__(self, texts: Sequence[str]) -> None:
        rows, codes = trigram_codes(texts)
        #: every trigram met, sorted: a trigram's column is its place here
        self.vocabulary = np.unique(codes)
        # 32-bit indices and the codes dropped early: building the matrix is the peak of opening
        # a version (2.4 million trigrams at 100,000 names)
        columns = np.searchsorted(self.vocabulary, codes).astype(np.int32)
        del codes
        self.matrix: Any = sparse.coo_matrix(
            (np.ones(len(columns), dtype=np.int32), (rows.astype(np.int32), columns)),
            shape=(len(texts), len(self.vocabulary)),
        ).tocsc()
        del columns
        # What the bound needs of a text: its length, its trigrams, the characters of its distinct
        # words (token set ratios count a repeated word once). Texts share a few hundred such
        # shapes, so a query's bound is worked out once a shape.
        shapes = np.column_stack(
            (
                [len(text) for text in texts],
                np.bincount(rows, minlength=len(texts)),
                [_distinct(text) for text in texts],
            )
        ).astype(np.float64)
        self.shapes, self.shape_of = np.unique(shapes, axis=0, return_inverse=True)

    def shared(self, text: str) -> npt.NDArray[np.int64]:
        """Per text, the trigrams it shares with `text`: the sum over `text`'s trigrams, each as
        often as it occurs there, of the text's count of it (at least the shared occurrences)."""
        _, codes = trigram_codes([text])
        unique, counts = np.unique(codes, return_counts=True)
        columns, known = locate(self.vocabulary, unique)
        shared = self.matrix[:, columns[known]] @ counts[known]
        return np.asarray(shared, dtype=np.int64)

    def shortlist(
        self, text: str, low: int, high: int, threshold: float
    ) -> npt.NDArray[np.int64] | None:
        """The texts in [low, high) that may reach `threshold` with `text` by WRatio, in order; None
        when the trigrams cannot tell (a short query, a threshold a partial token ratio reaches)."""
        count = len(text) - text.count(" ")
        if count < MIN_TRIGRAMS or threshold <= 100 * _UNBASE * _PARTIAL:
            return None
        lengths, counts, distincts = self.shapes.T
        bound = least_shared(
            len(text), count, _distinct(text), lengths, counts, distincts, threshold
        )
        shared = self.shared(text)[low:high]
        return low + np.flatnonzero(shared >= bound[self.shape_of[low:high]])


def least_shared(
    length: int,
    count: int,
    distinct: int,
    lengths: Floats,
    counts: Floats,
    distincts: Floats,
    threshold: float,
) -> Floats:
    """The fewest trigrams a text (`length`, `count` trigrams, `distinct` characters in distinct
    words) shares with each text of `lengths`, `counts`, `distincts` that reaches `threshold` with
    it by WRatio: a name sharing fewer cannot match.

    WRatio (rapidfuzz) is the best of: the plain ratio; when the longer text is less than 1.5 times
    the shorter, 0.95 x the token ratio (token sort or token set); otherwise 0.9 x the partial ratio
    and 0.855 x the partial token ratio, which cannot reach a threshold above 85.5 (below it, the
    shortlist is not used). Each ratio is an Indel similarity 1 - d / (la + lb), so a ratio of at
    least s allows at most d = (1 - s)(la + lb) characters inserted or deleted. The trigrams are
    those of each word with a space each side: one per character that is not a space, the
    character with its two neighbours. Taking a text into the other, a deleted character breaks
    at most the 3 trigrams it is part of, an insertion at most the 2 around it; the trigrams not
    broken are found in the other text, as many times. `Trigrams.shared` multiplies counts (a
    trigram twice in each text counts 4), never fewer than the occurrences the texts share. Hence:
    - plain ratio: d <= (1 - s)(la + lb), of which (d + la - lb) / 2 deletions: the first text
      keeps at least count_a - 2.5 d - 0.5 (la - lb), the second count_b - 2.5 d + 0.5 (la - lb);
    - token sort ratio: the same words sorted, whose trigrams are the text's, at most
      d = (1 - s / 0.95)(la + lb) apart: at least the smaller count - 3 d;
    - token set ratio: the ratio between the distinct words (with the common ones first) or between
      the common words and either side's distinct words, at most as long as the texts: at least
      the smaller count of characters in distinct words - 3 d, with the same d (100 when all of one
      side's words are the other's: all of that side's trigrams are shared);
    - partial ratio: the shorter text against a substring of the longer no longer than itself, with
      d = (1 - s / 0.9) 2 l_shorter; the substring's first and last trigrams may not be the
      longer text's: at least the smaller count - 3 d - 2.
    A name is compared when it shares at least the least of these over the ratios its length
    allows. The bound holds for any two texts: tests/search/test_name_leg.py checks that no name
    reaching the threshold is left out, and the benchmark that the matches do not change.
    """
    s = threshold / 100
    total = length + lengths
    gap = length - lengths
    plain = np.floor((1 - s) * total + _SLACK)
    by_ratio = np.maximum(count - 2.5 * plain - 0.5 * gap, counts - 2.5 * plain + 0.5 * gap)
    token = np.floor((1 - s / _UNBASE) * total + _SLACK)
    by_tokens = np.minimum(distinct, distincts) - 3 * token
    shorter = np.minimum(length, lengths)
    partial = np.floor((1 - s / _PARTIAL) * 2 * shorter + _SLACK)
    by_part = np.minimum(count, counts) - 3 * partial - 2
    # WRatio's choice between token and partial ratios, taking both on the rounding edge
    longer = np.maximum(length, lengths)
    tokens_apply = longer < 1.5 * shorter + _SLACK
    part_applies = longer >= 1.5 * shorter - _SLACK
    others = np.minimum(
        np.where(tokens_apply, by_tokens, np.inf), np.where(part_applies, by_part, np.inf)
    )
    bound: Floats = np.minimum(by_ratio, others)
    return bound


def trigram_codes(
    texts: Sequence[str], batch: int = 10_000
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int64]]:
    """(text, code) of every trigram of `texts`, the code packing its three code points (21 bits
    each). The texts are joined by spaces and read at once, `batch` texts at a time (the arrays of
    a batch are several times the size of its codes): a trigram is a character that is not a space
    with its two neighbours, which are spaces at a word's ends."""
    rows, codes = [], []
    for start in range(0, len(texts), batch):
        part = texts[start : start + batch]
        joined = " " + " ".join(part) + " "
        chars = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        centres = np.flatnonzero(chars[1:-1] != ord(" ")) + 1
        codes.append((chars[centres - 1] << 42) | (chars[centres] << 21) | chars[centres + 1])
        lengths = np.fromiter((len(text) + 1 for text in part), dtype=np.int64, count=len(part))
        starts = np.cumsum(lengths) - lengths + 1
        rows.append(start + np.searchsorted(starts, centres, side="right") - 1)
    if not codes:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(codes)


def _distinct(text: str) -> int:
    """The characters of a text's distinct words."""
    return sum(len(word) for word in set(text.split()))
