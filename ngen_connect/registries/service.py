"""The registries service, one for both fronts: preview a file, match it against the members,
upload it (keep it, link its matched rows to their members, make its new rows searchable), import
a supplier directory; and, through their own modules, answer a needs list (`needs`), import
Health Canada's extracts (`dpd`) and list probable duplicate members (`duplicates`).

A registry never duplicates a member. Matching is against members only (records that belong to no
registry), so the same file uploaded twice gets the same statuses. A matched row becomes a
*listing* on its member: the member's results and page name the registries that list it, with the
registry's own values. A new row becomes the registry's own record (`registry=NAME`). Ambiguous
rows wait in the report for a person to decide: `decide` accepts one of a row's candidates or calls
the row new, in the kept upload and in search at once, and the next upload of the same file keeps
that decision for the rows that did not change. Rows gone from a newer upload leave search.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from typing_extensions import TypedDict

from ngen_connect.engine import Engine
from ngen_connect.errors import (
    ConflictError,
    IndexNotFoundError,
    QueryError,
    RecordNotFoundError,
)
from ngen_connect.index.datadir import now
from ngen_connect.indexer.columns import FileColumns
from ngen_connect.indexer.passages import build_passages
from ngen_connect.indexer.readers import Row, check_row_count, read_rows
from ngen_connect.indexer.rows import merge_profiles
from ngen_connect.models import IndexReport, Kind, Profile, Progress, RecordSummary
from ngen_connect.registries.access import check_registry_name
from ngen_connect.registries.dpd import ExtractImport, import_extracts
from ngen_connect.registries.duplicates import (
    DEFAULT_MIN_CONFIDENCE,
    DuplicateReport,
    check_min_confidence,
    find_duplicates,
)
from ngen_connect.registries.matching import Matcher, Party, Status
from ngen_connect.registries.needs import NeedsResult, find_suppliers
from ngen_connect.registries.reports import (
    Decision,
    MatchReport,
    MatchReportJSON,
    ReportCountsJSON,
    ReportRow,
    ReportRowJSON,
    match_file,
    match_profiles,
    rejected_row,
)
from ngen_connect.registries.resilience import (
    ResilienceReport,
    load_losses,
    losses,
    resilience,
    save_losses,
)
from ngen_connect.registries.uploads import Changes, ChangesJSON, KeptUpload, Uploads

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


class PreviewRowJSON(TypedDict):
    row: int
    values: dict[str, str]


class PreviewJSON(TypedDict):
    """A file's guessed column mapping (each field and its column), the columns read as text,
    and its first rows as read."""

    registry: str | None
    file: str
    mapping: dict[str, str]
    text_columns: list[str]
    rows: list[PreviewRowJSON]


@dataclass(frozen=True)
class Preview:
    mapping: dict[str, str]
    text_columns: list[tuple[str, str]]
    rows: list[Row]

    def to_dict(self, registry: str | None, file: str) -> PreviewJSON:
        return {
            "registry": registry,
            "file": file,
            "mapping": self.mapping,
            "text_columns": [header for header, _ in self.text_columns],
            "rows": [{"row": row.number, "values": row.values} for row in self.rows],
        }


class RegistryCountsJSON(TypedDict):
    """What a registry write changed among the registry's own records."""

    added: int
    updated: int
    unchanged: int
    removed: int


class UploadJSON(MatchReportJSON):
    """A registry upload as JSON (`Upload.to_dict`): `ngen-connect match --registry --json` and
    `POST /registries/{name}/uploads` both answer it. Its match report, then the kept upload's
    number, what changed since the previous upload, the members the registry now lists and what
    changed among its own records."""

    registry: str
    upload: int
    changes: ChangesJSON
    listed: int
    records: RegistryCountsJSON


@dataclass
class Upload:
    registry: str
    report: MatchReport
    changes: Changes
    indexed: IndexReport
    listed: int  # members the registry now lists
    number: int = 0  # the kept upload's number

    def to_dict(self, file: str | None = None) -> UploadJSON:
        """The upload as the command line's `--json` and the HTTP API both give it."""
        return {
            "registry": self.registry,
            "upload": self.number,
            **self.report.to_dict(file),
            "changes": self.changes.to_dict(),
            "listed": self.listed,
            "records": indexed_counts(self.indexed),
        }


class ReviewCandidateJSON(TypedDict):
    """A candidate member of a row, with its place as the member's record gives it."""

    id: str
    name: str
    confidence: float
    name_similarity: float
    #: what agreed (true) or not (false) between the row and the member: website, phone...
    evidence: dict[str, bool]
    city: str
    province: str
    region: str
    country: str


class ReviewRowJSON(ReportRowJSON):
    """A report's row as a person reviews it: when it was decided, whether it can be, and its
    candidates in detail."""

    decided: str
    #: who decided, and the decisions it replaced (status, candidate, decided, by), oldest first
    decided_by: str
    replaced: list[dict[str, str]]
    decidable: bool
    candidate_details: list[ReviewCandidateJSON]
    #: the row's own place and the start of its text, to set beside its candidates'
    input_city: str
    input_province: str
    input_region: str
    input_country: str
    input_text: str


class ReviewJSON(TypedDict):
    """A page of a kept upload's report as decided so far: `total` rows have the statuses asked
    for, and `rows` holds those from `offset`."""

    registry: str
    upload: int
    latest: bool
    uploaded: str
    file: str
    mapping: dict[str, str]
    counts: ReportCountsJSON
    changes: ChangesJSON
    total: int
    offset: int
    limit: int
    rows: list[ReviewRowJSON]


class DecisionJSON(TypedDict):
    """A decision made: the row as decided, the report's counts, the members the registry now
    lists and what changed among its own records."""

    registry: str
    upload: int
    row: ReviewRowJSON
    counts: ReportCountsJSON
    listed: int
    records: RegistryCountsJSON


@dataclass
class Decided:
    """A decision on one row of a registry's latest upload, and what it changed in search."""

    registry: str
    upload: int
    row: ReviewRowJSON
    counts: ReportCountsJSON
    indexed: IndexReport
    listed: int  # members the registry now lists

    def to_dict(self) -> DecisionJSON:
        return {
            "registry": self.registry,
            "upload": self.upload,
            "row": self.row,
            "counts": self.counts,
            "listed": self.listed,
            "records": indexed_counts(self.indexed),
        }


@dataclass(frozen=True)
class RegistrySummary:
    name: str
    uploads: int  # kept uploads
    records: int  # its own records in the index
    listed: int  # members it lists


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
        check_uploadable(name)
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

        check_uploadable(name)
        imported = read_suppliers(path, name, overrides)
        report = match_profiles(str(path), imported.mapping, imported.profiles, self.matcher())
        report.rows.extend(rejected_row(e) for e in imported.rejected)
        report.rows.sort(key=lambda r: r.row or 0)
        return self._save(name, report, progress)

    def _save(self, name: str, report: MatchReport, progress: Progress | None) -> Upload:
        # Under the write lock from reading the previous upload's decisions to keeping this one,
        # which is written into the index version it produces and published with it.
        with self.engine.write_lock():
            if self.uploads.uploads(name):
                report = report.with_decisions_of(self.uploads.load(name).report)
            records, listings = registry_content(name, report.rows)
            saved: list[tuple[int, Changes]] = []
            indexed = self.engine.replace_registry(
                name,
                records,
                listings,
                progress=progress,
                alongside=lambda version: saved.append(self.uploads.save(name, report, version)),
            )
            self.uploads.forget_legacy()
        number, changes = saved[0]
        return Upload(name, report, changes, indexed, len(listings), number)

    # -- reviewing an upload -------------------------------------------------------------------

    def kept(self, name: str, upload: int | None = None) -> KeptUpload:
        """A kept upload of the registry (the latest when `upload` is None), with its decisions."""
        return self.uploads.load(check_registry_name(name), upload)

    def decide(
        self,
        name: str,
        upload: int | None,
        row: int,
        status: Status,
        candidate: str = "",
        by: str = "",
    ) -> Decided:
        """A person's decision on one row of the registry's latest upload: `matched` to one of
        the row's candidates (a member), or `new`. The kept upload and the registry's listings
        and records change together, in one index version, so search reflects it at once; only
        the decided row's record is embedded, if it becomes new."""
        check_registry_name(name)
        with self.engine.write_lock():
            kept = self.uploads.load(name, upload)
            if not kept.latest:
                raise ConflictError(
                    f"Upload {kept.number} is no longer the latest upload of registry '{name}'; decide on the latest one.",
                    f"Le téléversement {kept.number} n'est plus le dernier du registre « {name} »; décidez sur le dernier.",
                )
            current = kept.report.row(row)
            decision = Decision(status, candidate, now(), by).succeeding(current.decision)
            decided = current.decide(decision)
            if current.profile is None:
                raise ConflictError(
                    f"Upload {kept.number} of '{name}' was kept by an earlier release and cannot be decided; upload the file again.",
                    f"Le téléversement {kept.number} de « {name} » date d'une version antérieure; téléversez de nouveau le fichier.",
                )
            if decided.match.status is Status.MATCHED:
                self._require_member(candidate)
            kept.report.rows = [decided if r is current else r for r in kept.report.rows]
            records, listings = registry_content(name, kept.report.rows)
            indexed = self.engine.replace_registry(
                name,
                records,
                listings,
                alongside=lambda version: self.uploads.rewrite(kept, version),
            )
            self.uploads.forget_legacy()
        [reviewed] = self.review_rows([decided])
        return Decided(name, kept.number, reviewed, kept.report.counts(), indexed, len(listings))

    def _require_member(self, member_id: str) -> None:
        found = self.engine.records().get(f"{Kind.ORGANIZATION.value}:{member_id}")
        if found is None or found.attributes.get("registry"):
            raise ConflictError(
                f"'{member_id}' is no longer among the members; upload the file again to match it anew.",
                f"« {member_id} » ne fait plus partie des membres; téléversez de nouveau le fichier.",
            )

    def review(
        self,
        name: str,
        upload: int | None,
        statuses: frozenset[Status] = frozenset(Status),
        offset: int = 0,
        limit: int = 50,
    ) -> ReviewJSON:
        """A page of a kept upload's report as a person reviews it: the rows with these
        statuses, from `offset`."""
        kept = self.kept(name, upload)
        rows = kept.report.only(statuses)
        return {
            "registry": kept.registry,
            "upload": kept.number,
            "latest": kept.latest,
            "uploaded": kept.uploaded,
            "file": kept.report.file,
            "mapping": kept.report.mapping,
            "counts": kept.report.counts(),
            "changes": kept.changes,
            "total": len(rows),
            "offset": offset,
            "limit": limit,
            "rows": self.review_rows(rows[offset : offset + limit]),
        }

    def review_rows(self, rows: Sequence[ReportRow]) -> list[ReviewRowJSON]:
        """Rows as a person reviews them: the report's columns, when the row was decided, whether
        it can be, and each candidate with its name, place (from the member's record),
        confidence and evidence. Candidates are members only, never a registry's record."""
        try:
            records = self.engine.records()
        except IndexNotFoundError:
            records = {}
        return [_review_row(row, records) for row in rows]

    def registries(self) -> list[RegistrySummary]:
        """Every registry with a kept upload, records or listings, by name."""
        own: dict[str, int] = {}
        listed: dict[str, int] = {}
        try:
            records = list(self.engine.records().values())
        except IndexNotFoundError:
            records = []
        for record in records:
            registry = record.attributes.get("registry")
            if registry:
                own[registry] = own.get(registry, 0) + 1
            for name in record.attributes.get("listed_in") or {}:
                listed[name] = listed.get(name, 0) + 1
        names = sorted(set(self.uploads.names()) | set(own) | set(listed))
        return [
            RegistrySummary(n, len(self.uploads.uploads(n)), own.get(n, 0), listed.get(n, 0))
            for n in names
        ]

    # -- SCAN Health -----------------------------------------------------------------------------

    def import_extracts(
        self,
        paths: Sequence[Path],
        progress: Progress | None = None,
        *,
        allow_removals: bool = False,
    ) -> ExtractImport:
        """Drug Product Database extracts as the SCAN Health registry (`registries.dpd`), with
        what the import did to the supply's resilience: the ingredients, forms and ATC classes
        that lost marketed holders, kept until the next import (`Resilience.losses_path`)."""
        before = self.resilience()
        imported = import_extracts(self.engine, paths, progress, allow_removals=allow_removals)
        imported.losses = losses(before.report, self.resilience().report)
        save_losses(self.engine.settings.data_dir, imported.losses)
        return imported

    def resilience(self) -> ResilienceReport:
        """The SCAN Health registry's supply resilience now, with the last import's losses."""
        try:
            records = self.engine.records().values()
        except IndexNotFoundError:
            records = {}.values()
        return ResilienceReport(resilience(records), load_losses(self.engine.settings.data_dir))

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
        label: str | None = None,
    ) -> NeedsResult:
        """The best suppliers of a registry per need (`registries.needs.find_suppliers`); a
        registry without records or listings (or hidden from the caller) is refused."""
        if name in hidden or not any(
            s.name == check_registry_name(name) for s in self.registries()
        ):
            raise RecordNotFoundError(
                f"Registry '{name}' has no suppliers yet: upload or import its file first.",
                f"Le registre « {name} » n'a pas encore de fournisseurs : téléversez ou importez d'abord son fichier.",
            )
        return find_suppliers(
            self.engine,
            name,
            path,
            prefer_province=prefer_province,
            limit=limit,
            hidden=hidden,
            ui_language=ui_language,
            label=label,
        )


def _members(records: Mapping[str, RecordSummary]) -> list[RecordSummary]:
    """The member base: organisations that belong to no registry."""
    return [
        r
        for r in records.values()
        if r.kind is Kind.ORGANIZATION and not r.attributes.get("registry")
    ]


def registry_content(
    name: str, rows: Sequence[ReportRow]
) -> tuple[list[Profile], dict[str, dict[str, Any]]]:
    """What a registry's report puts in search: a record of the registry's own for each new row
    (rows of one company without ids, which share a record key, joined into one), and a listing on
    its member for each matched row."""
    merged: dict[str, Profile] = {}
    for row in rows:
        if row.match.status is Status.NEW and row.profile is not None:
            key, profile = row.profile.key, row.profile
            merged[key] = merge_profiles(merged[key], profile) if key in merged else profile
    records = [registry_record(name, profile) for profile in merged.values()]
    listings = {
        f"{Kind.ORGANIZATION.value}:{row.match.best.id}": listing(row)
        for row in rows
        if row.match.status is Status.MATCHED and row.match.best is not None
    }
    return records, listings


def _review_row(row: ReportRow, records: Mapping[str, RecordSummary]) -> ReviewRowJSON:
    candidates: list[ReviewCandidateJSON] = []
    for candidate in row.match.candidates:
        member = records.get(f"{Kind.ORGANIZATION.value}:{candidate.id}")
        attributes: Mapping[str, Any] = (
            member.attributes if member and not member.attributes.get("registry") else {}
        )
        candidates.append(
            {
                "id": candidate.id,
                "name": candidate.name,
                "confidence": candidate.confidence,
                "name_similarity": candidate.name_similarity,
                "evidence": candidate.evidence,
                "city": attributes.get("city", ""),
                "province": attributes.get("province", ""),
                "region": attributes.get("region", ""),
                "country": attributes.get("country", ""),
            }
        )
    own: Mapping[str, Any] = row.profile.attributes if row.profile else {}
    text = " ".join(row.profile.description.split()) if row.profile else ""
    return {
        **row.to_dict(),
        "decided": row.decision.decided if row.decision else "",
        "decided_by": row.decision.by if row.decision else "",
        "replaced": [dict(r) for r in row.decision.replaced] if row.decision else [],
        "decidable": row.profile is not None and row.match.status is not Status.REJECTED,
        "candidate_details": candidates,
        "input_city": str(own.get("city") or ""),
        "input_province": str(own.get("province") or ""),
        "input_region": str(own.get("region") or ""),
        "input_country": str(own.get("country") or ""),
        "input_text": text[:INPUT_TEXT] + ("…" if len(text) > INPUT_TEXT else ""),
    }


#: the characters of a row's own text a review shows beside its candidates
INPUT_TEXT = 300


def check_uploadable(name: str) -> str:
    """A registry a file may be uploaded to: a valid name, and not one fed by its own import
    (an upload would replace Health Canada's licence holders with the file's rows)."""
    from ngen_connect.registries.dpd import REGISTRY as SCAN_HEALTH

    check_registry_name(name)
    if name == SCAN_HEALTH:
        raise QueryError(
            f"The {name} registry holds Health Canada's licence holders and is updated by "
            "`ngen-connect scan-health import`, not by uploads: upload this file to another "
            "registry.",
            f"Le registre {name} contient les titulaires de licence de Santé Canada et se met à "
            "jour avec « ngen-connect scan-health import », pas par téléversement : "
            "téléversez ce fichier dans un autre registre.",
        )
    return name


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


def indexed_counts(indexed: IndexReport) -> RegistryCountsJSON:
    """What a registry write changed among its own records."""
    return {
        "added": indexed.added,
        "updated": indexed.updated + indexed.metadata_only,
        "unchanged": indexed.unchanged,
        "removed": indexed.removed,
    }
