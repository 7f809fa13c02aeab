import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ngen_connect import Kind, write_results
from ngen_connect import SearchResponse as CoreResponse
from ngen_connect.api.deps import FiltersDep, HiddenDep, LanguageDep, ServiceDep
from ngen_connect.api.schemas import Problem, SearchRequest, SearchResponse
from ngen_connect.limits import MAX_LIMIT, MAX_QUERY_CHARS
from ngen_connect.search import Filters

router = APIRouter(tags=["search"])
ERRORS: dict[int | str, dict[str, Any]] = {400: {"model": Problem}, 422: {"model": Problem}}
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
QueryParam = Annotated[
    str,
    Query(
        description=f"The query, in English or French; at most {MAX_QUERY_CHARS:,} characters "
        "once spaces are collapsed (400 bad_query beyond).",
        max_length=10 * MAX_QUERY_CHARS,  # longer raw text is refused before it is even read
    ),
]
KindParam = Annotated[list[Kind] | None, Query(description="Only these kinds (repeatable).")]
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
OffsetParam = Annotated[int, Query(ge=0)]


def _search(
    service: ServiceDep,
    hidden: set[str],
    query: str,
    kinds: list[Kind] | None,
    filters: Filters,
    limit: int,
    offset: int,
    language: str,
) -> CoreResponse:
    return service.engine.search(
        query,
        kinds=kinds,
        filters=filters.hiding(hidden),  # private registries the caller cannot read stay out
        limit=limit,
        offset=offset,
        ui_language=language,
    )


@router.get("/search", response_model=SearchResponse, responses=ERRORS)
def search_get(
    hidden: HiddenDep,
    service: ServiceDep,
    filters: FiltersDep,
    language: LanguageDep,
    q: QueryParam,
    kind: KindParam = None,
    limit: LimitParam = 10,
    offset: OffsetParam = 0,
) -> dict[str, Any]:
    """Ranked organisations, clusters and IP assets, with explanations and facets."""
    return _search(service, hidden, q, kind, filters, limit, offset, language).to_dict(language)


@router.post("/search", response_model=SearchResponse, responses=ERRORS)
def search_post(
    hidden: HiddenDep, service: ServiceDep, language: LanguageDep, body: SearchRequest
) -> dict[str, Any]:
    """The same search with a JSON body."""
    filters = Filters.parse(body.filters)
    return _search(
        service, hidden, body.query, body.kinds, filters, body.limit, body.offset, language
    ).to_dict(language)


@router.get(
    "/search/export", responses={**ERRORS, 200: {"content": {v: {} for v in _MEDIA.values()}}}
)
def export(
    hidden: HiddenDep,
    service: ServiceDep,
    filters: FiltersDep,
    language: LanguageDep,
    q: QueryParam,
    kind: KindParam = None,
    limit: LimitParam = MAX_LIMIT,
    offset: OffsetParam = 0,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """A page of results as a CSV or XLSX file, with the explanation columns."""
    response = _search(service, hidden, q, kind, filters, limit, offset, language)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"ngen-connect-results.{format}"
        write_results(path, response, language=language, filters=filters.values)
        content = path.read_bytes()
    return Response(
        content,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="ngen-connect-results.{format}"'},
    )
