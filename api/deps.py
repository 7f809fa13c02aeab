"""Dependencies shared by the routers: the engine, the request's language, filters from a query string."""

import threading
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from api.errors import request_language
from ngen_connect import Engine
from ngen_connect.filters import Filters


class Service:
    """The process's one engine; a lock serialises it, as its DuckDB connection is not shared across threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _filters(
    province: Annotated[
        list[str] | None, Query(description="Province or territory (code or name).")
    ] = None,
    city: Annotated[list[str] | None, Query()] = None,
    country: Annotated[list[str] | None, Query()] = None,
    type: Annotated[
        list[str] | None,
        Query(description="manufacturer, technology_supplier, research, ecosystem_partner"),
    ] = None,
    naics: Annotated[
        list[str] | None, Query(description="NAICS code or prefix (2 to 6 digits).")
    ] = None,
    certification: Annotated[list[str] | None, Query()] = None,
    sme: Annotated[list[str] | None, Query(description="yes or no")] = None,
    cluster: Annotated[list[str] | None, Query()] = None,
    ownership: Annotated[list[str] | None, Query()] = None,
    language: Annotated[
        list[str] | None, Query(description="en or fr (bilingual profiles match both)")
    ] = None,
    registry: Annotated[list[str] | None, Query()] = None,
) -> Filters:
    given = {
        "province": province,
        "city": city,
        "country": country,
        "type": type,
        "naics": naics,
        "certification": certification,
        "sme": sme,
        "cluster": cluster,
        "ownership": ownership,
        "language": language,
        "registry": registry,
    }
    return Filters.parse({key: values for key, values in given.items() if values})


def _hidden(
    request: Request,
    x_api_key: Annotated[
        str | None, Header(description="API key that unlocks private registries.")
    ] = None,
) -> set[str]:
    from ngen_connect.registry import Access

    service: Service = request.app.state.service
    return Access(service.engine.settings.data_dir).hidden_for(x_api_key)


ServiceDep = Annotated[Service, Depends(_service)]
HiddenDep = Annotated[set[str], Depends(_hidden)]
LanguageDep = Annotated[str, Depends(request_language)]
FiltersDep = Annotated[Filters, Depends(_filters)]
