from fastapi import APIRouter

from ngen_connect.api.deps import HiddenDep, ServiceDep
from ngen_connect.api.schemas import Health, problems

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses=problems(400, 422, 503))
def health(service: ServiceDep, hidden: HiddenDep) -> Health:
    """The model, the counts and the version of the index being served (private registries'
    records are counted only for their keys)."""
    manifest = service.engine.manifest()
    records = service.engine.records().values()
    visible = [r for r in records if r.attributes.get("registry") not in hidden]
    counts = dict.fromkeys(manifest.counts, 0)
    for record in visible:
        counts[record.kind.value] = counts.get(record.kind.value, 0) + 1
    return Health(
        status="ok",
        model=manifest.model,
        dimensions=manifest.dim,
        counts=counts,
        passages=sum(r.passages for r in visible),
        index_version=manifest.version,
    )
