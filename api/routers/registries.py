import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.deps import HiddenDep, ServiceDep
from api.schemas import Problem
from ngen_connect.errors import InputFileError, RecordNotFoundError, RowError, TooLargeError
from ngen_connect.matching import Matcher
from ngen_connect.profiles import FileColumns, parse_mapping
from ngen_connect.readers import SUPPORTED_SUFFIXES, Row, read_rows
from ngen_connect.registry import Registries, match_file, members_from_records

router = APIRouter(tags=["registries"])
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UPLOAD_ROWS = 100_000
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem},
    404: {"model": Problem},
    413: {"model": Problem},
}


async def _save_body(request: Request, filename: str, folder: Path) -> Path:
    suffix = Path(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputFileError(
            RowError(
                filename,
                None,
                None,
                f"unsupported file type '{suffix or '(none)'}'; use one of {', '.join(SUPPORTED_SUFFIXES)} / type de fichier non pris en charge",
            )
        )
    path = folder / f"upload{suffix}"
    size = 0
    with path.open("wb") as handle:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise TooLargeError(
                    RowError(
                        filename,
                        None,
                        None,
                        f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB / le fichier dépasse {MAX_UPLOAD_BYTES // (1024 * 1024)} Mo",
                    )
                )
            handle.write(chunk)
    if size == 0:
        raise InputFileError(
            RowError(filename, None, None, "the upload is empty / le fichier est vide")
        )
    return path


@router.post("/registries/{name}/uploads", responses=ERRORS)
async def upload(
    request: Request,
    service: ServiceDep,
    hidden: HiddenDep,
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
    """Upload a registry file (the request body) and match every row against the members; or preview
    its column mapping. Streams the body to disk; 50 MB and 100,000 rows at most."""
    Registries.check_name(name)
    if name in hidden:
        raise RecordNotFoundError(f"There is no registry '{name}'. / Registre introuvable.")
    try:
        overrides = parse_mapping(map or [])
    except ValueError as exc:
        raise InputFileError(RowError(filename, None, None, str(exc))) from None
    with tempfile.TemporaryDirectory() as folder:
        path = await _save_body(request, filename, Path(folder))
        if preview:
            rows: list[Row] = []
            for item in read_rows(path):
                if isinstance(item, Row):
                    rows.append(item)
                if len(rows) == 5:
                    break
            mapping = (
                FileColumns.of(list(rows[0].values), overrides, filename).mapping if rows else {}
            )
            shown = [{"row": r.number, "values": r.values} for r in rows]
            return {"registry": name, "file": filename, "mapping": mapping, "rows": shown}
        row_count = sum(1 for _ in read_rows(path))
        if row_count > MAX_UPLOAD_ROWS:
            raise TooLargeError(
                RowError(
                    filename,
                    None,
                    None,
                    f"the file has {row_count:,} rows; the limit is {MAX_UPLOAD_ROWS:,} / trop de lignes",
                )
            )
        with service.lock:
            members = members_from_records(service.engine.records())

        def similarity(text: str, ids: Sequence[str]) -> list[float]:
            with service.lock:  # the model and the index are shared with searches
                return service.engine.capability_similarity(text, ids)

        matcher = Matcher(members, capability_similarity=similarity)
        report = match_file(path, matcher, overrides)
        report.file = filename
        changes = Registries(service.engine.settings.data_dir).save(name, report)
    return {
        "registry": name,
        "file": filename,
        "mapping": report.mapping,
        "counts": report.counts(),
        "changes": changes.to_dict(),
        "rows": [row.to_dict() for row in report.rows],
    }
