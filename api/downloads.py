"""Files the API answers with (CSV or XLSX): their media types, written whole in a temporary
folder of their own, and sent as an attachment."""

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.responses import Response

FILE_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: the documented success of a route that answers with a file
FILE_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {} for media in FILE_MEDIA.values()}}
}


def written(filename: str, write: Callable[[Path], object]) -> bytes:
    """The bytes `write` puts in a file named `filename` (its suffix says the format)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / filename
        write(path)
        return path.read_bytes()


def attachment(content: bytes, filename: str, format: str) -> Response:
    """A file's bytes as a download named `filename`, CSV or XLSX (`format`)."""
    return Response(
        content,
        media_type=FILE_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
