"""Request bodies that are files: streamed to disk, stopped as soon as they pass the size limit,
in a private folder whose path never reaches a caller."""

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import Request

from ngen_connect import FileProblem, InputFileError, NgenConnectError, TooLargeError
from ngen_connect.indexer import SUPPORTED_SUFFIXES
from ngen_connect.limits import MAX_JSON_BYTES, MAX_UPLOAD_BYTES


@contextmanager
def upload_folder() -> Iterator[Path]:
    """A temporary folder for one upload; errors name the file as uploaded, not where it was kept."""
    with tempfile.TemporaryDirectory() as folder:
        try:
            yield Path(folder)
        except NgenConnectError as exc:
            exc.args = tuple(
                a.replace(f"{folder}/", "") if isinstance(a, str) else a for a in exc.args
            )
            raise


def stored_name(filename: str) -> str:
    """The uploaded file's own name, made safe to keep in a folder."""
    name = re.sub(r"[^\w.-]+", "_", Path(filename).name).strip("._") or "upload"
    return name[-100:]


async def save_body(request: Request, filename: str, folder: Path) -> Path:
    suffix = Path(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputFileError(
            FileProblem(
                filename,
                None,
                None,
                f"unsupported file type '{suffix or '(none)'}'; use one of {', '.join(SUPPORTED_SUFFIXES)} / type de fichier non pris en charge",
            )
        )
    path = folder / stored_name(filename)
    if path.suffix.lower() != suffix:
        path = path.with_name(path.name + suffix)
    limit = MAX_JSON_BYTES if suffix == ".json" else MAX_UPLOAD_BYTES
    size = await _stream_to(path, request, filename, limit)  # a full disk: 507 (api/errors.py)
    if size == 0:
        raise InputFileError(
            FileProblem(filename, None, None, "the upload is empty"), "le fichier est vide"
        )
    return path


async def _stream_to(path: Path, request: Request, filename: str, limit: int) -> int:
    """Write the request's body to `path` as it streams in; its size. TooLargeError as soon as
    it passes `limit`."""
    size = 0
    suffix = path.suffix.lower()
    with path.open("wb") as handle:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                hint = "; send larger files as CSV or JSON Lines" if suffix == ".json" else ""
                raise TooLargeError(
                    FileProblem(
                        filename,
                        None,
                        None,
                        f"the file is larger than {limit // (1024 * 1024)} MB{hint}",
                    ),
                    f"le fichier dépasse {limit // (1024 * 1024)} Mo",
                )
            handle.write(chunk)
    return size
