"""SIMSA's needs lists: a buyer's list of needs, one per row, each answered with a registry's best
suppliers (its own records and the members it lists), those of a preferred province first among
near-equals; and the answer as a file to send back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from typing_extensions import TypedDict

from ngen_connect.engine import Engine
from ngen_connect.errors import FileProblem, FileProblemJSON, QueryError
from ngen_connect.export import write_table
from ngen_connect.indexer.columns import header_key
from ngen_connect.indexer.readers import read_rows
from ngen_connect.limits import MAX_LIMIT
from ngen_connect.models import HitJSON, SearchHit
from ngen_connect.places import normalise_province
from ngen_connect.registries.access import check_registry_name
from ngen_connect.search.filters import Filters

#: a needs list's columns when exported, and their French headers
NEEDS_COLUMNS = (
    "row",
    "need",
    "rank",
    "supplier",
    "id",
    "city",
    "province",
    "country",
    "website",
    "score",
    "why",
)
NEEDS_HEADERS_FR = {
    "row": "ligne",
    "need": "besoin",
    "rank": "rang",
    "supplier": "fournisseur",
    "id": "id",
    "city": "ville",
    "province": "province",
    "country": "pays",
    "website": "site web",
    "score": "score",
    "why": "pourquoi",
}
_NO_SUPPLIER = {"en": "no supplier found", "fr": "aucun fournisseur trouvé"}


@dataclass(frozen=True)
class Need:
    row: int
    text: str


class NeedJSON(TypedDict):
    """One need (its row in the list and its text) with its suppliers, best first, each a
    search result."""

    row: int
    need: str
    suppliers: list[HitJSON]


class NeedsJSON(TypedDict):
    """A needs list answered (`NeedsResult.to_dict`): `ngen-connect registry needs --json` and
    `POST /registries/{name}/needs` both answer it. `rejected` holds the rows that were not
    needs (empty, too long)."""

    registry: str
    file: str
    needs: list[NeedJSON]
    rejected: list[FileProblemJSON]


@dataclass
class NeedsResult:
    needs: list[Need]
    results: dict[int, list[SearchHit]]
    rejected: list[FileProblem]

    def to_dict(self, registry: str, file: str) -> NeedsJSON:
        return {
            "registry": registry,
            "file": file,
            "needs": [
                {
                    "row": need.row,
                    "need": need.text,
                    "suppliers": [hit.to_dict() for hit in self.results.get(need.row, [])],
                }
                for need in self.needs
            ],
            "rejected": [error.to_dict() for error in self.rejected],
        }


def find_suppliers(
    engine: Engine,
    name: str,
    path: Path,
    *,
    prefer_province: str | None = None,
    limit: int = 5,
    hidden: Sequence[str] = (),
    ui_language: str = "en",
    label: str | None = None,
) -> NeedsResult:
    """The best suppliers of registry `name` (its own records and the members it lists) per need
    of the list at `path`; those in `prefer_province` (a code or a name, English or French) first
    among near-equals, which their explanation says. Explanations are in `ui_language`."""
    check_registry_name(name)
    province = normalise_province(prefer_province) if prefer_province else None
    needs, rejected = read_needs(path, label)
    only = Filters.parse({"registry": name}).hiding(hidden)
    results = {}
    answered = []
    for need in needs:
        try:
            hits = engine.search(
                need.text,
                filters=only,
                limit=min(MAX_LIMIT, limit * 4),
                ui_language=ui_language,
            )
        except QueryError as exc:  # one need that cannot be searched (too long) is its row's
            rejected.append(FileProblem(label or str(path), need.row, None, exc.message("en")))
            continue
        answered.append(need)
        results[need.row] = prefer(hits.results, province, ui_language=ui_language)[:limit]
    return NeedsResult(answered, results, rejected)


_NEED_HEADERS = {
    "need",
    "needs",
    "besoin",
    "besoins",
    "description",
    "item",
    "requirement",
    "exigence",
}


def read_needs(path: Path, label: str | None = None) -> tuple[list[Need], list[FileProblem]]:
    """A needs list: one need per row, in a column named need/besoin/description, else the first.
    A one-column file whose first line names no such column has no header: that line is a need.
    Problems name the file as `label` (the name it was uploaded as), else its path."""
    needs: list[Need] = []
    rejected: list[FileProblem] = []
    column: str | None = None
    name = label or str(path)
    for item in read_rows(path, label):
        if isinstance(item, FileProblem):
            rejected.append(replace(item, file=name))
            continue
        if column is None:
            named = [h for h in item.values if header_key(h) in _NEED_HEADERS]
            column = named[0] if named else next(iter(item.values))
            words = set(header_key(column).replace("_", " ").split())
            if not named and len(item.values) == 1 and not words & _NEED_HEADERS:
                needs.append(Need(1, " ".join(column.split())))
        text = " ".join(str(item.values.get(column) or "").split())
        if text:
            needs.append(Need(item.number, text))
        else:
            rejected.append(FileProblem(name, item.number, column, "the need is empty"))
    return needs, rejected


#: how far a supplier in the preferred province may be behind and still come first
PREFERRED_PROVINCE_BOOST = 0.05
_PREFERRED = {
    "en": "; in {province}, the preferred province (+{boost})",
    "fr": "; en {province}, la province préférée (+{boost})",
}


def prefer(
    hits: Sequence[SearchHit],
    province: str | None,
    boost: float = PREFERRED_PROVINCE_BOOST,
    ui_language: str = "en",
) -> list[SearchHit]:
    """Suppliers in `province` first among near-equals: their score gains `boost`, shown among the
    result's boosts and in its explanation."""
    if not province:
        return list(hits)
    shown = f"{boost:.2f}".replace(".", "," if ui_language == "fr" else ".")
    note = _PREFERRED["fr" if ui_language == "fr" else "en"].format(province=province, boost=shown)
    lifted = [
        replace(
            hit,
            score=hit.score + boost,
            explanation=hit.explanation.rstrip(".") + note + ".",
            why={
                **hit.why,
                "boosts": {**hit.why.get("boosts", {}), "preferred_province": boost},
            },
        )
        if hit.attributes.get("province") == province
        else hit
        for hit in hits
    ]
    return sorted(lifted, key=lambda h: -h.score)


def need_sheet(row: Mapping[str, Any]) -> str:
    """The sheet of a needs-list row in an XLSX export: one per need, named by its row and text."""
    return f"{row['row']} {row['need']}"


def needs_rows(
    needs: Sequence[Need], results: Mapping[int, Sequence[SearchHit]], ui_language: str = "en"
) -> list[dict[str, Any]]:
    """One row per (need, supplier) for export (`NEEDS_COLUMNS`); a need with no supplier still
    has one row, saying so in `ui_language`."""
    rows: list[dict[str, Any]] = []
    for need in needs:
        hits = results.get(need.row, [])
        if not hits:
            rows.append(
                {
                    "row": need.row,
                    "need": need.text,
                    "rank": "",
                    "supplier": "",
                    "id": "",
                    "province": "",
                    "score": "",
                    "why": _NO_SUPPLIER["fr" if ui_language == "fr" else "en"],
                }
            )
        for rank, hit in enumerate(hits, start=1):
            rows.append(
                {
                    "row": need.row,
                    "need": need.text,
                    "rank": rank,
                    "supplier": hit.name,
                    "id": hit.id,
                    "city": hit.attributes.get("city", ""),
                    "province": hit.attributes.get("province", hit.attributes.get("region", "")),
                    "country": hit.attributes.get("country", ""),
                    "website": hit.attributes.get("website", ""),
                    "score": round(hit.score, 4),
                    "why": hit.explanation,
                }
            )
    return rows


def write_needs(path: Path, registry: str, found: NeedsResult, ui_language: str = "en") -> int:
    """The suppliers found for each need as CSV, XLSX (a sheet of all rows, then one per need)
    or JSON, by `path`'s extension, headers in `ui_language`; returns the number of rows."""
    french = ui_language == "fr"
    rows = needs_rows(found.needs, found.results, ui_language)
    write_table(
        path,
        NEEDS_COLUMNS,
        rows,
        sheet="Besoins" if french else "Needs",
        about={"registre" if french else "registry": registry},
        headers=NEEDS_HEADERS_FR if french else None,
        about_sheet="À propos" if french else "About",
        sheet_of=need_sheet,
    )
    return len(rows)
