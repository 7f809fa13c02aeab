"""A shortlist kept for a key (GET and PUT /shortlist: without a key the page keeps it in the
browser tab), and a shortlist as a file: the records a buyer kept, as the caller may read them,
with headers in the page's language; no cell a spreadsheet runs."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ngen_connect import (
    MAX_SHORTLIST,
    SHORTLIST_COLUMNS,
    SHORTLIST_HEADERS_FR,
    Kind,
    shortlist_rows,
    write_table,
)
from ngen_connect.api.deps import CallerDep, KnownParametersDep, LanguageDep, ServiceDep
from ngen_connect.api.downloads import FILE_ANSWER, attachment, written
from ngen_connect.api.schemas import problems

router = APIRouter(tags=["shortlist"])


class ShortlistItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind
    id: str = Field(max_length=200)


class ShortlistRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: list[ShortlistItem] = Field(max_length=MAX_SHORTLIST)


@router.get("/shortlist", responses=problems(400, 401, 403, 422, 503))
def kept(service: ServiceDep, caller: CallerDep, _known: KnownParametersDep) -> dict[str, Any]:
    """The shortlist kept for the caller's key (the admin's, a registry's or a personal token):
    each record's kind, id and name, in the order they were kept."""
    return {"records": service.saved_shortlist(caller)}


@router.put("/shortlist", responses=problems(400, 401, 403, 413, 422, 503))
def keep(
    service: ServiceDep, caller: CallerDep, body: ShortlistRequest, _known: KnownParametersDep
) -> dict[str, Any]:
    """Keep these records as the caller's shortlist, replacing the one kept before (an empty list
    forgets it). A record not found, one the key may not read, or one listed again is left out;
    the answer lists what was kept and counts what was left out."""
    entries = service.keep_shortlist(caller, [(item.kind, item.id) for item in body.records])
    return {"records": entries, "left_out": len(body.records) - len(entries)}


@router.post(
    "/shortlist/export",
    responses={**problems(400, 413, 422, 503), **FILE_ANSWER},
)
def export(
    service: ServiceDep,
    caller: CallerDep,
    language: LanguageDep,
    body: ShortlistRequest,
    _known: KnownParametersDep,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
) -> Response:
    """The shortlist's records as CSV or XLSX: name, kind, id, place, NAICS, certifications,
    employees, products, the registries that list it, website. A record the caller may not read
    is left out."""
    records = service.shortlist(caller, [(item.kind, item.id) for item in body.records])
    name = f"ngen-connect-shortlist.{format}"
    content = written(
        name,
        lambda path: write_table(
            path,
            SHORTLIST_COLUMNS,
            shortlist_rows(records, language),
            sheet="Liste" if language == "fr" else "Shortlist",
            headers=SHORTLIST_HEADERS_FR if language == "fr" else None,
            formats=(".csv", ".xlsx"),
        ),
    )
    return attachment(content, name, format)
