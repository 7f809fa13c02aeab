"""The registries service, one for both fronts: preview a file, match it against the members,
upload it (keep it, link its matched rows to their members, make its new rows searchable), import
a supplier directory, match a needs list, and list probable duplicate members.

A registry never duplicates a member. Matching is against members only (records that belong to no
registry), so the same file uploaded twice gets the same statuses. A matched row becomes a
*listing* on its member: the member's results and page name the registries that list it, with the
registry's own values. A new row becomes the registry's own record (`registry=NAME`). Ambiguous
rows wait in the report for a person to decide. Rows gone from a newer upload leave search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ngen_connect.engine import Engine
from ngen_connect.errors import IndexNotFoundError, RowError
from ngen_connect.indexer.columns import FileColumns
from ngen_connect.indexer.passages import build_passages
from ngen_connect.indexer.readers import Row, check_row_count, read_rows
from ngen_connect.limits import MAX_LIMIT
from ngen_connect.models import IndexReport, Kind, Profile, Progress, RecordSummary, SearchHit
from ngen_connect.places import normalise_province
from ngen_connect.registries.access import check_registry_name
from ngen_connect.registries.dpd import ExtractChanges
from ngen_connect.registries.duplicates import (
    DEFAULT_MIN_CONFIDENCE,
    DuplicateReport,
    check_min_confidence,
    find_duplicates,
)
from ngen_connect.registries.matching import Matcher, Party, Status
from ngen_connect.registries.reports import (
    MatchReport,
    ReportRow,
    match_file,
    match_profiles,
    rejected_row,
)
from ngen_connect.registries.uploads import Changes, Uploads
from ngen_connect.search.filters import Filters

#: values of a matched row kept on its member's listing (what the registry says about it)
LISTED_FIELDS = (
    "operating_name",
    "city",
    "province",
    "region",
    "country",
    "postal_code",
    "website",
    "phone",
    "categories",
)


@dataclass(frozen=True)
class Preview:
    mapping: dict[str, str]
    text_columns: list[tuple[str, str]]
    rows: list[Row]


@dataclass
class Upload:
    registry: str
    report: MatchReport
    changes: Changes
    indexed: IndexReport
    listed: int  # members the registry now lists


@dataclass
class ExtractImport:
    companies: int
    indexed: IndexReport
    removed: list[str]
    #: products added, removed and changed since the registry's previous content
    changes: ExtractChanges


@dataclass(frozen=True)
class Need:
    row: int
    text: str


@dataclass
class NeedsResult:
    needs: list[Need]
    results: dict[int, list[SearchHit]]
    rejected: list[RowError]


def preview(path: Path, overrides: dict[str, str] | None = None, rows: int = 5) -> Preview:
    """The guessed column mapping and the first rows of a file, before anything is matched."""
    first: list[Row] = []
    for item in read_rows(path):
        if isinstance(item, Row):
            first.append(item)
        if len(first) == rows:
            break
    if not first:
        return Preview({}, [], [])
    columns = FileColumns.of(list(first[0].values), overrides, str(path))
    return Preview(columns.mapping, list(columns.texts), first)


class RegistryService:
    """Registries over one engine (which searches and writes may share from several threads)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.uploads = Uploads(engine.settings.data_dir)

    # -- reading a file ------------------------------------------------------------------------

    def matcher(self) -> Matcher:
        """A matcher over the members: organisations that belong to no registry."""
        try:
            records = self.engine.records()
        except IndexNotFoundError:
            records = {}  # no index yet: no members, every row is new
        members = [Party.from_fields(r.id, r.name, r.attributes) for r in _members(records)]
        return Matcher(members, capability_similarity=self._similarity)

    def duplicates(self, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> DuplicateReport:
        """Probable duplicates among the members (organisations that belong to no registry, so no
        registry's records, private or not, are ever part of it), for a steward to merge."""
        check_min_confidence(min_confidence)
        members = _members(self.engine.records())
        return find_duplicates(members, min_confidence)

    def _similarity(self, text: str, ids: Sequence[str]) -> list[float]:
        return self.engine.capability_similarity(text, ids)

    def match(
        self,
        path: Path,
        overrides: dict[str, str] | None = None,
        *,
        max_rows: int | None = None,
        label: str | None = None,
    ) -> MatchReport:
        """Every row of a registry file resolved against the members; nothing is written. A file
        over `max_rows` is refused before any row is matched."""
        if max_rows is not None:
            check_row_count(path, max_rows, label)
        return match_file(path, self.matcher(), overrides, max_rows=max_rows, label=label)

    # -- writing a registry --------------------------------------------------------------------

    def upload(
        self,
        name: str,
        path: Path,
        overrides: dict[str, str] | None = None,
        *,
        label: str | None = None,
        max_rows: int | None = None,
        progress: Progress | None = None,
    ) -> Upload:
        """Match a file and make it the registry's current content (see the module's docstring)."""
        check_registry_name(name)
        report = self.match(path, overrides, max_rows=max_rows, label=label)
        return self._save(name, report, progress)

    def import_directory(
        self,
        name: str,
        path: Path,
        overrides: dict[str, str] | None = None,
        progress: Progress | None = None,
    ) -> Upload:
        """A supplier directory (one row per company and category) as the registry's content: rows
        of one company become one supplier with all its categories, then as `upload`."""
        from ngen_connect.registries.suppliers import read_suppliers

        check_registry_name(name)
        imported = read_suppliers(path, name, overrides)
        report = match_profiles(str(path), imported.mapping, imported.profiles, self.matcher())
        report.rows.extend(rejected_row(e) for e in imported.rejected)
        report.rows.sort(key=lambda r: r.row or 0)
        return self._save(name, report, progress)

    def _save(self, name: str, report: MatchReport, progress: Progress | None) -> Upload:
        records = [
            registry_record(name, row.profile)
            for row in report.rows
            if row.match.status is Status.NEW and row.profile is not None
        ]
        listings = {
            f"{Kind.ORGANIZATION.value}:{row.match.best.id}": listing(row)
            for row in report.rows
            if row.match.status is Status.MATCHED and row.match.best is not None
        }
        saved: list[Changes] = []
        indexed = self.engine.replace_registry(
            name,
            records,
            listings,
            progress=progress,
            on_published=lambda: saved.append(self.uploads.save(name, report)),
        )
        return Upload(name, report, saved[0], indexed, len(listings))

    # -- SCAN Health -----------------------------------------------------------------------------

    def import_extracts(
        self, paths: Sequence[Path], progress: Progress | None = None
    ) -> ExtractImport:
        """Drug Product Database extracts as the SCAN Health registry, updated in place: one
        record per licence holder with all its products; holders no longer listed are removed;
        what changed since the registry's previous content is reported product by product."""
        from ngen_connect.registries.dpd import (
            REGISTRY,
            catalogue_of,
            catalogue_of_records,
            company_profile,
            compare_catalogues,
            read_extracts,
        )

        companies = read_extracts(paths)
        try:
            records = self.engine.records()
        except IndexNotFoundError:
            records = {}
        previous = catalogue_of_records(records.values())
        profiles = [company_profile(c) for c in companies]
        report = self.engine.index_profiles(profiles, progress=progress)
        known = {p.id for p in profiles}
        gone = [
            r.id
            for r in records.values()
            if r.attributes.get("registry") == REGISTRY and r.id not in known
        ]
        removed = self.engine.delete(gone) if gone else []
        changes = compare_catalogues(previous, catalogue_of(companies))
        return ExtractImport(len(companies), report, removed, changes)

    # -- needs lists ---------------------------------------------------------------------------

    def needs(
        self,
        name: str,
        path: Path,
        *,
        prefer_province: str | None = None,
        limit: int = 5,
        hidden: Sequence[str] = (),
        ui_language: str = "en",
    ) -> NeedsResult:
        """The best suppliers of a registry (its own records and the members it lists) per need;
        those in `prefer_province` (a code or a name, English or French) first among near-equals,
        which their explanation says. Explanations are in `ui_language`."""
        check_registry_name(name)
        province = normalise_province(prefer_province) if prefer_province else None
        needs, rejected = read_needs(path)
        only = Filters.parse({"registry": name}).hiding(hidden)
        results = {}
        for need in needs:
            hits = self.engine.search(
                need.text, filters=only, limit=min(MAX_LIMIT, limit * 4), ui_language=ui_language
            )
            results[need.row] = prefer(hits.results, province, ui_language=ui_language)[:limit]
        return NeedsResult(needs, results, rejected)


def _members(records: Mapping[str, RecordSummary]) -> list[RecordSummary]:
    """The member base: organisations that belong to no registry."""
    return [
        r
        for r in records.values()
        if r.kind is Kind.ORGANIZATION and not r.attributes.get("registry")
    ]


def registry_record(name: str, profile: Profile) -> Profile:
    """A registry's own record for a row that matched no member: its id is scoped by the registry,
    and a row without text is searchable by its name."""
    passages = profile.passages or tuple(build_passages({"und": profile.name}))
    return replace(
        profile,
        id=f"{name}:{profile.id}",
        attributes={**profile.attributes, "registry": name},
        passages=passages,
        texts=profile.texts or {"und": profile.name},
    )


def listing(row: ReportRow) -> dict[str, Any]:
    """What a registry says about the member one of its rows matched."""
    values: dict[str, Any] = {"row": row.row, "name": row.input_name}
    if row.input_id:
        values["id"] = row.input_id
    if row.profile is not None:
        attributes = row.profile.attributes
        values.update({f: attributes[f] for f in LISTED_FIELDS if attributes.get(f)})
    return values


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


def read_needs(path: Path) -> tuple[list[Need], list[RowError]]:
    """A needs list: one need per row, in a column named need/besoin/description, else the first."""
    from ngen_connect.indexer.columns import header_key

    needs: list[Need] = []
    rejected: list[RowError] = []
    column: str | None = None
    for item in read_rows(path):
        if isinstance(item, RowError):
            rejected.append(item)
            continue
        if column is None:
            named = [h for h in item.values if header_key(h) in _NEED_HEADERS]
            column = named[0] if named else next(iter(item.values))
        text = " ".join(str(item.values.get(column) or "").split())
        if text:
            needs.append(Need(item.number, text))
        else:
            rejected.append(RowError(str(path), item.number, column, "the need is empty"))
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


NEEDS_COLUMNS = ("row", "need", "rank", "supplier", "id", "province", "score", "why")
#: needs-list headers for a French page or `--lang fr`
NEEDS_HEADERS_FR = {
    "row": "ligne",
    "need": "besoin",
    "rank": "rang",
    "supplier": "fournisseur",
    "id": "id",
    "province": "province",
    "score": "score",
    "why": "pourquoi",
}
_NO_SUPPLIER = {"en": "no supplier found", "fr": "aucun fournisseur trouvé"}


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
                    "province": hit.attributes.get("province", hit.attributes.get("region", "")),
                    "score": round(hit.score, 4),
                    "why": hit.explanation,
                }
            )
    return rows
