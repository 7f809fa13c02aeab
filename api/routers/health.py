from fastapi import APIRouter

from ngen_connect import HealthJSON
from ngen_connect.api.deps import CallerDep, ServiceDep
from ngen_connect.api.schemas import problems

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthJSON, responses=problems(400, 422, 503))
def health(service: ServiceDep, caller: CallerDep) -> HealthJSON:
    """The model, the counts and the version of the index being served (private registries'
    records are counted only for their keys)."""
    return service.overview(caller).to_dict()
