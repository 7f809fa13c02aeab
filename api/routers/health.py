from fastapi import APIRouter

from api.deps import ServiceDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(service: ServiceDep) -> Health:
    """The model, the counts and the version of the index being served."""
    with service.lock:
        manifest = service.engine.manifest()
    return Health(
        status="ok",
        model=manifest.model,
        dimensions=manifest.dim,
        counts=manifest.counts,
        passages=manifest.passages,
        index_version=manifest.version,
    )
