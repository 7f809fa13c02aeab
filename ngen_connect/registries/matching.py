"""Entity resolution: which member profile, if any, a registry record is.

Names are normalised (accents, case, `&`/`and`/`et`, punctuation, trailing legal forms in English,
French and other languages: Inc., Ltd, Ltée, Limitée, S.E.C., ULC, Corp., Cie, N.V., GmbH...,
abbreviations), candidates come from blocking (shared name tokens, website domain, postal code,
phone), and each is scored with rapidfuzz plus agreement on domain, postal code, phone and city. A
record and a member each have a legal name and may have an operating (trade) name: the closest pair
of names counts. Every record gets one status: matched, ambiguous (with its top candidates), new, or
rejected (with the reason).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rapidfuzz import fuzz, process

from ngen_connect.names import normalise_name
from ngen_connect.places import city_key
from ngen_connect.text import fold

_COMMON_TOKEN_SHARE = 0.02  # tokens on more than 2 % of member names do not block


class Status(StrEnum):
    """What became of a registry row: one member (matched), several possible (ambiguous), no
    member (new), or no record at all (rejected)."""

    MATCHED = "matched"
    AMBIGUOUS = "ambiguous"
    NEW = "new"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Thresholds:
    matched: float = 0.9
    ambiguous: float = 0.75
    margin: float = 0.05  # a match must lead the runner-up by this much


#: evidence beside the name: (kind, what agreement adds, what disagreement takes away)
_EVIDENCE = (
    ("website", 0.25, 0.125),
    ("phone", 0.2, 0.1),
    ("postal", 0.15, 0.075),
    ("city", 0.05, 0.05),
)


def _prefix(name: str) -> str:
    """The first letters of a name without spaces: 'gistbrocades' and 'gist brocades' share 'gistb'."""
    return name.replace(" ", "")[:5]


def domain(url: str | None) -> str:
    if not url:
        return ""
    host = re.sub(r"^[a-z]+://", "", url.strip().lower()).split("/")[0].split(":")[0]
    return host.removeprefix("www.")


def postal_code(code: str | None) -> str:
    return re.sub(r"[^A-Z0-9]", "", (code or "").upper())


def phone_number(phone: str | None) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-10:] if len(digits) >= 10 else ""


@dataclass(frozen=True)
class Party:
    """What matching looks at in a record, on either side: its legal name and any operating
    (trade) name, and where and how to reach it, normalised for comparison."""

    id: str
    name: str
    city: str = ""
    postal: str = ""
    website: str = ""
    phone: str = ""
    capabilities: str = ""
    operating_name: str = ""
    #: ISO country code, and the province or other region as stored
    country: str = ""
    region: str = ""

    @classmethod
    def from_fields(cls, record_id: str, name: str, fields: Mapping[str, Any]) -> Party:
        text = " ".join(
            str(fields.get(f) or "") for f in ("description", "description_en", "description_fr")
        )
        return cls(
            record_id,
            name,
            city_key(str(fields.get("city") or "")),
            postal_code(fields.get("postal_code")),
            domain(fields.get("website")),
            phone_number(fields.get("phone")),
            " ".join(text.split()),
            " ".join(str(fields.get("operating_name") or "").split()),
            str(fields.get("country") or "").upper(),
            fold(str(fields.get("province") or fields.get("region") or "")).strip(),
        )

    def names(self) -> list[tuple[str, bool]]:
        """(normalised name, is the operating name) for each distinct name, legal name first."""
        found: list[tuple[str, bool]] = []
        for raw, operating in ((self.name, False), (self.operating_name, True)):
            name = normalise_name(raw) if raw else ""
            if name and name not in {n for n, _ in found}:
                found.append((name, operating))
        return found


def name_similarity(a: str, b: str, *, by_length: bool = False) -> float:
    """How alike two normalised names are, 0..1: the best of rapidfuzz's token-sort ratio, the
    ratio without spaces ('gistbrocades' = 'gist brocades') and, discounted, the token-set ratio (a
    name that only contains the other, "dsm" in "dsm ip assets", is at most ambiguous). With
    `by_length`, containment counts less when the shorter name is under half the longer ("Emploi
    Québec" in "Bureaux régionaux d'Emploi-Québec / Centres locaux d'emploi")."""
    contained = fuzz.token_set_ratio(a, b) * 0.85
    if by_length and a and b:
        contained *= min(1.0, 0.5 + min(len(a), len(b)) / max(len(a), len(b)))
    return (
        max(
            fuzz.token_sort_ratio(a, b),
            fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")),
            contained,
        )
        / 100
    )


def closest_names(
    mine: Sequence[tuple[str, bool]], theirs: Sequence[tuple[str, bool]]
) -> tuple[float, bool]:
    """(similarity, whether an operating name took part) of the most alike pair of names."""
    best, operating = 0.0, False
    for name, my_operating in mine:
        for other, their_operating in theirs:
            similarity = name_similarity(name, other)
            if similarity > best:
                best, operating = similarity, my_operating or their_operating
    return best, operating


@dataclass(frozen=True)
class MatchCandidate:
    id: str
    name: str
    confidence: float  # 0..1, shown to people
    name_similarity: float
    evidence: dict[str, bool]
    score: float  # the uncapped evidence sum that ranks candidates


@dataclass
class Match:
    status: Status
    confidence: float = 0.0
    candidates: list[MatchCandidate] = field(default_factory=list)
    reason: str = ""

    @property
    def best(self) -> MatchCandidate | None:
        return self.candidates[0] if self.candidates else None


class Matcher:
    """Resolves records against a fixed set of member profiles."""

    def __init__(
        self,
        members: Sequence[Party],
        thresholds: Thresholds | None = None,
        capability_similarity: Callable[[str, Sequence[str]], Sequence[float]] | None = None,
    ) -> None:
        """`capability_similarity(text, member ids)` scores a record's capability text against
        members' profiles (cosine); it refines the top candidates of records that have such text."""
        self.capability_similarity = capability_similarity
        self.members = list(members)
        self.thresholds = thresholds or Thresholds()
        #: each member's normalised names (legal, then operating), as `Party.names` gives them
        self.names = [member.names() for member in self.members]
        #: every name of every member: (member index, normalised name)
        self.entries: list[tuple[int, str]] = [
            (index, name) for index, names in enumerate(self.names) for name, _ in names
        ]
        #: member index -> positions of its names in `_entries`
        self.positions: list[list[int]] = [[] for _ in self.members]
        for position, (index, _) in enumerate(self.entries):
            self.positions[index].append(position)
        self._by_token: dict[str, set[int]] = defaultdict(set)
        self._by_value: dict[tuple[str, str], set[int]] = defaultdict(set)
        for index, name in self.entries:
            for token in name.split():
                self._by_token[token].add(index)
            self._by_value[("prefix", _prefix(name))].add(index)
        for index, member in enumerate(self.members):
            for kind in ("postal", "website", "phone"):
                value = getattr(member, kind)
                if value:
                    self._by_value[(kind, value)].add(index)
        self._limit = max(50, int(len(self.members) * _COMMON_TOKEN_SHARE))
        #: name tokens too widespread to tell members apart (on more than 2 % of them)
        self.common = {t for t, found in self._by_token.items() if len(found) > self._limit}
        self._tokens_by_letter: dict[str, list[str]] = defaultdict(list)
        for token in self._by_token:
            if token not in self.common:
                self._tokens_by_letter[token[:1]].append(token)

    def sharing(self, kind: str, value: str) -> set[int]:
        """The members whose `kind` ("postal", "website" or "phone") is `value`."""
        return self._by_value.get((kind, value), set()) if value else set()

    def blocks(self) -> Iterator[tuple[str, set[int]]]:
        """The blocks a record's candidates come from, as (kind, member indices): the members
        sharing an uncommon name token ("token"), a name prefix ("prefix"; a prefix shared as
        widely as a common token is left out), a postal code, a website or a phone."""
        for token, found in self._by_token.items():
            if token not in self.common:
                yield "token", found
        for (kind, _), found in self._by_value.items():
            if kind != "prefix" or len(found) <= self._limit:
                yield kind, found

    def block(self, party: Party, names: Sequence[str]) -> set[int]:
        """Candidate members for a party with these normalised names: a shared uncommon name
        token (or a close one), the same name prefix, or the same domain, postal code or phone."""
        found: set[int] = set()
        for name in names:
            for token in set(name.split()):
                if token not in self.common:
                    found.update(self._by_token.get(token, ()))
        if not found:
            # A misspelled distinctive token: compare against tokens of the same first letter.
            for token in {token for name in names for token in name.split()}:
                candidates = self._tokens_by_letter.get(token[:1], [])
                for other, _, _ in process.extract(
                    token, candidates, scorer=fuzz.ratio, score_cutoff=85, limit=None
                ):
                    found.update(self._by_token[other])
        for kind in ("postal", "website", "phone"):
            found.update(self.sharing(kind, getattr(party, kind)))
        for name in names:
            found.update(self._by_value.get(("prefix", _prefix(name)), ()))
        return found

    def shortlist(self, party: Party, names: Sequence[str], size: int = 15) -> set[int]:
        """The blocked members worth a full score: the closest names by two scorers (run in C over
        the whole block), plus any member sharing a website, postal code or phone."""
        block = self.block(party, names)
        if len(block) <= size:
            return block
        entries = {
            position: self.entries[position][1]
            for index in block
            for position in self.positions[index]
        }
        squashed = {position: value.replace(" ", "") for position, value in entries.items()}
        keep: set[int] = set()
        for name in names:
            for scorer, query, choices in (
                (fuzz.token_set_ratio, name, entries),
                (fuzz.ratio, name.replace(" ", ""), squashed),
            ):
                found = process.extract(query, choices, scorer=scorer, limit=size)
                keep.update(self.entries[position][0] for _, _, position in found)
        for kind in ("postal", "website", "phone"):
            keep.update(i for i in self.sharing(kind, getattr(party, kind)) if i in block)
        return keep

    def _score(self, party: Party, names: Sequence[tuple[str, bool]], index: int) -> MatchCandidate:
        member = self.members[index]
        similarity, operating = closest_names(names, self.names[index])
        evidence: dict[str, bool] = {"operating_name": True} if operating else {}
        agreeing = disagreeing = 0.0
        for kind, weight, penalty in _EVIDENCE:
            mine, theirs = getattr(party, kind), getattr(member, kind)
            if mine and theirs:
                evidence[kind] = mine == theirs
                if mine == theirs:
                    agreeing += weight
                else:
                    disagreeing += penalty
        # a disagreement lowers even a confidence the agreements took to the cap: the same name
        # and website in Toronto and in Ottawa is not certain
        shown = min(similarity + agreeing, 1.0) - disagreeing
        return MatchCandidate(
            member.id,
            member.name,
            round(max(shown, 0.0), 4),
            round(similarity, 4),
            evidence,
            similarity + agreeing - disagreeing,
        )

    def match(self, party: Party) -> Match:
        names = party.names()
        if not names:
            return Match(
                Status.REJECTED,
                reason="the name is empty once legal forms and punctuation are removed",
            )
        plain = [name for name, _ in names]
        scored = sorted(
            (self._score(party, names, index) for index in self.shortlist(party, plain)),
            key=lambda c: (-c.score, c.id),
        )
        top = self._with_capabilities(party, scored[:3])
        t = self.thresholds
        if not top or top[0].confidence < t.ambiguous:
            return Match(Status.NEW, top[0].confidence if top else 0.0, top)
        runner_up = top[1].score if len(top) > 1 else 0.0
        if top[0].confidence >= t.matched and top[0].score - runner_up >= t.margin:
            return Match(Status.MATCHED, top[0].confidence, top)
        return Match(Status.AMBIGUOUS, top[0].confidence, top)

    def _with_capabilities(self, party: Party, top: list[MatchCandidate]) -> list[MatchCandidate]:
        """Agreement of capability texts: +0.1 at cosine 1.0, nothing at or below 0.8."""
        if not (self.capability_similarity and party.capabilities and top):
            return top
        cosines = self.capability_similarity(party.capabilities, [c.id for c in top])
        refined = []
        for candidate, cosine in zip(top, cosines, strict=True):
            bonus = 0.1 * max(0.0, (cosine - 0.8) / 0.2)
            evidence = {**candidate.evidence, "capabilities": cosine >= 0.85}
            refined.append(
                MatchCandidate(
                    candidate.id,
                    candidate.name,
                    round(min(1.0, candidate.confidence + bonus), 4),
                    candidate.name_similarity,
                    evidence,
                    candidate.score + bonus,
                )
            )
        return sorted(refined, key=lambda c: (-c.score, c.id))

    def match_all(self, parties: Iterable[Party]) -> list[Match]:
        return [self.match(party) for party in parties]
