"""Value-added reports from the information in the index: where the network has a capability,
and where it has none (`coverage`)."""

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

__all__ = [
    "AREAS",
    "COVERAGE_COLUMNS",
    "DEFAULT_GAP",
    "OUTSIDE",
    "RAREST",
    "UNKNOWN",
    "Capability",
    "CapabilityCoverage",
    "CapabilityKind",
    "CoverageJSON",
    "CoverageReport",
]
