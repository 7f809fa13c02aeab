"""Request and response models of the HTTP API."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from ngen_connect import Kind
from ngen_connect.limits import MAX_QUERY_CHARS

#: a query's length as documented (GET and POST /search, exports); the app's OpenAPI document
#: gives the server's own limit (`max_query_chars`, MAX_QUERY_CHARS unless set otherwise)
QUERY_LENGTH: dict[str, JsonValue] = {"minLength": 1, "maxLength": MAX_QUERY_CHARS}


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(
        description="What to look for, in English or French: not only spaces, and no longer "
        "than maxLength characters (400 bad_query otherwise).",
        # documented, not checked here (a 422): the server answers 400 bad_query
        json_schema_extra=QUERY_LENGTH,
    )
    kinds: list[Kind] | None = Field(
        default=None, description="Only these kinds; all when omitted."
    )
    filters: dict[str, list[str] | str] | None = Field(
        default=None,
        description="province, city, country, type, naics (prefix), certification, sme, cluster, "
        "ownership, language, registry: each one value or a list of accepted values.",
    )
    limit: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0)


class Problem(BaseModel):
    """Every error: a stable code, a message in the language asked for, and details when useful."""

    code: str
    message: str
    details: list[dict[str, Any]] | None = None


#: what an error status means, on any route that can answer it
_PROBLEMS = {
    400: "bad_query: a bad query, filter or parameter; bad_request: an X-API-Key header sent "
    "twice, or a body that cannot be read",
    401: "unauthorized: no API key",
    403: "forbidden: the API key may not do this",
    404: "not_found: no such record",
    409: "busy: another write is under way",
    413: "too_large: the body is over the limits",
    422: "invalid_request: a parameter or body field of the wrong type or out of range; "
    "details name each",
    503: "no_index: nothing indexed yet; index_mismatch: the index was built with another model",
    507: "insufficient_storage: the disk is full; nothing was changed",
}


def problems(
    *statuses: int, described: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route that can answer these error statuses, each a `Problem`;
    `described` gives the route's own words for some (`{404: "No such upload"}`)."""
    own = described or {}
    return {
        status: {"model": Problem, "description": own.get(status, _PROBLEMS[status])}
        for status in statuses
    }


class DeleteRequest(BaseModel):
    ids: list[str] = Field(
        min_length=1, max_length=10_000, description="Ids of the records to remove."
    )


class DecisionRequest(BaseModel):
    """A person's decision on one row of a registry upload."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["matched", "new"] = Field(
        description="matched: the row is one of its candidates; new: the row is no member."
    )
    candidate: str = Field(
        default="", max_length=1_000, description="The accepted candidate's id (for matched)."
    )
