"""The name leg: how well a query reads as an organisation's name, legal or operating.

A query is compared with every name about as long as itself by rapidfuzz's WRatio, which forgives
typos, reordered words and a name given in part. The names are normalised, processed and sorted by
length once per index version, so a query only finds its length band and compares it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from rapidfuzz import fuzz, process, utils

from ngen_connect.index.vectors import Ids
from ngen_connect.names import normalise_name

#: a query reads as a name only when its length and the name's are within this ratio
NAME_LENGTHS = 0.6
#: WRatio keeps the best names of the band, and only then are the filters and the length ratio
#: applied (a filtered or much longer name takes a place among them)
_LIMIT = 10


class NameIndex:
    """Every name of one index version (legal and operating), by length."""

    def __init__(self, names: Iterable[tuple[str, str, int]]) -> None:
        """`names`: (record key, name, first passage id), as `Store.names` lists them; a record
        with an operating name has two."""
        rows = list(names)
        by_length = sorted(
            ((normalise_name(name), key) for key, name, _ in rows), key=lambda n: len(n[0])
        )
        self._keys = [key for _, key in by_length]
        self._lengths = [len(text) for text, _ in by_length]
        self._by_length = np.asarray(self._lengths, dtype=np.int64)
        #: the names as compared (rapidfuzz's default processing), done once per version
        self._compared = [utils.default_process(text) for text, _ in by_length]
        #: filters select passages; a record passes when its first passage does
        self.first_passage = {key: pid for key, _, pid in rows}

    def __len__(self) -> int:
        return len(self._keys)

    def search(self, text: str, allowed: Ids | None, threshold: float) -> dict[str, float]:
        """Record key -> the best similarity in [0, 1] of its names to the query, for the records
        `allowed` lets through (passage ids, None: every record) whose name reads as the query:
        WRatio at least `threshold` (0-100), lengths within `NAME_LENGTHS`."""
        query = normalise_name(text)
        if len(query) < 3:
            return {}
        compared = utils.default_process(query)
        low, high = self._band(len(query))
        matches = process.extract(
            compared,
            self._compared[low:high],
            scorer=fuzz.WRatio,
            limit=_LIMIT,
            score_cutoff=threshold,
        )
        found: dict[str, float] = {}
        for _, score, at in matches:
            index = low + at
            key = self._keys[index]
            if allowed is not None and not np.isin(self.first_passage[key], allowed):
                continue
            length = self._lengths[index]
            if min(len(query), length) / max(len(query), length, 1) >= NAME_LENGTHS:
                found[key] = max(found.get(key, 0.0), score / 100)  # legal or operating name
        return found

    def _band(self, length: int) -> tuple[int, int]:
        """The names about as long as the query: the length ratio, rounded outwards."""
        low = int(np.searchsorted(self._by_length, math.floor(NAME_LENGTHS * length)))
        high = int(np.searchsorted(self._by_length, math.ceil(length / NAME_LENGTHS), "right"))
        return low, high
