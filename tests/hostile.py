"""Hostile files made at run time, and the server's worker process found by its pid: shared by
the hostile-input tests (tests/api/test_hostile.py) and benchmarks/bench_hostile.py."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook


def nested(depth: int) -> str:
    """A JSON object nested `depth` levels deep."""
    return '{"a": ' * depth + '"x"' + "}" * depth


def xlsx(rows: list[list[Any]]) -> bytes:
    """A workbook of these rows, as openpyxl writes it."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_part(workbook: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one part replaced (or added)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            if item.filename != name:
                target.writestr(item, source.read(item.filename))
        target.writestr(name, content)
    return out.getvalue()


def worker_pids(server_pid: int) -> list[int]:
    """The server's worker processes: the children multiprocessing spawned to run jobs (not its
    resource tracker)."""
    return [
        int(pid)
        for task in Path(f"/proc/{server_pid}/task").iterdir()
        for pid in (task / "children").read_text().split()
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
