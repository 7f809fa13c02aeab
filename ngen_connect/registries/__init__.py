"""Registries: uploaded collections of records (a member base, SIMSA's suppliers, Health Canada's
licence holders) matched against the members, kept by upload, and searchable."""

from ngen_connect.registries.reports import REPORT_COLUMNS, MatchReport, ReportRow, match_file
from ngen_connect.registries.service import (
    Need,
    NeedsResult,
    Preview,
    RegistryService,
    Upload,
    needs_rows,
    preview,
)
from ngen_connect.registries.uploads import Changes, Uploads

__all__ = [
    "REPORT_COLUMNS",
    "Changes",
    "MatchReport",
    "Need",
    "NeedsResult",
    "Preview",
    "RegistryService",
    "ReportRow",
    "Upload",
    "Uploads",
    "match_file",
    "needs_rows",
    "preview",
]
