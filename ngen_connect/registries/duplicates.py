"""Probable duplicate members: organisations of the member base entered twice ("Campbell Tool & Die
Inc." / "Campbell Tool & Die Ltd."), for a steward to merge.

Candidates come from the matcher's blocking (shared uncommon name tokens, name prefix, website
domain, postal code, phone), so the work grows with the members, not with their square. Each pair is
scored on its closest names (legal or operating, normalised: legal forms, accents, `&`/and/et,
St-/Saint-, abbreviations) and on what else agrees or disagrees: website domain, phone, postal code,
city and country. A name alone is not enough where the places differ: the same name in two cities
or two countries is at most a weak pair. Pairs at or above the threshold are joined into groups
(A ~ B and B ~ C make one group of three).
"""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from typing_extensions import TypedDict

from ngen_connect.errors import QueryError
from ngen_connect.export import write_table
from ngen_connect.models import RecordSummary
from ngen_connect.registries.matching import Matcher, Party, name_similarity

DEFAULT_MIN_CONFIDENCE = 0.6
#: a pair at or above this confidence is "high", at or above `MEDIUM` "medium", else "low"
HIGH, MEDIUM = 0.9, 0.75
DUPLICATE_COLUMNS = (
    "group",
    "confidence",
    "level",
    "id_a",
    "name_a",
    "operating_name_a",
    "place_a",
    "website_a",
    "id_b",
    "name_b",
    "operating_name_b",
    "place_b",
    "website_b",
    "name_similarity",
    "evidence",
    "explanation",
)
DUPLICATE_FORMATS = (".csv", ".xlsx", ".json")
#: export headers for `language="fr"` (English keeps the column names)
HEADERS_FR = {
    "group": "groupe",
    "confidence": "confiance",
    "level": "niveau",
    "id_a": "id A",
    "name_a": "nom A",
    "operating_name_a": "nom commercial A",
    "place_a": "lieu A",
    "website_a": "site web A",
    "id_b": "id B",
    "name_b": "nom B",
    "operating_name_b": "nom commercial B",
    "place_b": "lieu B",
    "website_b": "site web B",
    "name_similarity": "similarité du nom",
    "evidence": "indices",
    "explanation": "explication",
}
_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "same": "same name once legal forms, accents and abbreviations are set aside",
        "operating_name": "the operating name of one is the name of the other",
        "similar": "similar names ({similarity})",
        "other_words": "names alike but for a word each ({similarity})",
        "website+": "same website",
        "website-": "different websites",
        "phone+": "same phone",
        "phone-": "different phones",
        "postal+": "same postal code",
        "postal-": "different postal codes",
        "city+": "same city",
        "city-": "different cities",
        "country-": "different countries",
        "high": "high",
        "medium": "medium",
        "low": "low",
        "sheet": "Duplicates",
        "about": "About",
        "members": "members",
        "min_confidence": "minimum confidence",
        "pairs": "pairs",
        "groups": "groups",
    },
    "fr": {
        "same": "même nom, formes juridiques, accents et abréviations mis à part",
        "operating_name": "le nom commercial de l'une est le nom de l'autre",
        "similar": "noms semblables ({similarity})",
        "other_words": "noms semblables à un mot près de chaque côté ({similarity})",
        "website+": "même site web",
        "website-": "sites web différents",
        "phone+": "même téléphone",
        "phone-": "téléphones différents",
        "postal+": "même code postal",
        "postal-": "codes postaux différents",
        "city+": "même ville",
        "city-": "villes différentes",
        "country-": "pays différents",
        "high": "élevée",
        "medium": "moyenne",
        "low": "faible",
        "sheet": "Doublons",
        "about": "À propos",
        "members": "membres",
        "min_confidence": "confiance minimale",
        "pairs": "paires",
        "groups": "groupes",
    },
}
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class Weights:
    """How a pair's confidence is made (0..1): `name` × name similarity, plus or minus each piece
    of evidence both members have."""

    name: float = 0.8
    website: float = 0.2
    phone: float = 0.2
    postal: float = 0.1
    city: float = 0.1
    other_website: float = 0.1
    other_phone: float = 0.1
    other_postal: float = 0.05
    other_city: float = 0.3
    other_country: float = 0.4
    #: names less alike than this make a pair only with a shared website or phone
    min_name: float = 0.6
    #: names compared further: those this alike by rapidfuzz's token-set ratio (one name's words all
    #: in the other) or by the ratio of their letters without spaces
    alike: float = 0.88
    #: names that differ in their numbers ("9123-4567 Québec" / "9123-4568 Québec", "Plant 1" /
    #: "Plant 2"), or where each has a word the other lacks, name different companies: their
    #: similarity is at most this
    other_numbers: float = 0.5
    other_words: float = 0.4
    #: a website or phone shared by more members than this (a host, a switchboard) proves nothing
    shared_limit: int = 5


class DuplicateMemberJSON(TypedDict):
    id: str
    name: str
    operating_name: str
    city: str
    province: str
    country: str
    postal_code: str
    website: str
    phone: str


class DuplicatePairJSON(TypedDict):
    """A pair: its group, its confidence (0 to 1) and level (high from 0.9, medium from 0.75,
    else low), the similarity of the closest legal or operating names (0 to 1), the evidence
    (`"name"`: same, operating_name or similar; then, for what both members have, whether it
    agrees: website, phone, postal_code, city, country) and its explanation in the request's
    language."""

    group: int
    confidence: float
    level: str
    name_similarity: float
    evidence: dict[str, str | bool]
    explanation: str
    a: DuplicateMemberJSON
    b: DuplicateMemberJSON


class DuplicateGroupJSON(TypedDict):
    """Members joined by pairs: the best pair's confidence and the members' ids."""

    group: int
    confidence: float
    ids: list[str]


class DuplicatesJSON(TypedDict):
    """Probable duplicates as JSON (`DuplicateReport.to_dict`): `ngen-connect duplicates --json`
    and `GET /duplicates` both answer it. `members` were compared (organisations of no
    registry); `total` pairs are listed, in `total_groups` groups."""

    members: int
    min_confidence: float
    total: int
    total_groups: int
    groups: list[DuplicateGroupJSON]
    pairs: list[DuplicatePairJSON]


@dataclass(frozen=True)
class DuplicateMember:
    """A member as a steward sees it in a pair: its id, names, place and contacts as stored."""

    id: str
    name: str
    operating_name: str = ""
    city: str = ""
    region: str = ""
    country: str = ""
    postal_code: str = ""
    website: str = ""
    phone: str = ""

    @classmethod
    def of(cls, record: RecordSummary) -> DuplicateMember:
        attrs = record.attributes

        def value(key: str) -> str:
            return str(attrs.get(key) or "")

        return cls(
            id=record.id,
            name=record.name,
            operating_name=value("operating_name"),
            city=value("city"),
            region=value("province") or value("region"),
            country=value("country"),
            postal_code=value("postal_code"),
            website=value("website"),
            phone=value("phone"),
        )

    @property
    def place(self) -> str:
        return ", ".join(v for v in (self.city, self.region, self.country) if v)

    def to_dict(self) -> DuplicateMemberJSON:
        return {
            "id": self.id,
            "name": self.name,
            "operating_name": self.operating_name,
            "city": self.city,
            "province": self.region,
            "country": self.country,
            "postal_code": self.postal_code,
            "website": self.website,
            "phone": self.phone,
        }


@dataclass(frozen=True)
class DuplicatePair:
    """Two members that are probably one, with the confidence (0..1), the similarity of their
    closest names, the evidence and the group they belong to."""

    a: DuplicateMember
    b: DuplicateMember
    confidence: float
    name_similarity: float
    #: "name": "same", "operating_name", "similar" or "other_words"; then, for what both members have, whether it
    #: agrees: "website", "phone", "postal_code", "city", "country" (only ever False)
    evidence: dict[str, str | bool]
    group: int = 0

    @property
    def level(self) -> str:
        """ "high" (0.9 and more), "medium" (0.75 and more) or "low"."""
        return (
            "high" if self.confidence >= HIGH else "medium" if self.confidence >= MEDIUM else "low"
        )

    def level_label(self, language: str = "en") -> str:
        """The level as a person reads it, in "en" or "fr"."""
        return _WORDS["fr" if language == "fr" else "en"][self.level]

    def explanation(self, language: str = "en") -> str:
        """The evidence in one phrase, in "en" or "fr"."""
        words = _WORDS["fr" if language == "fr" else "en"]
        similarity = f"{self.name_similarity:.2f}"
        parts = [
            words[str(self.evidence["name"])].format(
                similarity=similarity.replace(".", ",") if language == "fr" else similarity
            )
        ]
        for key, word in (
            ("website", "website"),
            ("phone", "phone"),
            ("postal_code", "postal"),
            ("city", "city"),
            ("country", "country"),
        ):
            if key in self.evidence:
                parts.append(words[f"{word}{'+' if self.evidence[key] else '-'}"])
        return "; ".join(parts)

    def to_dict(self, language: str = "en") -> DuplicatePairJSON:
        return {
            "group": self.group,
            "confidence": self.confidence,
            "level": self.level,
            "name_similarity": self.name_similarity,
            "evidence": dict(self.evidence),
            "explanation": self.explanation(language),
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
        }

    def row(self, language: str = "en") -> dict[str, Any]:
        """The pair as one row of an export."""
        return {
            "group": self.group,
            "confidence": self.confidence,
            "level": self.level_label(language),
            "id_a": self.a.id,
            "name_a": self.a.name,
            "operating_name_a": self.a.operating_name,
            "place_a": self.a.place,
            "website_a": self.a.website,
            "id_b": self.b.id,
            "name_b": self.b.name,
            "operating_name_b": self.b.operating_name,
            "place_b": self.b.place,
            "website_b": self.b.website,
            "name_similarity": self.name_similarity,
            "evidence": ";".join(
                f"{key}={value if isinstance(value, str) else 'yes' if value else 'no'}"
                for key, value in self.evidence.items()
            ),
            "explanation": self.explanation(language),
        }


@dataclass
class DuplicateReport:
    """The probable duplicates among `members` members, pairs best first within groups."""

    members: int
    min_confidence: float
    pairs: list[DuplicatePair] = field(default_factory=list)
    seconds: float = 0.0

    def groups(self) -> list[DuplicateGroupJSON]:
        """Each group: its number, its best pair's confidence and its members' ids."""
        found: dict[int, DuplicateGroupJSON] = {}
        for pair in self.pairs:
            group = found.setdefault(
                pair.group, {"group": pair.group, "confidence": pair.confidence, "ids": []}
            )
            group["confidence"] = max(group["confidence"], pair.confidence)
            for member in (pair.a, pair.b):
                if member.id not in group["ids"]:
                    group["ids"].append(member.id)
        return list(found.values())

    def summary(self, language: str = "en") -> str:
        """How many pairs and groups were found among how many members, in "en" or "fr"."""
        groups, pairs = len(self.groups()), len(self.pairs)
        if language == "fr":
            members = f"{self.members:,}".replace(",", "\u202f")
            threshold = f"{self.min_confidence:.2f}".replace(".", ",")
            return (
                f"{pairs} paires de doublons probables en {groups} groupes parmi {members} "
                f"membres (confiance ≥ {threshold})."
            )
        return (
            f"{pairs} probable duplicate pairs in {groups} groups among {self.members:,} members "
            f"(confidence ≥ {self.min_confidence:.2f})."
        )

    def to_dict(self, language: str = "en") -> DuplicatesJSON:
        groups = self.groups()
        return {
            "members": self.members,
            "min_confidence": self.min_confidence,
            "total": len(self.pairs),
            "total_groups": len(groups),
            "groups": groups,
            "pairs": [pair.to_dict(language) for pair in self.pairs],
        }

    def write(self, path: Path, language: str = "en") -> None:
        """The pairs as a CSV, XLSX (with an About sheet) or JSON file, headers in `language`."""
        words = _WORDS["fr" if language == "fr" else "en"]
        about = {
            words["members"]: self.members,
            words["min_confidence"]: self.min_confidence,
            words["pairs"]: len(self.pairs),
            words["groups"]: len(self.groups()),
        }
        if path.suffix.lower() == ".json":
            about = {"members": self.members, "min_confidence": self.min_confidence}
        write_table(
            path,
            DUPLICATE_COLUMNS,
            [pair.row(language) for pair in self.pairs],
            sheet=words["sheet"],
            about=about,
            formats=DUPLICATE_FORMATS,
            headers=HEADERS_FR if language == "fr" else None,
            about_sheet=words["about"],
        )


def check_min_confidence(value: float) -> float:
    """The threshold, when it is from 0 to 1."""
    if not 0.0 <= value <= 1.0:
        raise QueryError(
            f"The minimum confidence must be between 0 and 1, got {value}.",
            f"La confiance minimale doit être entre 0 et 1 (reçu : {value}).",
        )
    return value


def find_duplicates(
    members: Iterable[RecordSummary],
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    weights: Weights | None = None,
) -> DuplicateReport:
    """The probable duplicate pairs among these members, at or above `min_confidence`, grouped."""
    check_min_confidence(min_confidence)
    started = time.perf_counter()
    w = weights or Weights()
    records = sorted(members, key=lambda r: r.id)  # the same pairs in the same order every time
    shown = [DuplicateMember.of(r) for r in records]
    parties = [Party.from_fields(r.id, r.name, r.attributes) for r in records]
    matcher = Matcher(parties)
    shared = {
        kind: {
            v for v, n in Counter(getattr(p, kind) for p in parties).items() if n > w.shared_limit
        }
        for kind in ("website", "phone")
    }
    pairs = []
    for i, j in sorted(_candidates(matcher, w, shared)):
        scored = _score(matcher, parties, i, j, w, shared)
        if scored is not None and scored[0] >= min_confidence:
            pairs.append((i, j, *scored))
    report = DuplicateReport(len(records), min_confidence)
    report.pairs = _grouped(pairs, shown)
    report.seconds = time.perf_counter() - started
    return report


def _candidates(
    matcher: Matcher, w: Weights, shared: Mapping[str, set[str]]
) -> set[tuple[int, int]]:
    """The pairs of members worth a score, compared only within the matcher's blocks: names alike
    (scored in C over each block), or the same website or phone (one that few members share)."""
    found: set[tuple[int, int]] = set()
    cutoff = w.alike * 100
    for kind, block in matcher.blocks():
        if len(block) < 2:
            continue
        members = sorted(block)
        if kind in ("website", "phone"):
            value = getattr(matcher.members[members[0]], kind)
            if value not in shared.get(kind, ()):
                found.update(itertools.combinations(members, 2))
            continue
        owners = [i for i in members for _ in matcher.positions[i]]
        names = [matcher.entries[p][1] for i in members for p in matcher.positions[i]]
        # Names alike where it tells companies apart: one name's words (nearly) all in the other,
        # or, where a prefix is shared, nearly the same letters ("gist brocades" / "gistbrocades");
        # `_other_words` then sets apart the names with a word each.
        alike = process.cdist(names, names, scorer=fuzz.token_set_ratio, score_cutoff=cutoff) > 0
        if kind == "prefix":
            squashed = [name.replace(" ", "") for name in names]
            alike |= process.cdist(squashed, squashed, scorer=fuzz.ratio, score_cutoff=cutoff) > 0
        for row, column in zip(*np.nonzero(np.triu(alike, 1)), strict=True):
            i, j = owners[row], owners[column]
            if i != j:
                found.add((min(i, j), max(i, j)))
    return found


def _closest(
    a: Sequence[tuple[str, bool]], b: Sequence[tuple[str, bool]], w: Weights
) -> tuple[float, str]:
    """(similarity, "same" | "operating_name" | "similar" | "other_words") of the most alike pair of
    names. Names that differ in their numbers, or where each has a word the other lacks ("Anderson
    Provisions" / "Anderson Precision"), name different companies: their similarity is capped."""
    best, kind = -1.0, "similar"
    for name, operating in a:
        for other, other_operating in b:
            similarity, label = name_similarity(name, other, by_length=True), "similar"
            if name == other:
                label = "operating_name" if operating or other_operating else "same"
            elif _other_numbers(name, other):
                similarity = min(similarity, w.other_numbers)
            elif _other_words(name, other):
                similarity, label = min(similarity, w.other_words), "other_words"
            if similarity > best:
                best, kind = similarity, label
    return max(best, 0.0), kind


def _other_numbers(name: str, other: str) -> bool:
    numbers, others = set(_NUMBER.findall(name)), set(_NUMBER.findall(other))
    return bool(numbers and others and numbers != others)


def _other_words(name: str, other: str) -> bool:
    """Each name has a word the other lacks ("Anderson Provisions" / "Anderson Precision", "Maple
    Mobility" / "Morrison Mobility"), not merely misspelt or written apart ("Gist Brocades" /
    "Gistbrocades")."""
    mine, theirs = name.split(), other.split()
    extra = [w for w in mine if w not in theirs]
    missing = [w for w in theirs if w not in mine]
    if not (extra and missing) or fuzz.ratio("".join(extra), "".join(missing)) >= 85:
        return False
    unmatched = [w for w in extra if all(fuzz.ratio(w, o) < 85 for o in missing)]
    unmatched_other = [o for o in missing if all(fuzz.ratio(o, w) < 85 for w in extra)]
    return bool(unmatched and unmatched_other)


def _score(
    matcher: Matcher,
    parties: Sequence[Party],
    i: int,
    j: int,
    w: Weights,
    shared: Mapping[str, set[str]],
) -> tuple[float, float, dict[str, str | bool]] | None:
    """(confidence, name similarity, evidence) of two members, or None when their names are too
    far apart and no website or phone ties them."""
    a, b = parties[i], parties[j]
    similarity, name = _closest(matcher.names[i], matcher.names[j], w)
    evidence: dict[str, str | bool] = {"name": name}
    confidence = w.name * similarity
    contact = False
    for kind, key, agree, disagree in (
        ("website", "website", w.website, w.other_website),
        ("phone", "phone", w.phone, w.other_phone),
        ("postal", "postal_code", w.postal, w.other_postal),
    ):
        mine, theirs = getattr(a, kind), getattr(b, kind)
        if not (mine and theirs) or (mine == theirs and mine in shared.get(kind, ())):
            continue
        evidence[key] = mine == theirs
        confidence += agree if mine == theirs else -disagree
        contact |= mine == theirs and kind != "postal"
    if similarity < w.min_name and not contact:
        return None
    if a.country and b.country and a.country != b.country:
        evidence["country"] = False
        confidence -= w.other_country
    elif a.city and b.city:
        other_region = bool(a.region and b.region and a.region != b.region)
        same_city = fuzz.ratio(a.city, b.city) >= 90 and not other_region  # Pittsburg(h)
        # One postal code in one region is one place, whatever the city is called there.
        one_place = evidence.get("postal_code") is True and not other_region
        if same_city or not one_place:
            evidence["city"] = same_city
            confidence += w.city if same_city else -w.other_city
    return round(min(max(confidence, 0.0), 1.0), 4), round(similarity, 4), evidence


def _grouped(
    pairs: Sequence[tuple[int, int, float, float, dict[str, str | bool]]],
    shown: Sequence[DuplicateMember],
) -> list[DuplicatePair]:
    """The pairs joined into groups (connected members), groups numbered by their best pair, pairs
    best first within a group."""
    parent = {index: index for pair in pairs for index in pair[:2]}

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for i, j, *_ in pairs:
        parent[root(i)] = root(j)
    ordered = sorted(pairs, key=lambda p: (-p[2], shown[p[0]].id, shown[p[1]].id))
    numbers: dict[int, int] = {}
    for i, _, *_ in ordered:
        numbers.setdefault(root(i), len(numbers) + 1)
    result = [
        DuplicatePair(shown[i], shown[j], confidence, similarity, evidence, numbers[root(i)])
        for i, j, confidence, similarity, evidence in ordered
    ]
    return sorted(result, key=lambda p: p.group)  # stable: best first within each group
