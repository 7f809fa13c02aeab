"""FastAPI app: parses requests, makes one call into the engine, renders JSON.

The engine (model, index, database) is opened once per process, before the first request, and
shared by every request.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from ngen_connect import Engine, __version__, load_settings
from ngen_connect.api import errors
from ngen_connect.api.body_limit import BodyLimit
from ngen_connect.api.deps import Service
from ngen_connect.api.routers import duplicates, health, records, registries, search

STATIC = Path(__file__).parent / "static"


def create_app(engine: Engine) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine.manifest()  # open the index and load the model now, not on the first request
        yield
        engine.close()

    app = FastAPI(
        title="NGen Connect",
        description="Bilingual capability search over NGen members, clusters and IP assets. "
        "Recherche bilingue de capacités parmi les membres, grappes et actifs de PI de NGen.",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.service = Service(engine)
    app.add_middleware(BodyLimit)
    errors.install(app)
    for module in (health, search, records, registries, duplicates):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    return app


def app_from_environment() -> FastAPI:
    """The app each process of `ngen-connect serve --workers N` runs: its own engine, built from
    the `NGEN_CONNECT_*` variables the command set for it."""
    return create_app(Engine(load_settings()))
