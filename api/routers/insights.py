"""Reports from the index: capability coverage per province, territory and cluster; each
cluster's geographic reach."""

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query

from ngen_connect import DEFAULT_GAP, CoverageJSON
from ngen_connect.api.deps import CallerDep, KnownParametersDep, LanguageDep, ServiceDep
from ngen_connect.api.schemas import problems
from ngen_connect.limits import MAX_COVERAGE_CAPABILITIES

router = APIRouter(tags=["insights"])
ERRORS = problems(
    400,
    422,
    503,
    described={
        400: "bad_query: a NAICS value that is not 2 to 6 digits, a term of no glossary group, "
        f"an empty query, more than {MAX_COVERAGE_CAPABILITIES} capabilities, or an unknown "
        "query parameter",
        422: "invalid_request: gap is not a whole number of 0 or more",
    },
)
#: repeatable; an empty tuple by default, not default_factory=list (see routers/search.py)
Values = Sequence[str]


@router.get("/insights/coverage", response_model=CoverageJSON, responses=ERRORS)
def coverage(
    service: ServiceDep,
    caller: CallerDep,
    _known: KnownParametersDep,
    naics: Annotated[
        Values, Query(description="A NAICS code or prefix of 2 to 6 digits (repeatable).")
    ] = (),
    group: Annotated[
        Values,
        Query(
            description="A glossary capability group, by one of its terms in English or French "
            '(repeatable); a phrase naming several groups ("5-axis machining") needs them all.'
        ),
    ] = (),
    query: Annotated[
        Values,
        Query(description="Any query: the organisations a search returns for it (repeatable)."),
    ] = (),
    gap: Annotated[
        int,
        Query(
            ge=0,
            description="A province or territory with fewer organisations than this has a gap "
            "(1: none at all).",
        ),
    ] = DEFAULT_GAP,
) -> CoverageJSON:
    """How many organisations have each capability, per province and territory (all 13, zero
    included, plus `outside` Canada and `unknown`) and per cluster; each capability's `gaps`
    (provinces and territories with fewer than `gap`) and each province's `rarest` capabilities.
    Without a capability, every NAICS 3- and 4-digit manufacturing code (31-33) in the index.
    A query's count is its search's `total` for organisations; `capped` when that result set is
    full. A private registry's records count only for its key and the admin. The same output as
    `ngen-connect insights coverage --json`."""
    return service.coverage(
        caller, naics=list(naics), groups=list(group), queries=list(query), gap=gap
    ).to_dict()


@router.get("/insights/reach", responses=problems(400, 422, 503))
def reach(
    service: ServiceDep, caller: CallerDep, language: LanguageDep, _known: KnownParametersDep
) -> dict[str, Any]:
    """Each cluster's geographic reach: its members (organisations the cluster lists or that
    list it) by province and territory and by country, their NAICS families (3 digits, titled
    in the page's language), and the members outside the cluster's own province; with the
    totals over every cluster. A private registry's records count only for its readers. The
    same output as `ngen-connect insights reach --json`."""
    return service.reach(caller).to_dict(language)
