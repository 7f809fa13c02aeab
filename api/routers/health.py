from fastapi import APIRouter

from ngen_connect.api.deps import CallerDep, ServiceDep
from ngen_connect.api.schemas import Health, problems

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses=problems(400, 422, 503))
def health(service: ServiceDep, caller: CallerDep) -> Health:
    """The model, the counts and the version of the index being served (private registries'
    records are counted only for their keys)."""
    overview = service.overview(caller)
    return Health(
        status="ok",
        model=overview.model,
        dimensions=overview.dimensions,
        counts=overview.counts,
        passages=overview.passages,
        index_version=overview.index_version,
    )
