"""Entity resolution: which member profile, if any, a registry record is.

Names are normalised (accents, case, `&`/`and`/`et`, punctuation, trailing legal forms in English,
French and other languages: Inc., Ltd, Ltée, Limitée, S.E.C., ULC, Corp., Cie, N.V., GmbH...),
candidates come from blocking (shared name tokens, website domain, postal code, phone), and each is
scored with rapidfuzz plus agreement on domain, postal code, phone and city. Every record gets one
status: matched, ambiguous (with its top candidates), new, or rejected (with the reason).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rapidfuzz import fuzz, process

from ngen_connect.names import normalise_name
from ngen_connect.places import city_key

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
    """What matching looks at in a record, on either side."""

    id: str
    name: str
    city: str = ""
    postal: str = ""
    website: str = ""
    phone: str = ""
    capabilities: str = ""

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
        )


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
        self._names = [normalise_name(m.name) for m in self.members]
        self._by_token: dict[str, list[int]] = defaultdict(list)
        self._by_value: dict[tuple[str, str], list[int]] = defaultdict(list)
        for index, (member, name) in enumerate(zip(self.members, self._names, strict=True)):
            for token in set(name.split()):
                self._by_token[token].append(index)
            self._by_value[("prefix", _prefix(name))].append(index)
            for kind in ("postal", "website", "phone"):
                value = getattr(member, kind)
                if value:
                    self._by_value[(kind, value)].append(index)
        limit = max(50, int(len(self.members) * _COMMON_TOKEN_SHARE))
        self._common = {token for token, found in self._by_token.items() if len(found) > limit}
        self._tokens_by_letter: dict[str, list[str]] = defaultdict(list)
        for token in self._by_token:
            if token not in self._common:
                self._tokens_by_letter[token[:1]].append(token)

    def _block(self, party: Party, name: str) -> set[int]:
        """Candidate members: a shared uncommon name token (or a close one), or the same domain,
        postal code or phone."""
        found: set[int] = set()
        for token in set(name.split()):
            if token not in self._common:
                found.update(self._by_token.get(token, ()))
        if not found and name:
            # A misspelled distinctive token: compare against tokens of the same first letter.
            for token in set(name.split()):
                candidates = self._tokens_by_letter.get(token[:1], [])
                for other, _, _ in process.extract(
                    token, candidates, scorer=fuzz.ratio, score_cutoff=85, limit=None
                ):
                    found.update(self._by_token[other])
        for kind in ("postal", "website", "phone"):
            value = getattr(party, kind)
            if value:
                found.update(self._by_value.get((kind, value), ()))
        found.update(self._by_value.get(("prefix", _prefix(name)), ()))
        return found

    def _shortlist(self, party: Party, name: str, size: int = 15) -> set[int]:
        """The blocked members worth a full score: the closest names by two scorers (run in C over
        the whole block), plus any member sharing a website, postal code or phone."""
        block = self._block(party, name)
        if len(block) <= size:
            return block
        names = {index: self._names[index] for index in block}
        squashed = {index: value.replace(" ", "") for index, value in names.items()}
        keep = {
            index
            for _, _, index in process.extract(name, names, scorer=fuzz.token_set_ratio, limit=size)
        }
        keep |= {
            index
            for _, _, index in process.extract(
                name.replace(" ", ""), squashed, scorer=fuzz.ratio, limit=size
            )
        }
        for kind in ("postal", "website", "phone"):
            value = getattr(party, kind)
            if value:
                keep.update(i for i in self._by_value.get((kind, value), ()) if i in block)
        return keep

    def _score(self, party: Party, name: str, index: int) -> MatchCandidate:
        member, member_name = self.members[index], self._names[index]
        # A name that only contains the other ("dsm" in "dsm ip assets") is at most ambiguous.
        similarity = (
            max(
                fuzz.token_sort_ratio(name, member_name),
                fuzz.ratio(name.replace(" ", ""), member_name.replace(" ", "")),
                fuzz.token_set_ratio(name, member_name) * 0.85,
            )
            / 100
        )
        evidence: dict[str, bool] = {}
        confidence = similarity
        for kind, weight in (("website", 0.25), ("phone", 0.2), ("postal", 0.15), ("city", 0.05)):
            mine, theirs = getattr(party, kind), getattr(member, kind)
            if mine and theirs:
                evidence[kind] = mine == theirs
                confidence += weight if mine == theirs else -weight / 2
        return MatchCandidate(
            member.id,
            member.name,
            round(min(max(confidence, 0.0), 1.0), 4),
            round(similarity, 4),
            evidence,
            confidence,
        )

    def match(self, party: Party) -> Match:
        name = normalise_name(party.name)
        if not name:
            return Match(
                Status.REJECTED,
                reason="the name is empty once legal forms and punctuation are removed",
            )
        scored = sorted(
            (self._score(party, name, index) for index in self._shortlist(party, name)),
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
