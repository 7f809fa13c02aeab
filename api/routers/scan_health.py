"""SCAN Health: the registry's supply resilience (marketed licence holders per active ingredient,
ingredient in a form by a route, and ATC class), as JSON or a file. For a caller who may not read
the scan-health registry, the report of a registry never imported: empty."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ngen_connect import QueryError, write_table
from ngen_connect.api.deps import CallerDep, KnownParametersDep, ServiceDep
from ngen_connect.api.downloads import FILE_ANSWER, attachment, written
from ngen_connect.api.schemas import problems
from ngen_connect.limits import MAX_REPORT_PAGE
from ngen_connect.registries import (
    RESILIENCE_COLUMNS,
    RESILIENCE_SELECTIONS,
    ResilienceLevel,
    SupplyLine,
    file_about,
    resilience_about,
    selected,
)

router = APIRouter(tags=["scan-health"])
ERRORS = problems(400, 422, 503)
LevelParam = Annotated[
    ResilienceLevel, Query(description="ingredient, ingredient_form_route or atc.")
]
OnlyParam = Annotated[
    str,
    Query(description=f"Only these lines: {', '.join(RESILIENCE_SELECTIONS)}."),
]


def _lines(
    service: ServiceDep, caller: CallerDep, level: ResilienceLevel, only: str
) -> tuple[dict[str, Any], list[SupplyLine]]:
    if only not in RESILIENCE_SELECTIONS:
        raise QueryError(
            f"only: choose from {', '.join(RESILIENCE_SELECTIONS)}, not '{only}'.",
            f"only : choisissez parmi {', '.join(RESILIENCE_SELECTIONS)}, pas « {only} ».",
        )
    found = service.resilience(caller)
    lines = selected(found.report.at(level), only)
    return resilience_about(found, level, only, len(lines)), lines


@router.get("/scan-health/resilience", responses=ERRORS)
def resilience(
    service: ServiceDep,
    caller: CallerDep,
    _known: KnownParametersDep,
    level: LevelParam = ResilienceLevel.INGREDIENT,
    only: OnlyParam = "all",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_REPORT_PAGE)] = 50,
) -> dict[str, Any]:
    """How many licence holders market each active ingredient (or ingredient in a form by a
    route, or ATC class), how many are Canadian and how many abroad by country; the summary of
    every level (single holder, no Canadian holder) and what the last import took away. `count`
    lines in all, the fewest holders first; a page of them in `lines`. A DPD holder is the
    licence holder, not necessarily the manufacturer (`notice`)."""
    about, lines = _lines(service, caller, level, only)
    return {
        **about,
        "offset": offset,
        "limit": limit,
        "lines": [line.row() for line in lines[offset : offset + limit]],
    }


@router.get(
    "/scan-health/resilience/export",
    responses={**ERRORS, **FILE_ANSWER},
)
def export_resilience(
    service: ServiceDep,
    caller: CallerDep,
    _known: KnownParametersDep,
    level: LevelParam = ResilienceLevel.INGREDIENT,
    only: OnlyParam = "all",
    format: Literal["csv", "xlsx"] = "csv",
) -> Response:
    """Every line of the report as a CSV or XLSX file (XLSX with an About sheet: the notice,
    the summary, the last import's losses)."""
    about, lines = _lines(service, caller, level, only)
    name = f"scan-health-resilience-{level.value}.{format}"
    content = written(
        name,
        lambda path: write_table(
            path,
            RESILIENCE_COLUMNS,
            [line.row() for line in lines],
            sheet="Resilience",
            about=file_about(about),
        ),
    )
    return attachment(content, name, format)
