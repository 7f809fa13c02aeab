"""FastAPI app: parses requests, makes one call into the engine, renders JSON.

The engine (model, index, database) is opened once per process and shared by every request; a lock
serialises access to it because the DuckDB connection is not shared across threads.
"""

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from ngen_connect import Engine, Kind
from ngen_connect.errors import IndexNotFoundError, NgenConnectError, QueryError
from ngen_connect.filters import Filters

STATIC = Path(__file__).parent / "static"


class SearchRequest(BaseModel):
    query: str = Field(description="What to look for, in English or French.")
    kinds: list[Kind] | None = Field(
        default=None, description="Only these kinds; all when omitted."
    )
    filters: dict[str, list[str] | str] | None = Field(
        default=None,
        description="province, city, country, type, naics (prefix), certification, sme, cluster, "
        "ownership, language, registry: each one value or a list of accepted values.",
    )
    limit: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0)


class SearchResult(BaseModel):
    id: str
    kind: Kind
    name: str
    score: float
    language: str
    snippet: str
    explanation: str
    model_config = {"extra": "allow"}


class SearchResponseModel(BaseModel):
    query: str
    detected_language: str
    total: int
    results: list[SearchResult]
    facets: dict[str, list[dict[str, Any]]]


class Health(BaseModel):
    status: str
    model: str
    dimensions: int
    counts: dict[str, int]
    passages: int
    index_version: str


class _Service:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()


def _service(request: Request) -> _Service:
    svc: _Service = request.app.state.service
    return svc


ServiceDep = Annotated[_Service, Depends(_service)]


def create_app(engine: Engine) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.close()

    app = FastAPI(
        title="NGen Connect",
        description="Bilingual capability search over NGen members, clusters and IP assets.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.service = _Service(engine)

    @app.exception_handler(NgenConnectError)
    async def core_error(request: Request, exc: NgenConnectError) -> JSONResponse:
        status = (
            400
            if isinstance(exc, QueryError)
            else 503
            if isinstance(exc, IndexNotFoundError)
            else 500
        )
        return JSONResponse({"code": type(exc).__name__, "message": str(exc)}, status_code=status)

    @app.get("/health", response_model=Health)
    def health(svc: ServiceDep) -> Health:
        with svc.lock:
            manifest = svc.engine.manifest()
        return Health(
            status="ok",
            model=manifest.model,
            dimensions=manifest.dim,
            counts=manifest.counts,
            passages=manifest.passages,
            index_version=manifest.version,
        )

    def run_search(svc: _Service, body: SearchRequest) -> dict[str, Any]:
        with svc.lock:
            response = svc.engine.search(
                body.query,
                kinds=body.kinds,
                filters=Filters.parse(body.filters),
                limit=body.limit,
                offset=body.offset,
            )
        return response.to_dict()

    @app.get("/search", response_model=SearchResponseModel)
    def search_get(
        svc: ServiceDep,
        q: Annotated[str, Query(description="The query.")],
        kind: Annotated[list[Kind] | None, Query(description="Repeatable.")] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        return run_search(svc, SearchRequest(query=q, kinds=kind, limit=limit, offset=offset))

    @app.post("/search", response_model=SearchResponseModel)
    def search_post(svc: ServiceDep, body: SearchRequest) -> dict[str, Any]:
        return run_search(svc, body)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    return app
