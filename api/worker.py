"""Heavy work in a process of its own: reading, matching and writing uploads, record writes,
decisions, needs lists and report exports.

Parsing a 50,000-row file and matching it holds Python's interpreter for seconds at a time; on the
server's own worker threads it stalled every `/health` and `/search` meanwhile
(benchmarks/RESULTS.md, "Uploads never stall the server"). The server instead hands each such job
to one worker process, started on first use, that builds its own engine from the server's settings
over the same data directory (and so, once it has read the index, holds a second copy of it: see
docs/scaling.md). It runs at a lower priority with half the embedding threads, so searches keep a
core; writes it publishes reach the server's engine as any other writer's do (the next read opens
the new version). Jobs return plain values (JSON serialised in the worker, or a file's bytes), and
the core's errors cross back whole (both languages). Each job runs for the request's caller,
through the worker's own service, which checks again what that caller may do.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from starlette.responses import Response

from ngen_connect import (
    Caller,
    Engine,
    IndexJSON,
    Kind,
    NgenConnectError,
    Service,
    Settings,
    load_settings,
)
from ngen_connect.api.downloads import written
from ngen_connect.indexer import check_row_count
from ngen_connect.limits import MAX_NEEDS, MAX_UPLOAD_ROWS, MAX_WRITE_ROWS
from ngen_connect.registries import (
    DecisionJSON,
    PreviewJSON,
    ReviewJSON,
    Status,
    UploadJSON,
    write_needs,
)

_log = logging.getLogger(__name__)
_P = ParamSpec("_P")
_T = TypeVar("_T")

#: how much lower the worker's scheduling priority is than the server's (nice(2))
_NICENESS = 10


class WorkerStoppedError(NgenConnectError):
    """The worker process ended in the middle of a job (killed, or out of memory)."""

    def __init__(self) -> None:
        super().__init__(
            "The process doing this work stopped before it answered (a write it was making is "
            "kept whole or not at all). Check the registry's latest upload and try again, with a "
            "smaller file if it was an upload.",
            "Le processus qui faisait ce travail s'est arrêté avant de répondre (une écriture en "
            "cours est gardée entière ou pas du tout). Vérifiez le dernier téléversement du "
            "registre et réessayez, avec un fichier plus petit s'il s'agissait d'un "
            "téléversement.",
        )


class Worker:
    """One worker process for the server's heavy jobs, started on first use and restarted after
    it dies. Jobs run one at a time, in the order they come (writes take the data directory's
    lock anyway)."""

    def __init__(self, settings: Settings) -> None:
        self._environment = _worker_environment(settings)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    async def run(self, job: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        pool = self._started()
        try:
            return await asyncio.wrap_future(pool.submit(job, *args, **kwargs))
        except BrokenProcessPool:
            self._forget(pool)
            raise WorkerStoppedError() from None

    async def answer(
        self, job: Callable[_P, bytes], *args: _P.args, **kwargs: _P.kwargs
    ) -> Response:
        """A job's JSON answer (serialised in the worker) as the response."""
        return Response(await self.run(job, *args, **kwargs), media_type="application/json")

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _started(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start,
                    initargs=(self._environment,),
                )
            return self._pool

    def _forget(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)


def _worker_environment(settings: Settings) -> dict[str, str]:
    """The server's settings as `NGEN_CONNECT_*` variables, with half its embedding threads."""
    environment = settings.environment()
    environment["NGEN_CONNECT_THREADS"] = str(max(1, settings.threads // 2))
    # the server logs its own searches; the worker's (needs lists) are not members' searches
    environment["NGEN_CONNECT_SEARCH_LOG"] = "off"
    return environment


# -- in the worker process ------------------------------------------------------------------------

_service: Service | None = None


def _start(environment: dict[str, str]) -> None:
    global _service
    os.environ.update(environment)
    try:
        os.nice(_NICENESS)
    except OSError:  # not allowed here: the job still runs, at the server's priority
        _log.info("the upload worker runs at the server's priority")
    _service = Service(Engine(load_settings()))


def _core() -> Service:
    assert _service is not None, "the worker process was started by Worker (_start)"
    return _service


def _json(job: Callable[_P, Mapping[str, object]]) -> Callable[_P, bytes]:
    """The job, its answer serialised to JSON here: a 50,000-row report is ~1 million values, which
    the server would otherwise unpickle and encode on its event loop."""

    @functools.wraps(job)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> bytes:
        return json_bytes(job(*args, **kwargs))

    return run


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str).encode()


@_json
def preview(
    caller: Caller, name: str, filename: str, path: Path, overrides: dict[str, str]
) -> PreviewJSON:
    return _core().preview(caller, name, path, overrides).to_dict(name, filename)


@_json
def upload(
    caller: Caller, name: str, filename: str, path: Path, overrides: dict[str, str]
) -> UploadJSON:
    done = _core().upload(caller, name, path, overrides, label=filename, max_rows=MAX_UPLOAD_ROWS)
    return done.to_dict(filename)


@_json
def decide(
    caller: Caller, name: str, upload: int | None, row: int, status: str, candidate: str
) -> DecisionJSON:
    return _core().decide(caller, name, upload, row, Status(status), candidate).to_dict()


@_json
def report(
    caller: Caller,
    name: str,
    upload: int | None,
    statuses: frozenset[Status],
    offset: int,
    limit: int,
) -> ReviewJSON:
    return _core().review(caller, name, upload, statuses, offset, limit)


def export_report(
    caller: Caller,
    name: str,
    upload: int | None,
    statuses: frozenset[Status],
    part: str,
    format: str,
    language: str,
) -> tuple[str, bytes]:
    """The file's name (the registry, the upload's number and `part`) and its bytes."""
    kept = _core().kept(caller, name, upload)
    filename = f"{name}-{kept.number:05d}{part}.{format}"
    return filename, written(
        filename, lambda path: kept.report.write(path, language=language, statuses=statuses)
    )


@_json
def write_records(caller: Caller, path: Path, kind: Kind, filename: str) -> IndexJSON:
    check_row_count(path, MAX_WRITE_ROWS, filename)
    return _core().index_files(caller, [path], kind=kind, labels=[filename]).to_dict()


def needs(
    caller: Caller,
    name: str,
    filename: str,
    path: Path,
    *,
    prefer_province: str | None,
    limit: int,
    language: str,
    format: str,
) -> bytes:
    """The needs list's answer: JSON, or the CSV or XLSX file (`format`)."""
    check_row_count(path, MAX_NEEDS, filename)
    found = _core().needs(
        caller,
        name,
        path,
        prefer_province=prefer_province,
        limit=limit,
        ui_language=language,
        label=filename,
    )
    if format != "json":
        out = path.with_name(f"{name}-needs.{format}")
        write_needs(out, name, found, language)
        return out.read_bytes()
    return json_bytes(found.to_dict(name, filename))
