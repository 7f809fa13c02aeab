"""What members search for and do not find (the search log's report): the admin key only."""

from typing import Annotated

from fastapi import APIRouter, Query

from ngen_connect.api.deps import CallerDep, KnownParametersDep, ServiceDep
from ngen_connect.api.schemas import problems
from ngen_connect.insights import DEFAULT_FEW_RESULTS, DEFAULT_SIMILARITY, DEFAULT_TOP, DemandJSON

router = APIRouter(tags=["insights"])
ERRORS = problems(
    400,
    401,
    403,
    422,
    503,
    described={
        400: "bad_query: since is not a date YYYY-MM-DD, language is not en or fr, or an "
        "unknown query parameter; bad_request: an X-API-Key header sent twice",
        403: "forbidden: not the admin key",
        422: "invalid_request: few_results, similarity or top out of range",
    },
)


@router.get("/insights/demand", response_model=DemandJSON, responses=ERRORS)
def demand(
    service: ServiceDep,
    caller: CallerDep,
    _known: KnownParametersDep,
    since: Annotated[
        str | None, Query(description="Only searches from this UTC day on (YYYY-MM-DD).")
    ] = None,
    language: Annotated[
        str | None, Query(description="Only queries detected in this language: en or fr.")
    ] = None,
    few_results: Annotated[
        int, Query(ge=1, description="A search with fewer results than this is unmet.")
    ] = DEFAULT_FEW_RESULTS,
    similarity: Annotated[
        float,
        Query(
            gt=0.0,
            le=1.0,
            description="Cosine from which two queries count as one need (mean over the "
            "engine's encoders).",
        ),
    ] = DEFAULT_SIMILARITY,
    top: Annotated[int, Query(ge=1, le=1000, description="Groups in each list.")] = DEFAULT_TOP,
) -> DemandJSON:
    """What members search for and do not find, from the search log (`SECURITY.md`): the most
    searched needs and the unmet ones (no result, or fewer than `few_results`), each a group of
    queries that the engine's own encoders place within `similarity` of its most searched text
    (named by its most frequent text), with its variants, languages, provinces filtered on and
    searches by ISO week; then searches and unmet searches by language, province and ISO week.
    The same output as `ngen-connect insights demand --json`. Needs the admin key (X-API-Key)."""
    return service.demand(
        caller,
        since=since,
        language=language,
        few_results=few_results,
        similarity=similarity,
        top=top,
    ).to_dict()
