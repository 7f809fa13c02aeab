"""`similar`: a record's nearest records by what they do, in either language, without its
near-namesakes crowding the list.

The record's mean passage vector is the query (`Engine.similar`); the language gap corrects the
encoders' preference for the source's own language, as for a search. Records named like the source
("Red River Cooperative", "Red River Trucking") are often one group's companies or one town's, and
close in meaning through the name their texts repeat: at most `NAMESAKES` of them keep their place,
the others follow the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from ngen_connect.names import distinctive_name

#: near-namesakes of the source kept in their place in a list of similar records
NAMESAKES = 2
#: the words of a name that make it a namesake: its first two distinctive words
_HEAD_WORDS = 2

_T = TypeVar("_T")


def name_head(name: str) -> tuple[str, ...]:
    """The first distinctive words of a name: 'Red River Trucking Ltd.' -> ('red', 'river')."""
    return tuple(distinctive_name(name).split()[:_HEAD_WORDS])


def namesakes(source: str, other: str) -> bool:
    """Whether two names start alike: the shorter head is where the longer one starts."""
    a, b = name_head(source), name_head(other)
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    return long[: len(short)] == short and (len(short) > 1 or len(short[0]) > 3)


def namesakes_last(
    source: str, ranked: Sequence[_T], name_of: Callable[[_T], str], keep: int = NAMESAKES
) -> list[_T]:
    """`ranked` with the source's near-namesakes beyond the first `keep` moved after the others
    (each group in its order)."""
    first: list[_T] = []
    later: list[_T] = []
    kept = 0
    for item in ranked:
        if namesakes(source, name_of(item)):
            if kept >= keep:
                later.append(item)
                continue
            kept += 1
        first.append(item)
    return first + later
