from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ngen_connect import Caller, Kind, QueryError, SearchJSON, SearchResponse, write_results
from ngen_connect.api.deps import CallerDep, FiltersDep, LanguageDep, ServiceDep
from ngen_connect.api.downloads import FILE_ANSWER, attachment, written
from ngen_connect.api.schemas import QUERY_LENGTH, SearchRequest, problems
from ngen_connect.limits import MAX_LIMIT, RESULT_POOL
from ngen_connect.search import Filters

router = APIRouter(tags=["search"])
ERRORS = problems(400, 422, 503)
QueryParam = Annotated[
    str,
    Query(
        description="The query, in English or French: not only spaces, and no longer than "
        "maxLength characters (400 bad_query otherwise).",
        # documented, not checked by FastAPI (a 422): the server answers 400 bad_query
        json_schema_extra=QUERY_LENGTH,
    ),
]
#: an empty tuple by default, not default_factory=list: FastAPI calls a default factory (and
#: inspects its signature) on every request
KindParam = Annotated[Sequence[Kind], Query(description="Only these kinds (repeatable).")]
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
OffsetParam = Annotated[int, Query(ge=0)]


def _check_length(service: ServiceDep, query: str) -> None:
    # The limit holds for the text as sent, as documented (maxLength); the engine checks the
    # text again once its spaces are collapsed, which never makes it longer.
    longest = service.settings.max_query_chars
    if len(query) > longest:
        raise QueryError(
            f"The query is {len(query):,} characters long; the limit is {longest:,}.",
            f"La requête compte {len(query):,} caractères; la limite est {longest:,}.",
        )


def _search(
    service: ServiceDep,
    caller: Caller,
    query: str,
    kinds: Sequence[Kind] | None,
    filters: Filters,
    limit: int,
    offset: int,
    language: str,
) -> SearchResponse:
    _check_length(service, query)
    return service.search(
        caller,
        query,
        kinds=kinds,
        filters=filters,
        limit=limit,
        offset=offset,
        ui_language=language,
    )


@router.get("/search", response_model=SearchJSON, responses=ERRORS)
def search_get(
    caller: CallerDep,
    service: ServiceDep,
    filters: FiltersDep,
    language: LanguageDep,
    q: QueryParam,
    kind: KindParam = (),
    limit: LimitParam = 10,
    offset: OffsetParam = 0,
) -> SearchJSON:
    """Ranked organisations, clusters and IP assets, with explanations and facets."""
    return _search(service, caller, q, kind or None, filters, limit, offset, language).to_dict(
        language
    )


@router.post("/search", response_model=SearchJSON, responses=problems(400, 413, 422, 503))
def search_post(
    caller: CallerDep, service: ServiceDep, language: LanguageDep, body: SearchRequest
) -> SearchJSON:
    """The same search with a JSON body."""
    filters = Filters.parse(body.filters)
    return _search(
        service, caller, body.query, body.kinds, filters, body.limit, body.offset, language
    ).to_dict(language)


@router.get("/search/export", responses={**ERRORS, **FILE_ANSWER})
def export(
    caller: CallerDep,
    service: ServiceDep,
    filters: FiltersDep,
    language: LanguageDep,
    q: QueryParam,
    kind: KindParam = (),
    limit: Annotated[int, Query(ge=1, le=RESULT_POOL)] = RESULT_POOL,
    offset: OffsetParam = 0,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """The results as a CSV or XLSX file, with the explanation columns: the whole result set by
    default (a search keeps its best 300), read a page of 100 at a time; the XLSX file's About
    sheet says how many of the results it holds."""
    _check_length(service, q)
    response = service.search_through(
        caller,
        q,
        kinds=kind or None,
        filters=filters,
        limit=limit,
        offset=offset,
        ui_language=language,
    )
    name = f"ngen-connect-results.{format}"
    content = written(
        name, lambda path: write_results(path, response, language=language, filters=filters.values)
    )
    return attachment(content, name, format)


def document_query_limit(openapi: dict[str, Any], longest: int) -> dict[str, Any]:
    """The OpenAPI document with the server's own query limit as the queries' maxLength."""
    for path in ("/search", "/search/export"):
        for parameter in openapi["paths"][path]["get"]["parameters"]:
            if parameter["name"] == "q":
                parameter["schema"]["maxLength"] = longest
    openapi["components"]["schemas"]["SearchRequest"]["properties"]["query"]["maxLength"] = longest
    return openapi
