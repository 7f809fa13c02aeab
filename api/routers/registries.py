"""Registries: uploads (the body is streamed to disk with a size limit, then previewed or matched
and saved in the server's worker process, api/worker.py), the kept reports people review and
decide row by row, their exports, and needs lists. Every route needs
the admin key or the registry's own key."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from ngen_connect import Caller, QueryError, RegistriesJSON
from ngen_connect.api import worker
from ngen_connect.api.deps import (
    CallerDep,
    LanguageDep,
    RegistryNameParam,
    ServiceDep,
    WorkerDep,
    strict_parameters,
)
from ngen_connect.api.downloads import FILE_ANSWER, attachment
from ngen_connect.api.schemas import DecisionRequest, problems
from ngen_connect.api.uploads import save_body, upload_folder
from ngen_connect.indexer import parse_mapping
from ngen_connect.limits import (
    MAX_BODY_BYTES,
    MAX_LIMIT,
    MAX_NEEDS,
    MAX_REPORT_PAGE,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_ROWS,
)
from ngen_connect.registries import (
    DecisionJSON,
    NeedsJSON,
    PreviewJSON,
    ReviewJSON,
    Status,
    UploadJSON,
    check_registry_name,
    parse_statuses,
    upload_number,
)

router = APIRouter(tags=["registries"], dependencies=[Depends(strict_parameters)])
_BAD_NAME = "bad_query: a registry name that is not one, or a bad parameter"
_FORBIDDEN = "forbidden: the API key may not use this registry"
ERRORS = problems(
    400,
    401,
    403,
    409,
    413,
    422,
    503,
    507,
    described={
        400: "bad_file: an unreadable file or a bad mapping; " + _BAD_NAME,
        403: _FORBIDDEN,
        413: f"too_large: over {MAX_UPLOAD_BYTES // 2**20} MB or {MAX_UPLOAD_ROWS:,} rows",
    },
)


def _file_body(description: str) -> dict[str, Any]:
    """The OpenAPI request body of a route whose body is a file itself, not JSON: documented so
    /docs shows how to send one."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    }


UPLOAD_BODY = _file_body(
    "The registry file, as sent: CSV, TSV, JSON, JSON Lines or XLSX (the `filename` parameter's "
    f"extension gives the format). {MAX_UPLOAD_BYTES // 2**20} MB and {MAX_UPLOAD_ROWS:,} rows "
    "at most."
)


@router.post(
    "/registries/{name}/uploads",
    response_model=UploadJSON | PreviewJSON,
    responses=ERRORS,
    openapi_extra=UPLOAD_BODY,
)
async def upload(
    request: Request,
    service: ServiceDep,
    jobs: WorkerDep,
    caller: CallerDep,
    name: RegistryNameParam,
    filename: Annotated[
        str,
        Query(
            description="The file's name; its extension gives the format (.csv, .xlsx, .json, .jsonl)."
        ),
    ],
    map: Annotated[
        list[str],
        Query(default_factory=list, description="FIELD=COLUMN overrides of the guessed mapping."),
    ],
    preview: Annotated[
        bool, Query(description="Only guess the column mapping and show the first rows.")
    ] = False,
) -> Response:
    """Upload a registry file (the request body): every row is matched against the members; matched
    rows are listed on their members, new rows become the registry's searchable records, and what
    changed since the previous upload is reported. Or, with `preview`, only guess its column
    mapping. Needs the admin key or the registry's own key (X-API-Key)."""
    service.require_write(caller, name)  # before the body is read; the service checks again
    check_registry_name(name)
    overrides = parse_mapping(map)
    with upload_folder() as folder:
        path = await save_body(request, filename, folder)
        job = worker.preview if preview else worker.upload
        return await jobs.answer(job, caller, name, filename, path, overrides)


LIST_ERRORS = problems(
    400, 401, 403, 422, 503, described={403: "forbidden: the API key opens no registry"}
)
REVIEW_ERRORS = problems(
    400,
    401,
    403,
    404,
    422,
    503,
    described={
        400: _BAD_NAME,
        403: _FORBIDDEN,
        404: "not_found: no such upload, or no such row in it",
    },
)
UploadParam = Annotated[
    str, Path(description="The upload's number (1, 2, ...) or `latest`.", max_length=20)
]
StatusParam = Annotated[
    list[str],
    Query(
        default_factory=list,
        description="Only rows with these statuses (repeatable): matched, ambiguous, new, "
        "rejected, or unmatched (ambiguous, new and rejected).",
    ),
]


@router.get("/registries", response_model=RegistriesJSON, responses=LIST_ERRORS)
def list_registries(service: ServiceDep, caller: CallerDep) -> RegistriesJSON:
    """The registries this API key may read and write: every registry for the admin key, its
    own for a registry's key; each with its kept uploads, its own records and the members it
    lists. Needs a key (401 without, 403 with a key that opens no registry)."""
    return {"registries": [registry.to_dict() for registry in service.registries(caller)]}


def _checked(service: ServiceDep, caller: Caller, name: str, upload: str) -> int | None:
    """The upload's number (None for the latest) once the caller may read the registry (the
    worker's service checks again)."""
    service.require_write(caller, name)
    check_registry_name(name)
    return upload_number(upload)


@router.get(
    "/registries/{name}/uploads/{upload}", response_model=ReviewJSON, responses=REVIEW_ERRORS
)
async def report(
    service: ServiceDep,
    jobs: WorkerDep,
    caller: CallerDep,
    name: RegistryNameParam,
    upload: UploadParam,
    status: StatusParam,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_REPORT_PAGE)] = 50,
) -> Response:
    """A kept upload's match report, as decided so far: its counts and a page of its rows (only
    those with the given statuses), each with its candidates (name, place, confidence, evidence)
    and any decision. `upload` is a number or `latest`. Needs the admin key or the registry's key."""
    number = _checked(service, caller, name, upload)
    statuses = parse_statuses(status)
    return await jobs.answer(worker.report, caller, name, number, statuses, offset, limit)


@router.get(
    "/registries/{name}/uploads/{upload}/export",
    responses={**REVIEW_ERRORS, **FILE_ANSWER},
)
async def export_report(
    service: ServiceDep,
    jobs: WorkerDep,
    caller: CallerDep,
    language: LanguageDep,
    name: RegistryNameParam,
    upload: UploadParam,
    status: StatusParam,
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """A kept upload's match report as a CSV or XLSX file, with its decisions: every row, or only
    those with the given statuses (`status=unmatched` for the rows still to act on). Headers
    follow the request's language (`lang` or Accept-Language); cells that a spreadsheet would
    run as formulas are neutralised. Needs the admin key or the registry's key."""
    number = _checked(service, caller, name, upload)
    statuses = parse_statuses(status)
    part = (
        "" if statuses == frozenset(Status) else "-" + "-".join(s for s in Status if s in statuses)
    )
    filename, content = await jobs.run(
        worker.export_report, caller, name, number, statuses, part, format, language
    )
    return attachment(content, filename, format)


@router.post(
    "/registries/{name}/uploads/{upload}/rows/{row}/decision",
    response_model=DecisionJSON,
    responses=problems(
        400,
        401,
        403,
        404,
        409,
        413,
        422,
        503,
        507,
        described={
            400: "bad_query: a bad body, or " + _BAD_NAME.removeprefix("bad_query: "),
            403: _FORBIDDEN,
            404: "not_found: no such upload, or no such row in it",
            409: "conflict: not the registry's latest upload, or a candidate no longer a member; "
            "busy: another write is under way",
        },
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": DecisionRequest.model_json_schema()}},
        }
    },
)
async def decide(
    request: Request,
    service: ServiceDep,
    jobs: WorkerDep,
    caller: CallerDep,
    name: RegistryNameParam,
    upload: UploadParam,
    row: Annotated[int, Path(description="The row's number in the uploaded file.", ge=1)],
) -> Response:
    """Decide one row of the registry's latest upload: `{"status": "matched", "candidate": ID}`
    accepts one of the row's candidates (the member is listed by the registry), `{"status":
    "new"}` makes the row the registry's own record. The kept report and search change at once;
    the next upload of the same file keeps the decision for rows that did not change. Answers
    the decided row, the report's counts and what changed in the index. Needs the admin key or
    the registry's key."""
    service.require_write(caller, name)  # before the body is read; the service checks again
    check_registry_name(name)
    number = upload_number(upload)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise QueryError("The request body is too large.", "Le corps de la requête est trop grand.")
    try:
        wanted = DecisionRequest.model_validate_json(body)
    except ValidationError as exc:
        raise QueryError(
            'The body must be {"status": "matched", "candidate": ID} or {"status": "new"}: '
            f"{exc.errors()[0]['msg']}.",
            'Le corps doit être {"status": "matched", "candidate": ID} ou {"status": "new"}.',
        ) from None
    if wanted.status == "matched" and not wanted.candidate:
        raise QueryError(
            "Accepting a match needs the candidate's id.",
            "Accepter une correspondance exige l'id du candidat.",
        )
    return await jobs.answer(
        worker.decide, caller, name, number, row, wanted.status, wanted.candidate
    )


NEEDS_BODY = _file_body(
    "The needs list, as sent: CSV, TSV, JSON, JSON Lines or XLSX (by the `filename` parameter's "
    "extension), one need per row, in a column named need, besoin or description (else the "
    f"first column); {MAX_NEEDS:,} needs at most."
)


@router.post(
    "/registries/{name}/needs",
    response_model=NeedsJSON,
    responses={
        **FILE_ANSWER,
        **problems(
            400,
            401,
            403,
            404,
            413,
            422,
            503,
            described={
                400: "bad_file: an unreadable file; " + _BAD_NAME,
                403: _FORBIDDEN,
                404: "not_found: the registry has no suppliers yet",
                413: f"too_large: over {MAX_NEEDS:,} needs or the upload limits",
            },
        ),
    },
    openapi_extra=NEEDS_BODY,
)
async def needs(
    request: Request,
    service: ServiceDep,
    jobs: WorkerDep,
    caller: CallerDep,
    language: LanguageDep,
    name: RegistryNameParam,
    filename: Annotated[str, Query(description="The file's name; its extension gives the format.")],
    prefer_province: Annotated[
        str, Query(description="Rank suppliers from this province first among near-equals (SK).")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Suppliers per need.")] = 5,
    format: Annotated[
        Literal["json", "csv", "xlsx"],
        Query(description="json (the default), or a csv or xlsx file with one row per supplier."),
    ] = "json",
) -> Response:
    """Match a needs list (the request body; a buyer's list of needs, one per row, English or
    French) against the registry's suppliers: its own records and the members it lists, those
    of `prefer_province` first among near-equals. Answers each need with its suppliers (as
    search results, explanations in the request's language), and the rows that were rejected.
    The same service as `ngen-connect registry needs`. Needs the admin key or the registry's key."""
    service.require_write(caller, name)  # before the body is read; the service checks again
    check_registry_name(name)
    with upload_folder() as folder:
        path = await save_body(request, filename, folder)
        found = await jobs.run(
            worker.needs,
            caller,
            name,
            filename,
            path,
            prefer_province=prefer_province or None,
            limit=limit,
            language=language,
            format=format,
        )
    if format == "json":
        return Response(found, media_type="application/json")
    return attachment(found, f"{name}-needs.{format}", format)
