"""Registry uploads: the body is streamed to disk with a size limit, then previewed or matched
and saved by the registries service on a worker thread, never on the event loop."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from ngen_connect.api.deps import KeyDep, ServiceDep
from ngen_connect.api.schemas import Problem
from ngen_connect.api.uploads import save_body, upload_folder
from ngen_connect.indexer import parse_mapping
from ngen_connect.limits import MAX_UPLOAD_BYTES, MAX_UPLOAD_ROWS
from ngen_connect.registries import check_registry_name
from ngen_connect.registries import preview as preview_file

router = APIRouter(tags=["registries"])
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Unreadable file, bad mapping or bad registry name"},
    401: {"model": Problem, "description": "No API key"},
    403: {"model": Problem, "description": "The API key may not write to this registry"},
    413: {
        "model": Problem,
        "description": f"Over {MAX_UPLOAD_BYTES // 2**20} MB or {MAX_UPLOAD_ROWS:,} rows",
    },
    422: {"model": Problem, "description": "Invalid query parameters"},
}
# The body is the file itself, not JSON: document it so /docs shows how to send one.
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The registry file, as sent: CSV, TSV, JSON, JSON Lines or XLSX (the "
        f"`filename` parameter's extension gives the format). {MAX_UPLOAD_BYTES // 2**20} MB and "
        f"{MAX_UPLOAD_ROWS:,} rows at most.",
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/registries/{name}/uploads",
    responses=ERRORS,
    openapi_extra=UPLOAD_BODY,
)
async def upload(
    request: Request,
    service: ServiceDep,
    key: KeyDep,
    name: str,
    filename: Annotated[
        str,
        Query(
            description="The file's name; its extension gives the format (.csv, .xlsx, .json, .jsonl)."
        ),
    ],
    preview: Annotated[
        bool, Query(description="Only guess the column mapping and show the first rows.")
    ] = False,
    map: Annotated[
        list[str] | None, Query(description="FIELD=COLUMN overrides of the guessed mapping.")
    ] = None,
) -> dict[str, Any]:
    """Upload a registry file (the request body): every row is matched against the members; matched
    rows are listed on their members, new rows become the registry's searchable records, and what
    changed since the previous upload is reported. Or, with `preview`, only guess its column
    mapping. Needs the admin key or the registry's own key (X-API-Key)."""
    service.access.require_write(key, name)
    check_registry_name(name)
    overrides = parse_mapping(map or [])
    with upload_folder() as folder:
        path = await save_body(request, filename, folder)
        if preview:
            shown = await run_in_threadpool(preview_file, path, overrides)
            return {
                "registry": name,
                "file": filename,
                "mapping": shown.mapping,
                "text_columns": [header for header, _ in shown.text_columns],
                "rows": [{"row": r.number, "values": r.values} for r in shown.rows],
            }
        done = await run_in_threadpool(
            service.registries.upload,
            name,
            path,
            overrides,
            label=filename,
            max_rows=MAX_UPLOAD_ROWS,
        )
    report = done.report
    return {
        "registry": name,
        "file": filename,
        "mapping": report.mapping,
        "counts": report.counts(),
        "changes": done.changes.to_dict(),
        "listed": done.listed,
        "records": {
            "added": done.indexed.added,
            "updated": done.indexed.updated + done.indexed.metadata_only,
            "unchanged": done.indexed.unchanged,
            "removed": done.indexed.removed,
        },
        "rows": [row.to_dict() for row in report.rows],
    }
