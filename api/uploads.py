"""Request bodies that are files: streamed to disk, stopped as soon as they pass the size limit."""

from pathlib import Path

from fastapi import Request

from ngen_connect.errors import InputFileError, RowError, TooLargeError
from ngen_connect.readers import SUPPORTED_SUFFIXES

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


async def save_body(request: Request, filename: str, folder: Path) -> Path:
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
