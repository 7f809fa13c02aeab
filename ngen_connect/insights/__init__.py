"""Value-added reports from the information in the index: where the network has a capability,
and where it has none (`coverage`); where each cluster's members are and what they make (`reach`)."""

from ngen_connect.insights.coverage import (
    AREAS,
    COVERAGE_COLUMNS,
    DEFAULT_GAP,
    OUTSIDE,
    RAREST,
    UNKNOWN,
    Capability,
    CapabilityCoverage,
    CapabilityKind,
    CoverageJSON,
    CoverageReport,
)
from ngen_connect.insights.reach import REACH_COLUMNS, ClusterReach, Reach, cluster_reach

__all__ = [
    "AREAS",
    "COVERAGE_COLUMNS",
    "DEFAULT_GAP",
    "OUTSIDE",
    "RAREST",
    "REACH_COLUMNS",
    "UNKNOWN",
    "Capability",
    "CapabilityCoverage",
    "CapabilityKind",
    "ClusterReach",
    "CoverageJSON",
    "CoverageReport",
    "Reach",
    "cluster_reach",
]
