"""Registries: uploaded collections of records (a member base, SIMSA's suppliers, Health Canada's
licence holders) matched against the members, kept by upload, and searchable; and the members'
probable duplicates. One module a concept:

access      registry keys and private registries
matching    a row against the members: blocking, scoring, a status (`Matcher`)
reports     the match report of a file, row by row, and its exports
uploads     kept uploads and what changed from one to the next
service     the registries service: preview, match, upload, decide, directory imports
suppliers   SIMSA-like supplier directories (a row per company and category)
needs       SIMSA's needs lists: a registry's best suppliers per need
dpd         SCAN Health: Health Canada's Drug Product Database extracts, imported and compared
resilience  SCAN Health: marketed holders per ingredient, form and route, ATC class; losses
duplicates  probable duplicate members
"""

from ngen_connect.registries.access import Access, Rights, check_registry_name, new_key
from ngen_connect.registries.dpd import (
    CHANGE_COLUMNS,
    ExtractChanges,
    ExtractImport,
    ProductChange,
    company_profile,
    compare_extracts,
    read_extracts,
)
from ngen_connect.registries.dpd import REGISTRY as SCAN_HEALTH
from ngen_connect.registries.duplicates import (
    DEFAULT_MIN_CONFIDENCE,
    DUPLICATE_COLUMNS,
    DuplicateMember,
    DuplicatePair,
    DuplicateReport,
    DuplicatesJSON,
    find_duplicates,
)
from ngen_connect.registries.matching import Status
from ngen_connect.registries.needs import (
    NEEDS_COLUMNS,
    NEEDS_HEADERS_FR,
    Need,
    NeedsJSON,
    NeedsResult,
    need_sheet,
    needs_rows,
    write_needs,
)
from ngen_connect.registries.reports import (
    REPORT_COLUMNS,
    Decision,
    MatchReport,
    MatchReportJSON,
    ReportRow,
    match_file,
    parse_statuses,
)
from ngen_connect.registries.resilience import (
    HOLDER_NOTICE,
    RESILIENCE_COLUMNS,
    RESILIENCE_SELECTIONS,
    ResilienceLevel,
    ResilienceReport,
    SupplyLine,
    file_about,
    resilience_about,
    selected,
)
from ngen_connect.registries.service import (
    Decided,
    DecisionJSON,
    Preview,
    PreviewJSON,
    RegistryService,
    RegistrySummary,
    ReviewJSON,
    Upload,
    UploadJSON,
    preview,
)
from ngen_connect.registries.uploads import Changes, KeptUpload, Uploads, upload_number

__all__ = [
    "CHANGE_COLUMNS",
    "DEFAULT_MIN_CONFIDENCE",
    "DUPLICATE_COLUMNS",
    "HOLDER_NOTICE",
    "NEEDS_COLUMNS",
    "NEEDS_HEADERS_FR",
    "REPORT_COLUMNS",
    "RESILIENCE_COLUMNS",
    "RESILIENCE_SELECTIONS",
    "SCAN_HEALTH",
    "Access",
    "Changes",
    "Decided",
    "Decision",
    "DecisionJSON",
    "DuplicateMember",
    "DuplicatePair",
    "DuplicateReport",
    "DuplicatesJSON",
    "ExtractChanges",
    "ExtractImport",
    "KeptUpload",
    "MatchReport",
    "MatchReportJSON",
    "Need",
    "NeedsJSON",
    "NeedsResult",
    "Preview",
    "PreviewJSON",
    "ProductChange",
    "RegistryService",
    "RegistrySummary",
    "ReportRow",
    "ResilienceLevel",
    "ResilienceReport",
    "ReviewJSON",
    "Rights",
    "Status",
    "SupplyLine",
    "Upload",
    "UploadJSON",
    "Uploads",
    "check_registry_name",
    "company_profile",
    "compare_extracts",
    "file_about",
    "find_duplicates",
    "match_file",
    "need_sheet",
    "needs_rows",
    "new_key",
    "parse_statuses",
    "preview",
    "read_extracts",
    "resilience_about",
    "selected",
    "upload_number",
    "write_needs",
]
