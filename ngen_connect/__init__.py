"""NGen Connect: semantic capability matching over bilingual member profiles.

The public API is what `__all__` lists; everything else is private and may change.
"""

from ngen_connect.embedding import Embedder, FakeEmbedder, load_embedder
from ngen_connect.engine import Engine
from ngen_connect.errors import (
    ConfigurationError,
    EmbedderError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    InputFileError,
    MissingDependencyError,
    NgenConnectError,
    QueryError,
    RowError,
)
from ngen_connect.models import (
    IndexReport,
    Kind,
    NoProgress,
    Passage,
    Profile,
    Progress,
    SearchHit,
    SearchResponse,
)
from ngen_connect.settings import Settings, load_settings

__version__ = "0.1.0"

__all__ = [
    "ConfigurationError",
    "Embedder",
    "EmbedderError",
    "Engine",
    "FakeEmbedder",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexReport",
    "InputFileError",
    "Kind",
    "MissingDependencyError",
    "NgenConnectError",
    "NoProgress",
    "Passage",
    "Profile",
    "Progress",
    "QueryError",
    "RowError",
    "SearchHit",
    "SearchResponse",
    "Settings",
    "__version__",
    "load_embedder",
    "load_settings",
]
