"""FastAPI app: parses requests, makes one call into the core's service, renders JSON.

The service (its engine: model, index, database) is opened once per process, before the first
request, and shared by every request; it decides what each request's caller may see and do.
"""

import logging
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from ngen_connect import Engine, Service, Settings, __version__, load_settings
from ngen_connect.api import errors
from ngen_connect.api.body_limit import BodyLimit
from ngen_connect.api.private_cache import PrivateAnswers
from ngen_connect.api.routers import (
    alerts,
    assets,
    audit,
    demand,
    duplicates,
    health,
    insights,
    records,
    registries,
    scan_health,
    search,
    shortlist,
)
from ngen_connect.api.routers.search import document_query_limit
from ngen_connect.api.worker import Worker

STATIC = Path(__file__).parent / "static"
#: how long a thread that wants the GIL waits for the one running Python to let go (Python's
#: default is 5 ms). A search hands work to other threads and takes it back (the query's
#: embedding): each hand-back could wait that long behind the search's own Python. A shorter
#: interval makes searches over HTTP faster (benchmarks/bench_api.py; benchmarks/RESULTS.md).
_SWITCH_INTERVAL = 0.0005


class _HideTokens(logging.Filter):
    """The server's access log without the key an alert's feed address carries (`token=`, its
    name written plainly or percent-encoded): such a query string is logged as `?token=…`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_hidden(a) if isinstance(a, str) else a for a in record.args)
        return True


def _hidden(text: str) -> str:
    path, mark, query = text.partition("?")
    if mark and any(name.strip() == "token" for name, _ in parse_qsl(query, True)):
        return f"{path}?token=…"
    return text


_HIDE_TOKENS = _HideTokens()


def create_app(core: Service | Engine) -> FastAPI:
    """The HTTP app over a service (or one built over an engine), which it closes on shutdown."""
    sys.setswitchinterval(_SWITCH_INTERVAL)  # the server's process: see _SWITCH_INTERVAL
    service = core if isinstance(core, Service) else Service(core)
    worker = Worker(service.settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.open()  # open the index and load the model now, not on the first request
        assets.warm()  # and the charts' script
        service.log_searches()  # in each server process, for its own searches (unless turned off)
        logging.getLogger("uvicorn.access").addFilter(_HIDE_TOKENS)  # once: a set of filters
        yield
        worker.close()
        service.close()

    app = FastAPI(
        title="NGen Connect",
        description="Bilingual capability search over NGen members, clusters and IP assets. "
        "Recherche bilingue de capacités parmi les membres, grappes et actifs de PI de NGen.",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.worker = worker
    app.add_middleware(BodyLimit)
    app.add_middleware(PrivateAnswers)
    errors.install(app)
    for module in (
        health,
        search,
        records,
        registries,
        duplicates,
        scan_health,
        insights,
        demand,
        assets,
        audit,
        alerts,
        shortlist,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.openapi = _documented(app.openapi, service.settings.max_query_chars)  # type: ignore[method-assign]

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    return app


def _documented(
    generated: Callable[[], dict[str, Any]], max_query_chars: int
) -> Callable[[], dict[str, Any]]:
    """FastAPI's OpenAPI document, with this server's own query limit."""

    def openapi() -> dict[str, Any]:
        return document_query_limit(generated(), max_query_chars)

    return openapi


def app_from_environment() -> FastAPI:
    """The app each process of `ngen-connect serve --workers N` runs: its own engine, built from
    the `NGEN_CONNECT_*` variables `serve_workers` set for it."""
    return create_app(Engine(load_settings()))


class _WorkersConfig(uvicorn.Config):
    """uvicorn's settings, but the socket it binds for its workers says it is TCP.

    uvicorn leaves that socket's protocol number at 0; the connections it accepts inherit it, and
    asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets that say TCP. Every request
    after the first on a kept-alive connection then waited for the client's delayed ACK (tens of
    milliseconds), nearly doubling one client's search time (uvicorn issue 3149)."""

    def bind_socket(self) -> socket.socket:
        bound = super().bind_socket()
        tcp = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
        tcp.set_inheritable(True)
        return tcp


def serve_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """`workers` processes answer on one socket, each with its own engine built from `settings`
    (passed to them as NGEN_CONNECT_* variables); uvicorn restarts one that dies."""
    from uvicorn.supervisors import Multiprocess

    os.environ.update(settings.environment())
    config = _WorkersConfig(
        f"{__name__}:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )
    with suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[config.bind_socket()]).run()
