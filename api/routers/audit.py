"""The audit trail: every write, when, who, what and its outcome. The admin key reads every
entry; a registry's key reads its registry's."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ngen_connect.api.deps import CallerDep, KnownParametersDep, ServiceDep
from ngen_connect.api.schemas import problems

router = APIRouter(tags=["audit"])


@router.get("/audit", responses=problems(400, 401, 403, 422, 503))
def audit(
    service: ServiceDep,
    caller: CallerDep,
    _known: KnownParametersDep,
    since: Annotated[str | None, Query(description="From this UTC day (YYYY-MM-DD).")] = None,
    registry: Annotated[str | None, Query(description="Only this registry's entries.")] = None,
) -> dict[str, Any]:
    """The trail's entries, oldest first: `{at, actor, action, outcome, details, previous,
    hash}` each. The actor is the key's id ("admin", "key:<registry>#<id>"), never the key; the
    command line's writes are "cli:<user>". Needs a key (401 without, 403 with one that opens
    no registry); a registry's key sees its registry's entries only."""
    return {"entries": service.audit(caller, since, registry)}
