"""Probable duplicate members, for a steward: the admin key only."""

from typing import Annotated

from fastapi import APIRouter, Query

from ngen_connect.api.deps import CallerDep, KnownParametersDep, LanguageDep, ServiceDep
from ngen_connect.api.schemas import problems
from ngen_connect.registries import DEFAULT_MIN_CONFIDENCE, DuplicatesJSON

router = APIRouter(tags=["registries"])
ERRORS = problems(
    400,
    401,
    403,
    422,
    503,
    described={
        400: "bad_query: an unknown query parameter; bad_request: an X-API-Key header sent twice",
        403: "forbidden: not the admin key",
        422: "invalid_request: min_confidence is not a number from 0 to 1",
    },
)


@router.get("/duplicates", response_model=DuplicatesJSON, responses=ERRORS)
def duplicates(
    service: ServiceDep,
    caller: CallerDep,
    language: LanguageDep,
    _known: KnownParametersDep,
    min_confidence: Annotated[
        float,
        Query(
            ge=0.0,
            le=1.0,
            description="Only pairs at least this confident (0.9 and more is high, 0.75 medium).",
        ),
    ] = DEFAULT_MIN_CONFIDENCE,
) -> DuplicatesJSON:
    """Probable duplicate members: organisations of the member base (records that belong to no
    registry; a registry's own records, private or not, are never listed) that are likely one
    company entered twice. Each pair has a confidence (0 to 1), a level, the similarity of the
    closest names (legal or operating, once legal forms, accents, St-/Saint- and abbreviations are
    set aside), the evidence (same or different website, phone, postal code, city, country) and an
    explanation in the request's language (`lang` or Accept-Language); pairs are joined into
    groups. The same name in two cities or countries with nothing else in common is at most a low
    pair. The same output as `ngen-connect duplicates --json`. Needs the admin key (X-API-Key)."""
    return service.duplicates(caller, min_confidence).to_dict(language)
