"""Cluster reach: for each cluster, where its members are (provinces and territories, countries),
what they make (NAICS families, the first three digits), and which members are outside the
cluster's own province: the figures NGen reports on its clusters' geographic reach.

A member is an organisation the cluster lists (`members`) or that lists the cluster (`clusters`):
either side may hold the link, depending on which file said it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ngen_connect.models import Kind, RecordSummary
from ngen_connect.naics import naics_title
from ngen_connect.places import PROVINCES

#: the columns of an exported reach report: one row per cluster
REACH_COLUMNS = (
    "cluster",
    "name",
    "province",
    "members",
    "provinces",
    "countries",
    "outside_region",
    "members_by_province",
    "members_by_country",
    "naics_families",
    "outside_region_members",
)


@dataclass(frozen=True)
class ClusterReach:
    id: str
    name: str
    #: the cluster's own province or territory ("" when it has none: a national cluster)
    province: str
    members: tuple[RecordSummary, ...]

    def by_province(self) -> Counter[str]:
        return Counter(str(m.attributes.get("province") or "") for m in self.members)

    def by_country(self) -> Counter[str]:
        return Counter(str(m.attributes.get("country") or "") for m in self.members)

    def families(self) -> Counter[str]:
        """Members per NAICS family (3 digits); a member counts once in each of its families."""
        return Counter(
            family
            for m in self.members
            for family in {str(code)[:3] for code in m.attributes.get("naics") or () if code}
        )

    def outside(self) -> list[RecordSummary]:
        """Members whose province is known and is not the cluster's (none for a national one)."""
        if not self.province:
            return []
        return [
            m
            for m in self.members
            if m.attributes.get("province") and m.attributes.get("province") != self.province
        ]

    def to_dict(self, language: str = "en") -> dict[str, Any]:
        french = language == "fr"
        return {
            "id": self.id,
            "name": self.name,
            "province": self.province,
            "members": len(self.members),
            "members_by_province": _named(self.by_province()),
            "members_by_country": _named(self.by_country()),
            "naics_families": [
                {"code": code, "title": naics_title(code, "fr" if french else "en"), "members": n}
                for code, n in _ordered(self.families())
            ],
            "outside_region": [
                {"id": m.id, "name": m.name, "province": m.attributes.get("province", "")}
                for m in sorted(self.outside(), key=lambda m: m.name.casefold())
            ],
        }

    def row(self) -> dict[str, Any]:
        provinces = self.by_province()
        return {
            "cluster": self.id,
            "name": self.name,
            "province": self.province,
            "members": len(self.members),
            "provinces": len([p for p in provinces if p]),
            "countries": len([c for c in self.by_country() if c]),
            "outside_region": len(self.outside()),
            "members_by_province": "; ".join(f"{p or '?'} {n}" for p, n in _ordered(provinces)),
            "members_by_country": "; ".join(
                f"{c or '?'} {n}" for c, n in _ordered(self.by_country())
            ),
            "naics_families": "; ".join(f"{c} {n}" for c, n in _ordered(self.families())),
            "outside_region_members": "; ".join(m.name for m in self.outside()),
        }


def _ordered(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _named(counts: Counter[str]) -> dict[str, int]:
    return {key or "unknown": n for key, n in _ordered(counts)}


@dataclass(frozen=True)
class Reach:
    clusters: list[ClusterReach]

    def summary(self) -> dict[str, int]:
        members = {m.key for c in self.clusters for m in c.members}
        everyone = [m for c in self.clusters for m in c.members]
        return {
            "clusters": len(self.clusters),
            "members": len(members),
            "provinces": len({p for m in everyone if (p := m.attributes.get("province"))}),
            "countries": len({c for m in everyone if (c := m.attributes.get("country"))}),
            "outside_region": len({m.key for c in self.clusters for m in c.outside()}),
        }

    def to_dict(self, language: str = "en") -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "clusters": [c.to_dict(language) for c in self.clusters],
        }


def cluster_reach(records: Iterable[RecordSummary]) -> Reach:
    """Every cluster among `records` with its members among them, clusters by name."""
    rows = list(records)
    organizations = {r.id: r for r in rows if r.kind is Kind.ORGANIZATION}
    listing: dict[str, set[str]] = {}
    for org in organizations.values():
        for cluster in org.attributes.get("clusters") or ():
            listing.setdefault(str(cluster), set()).add(org.id)
    reach = []
    for cluster in (r for r in rows if r.kind is Kind.CLUSTER):
        ids = {str(m) for m in cluster.attributes.get("members") or ()}
        ids |= listing.get(cluster.id, set())
        members = tuple(sorted((organizations[i] for i in ids if i in organizations), key=_by_name))
        province = str(cluster.attributes.get("province") or "")
        reach.append(
            ClusterReach(
                cluster.id, cluster.name, province if province in PROVINCES else "", members
            )
        )
    return Reach(sorted(reach, key=lambda c: c.name.casefold()))


def _by_name(record: RecordSummary) -> str:
    return record.name.casefold()


def reach_rows(reach: Reach) -> Sequence[dict[str, Any]]:
    return [cluster.row() for cluster in reach.clusters]
