"""Typed records that cross the core's boundaries: profiles in, hits and reports out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol, cast

from pydantic import ConfigDict, with_config

# pydantic reads a TypedDict's fields (for the HTTP API's document) from typing_extensions' own
# on Python 3.11
from typing_extensions import TypedDict

from ngen_connect.errors import FileProblem, FileProblemJSON


class Kind(StrEnum):
    """What a record is: a member organisation, a cluster, or an IP asset."""

    ORGANIZATION = "organization"
    CLUSTER = "cluster"
    IP_ASSET = "ip_asset"


@dataclass(frozen=True)
class Passage:
    """A piece of a profile's text that is embedded on its own, so a long profile can match on its best part."""

    ordinal: int
    text: str
    language: str


@dataclass(frozen=True)
class Profile:
    """One searchable record (an organisation, a cluster or an IP asset), normalised from any file.

    `texts` maps a language code (or "und" when undetected) to that language's capability text, so a
    profile written in both English and French keeps both.
    """

    id: str
    kind: Kind
    name: str
    texts: dict[str, str]
    language: str
    attributes: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    source_row: int | None = None
    passages: tuple[Passage, ...] = ()

    @property
    def description(self) -> str:
        return "\n\n".join(self.texts.values())

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.id}"


@dataclass(frozen=True, slots=True)
class StoredPassage:
    """One passage as an index version holds it, by passage id. The version's catalog leaves the
    text out (None) and keeps every text in one buffer instead (`PassageTexts`): a `str` per
    passage would cost more memory than the text itself. `Catalog.with_text` gives the passages
    shown with their text."""

    record_key: str
    ordinal: int
    text: str | None
    language: str


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """What an index version keeps in memory about a record: enough to filter, facet and show it."""

    id: str
    kind: Kind
    name: str
    language: str
    attributes: dict[str, Any]
    #: how many passages the record has
    passages: int

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.id}"


KindName = Literal["organization", "cluster", "ip_asset"]


@with_config(ConfigDict(extra="allow"))
class HitJSON(TypedDict):
    """One search result as JSON (`SearchHit.to_dict`), the same for the command line's `--json`
    and the HTTP API, whose document is made from it: these fields, then the record's attributes
    (city, province, naics, certifications, listed_in...)."""

    id: str
    kind: KindName
    name: str
    score: float
    language: str
    snippet: str
    snippet_language: str
    explanation: str
    snippet_highlighted: str
    why: dict[str, Any]


class SearchJSON(TypedDict):
    """A search's answer as JSON (`SearchResponse.to_dict`), for both fronts: `message` says so
    when nothing is about the query, else is None."""

    query: str
    detected_language: str
    total: int
    results: list[HitJSON]
    facets: dict[str, list[dict[str, Any]]]
    message: str | None


class RecordJSON(TypedDict):
    """One record's page as JSON, for both fronts: its texts by language ("en", "fr" or "und"),
    its attributes (city, province, naics, certifications, listed_in...), and where it was read
    from (file and row) and when."""

    id: str
    kind: KindName
    name: str
    language: str
    texts: dict[str, str]
    attributes: dict[str, Any]
    source: str | None
    source_row: int | None
    indexed_at: str | None


@dataclass(frozen=True)
class SearchHit:
    id: str
    kind: Kind
    name: str
    score: float
    language: str
    snippet: str
    snippet_language: str
    explanation: str
    attributes: dict[str, Any] = field(default_factory=dict)
    snippet_highlighted: str = ""
    why: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> HitJSON:
        body: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind.value,
            "name": self.name,
            "score": round(self.score, 6),
            "language": self.language,
            "snippet": self.snippet,
            "snippet_language": self.snippet_language,
            "explanation": self.explanation,
            "snippet_highlighted": self.snippet_highlighted,
            "why": self.why,
            **{k: v for k, v in self.attributes.items() if k not in _HIT_FIELDS},
        }
        return cast(HitJSON, body)  # the attributes are the extra keys HitJSON allows


_HIT_FIELDS = {"id", "kind", "name", "score", "language", "snippet", "explanation", "why"}


@dataclass(frozen=True)
class SearchResponse:
    query: str
    detected_language: str
    total: int
    results: list[SearchHit]
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: the query's vector from each encoder, when the search embedded it (never sent): the search
    #: log keeps them for the demand report, which then need not embed the query again
    query_vectors: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)

    def to_dict(self, language: str = "en") -> SearchJSON:
        """As JSON; a response with no result says so, in `language` ("en" or "fr")."""
        return {
            "query": self.query,
            "detected_language": self.detected_language,
            "total": self.total,
            "results": [hit.to_dict() for hit in self.results],
            "facets": self.facets,
            "message": None if self.total else _NOTHING_FOUND["fr" if language == "fr" else "en"],
        }


_NOTHING_FOUND = {
    "en": "No record found: nothing is about this query with these filters. Try other words or fewer filters.",
    "fr": "Aucune fiche trouvée : rien ne porte sur cette requête avec ces filtres. Essayez d'autres mots ou moins de filtres.",
}


class IndexCountsJSON(TypedDict):
    """Every input row counted once: added, updated (texts or values), unchanged, merged into an
    earlier row, or rejected; and the warnings and the rows they are on."""

    added: int
    updated: int
    unchanged: int
    merged: int
    warnings: int
    rows_with_warnings: int
    rejected: int


class IndexJSON(TypedDict):
    """An index write as JSON (`IndexReport.to_dict`): `ngen-connect index --json` and
    `POST /records/{kind}` both answer it."""

    files: list[str]
    read: int
    added: int
    updated: int
    metadata_only: int
    unchanged: int
    merged: int
    counts: IndexCountsJSON
    warnings: list[FileProblemJSON]
    rejected: list[FileProblemJSON]
    passages_embedded: int
    seconds: float
    version: str | None


@dataclass
class IndexReport:
    """What one `index` run did. Every input row is counted exactly once."""

    files: list[str] = field(default_factory=list)
    read: int = 0
    added: int = 0
    updated: int = 0
    metadata_only: int = 0
    unchanged: int = 0
    #: rows that named an organisation already read (same name and place, no id) and were merged
    merged: int = 0
    #: records of a registry that left it with this write
    removed: int = 0
    rejected: list[FileProblem] = field(default_factory=list)
    #: odd values on rows that were kept (an unknown province, a malformed code...)
    warnings: list[FileProblem] = field(default_factory=list)
    passages_embedded: int = 0
    seconds: float = 0.0
    version: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.metadata_only)

    @property
    def rejected_rows(self) -> int:
        return len({(e.file, e.row) for e in self.rejected})

    @property
    def warned_rows(self) -> int:
        return len({(e.file, e.row) for e in self.warnings})

    def to_dict(self) -> IndexJSON:
        return {
            "files": self.files,
            "read": self.read,
            "added": self.added,
            "updated": self.updated,
            "metadata_only": self.metadata_only,
            "unchanged": self.unchanged,
            "merged": self.merged,
            "counts": {
                "added": self.added,
                "updated": self.updated + self.metadata_only,
                "unchanged": self.unchanged,
                "merged": self.merged,
                "warnings": len(self.warnings),
                "rows_with_warnings": self.warned_rows,
                "rejected": self.rejected_rows,
            },
            "warnings": [e.to_dict() for e in self.warnings],
            "rejected": [e.to_dict() for e in self.rejected],
            "passages_embedded": self.passages_embedded,
            "seconds": round(self.seconds, 3),
            "version": self.version,
        }


class Progress(Protocol):
    """Where long work reports how far it got (the command line draws a bar)."""

    def start(self, total: int, description: str) -> None: ...
    def advance(self, n: int) -> None: ...
    def close(self) -> None: ...


class NoProgress:
    """Progress that goes nowhere, for work no one watches."""

    def start(self, total: int, description: str) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass
