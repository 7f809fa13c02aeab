from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ngen_connect import Caller, DeletedJSON, IndexJSON, Kind, QueryError, RecordJSON, SearchJSON
from ngen_connect.api import worker
from ngen_connect.api.deps import CallerDep, FiltersDep, LanguageDep, ServiceDep, WorkerDep
from ngen_connect.api.schemas import DeleteRequest, problems
from ngen_connect.api.uploads import save_body, upload_folder
from ngen_connect.limits import MAX_DELETE_BYTES, MAX_LIMIT, MAX_WRITE_ROWS
from ngen_connect.search import Filters

router = APIRouter(tags=["records"])
NOT_FOUND = problems(400, 404, 422, 503)
#: "similar" takes filters, which may be bad (400)
SIMILAR_ERRORS = problems(
    400, 404, 422, 503, described={400: "bad_query: a bad filter or an unknown parameter"}
)


@router.get("/organizations/{record_id}", response_model=RecordJSON, responses=NOT_FOUND)
def organization(service: ServiceDep, caller: CallerDep, record_id: str) -> RecordJSON:
    """One organisation's profile."""
    return service.record(caller, record_id, Kind.ORGANIZATION)


@router.get("/clusters/{record_id}", response_model=RecordJSON, responses=NOT_FOUND)
def cluster(service: ServiceDep, caller: CallerDep, record_id: str) -> RecordJSON:
    """One NGenCAN cluster."""
    return service.record(caller, record_id, Kind.CLUSTER)


@router.get("/ip-assets/{record_id}", response_model=RecordJSON, responses=NOT_FOUND)
def ip_asset(service: ServiceDep, caller: CallerDep, record_id: str) -> RecordJSON:
    """One IP-registry asset."""
    return service.record(caller, record_id, Kind.IP_ASSET)


def _similar(
    service: ServiceDep,
    caller: Caller,
    filters: Filters,
    record_id: str,
    kind: Kind,
    limit: int,
    language: str,
) -> SearchJSON:
    return service.similar(
        caller, record_id, kind=kind, filters=filters, limit=limit, ui_language=language
    ).to_dict(language)


@router.get(
    "/organizations/{record_id}/similar", response_model=SearchJSON, responses=SIMILAR_ERRORS
)
def similar_organizations(
    service: ServiceDep,
    caller: CallerDep,
    filters: FiltersDep,
    language: LanguageDep,
    record_id: str,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
) -> SearchJSON:
    """Organisations most like this one."""
    return _similar(service, caller, filters, record_id, Kind.ORGANIZATION, limit, language)


@router.get("/clusters/{record_id}/similar", response_model=SearchJSON, responses=SIMILAR_ERRORS)
def similar_clusters(
    service: ServiceDep,
    caller: CallerDep,
    filters: FiltersDep,
    language: LanguageDep,
    record_id: str,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
) -> SearchJSON:
    """Clusters most like this one."""
    return _similar(service, caller, filters, record_id, Kind.CLUSTER, limit, language)


@router.get("/ip-assets/{record_id}/similar", response_model=SearchJSON, responses=SIMILAR_ERRORS)
def similar_ip_assets(
    service: ServiceDep,
    caller: CallerDep,
    filters: FiltersDep,
    language: LanguageDep,
    record_id: str,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
) -> SearchJSON:
    """IP assets most like this one."""
    return _similar(service, caller, filters, record_id, Kind.IP_ASSET, limit, language)


WRITE_ERRORS = problems(
    400,
    401,
    403,
    409,
    413,
    422,
    503,
    507,
    described={
        400: "bad_file: an unreadable file or bad rows; bad_query: an unknown kind or a bad "
        "body; bad_request: an X-API-Key header sent twice",
        403: "forbidden: not the admin key",
        413: f"too_large: over 50 MB or {MAX_WRITE_ROWS:,} records",
    },
)
RECORDS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The records: a JSON array of objects with the same fields as an `index` "
        "file (id, name, description or description_en/description_fr, city, province, country, "
        "naics, certifications...), or a CSV, JSON Lines or XLSX file named by `filename`. "
        f"{MAX_WRITE_ROWS:,} records at most per call.",
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "/records/{kind}",
    response_model=IndexJSON,
    responses=WRITE_ERRORS,
    openapi_extra=RECORDS_BODY,
    tags=["writes"],
)
async def upsert_records(
    request: Request,
    service: ServiceDep,
    jobs: WorkerDep,
    caller: CallerDep,
    kind: Annotated[str, Path(description="organization, cluster or ip_asset")],
    filename: Annotated[
        str, Query(description="The body's format by its extension: .json, .jsonl, .csv, .xlsx.")
    ] = "records.json",
) -> Response:
    """Add or update records by id, in a batch, validated like `ngen-connect index` (the same
    warnings and rejections); the live index is swapped atomically. Needs the admin key."""
    service.require_admin(caller)  # before the body is even read; the service checks again
    record_kind = _kind(kind)
    with upload_folder() as folder:
        path = await save_body(request, filename, folder)
        return await jobs.answer(worker.write_records, caller, path, record_kind, filename)


@router.post(
    "/records/{kind}/delete",
    response_model=DeletedJSON,
    responses=WRITE_ERRORS,
    tags=["writes"],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": DeleteRequest.model_json_schema()}},
        }
    },
)
async def delete_records(
    request: Request,
    service: ServiceDep,
    caller: CallerDep,
    kind: Annotated[str, Path(description="organization, cluster or ip_asset")],
) -> DeletedJSON:
    """Remove records by id, in a batch: `{"ids": [...]}`. Needs the admin key."""
    service.require_admin(caller)  # before the body is even read; the service checks again
    record_kind = _kind(kind)
    body = await request.body()
    if len(body) > MAX_DELETE_BYTES:
        raise QueryError(
            f"The request body is over {MAX_DELETE_BYTES:,} bytes.", "Corps trop grand."
        )
    try:
        wanted = DeleteRequest.model_validate_json(body)
    except ValidationError as exc:
        raise QueryError(
            f'The body must be {{"ids": [...]}} with 1 to 10,000 ids: {exc.errors()[0]["msg"]}.',
            'Le corps doit être {"ids": [...]}.',
        ) from None
    deleted = await run_in_threadpool(service.delete, caller, wanted.ids, record_kind)
    return deleted.to_dict()


def _kind(value: str) -> Kind:
    try:
        return Kind(value)
    except ValueError:
        raise QueryError(
            f"Unknown kind '{value}'; use organization, cluster or ip_asset.",
            "Type de fiche inconnu.",
        ) from None
