"""Dependencies shared by the routers: the core's service, the worker process, the request's
caller and language, filters from a query string.

They only read the request, so they are coroutines: FastAPI runs them on the event loop, where a
plain function would cost a hop to a worker thread and back per dependency. What a caller may do is
decided by the service (`ngen_connect/service.py`), on the route's own thread.
"""

import inspect
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import JsonValue

from ngen_connect import Caller, QueryError, Service, caller_of
from ngen_connect.api.errors import BadRequest, request_language
from ngen_connect.api.worker import Worker
from ngen_connect.search import FILTER_KEYS, FILTERS, Filters


async def _service(request: Request) -> Service:
    """The process's one service, shared by every request (it is safe to share between threads)."""
    service: Service = request.app.state.service
    return service


async def _worker(request: Request) -> Worker:
    """The process that reads, matches and writes uploads (api/worker.py)."""
    worker: Worker = request.app.state.worker
    return worker


async def _filters(request: Request, **given: list[str]) -> Filters:
    _refuse_unknown_parameters(request)
    return Filters.parse({key: values for key, values in given.items() if values})


# One query parameter per filter the core takes (FILTERS), with its description: a filter added
# to the core is a parameter of every route that takes filters.
_filters.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
    [
        inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request),
        *(
            inspect.Parameter(
                key,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[list[str], Query(description=description or None)],
                # an empty tuple, not default_factory=list: FastAPI calls a default factory (and
                # inspects its signature) for each parameter of each request, which slowed
                # /search (CHANGELOG.md)
                default=(),
            )
            for key, description in FILTERS.items()
        ),
    ],
    return_annotation=Filters,
)


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


def _refuse_unknown_parameters(request: Request) -> None:
    """A query parameter the route does not take is an error, not silently ignored (a misspelt
    filter would otherwise return everything)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - known - {"lang"})
    if not unknown:
        return
    if set(FILTER_KEYS) <= known:
        raise QueryError(
            f"Unknown parameter '{unknown[0]}'; filters are {', '.join(FILTER_KEYS)}.",
            f"Paramètre inconnu « {unknown[0]} »; les filtres sont {', '.join(FILTER_KEYS)}.",
        )
    taken = ", ".join(sorted(known | {"lang"}))
    raise QueryError(
        f"Unknown parameter '{unknown[0]}'; this address takes {taken}.",
        f"Paramètre inconnu « {unknown[0]} »; cette adresse accepte {taken}.",
    )


async def strict_parameters(request: Request) -> None:
    """A route dependency for routes without filters: an unknown query parameter is a 400."""
    _refuse_unknown_parameters(request)


async def _key(
    request: Request,
    x_api_key: Annotated[
        str | None,
        Header(
            description="API key: the admin key, or a registry's key (reads and writes that "
            "registry). Spaces and tabs around it are ignored; sent twice, the request is a 400."
        ),
    ] = None,
) -> str | None:
    """The request's key, trimmed; None without one. Two `X-API-Key` headers are refused rather
    than one of them picked: a proxy that adds its own key in front of the caller's would
    otherwise decide, unseen, which key the request runs with."""
    keys = request.headers.getlist("x-api-key")
    if len(keys) > 1:
        raise BadRequest(
            "Send one X-API-Key header, not several.",
            "Envoyez un seul en-tête X-API-Key, pas plusieurs.",
        )
    if not keys:
        return None
    return keys[0].strip() or None


async def _caller(key: Annotated[str | None, Depends(_key)]) -> Caller:
    """Who asks: anonymous without a key, else the key (what it may do, the service decides)."""
    return caller_of(key)


async def _language(request: Request) -> str:
    return request_language(request)


#: a registry name as `check_registry_name` takes it (lower-case letters, digits and dashes, 1 to 63
#: characters); documented only, so that the route's own check answers 400 bad_query, not a 422
REGISTRY_NAME: dict[str, JsonValue] = {"pattern": "^[a-z0-9][a-z0-9-]{0,62}$", "maxLength": 63}
RegistryNameParam = Annotated[
    str,
    Path(
        description="The registry's name: lower-case letters, digits and dashes, starting with "
        "a letter or digit, 63 characters at most (400 bad_query otherwise).",
        json_schema_extra=REGISTRY_NAME,
    ),
]

ServiceDep = Annotated[Service, Depends(_service)]
#: a route without filters that refuses unknown query parameters all the same
KnownParametersDep = Annotated[None, Depends(strict_parameters)]
WorkerDep = Annotated[Worker, Depends(_worker)]
CallerDep = Annotated[Caller, Depends(_caller)]
LanguageDep = Annotated[str, Depends(_language)]
FiltersDep = Annotated[Filters, Depends(_filters)]
