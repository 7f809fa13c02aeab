"""Capability coverage: how many organisations have a capability, in each province and territory
and in each cluster, and where the network has none or few (its gaps).

A capability is a NAICS prefix, a glossary group (named by one of its terms), or a query (the
organisations a search returns for it). This module reads capabilities and counts; the service
(`Service.coverage`) finds which organisations have each capability, among those the caller may
read, and hands them here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from typing_extensions import TypedDict

from ngen_connect.errors import QueryError
from ngen_connect.glossary import Group, load_glossary
from ngen_connect.models import RecordSummary
from ngen_connect.naics import naics_title
from ngen_connect.places import PROVINCES
from ngen_connect.text import analyse, fold

#: the longest glossary term a capability may be given by (the longest terms have ~60)
MAX_TERM_CHARS = 100
#: a province with fewer organisations than this has a gap: 1 means none at all
DEFAULT_GAP = 1
#: a province's rarest capabilities listed in a report
RAREST = 5
#: organisations outside Canada, and those whose province is not known
OUTSIDE, UNKNOWN = "outside", "unknown"
#: every area a count is given for: the 13 provinces and territories, then the two above
AREAS = (*PROVINCES, OUTSIDE, UNKNOWN)
_AREA_NAMES = {
    **{code: (names[0], names[1]) for code, names in PROVINCES.items()},
    OUTSIDE: ("Outside Canada", "Hors du Canada"),
    UNKNOWN: ("Unknown", "Inconnue"),
}
#: the manufacturing sectors of NAICS (31-33), whose 3- and 4-digit codes a default report covers
MANUFACTURING = ("31", "32", "33")
#: the columns of an exported report: one row per capability and area
COVERAGE_COLUMNS = (
    "capability",
    "kind",
    "value",
    "label_en",
    "label_fr",
    "area",
    "area_en",
    "area_fr",
    "organizations",
    "gap",
)


class CapabilityKind(StrEnum):
    """How a capability is given: a NAICS prefix, a glossary group, or any query."""

    NAICS = "naics"
    GROUP = "group"
    QUERY = "query"


@dataclass(frozen=True)
class Capability:
    """A capability of a report: what was asked (`kind`, `value`) and its names in both languages.
    A glossary group's `phrases` are its terms as index terms: one tuple per group the value
    named, each a tuple of phrases (one per term, in its language)."""

    kind: CapabilityKind
    value: str
    label_en: str
    label_fr: str
    phrases: tuple[tuple[tuple[str, ...], ...], ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.value}"


def naics_capability(prefix: str) -> Capability:
    """A NAICS/SCIAN code or prefix of 2 to 6 digits; QueryError otherwise."""
    code = prefix.strip()
    if not (code.isascii() and code.isdigit() and 2 <= len(code) <= 6):
        raise QueryError(
            f"NAICS '{prefix[:20]}' is not a code or prefix of 2 to 6 digits (e.g. 3327).",
            f"SCIAN « {prefix[:20]} » : un code ou un préfixe de 2 à 6 chiffres est attendu "
            "(p. ex. 3327).",
        )
    english = naics_title(code, "en")
    french = naics_title(code, "fr")
    return Capability(
        CapabilityKind.NAICS,
        code,
        f"{code} {english}".strip(),
        f"{code} {french or english}".strip(),
    )


def group_capability(term: str) -> Capability:
    """The glossary group one of whose terms is `term` (either language, any case or accents);
    or, for a phrase such as "5-axis machining", every group it names, all of which an
    organisation must mention. QueryError when it names no group."""
    wanted = " ".join(term.split())
    if len(wanted) > MAX_TERM_CHARS:
        raise QueryError(
            f"A glossary term is at most {MAX_TERM_CHARS} characters long.",
            f"Un terme du glossaire compte au plus {MAX_TERM_CHARS} caractères.",
        )
    exact = _groups_by_term().get(fold(wanted))
    named = [exact] if exact else [e.group for e in load_glossary().expand(wanted)]
    groups = list({id(g): g for g in named}.values())  # a group named twice is one group
    if not wanted or not groups:
        raise QueryError(
            f"'{term}' is no term of the glossary's capability groups (e.g. welding, usinage, "
            "5-axis machining).",
            f"« {term} » n'est pas un terme des groupes de capacités du glossaire (p. ex. "
            "soudage, machining, usinage 5 axes).",
        )
    return Capability(
        CapabilityKind.GROUP,
        wanted,
        " + ".join(g.en[0] for g in groups),
        " + ".join(g.fr[0] for g in groups),
        tuple(_phrases(g) for g in groups),
    )


def query_capability(query: str) -> Capability:
    """The organisations a search returns for `query` (checked by the engine before it runs)."""
    text = " ".join(query.split())
    return Capability(CapabilityKind.QUERY, text, text, text)


@lru_cache(maxsize=1)
def _groups_by_term() -> dict[str, Group]:
    """Each glossary term, folded, to the first group that holds it."""
    found: dict[str, Group] = {}
    for group in load_glossary().groups:
        for term in (*group.en, *group.fr):
            found.setdefault(fold(term), group)
    return found


def _phrases(group: Group) -> tuple[tuple[str, ...], ...]:
    """A group's terms as the keyword index holds them: each term's words in its language."""
    terms = [analyse(t, "en") for t in group.en] + [analyse(t, "fr") for t in group.fr]
    return tuple(dict.fromkeys(tuple(t) for t in terms if t))


def default_capabilities(organizations: Iterable[RecordSummary]) -> list[Capability]:
    """The NAICS 3- and 4-digit manufacturing codes (31-33) the organisations hold, in order."""
    prefixes = {
        code[:length]
        for record in organizations
        for code in record.attributes.get("naics") or ()
        if isinstance(code, str) and code[:2] in MANUFACTURING
        for length in (3, 4)
        if len(code) >= length
    }
    return [naics_capability(p) for p in sorted(prefixes)]


def naics_index(organizations: Iterable[RecordSummary]) -> dict[str, set[str]]:
    """Every NAICS prefix of 2 to 6 digits the organisations hold, with their keys: one pass over
    the records serves every code of a report (the default report has dozens)."""
    index: dict[str, set[str]] = {}
    for record in organizations:
        for code in record.attributes.get("naics") or ():
            text = str(code)
            for length in range(2, min(len(text), 6) + 1):
                index.setdefault(text[:length], set()).add(record.key)
    return index


def area_of(attributes: Mapping[str, Any]) -> str:
    """A record's province or territory code, OUTSIDE (another country) or UNKNOWN."""
    province = attributes.get("province")
    if province in PROVINCES:
        return str(province)
    country = attributes.get("country")
    if isinstance(country, str) and country and country.upper() != "CA":
        return OUTSIDE
    return UNKNOWN


class AreaJSON(TypedDict):
    code: str
    name_en: str
    name_fr: str


class RarestJSON(TypedDict):
    capability: str
    organizations: int


class CapabilityJSON(TypedDict):
    """One capability's counts: in all, per area (every area, zero included), per cluster."""

    capability: str
    kind: str
    value: str
    label_en: str
    label_fr: str
    organizations: int
    capped: bool
    areas: dict[str, int]
    gaps: list[str]
    clusters: dict[str, int]


class CoverageJSON(TypedDict):
    """`ngen-connect insights coverage --json` and `GET /insights/coverage`."""

    index_version: str
    organizations: int
    gap: int
    default: bool
    areas: list[AreaJSON]
    clusters: dict[str, str]
    capabilities: list[CapabilityJSON]
    rarest: dict[str, list[RarestJSON]]


@dataclass(frozen=True)
class CapabilityCoverage:
    """Who has one capability: how many organisations in all, per area and per cluster id; the
    provinces and territories with fewer than the report's gap; `capped` when the capability is
    a query whose result set is full (`RESULT_POOL`), so more organisations may have it."""

    capability: Capability
    organizations: int
    areas: dict[str, int]
    clusters: dict[str, int]
    gaps: list[str]
    capped: bool = False

    def to_dict(self) -> CapabilityJSON:
        c = self.capability
        return {
            "capability": c.key,
            "kind": c.kind.value,
            "value": c.value,
            "label_en": c.label_en,
            "label_fr": c.label_fr,
            "organizations": self.organizations,
            "capped": self.capped,
            "areas": self.areas,
            "gaps": self.gaps,
            "clusters": self.clusters,
        }


@dataclass(frozen=True)
class CoverageReport:
    """Coverage of several capabilities over the organisations one caller may read."""

    index_version: str
    organizations: int
    gap: int
    default: bool
    capabilities: list[CapabilityCoverage]
    #: cluster id -> name, for every cluster a count is given for
    cluster_names: dict[str, str]

    def rarest(self) -> dict[str, list[RarestJSON]]:
        """Each province's or territory's capabilities with the fewest organisations there (a
        tie goes first to the capability more common across the country: missing where it is
        common elsewhere is the larger gap)."""
        found: dict[str, list[RarestJSON]] = {}
        for area in PROVINCES:
            ranked = sorted(
                self.capabilities,
                key=lambda c: (c.areas[area], -c.organizations, c.capability.key),
            )
            found[area] = [
                {"capability": c.capability.key, "organizations": c.areas[area]}
                for c in ranked[:RAREST]
            ]
        return found

    def to_dict(self) -> CoverageJSON:
        return {
            "index_version": self.index_version,
            "organizations": self.organizations,
            "gap": self.gap,
            "default": self.default,
            "areas": [
                {"code": a, "name_en": _AREA_NAMES[a][0], "name_fr": _AREA_NAMES[a][1]}
                for a in AREAS
            ],
            "clusters": self.cluster_names,
            "capabilities": [c.to_dict() for c in self.capabilities],
            "rarest": self.rarest(),
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per capability and area, for an export (`COVERAGE_COLUMNS`)."""
        return [
            {
                "capability": c.capability.key,
                "kind": c.capability.kind.value,
                "value": c.capability.value,
                "label_en": c.capability.label_en,
                "label_fr": c.capability.label_fr,
                "area": area,
                "area_en": _AREA_NAMES[area][0],
                "area_fr": _AREA_NAMES[area][1],
                "organizations": c.areas[area],
                "gap": area in c.gaps,
            }
            for c in self.capabilities
            for area in AREAS
        ]


def area_name(area: str, language: str = "en") -> str:
    """An area's name in English or French."""
    english, french = _AREA_NAMES[area]
    return french if language == "fr" else english


def check_gap(gap: int) -> int:
    if gap < 0:
        raise QueryError(
            f"gap must be 0 or more, got {gap}.", f"Le seuil de lacune doit être positif ({gap})."
        )
    return gap


def count_coverage(
    organizations: Sequence[RecordSummary],
    holders: Mapping[Capability, set[str]],
    *,
    gap: int,
    cluster_names: Mapping[str, str],
    capped: Iterable[Capability] = (),
) -> list[CapabilityCoverage]:
    """Count each capability's holders (record keys) among `organizations`, per area and per
    cluster (every cluster of `cluster_names`, zero included)."""
    where = {r.key: area_of(r.attributes) for r in organizations}
    clusters_of = {r.key: r.attributes.get("clusters") or () for r in organizations}
    full = set(capped)
    counted = []
    for capability, keys in holders.items():
        areas = dict.fromkeys(AREAS, 0)
        clusters = dict.fromkeys(cluster_names, 0)
        mine = [key for key in keys if key in where]  # the caller's organisations only
        for key in mine:
            areas[where[key]] += 1
            for cluster in set(clusters_of[key]):
                clusters[cluster] = clusters.get(cluster, 0) + 1
        gaps = [area for area in PROVINCES if areas[area] < gap]
        counted.append(
            CapabilityCoverage(capability, len(mine), areas, clusters, gaps, capability in full)
        )
    return counted
