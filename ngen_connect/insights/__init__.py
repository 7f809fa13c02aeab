"""Network insights: reports for NGen's analysts drawn from the platform's own information.

`demand`: what members search for and do not find, from the search log the service keeps.
"""

from ngen_connect.insights.demand import (
    DEFAULT_FEW_RESULTS,
    DEFAULT_SIMILARITY,
    DEFAULT_TOP,
    DEMAND_COLUMNS,
    LOG_FOLDER,
    DemandGroup,
    DemandJSON,
    DemandReport,
    EntryJSON,
    SearchLog,
    demand_report,
    parse_language,
    parse_since,
    read_log,
    search_entry,
)

__all__ = [
    "DEFAULT_FEW_RESULTS",
    "DEFAULT_SIMILARITY",
    "DEFAULT_TOP",
    "DEMAND_COLUMNS",
    "LOG_FOLDER",
    "DemandGroup",
    "DemandJSON",
    "DemandReport",
    "EntryJSON",
    "SearchLog",
    "demand_report",
    "parse_language",
    "parse_since",
    "read_log",
    "search_entry",
]
