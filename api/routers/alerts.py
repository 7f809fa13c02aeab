"""Saved searches and their alerts, owned by the key that saved them: a key sees, checks and
deletes its own alerts only. Each alert's Atom feed has an address of its own (`feed`), whose
`token=` secret reads that feed and nothing else (a feed reader sends no headers)."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ngen_connect import Alert, Kind, QueryError, Service, atom_feed
from ngen_connect.api.deps import CallerDep, KnownParametersDep, ServiceDep
from ngen_connect.api.schemas import problems
from ngen_connect.search import Filters

router = APIRouter(tags=["alerts"])
ERRORS = problems(400, 401, 403, 404, 422, 503)
AlertParam = Annotated[str, Path(max_length=64, description="The alert's id.")]


class AlertRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(
        default="", max_length=1000, description="The search to save, in English or French."
    )
    watch: dict[str, str] | None = Field(
        default=None,
        description='Instead of a query, a SCAN Health watch: {"ingredient" | "brand" | '
        '"company": value}; a check lists the products that appeared, changed status or went.',
    )
    filters: dict[str, list[str] | str] | None = Field(default=None, description="As /search's.")
    kinds: list[Kind] | None = Field(default=None, max_length=3, description="Only these kinds.")
    name: str = Field(default="", max_length=200, description="A name for the alert.")


@router.post("/alerts", responses=ERRORS)
def create(
    service: ServiceDep,
    caller: CallerDep,
    request: Request,
    body: AlertRequest,
    _known: KnownParametersDep,
) -> dict[str, Any]:
    """Save a search (a key needed: the admin's, a registry's or a personal token); what it
    finds now is what the next check compares with."""
    if body.watch:
        if len(body.watch) != 1 or body.query.strip() or body.filters or body.kinds:
            raise QueryError(
                "A watch follows one thing (an ingredient, a brand or a company), with no query, "
                "filters or kinds.",
                "Une veille suit une seule chose (un ingrédient, une marque ou une société), sans "
                "recherche, filtres ni types.",
            )
        ((what, value),) = body.watch.items()
        watch = service.create_watch(caller, what, value, name=body.name)
        return _shown(service, request, watch)
    filters = Filters.parse(body.filters) if body.filters else None
    alert = service.create_alert(
        caller, body.query, filters=filters, kinds=body.kinds or (), name=body.name
    )
    return _shown(service, request, alert)


def _shown(service: Service, request: Request, alert: Alert) -> dict[str, Any]:
    """An alert as its owner reads it, with its feed's whole address (a feed reader is given
    it as it is)."""
    address = service.feed_address(alert)
    feed = str(request.base_url).rstrip("/") + address if address else None
    return {**alert.to_dict(), "feed": feed}


@router.get("/alerts", responses=ERRORS)
def listed(
    service: ServiceDep, caller: CallerDep, request: Request, _known: KnownParametersDep
) -> dict[str, Any]:
    """The caller's saved searches, each with its feed's address."""
    return {"alerts": [_shown(service, request, alert) for alert in service.alerts(caller)]}


@router.get("/alerts/{alert_id}/new", responses=ERRORS)
def new(
    service: ServiceDep,
    caller: CallerDep,
    request: Request,
    alert_id: AlertParam,
    _known: KnownParametersDep,
) -> dict[str, Any]:
    """Run the saved search once: the records that pass it now and did not at the last check."""
    alert, found = service.check_alert(caller, alert_id)
    return {"alert": _shown(service, request, alert), "new": [asdict(f) for f in found]}


@router.delete("/alerts/{alert_id}", responses=ERRORS)
def delete(
    service: ServiceDep, caller: CallerDep, alert_id: AlertParam, _known: KnownParametersDep
) -> dict[str, Any]:
    service.delete_alert(caller, alert_id)
    return {"deleted": alert_id}


@router.get("/alerts/{alert_id}.atom", responses=ERRORS)
def feed(
    service: ServiceDep,
    request: Request,
    alert_id: AlertParam,
    token: Annotated[
        str,
        Query(
            max_length=200,
            description="The feed's own secret, as in the alert's `feed` address (the key that "
            "owns the alert is still taken).",
        ),
    ],
    _known: KnownParametersDep,
) -> Response:
    """The alert as an Atom feed, checked as it is read: what each check found, latest first.
    Its address (`feed` in the alert) reads this feed only, with what the alert's owner may
    read now."""
    alert = service.read_feed(alert_id, token)
    return Response(
        atom_feed(alert, str(request.base_url)),
        media_type="application/atom+xml; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )
