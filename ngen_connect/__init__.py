"""NGen Connect: semantic capability matching over bilingual member profiles.

`Service` is what the fronts build: the engine, the registries and the access rules, each of
its reads and writes for a `Caller` (`Anonymous`, an `ApiKey`, or the command line's `Operator`).
The public API is what `__all__` lists here and in the public subpackages `ngen_connect.indexer`,
`ngen_connect.search`, `ngen_connect.registries` and `ngen_connect.sample`, plus the constants of
`ngen_connect.limits`; everything else is private and may change. The fronts (`ngen_connect.api`,
`ngen_connect.cli`) use nothing else.
"""

from ngen_connect.alerts import Alert, Finding, atom_feed
from ngen_connect.embedding import Embedder, FakeEmbedder, load_embedder
from ngen_connect.engine import Engine
from ngen_connect.errors import (
    AuthError,
    ConfigurationError,
    ConflictError,
    EmbedderError,
    FileProblem,
    ForbiddenError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    InputFileError,
    MissingDependencyError,
    NgenConnectError,
    QueryError,
    RecordNotFoundError,
    StorageError,
    TooLargeError,
)
from ngen_connect.evaluation import (
    DEFAULT_DEPTH,
    Evaluation,
    evaluate_ranking,
    read_judgments,
    read_queries,
)
from ngen_connect.export import write_results, write_table
from ngen_connect.insights import (
    COVERAGE_COLUMNS,
    DEFAULT_GAP,
    REACH_COLUMNS,
    CapabilityCoverage,
    CoverageJSON,
    CoverageReport,
    Reach,
)
from ngen_connect.models import (
    HitJSON,
    IndexJSON,
    IndexReport,
    Kind,
    NoProgress,
    Passage,
    Profile,
    Progress,
    RecordJSON,
    RecordSummary,
    SearchHit,
    SearchJSON,
    SearchResponse,
)
from ngen_connect.registries.access import (
    ANONYMOUS,
    OPERATOR,
    Anonymous,
    ApiKey,
    Caller,
    Operator,
    Rights,
    caller_of,
)
from ngen_connect.service import (
    Deleted,
    DeletedJSON,
    HealthJSON,
    Overview,
    RegistriesJSON,
    RegistryAccess,
    Service,
)
from ngen_connect.settings import Settings, load_settings
from ngen_connect.shortlist import (
    MAX_SHORTLIST,
    SHORTLIST_COLUMNS,
    SHORTLIST_HEADERS_FR,
    shortlist_rows,
)
from ngen_connect.text import control_as_spaces

__version__ = "0.1.0"

__all__ = [
    "ANONYMOUS",
    "COVERAGE_COLUMNS",
    "DEFAULT_DEPTH",
    "DEFAULT_GAP",
    "MAX_SHORTLIST",
    "OPERATOR",
    "REACH_COLUMNS",
    "SHORTLIST_COLUMNS",
    "SHORTLIST_HEADERS_FR",
    "Alert",
    "Anonymous",
    "ApiKey",
    "AuthError",
    "Caller",
    "CapabilityCoverage",
    "ConfigurationError",
    "ConflictError",
    "CoverageJSON",
    "CoverageReport",
    "Deleted",
    "DeletedJSON",
    "Embedder",
    "EmbedderError",
    "Engine",
    "Evaluation",
    "FakeEmbedder",
    "FileProblem",
    "Finding",
    "ForbiddenError",
    "HealthJSON",
    "HitJSON",
    "IndexJSON",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexReport",
    "InputFileError",
    "Kind",
    "MissingDependencyError",
    "NgenConnectError",
    "NoProgress",
    "Operator",
    "Overview",
    "Passage",
    "Profile",
    "Progress",
    "QueryError",
    "Reach",
    "RecordJSON",
    "RecordNotFoundError",
    "RecordSummary",
    "RegistriesJSON",
    "RegistryAccess",
    "Rights",
    "SearchHit",
    "SearchJSON",
    "SearchResponse",
    "Service",
    "Settings",
    "StorageError",
    "TooLargeError",
    "__version__",
    "atom_feed",
    "caller_of",
    "control_as_spaces",
    "evaluate_ranking",
    "load_embedder",
    "load_settings",
    "read_judgments",
    "read_queries",
    "shortlist_rows",
    "write_results",
    "write_table",
]
