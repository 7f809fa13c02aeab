from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import FiltersDep, HiddenDep, ServiceDep
from api.schemas import Problem, Record, SearchResponse
from ngen_connect import Kind
from ngen_connect.engine import visible_attributes
from ngen_connect.errors import RecordNotFoundError

router = APIRouter(tags=["records"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem}}


def _record(service: ServiceDep, hidden: set[str], record_id: str, kind: Kind) -> dict[str, Any]:
    with service.lock:
        record = service.engine.record(record_id, kind)
    if record["attributes"].get("registry") in hidden:  # private to other API keys: as if absent
        raise RecordNotFoundError(
            f"There is no {kind.value} with id '{record_id}'. / Fiche introuvable."
        )
    return {**record, "attributes": visible_attributes(record["attributes"], sorted(hidden))}


@router.get("/organizations/{record_id}", response_model=Record, responses=NOT_FOUND)
def organization(service: ServiceDep, hidden: HiddenDep, record_id: str) -> dict[str, Any]:
    """One organisation's profile."""
    return _record(service, hidden, record_id, Kind.ORGANIZATION)


@router.get("/clusters/{record_id}", response_model=Record, responses=NOT_FOUND)
def cluster(service: ServiceDep, hidden: HiddenDep, record_id: str) -> dict[str, Any]:
    """One NGenCAN cluster."""
    return _record(service, hidden, record_id, Kind.CLUSTER)


@router.get("/ip-assets/{record_id}", response_model=Record, responses=NOT_FOUND)
def ip_asset(service: ServiceDep, hidden: HiddenDep, record_id: str) -> dict[str, Any]:
    """One IP-registry asset."""
    return _record(service, hidden, record_id, Kind.IP_ASSET)


@router.get(
    "/organizations/{record_id}/similar", response_model=SearchResponse, responses=NOT_FOUND
)
def similar(
    service: ServiceDep,
    hidden: HiddenDep,
    filters: FiltersDep,
    record_id: str,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    """Organisations most like this one."""
    _record(service, hidden, record_id, Kind.ORGANIZATION)
    with service.lock:
        return service.engine.similar(
            record_id, filters=filters.hiding(hidden), limit=limit
        ).to_dict()
