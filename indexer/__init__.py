"""The indexer: files -> rows -> normalised profiles -> passages -> vectors -> a new index version.

readers   CSV/TSV/JSON/XLSX as rows, whatever their encoding and dialect
columns   which column holds which field (English and French headers, --map)
rows      one row -> one profile, with its warnings, or why it was rejected
passages  capability text split into passages
writer    what changed, embedded in batches, written as a new index version

Installed as `ngen_connect.indexer`.
"""

if __name__ != "ngen_connect.indexer":
    # From the repository's root, `import indexer` would find this folder and load a second copy
    # beside the installed one.
    raise ImportError(
        f"this folder is the package ngen_connect.indexer, imported here as {__name__!r}; "
        "install the project (pip install -e .) and import ngen_connect.indexer"
    )


from ngen_connect.indexer.columns import (
    FIELDS,
    FileColumns,
    guess_mapping,
    infer_kind,
    parse_mapping,
)
from ngen_connect.indexer.passages import build_passages, split_passages
from ngen_connect.indexer.readers import SUPPORTED_SUFFIXES, Row, check_row_count, read_rows
from ngen_connect.indexer.rows import ParsedRow, profile_from_row, read_profiles
from ngen_connect.indexer.writer import Encoder, IndexWriter

__all__ = [
    "FIELDS",
    "SUPPORTED_SUFFIXES",
    "Encoder",
    "FileColumns",
    "IndexWriter",
    "ParsedRow",
    "Row",
    "build_passages",
    "check_row_count",
    "guess_mapping",
    "infer_kind",
    "parse_mapping",
    "profile_from_row",
    "read_profiles",
    "read_rows",
    "split_passages",
]
