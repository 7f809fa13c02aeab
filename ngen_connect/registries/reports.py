"""Match reports: every row of a registry file resolved against the members, each appearing exactly
once: matched, ambiguous (with candidates), new, or rejected (with the reason). A person may
decide a row (accept one of its candidates, or call it new); the report says which rows were."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from typing_extensions import TypedDict

from ngen_connect.errors import (
    FileProblem,
    FileProblemJSON,
    InputFileError,
    QueryError,
    RecordNotFoundError,
    TooLargeError,
)
from ngen_connect.export import write_table
from ngen_connect.indexer.columns import FileColumns
from ngen_connect.indexer.readers import Row, read_rows
from ngen_connect.indexer.rows import profile_from_row
from ngen_connect.models import Kind, Passage, Profile, RecordSummary
from ngen_connect.names import normalise_name
from ngen_connect.registries.matching import Match, MatchCandidate, Matcher, Party, Status

REPORT_COLUMNS = (
    "row",
    "input_id",
    "input_name",
    "status",
    "confidence",
    "match_id",
    "match_name",
    "evidence",
    "candidates",
    "reason",
    "warnings",
    "decision",
)
REPORT_FORMATS = (".csv", ".xlsx", ".json")
#: column headers of a French report (English keeps the column names)
REPORT_HEADERS_FR = {
    "row": "ligne",
    "input_id": "id fourni",
    "input_name": "nom fourni",
    "status": "statut",
    "confidence": "confiance",
    "match_id": "id du membre",
    "match_name": "nom du membre",
    "evidence": "indices",
    "candidates": "candidats",
    "reason": "motif",
    "warnings": "avertissements",
    "decision": "décision",
}
_ABOUT = {
    "en": {"file": "file", "mapping": "mapping", "counts": "counts", "rows": "rows shown"},
    "fr": {"file": "fichier", "mapping": "correspondance", "counts": "décomptes", "rows": "lignes"},
}
_SHEETS = {"en": ("Match report", "About"), "fr": ("Rapport de rapprochement", "À propos")}
#: `unmatched` asks for every row a person may still look at: ambiguous, new and rejected
UNMATCHED = "unmatched"


def parse_statuses(values: Sequence[str]) -> frozenset[Status]:
    """Statuses named by people (`matched`, `ambiguous`, `new`, `rejected`, or `unmatched` for the
    last three); none named means all."""
    wanted: set[Status] = set()
    for value in values:
        word = value.strip().lower()
        if word == UNMATCHED:
            wanted |= set(Status) - {Status.MATCHED}
            continue
        try:
            wanted.add(Status(word))
        except ValueError:
            names = ", ".join([*(s.value for s in Status), UNMATCHED])
            raise QueryError(
                f"Unknown status '{value}'; use {names}.",
                f"Statut inconnu « {value} »; utilisez {names}.",
            ) from None
    return frozenset(wanted or Status)


@dataclass(frozen=True)
class Decision:
    """What a person decided about a row: the member it is (`matched`, with `candidate`) or no
    member at all (`new`)."""

    status: Status
    candidate: str = ""
    decided: str = ""  # when, ISO 8601
    #: who decided (the audit trail's actor: "admin", "key:<registry>#<id>", "cli:<user>")
    by: str = ""
    #: the decisions this one replaced, oldest first (each without a history of its own)
    replaced: tuple[Mapping[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "candidate": self.candidate,
            "decided": self.decided,
            "by": self.by,
            "replaced": [dict(r) for r in self.replaced],
        }

    def succeeding(self, previous: Decision | None) -> Decision:
        """This decision, replacing `previous` (whose history it keeps)."""
        if previous is None:
            return self
        plain = {k: v for k, v in previous.to_dict().items() if k != "replaced"}
        return replace(self, replaced=(*previous.replaced, plain))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        return cls(
            Status(data["status"]),
            data.get("candidate", ""),
            data.get("decided", ""),
            data.get("by", ""),
            tuple(
                {k: str(v) for k, v in r.items()}
                for r in data.get("replaced") or ()
                if isinstance(r, dict)
            ),
        )


StatusName = Literal["matched", "ambiguous", "new", "rejected"]


class ReportRowJSON(TypedDict):
    """One row of a match report as JSON, flat like a row of its CSV export: the row's number,
    id and name in the file, its status and confidence, the member it matched with the evidence
    (`website=yes;city=no`), an ambiguous row's candidates, why it was rejected, its warnings
    and any decision."""

    row: int | None
    input_id: str
    input_name: str
    status: StatusName
    confidence: float
    match_id: str
    match_name: str
    evidence: str
    candidates: str
    reason: str
    warnings: str
    decision: Literal["matched", "new", ""]


class ReportCountsJSON(TypedDict):
    """Rows by status, and the warnings on rows that were kept."""

    matched: int
    ambiguous: int
    new: int
    rejected: int
    warnings: int


class MatchReportJSON(TypedDict):
    """A match report as JSON (`MatchReport.to_dict`): `ngen-connect match --json` answers it."""

    file: str
    #: each field of a record and the file's column it was read from
    mapping: dict[str, str]
    counts: ReportCountsJSON
    rows: list[ReportRowJSON]
    warnings: list[FileProblemJSON]
    rejected: list[FileProblemJSON]


@dataclass(frozen=True)
class ReportRow:
    row: int | None
    input_id: str
    input_name: str
    match: Match
    fingerprint: str = ""  # hash of the row's values, to tell changed rows between two uploads
    #: what was odd about the row, which was read all the same
    warnings: tuple[FileProblem, ...] = ()
    #: the row read as a record (None when rejected); not part of the report itself
    profile: Profile | None = field(default=None, compare=False, repr=False)
    #: why the row was rejected, with its column
    rejected_error: FileProblem | None = None
    #: what a person decided about the row, when someone did
    decision: Decision | None = None

    @property
    def key(self) -> str:
        """What identifies the record across uploads: its id, else its normalised name."""
        return self.input_id or normalise_name(self.input_name)

    def to_dict(self) -> ReportRowJSON:
        best = self.match.best if self.match.status in {Status.MATCHED, Status.AMBIGUOUS} else None
        return {
            "row": self.row,
            "input_id": self.input_id,
            "input_name": self.input_name,
            "status": self.match.status.value,
            # a person's decision is certain: the member it is (1.0), or none of them (0.0)
            "confidence": round(self.match.confidence, 4)
            if self.decision is None
            else float(self.decision.status is Status.MATCHED),
            "match_id": best.id if best and self.match.status is Status.MATCHED else "",
            "match_name": best.name if best and self.match.status is Status.MATCHED else "",
            "evidence": ";".join(
                f"{k}={'yes' if v else 'no'}" for k, v in (best.evidence if best else {}).items()
            ),
            "candidates": "; ".join(
                f"{c.id} {c.name} ({c.confidence:.2f})" for c in self.match.candidates
            )
            if self.match.status is Status.AMBIGUOUS
            else "",
            "reason": self.match.reason,
            "warnings": "; ".join(
                f"{w.column}: {w.message}" if w.column else w.message for w in self.warnings
            ),
            "decision": cast(Literal["matched", "new"], self.decision.status.value)
            if self.decision
            else "",
        }

    def decide(self, decision: Decision) -> ReportRow:
        """The row as a person decided it: matched to one of its candidates (which comes first),
        or new. A rejected row cannot become a record, so it cannot be decided."""
        if self.match.status is Status.REJECTED:
            raise QueryError(
                f"Row {self.row} was rejected ({self.match.reason}); fix the file and upload it again.",
                f"La ligne {self.row} a été rejetée; corrigez le fichier et téléversez-le de nouveau.",
            )
        candidates = self.match.candidates
        if decision.status is Status.NEW:
            return replace(self, match=replace(self.match, status=Status.NEW), decision=decision)
        if decision.status is not Status.MATCHED:
            raise QueryError(
                f"A decision is 'matched' (with a candidate) or 'new', not '{decision.status.value}'.",
                "Une décision est « matched » (avec un candidat) ou « new ».",
            )
        chosen = [c for c in candidates if c.id == decision.candidate]
        if not chosen:
            offered = ", ".join(c.id for c in candidates) or "none"
            raise QueryError(
                f"'{decision.candidate}' is not a candidate of row {self.row} (candidates: {offered}).",
                f"« {decision.candidate} » n'est pas un candidat de la ligne {self.row} (candidats : {offered}).",
            )
        others = [c for c in candidates if c.id != decision.candidate]
        match = Match(Status.MATCHED, chosen[0].confidence, [chosen[0], *others], self.match.reason)
        return replace(self, match=match, decision=decision)

    def to_kept(self) -> dict[str, Any]:
        """The row as a kept upload stores it: the report's columns, plus what it takes to decide
        it later (its candidates, the record it would become) and to compare uploads."""
        return {
            **self.to_dict(),
            "key": self.key,
            "fingerprint": self.fingerprint,
            "match": {
                "status": self.match.status.value,
                "confidence": self.match.confidence,
                "reason": self.match.reason,
                "candidates": [vars(c) for c in self.match.candidates],
            },
            "warning_list": [vars(w) for w in self.warnings],
            "rejected_error": vars(self.rejected_error) if self.rejected_error else None,
            "record": _profile_to_json(self.profile) if self.profile is not None else None,
            "decision": self.decision.to_dict() if self.decision else None,
        }

    @classmethod
    def from_kept(cls, data: Mapping[str, Any]) -> ReportRow:
        """A row of a kept upload; an upload kept by an earlier release has neither candidates
        nor a record, so its rows can be read but not decided."""
        stored = data.get("match")
        if stored is not None:
            candidates = [MatchCandidate(**c) for c in stored["candidates"]]
            match = Match(
                Status(stored["status"]), stored["confidence"], candidates, stored["reason"]
            )
        else:
            match = Match(Status(data["status"]), data.get("confidence", 0.0), [], data["reason"])
        rejected = data.get("rejected_error")
        decision = data.get("decision")
        return cls(
            data["row"],
            data["input_id"],
            data["input_name"],
            match,
            data.get("fingerprint", ""),
            tuple(FileProblem(**w) for w in data.get("warning_list", [])),
            _profile_from_json(data["record"]) if data.get("record") else None,
            FileProblem(**rejected) if rejected else None,
            Decision.from_dict(decision) if decision else None,
        )


@dataclass
class MatchReport:
    file: str
    mapping: dict[str, str]
    rows: list[ReportRow]

    @property
    def rejected(self) -> list[FileProblem]:
        """Why each rejected row was rejected, with file, row and column."""
        return [r.rejected_error for r in self.rows if r.rejected_error is not None]

    @property
    def warnings(self) -> list[FileProblem]:
        return [w for row in self.rows for w in row.warnings]

    def summary(self) -> str:
        counted = Counter(r.match.status for r in self.rows)
        warned = len({w.row for w in self.warnings})
        return (
            f"{len(self.rows)} rows: "
            + ", ".join(f"{counted[status]} {status.value}" for status in Status)
            + f"; {len(self.warnings)} warnings on {warned} rows."
        )

    def to_dict(self, file: str | None = None) -> MatchReportJSON:
        """The report as the command line's `--json` and the HTTP API both give it: every row
        (status, candidates, warnings), the counts, and the warnings and rejections with their
        place. `file` names the file as the user gave it."""
        return {
            "file": file or self.file,
            "mapping": self.mapping,
            "counts": self.counts(),
            "rows": [row.to_dict() for row in self.rows],
            # problems already name the file as the user gave it (`read_rows(path, label)`)
            "warnings": [w.to_dict() for w in self.warnings],
            "rejected": [e.to_dict() for e in self.rejected],
        }

    def counts(self) -> ReportCountsJSON:
        counted = Counter(r.match.status for r in self.rows)
        return {
            "matched": counted[Status.MATCHED],
            "ambiguous": counted[Status.AMBIGUOUS],
            "new": counted[Status.NEW],
            "rejected": counted[Status.REJECTED],
            "warnings": len(self.warnings),
        }

    def with_decisions_of(self, earlier: MatchReport) -> MatchReport:
        """This report with the decisions people made on an earlier upload of the same registry,
        for the rows that did not change (same key, same values) and can still be decided the
        same way (a chosen member still among the row's candidates)."""
        decided = {(r.key, r.fingerprint): r.decision for r in earlier.rows if r.decision}
        if not decided:
            return self
        rows = []
        for row in self.rows:
            decision = decided.get((row.key, row.fingerprint))
            if decision is not None and row.match.status is not Status.REJECTED:
                # A member chosen then and no longer among the candidates: the row waits again.
                with suppress(QueryError):
                    row = row.decide(decision)
            rows.append(row)
        return MatchReport(self.file, self.mapping, rows)

    def only(self, statuses: frozenset[Status]) -> list[ReportRow]:
        """The rows with one of these statuses, in file order."""
        return [r for r in self.rows if r.match.status in statuses]

    def row(self, number: int) -> ReportRow:
        """The report's row for the file's row `number`."""
        for row in self.rows:
            if row.row == number:
                return row
        raise RecordNotFoundError(
            f"{self.file} has no row {number} in its report.",
            f"Le rapport de {self.file} n'a pas de ligne {number}.",
        )

    def write(
        self,
        path: Path,
        *,
        language: str = "en",
        statuses: frozenset[Status] = frozenset(Status),
    ) -> int:
        """The report (or its rows with these statuses) as CSV, XLSX or JSON, headers and the
        About sheet in `language` ("en" or "fr"); returns the number of rows written. Every cell
        goes through the one table writer, which neutralises spreadsheet formulas."""
        words = _ABOUT["fr" if language == "fr" else "en"]
        sheet, about_sheet = _SHEETS["fr" if language == "fr" else "en"]
        rows = [r.to_dict() for r in self.only(statuses)]
        about: dict[str, Any] = {
            words["file"]: self.file,
            words["mapping"]: self.mapping,
            words["counts"]: self.counts(),
        }
        if statuses != frozenset(Status):
            about[words["rows"]] = ", ".join(s.value for s in Status if s in statuses)
        write_table(
            path,
            REPORT_COLUMNS,
            rows,
            sheet=sheet,
            about=about,
            formats=REPORT_FORMATS,
            headers=REPORT_HEADERS_FR if language == "fr" else None,
            about_sheet=about_sheet,
        )
        return len(rows)


def members_from_records(records: Mapping[str, RecordSummary]) -> list[Party]:
    """Member parties from index record summaries (organisations only)."""
    return [
        Party.from_fields(r.id, r.name, r.attributes)
        for r in records.values()
        if r.kind is Kind.ORGANIZATION
    ]


def match_file(
    path: Path,
    matcher: Matcher,
    overrides: Mapping[str, str] | None = None,
    *,
    max_rows: int | None = None,
    label: str | None = None,
) -> MatchReport:
    """Resolve every row of a registry file; only a name column is required.

    Rows are read exactly as `index` reads them (addresses, codes, warnings), so a registry upload
    and an index of the same file agree on every value. Reading stops with TooLargeError as soon
    as the file has more than `max_rows` rows. `label` names the file in the report (an upload's
    own file name).
    """
    name = label or str(path)
    report = MatchReport(name, {}, [])
    columns: FileColumns | None = None
    first_row: dict[str, int | None] = {}  # record key -> the row that first had it
    for count, item in enumerate(read_rows(path, label), start=1):
        if max_rows is not None and count > max_rows:
            raise TooLargeError(
                FileProblem(
                    str(path),
                    None,
                    None,
                    f"the file has more than {max_rows:,} rows",
                ),
                f"le fichier dépasse {max_rows:,} lignes",
            )
        if isinstance(item, FileProblem):
            located = FileProblem(name, item.row, item.column, item.message)
            report.rows.append(rejected_row(located, "", ""))
            continue
        if columns is None:
            columns = _columns(path, item, overrides)
            report.mapping = columns.mapping
        parsed = profile_from_row(item, name, Kind.ORGANIZATION, columns, require_text=False)
        profile = parsed.profile
        if profile is None:
            input_id = str(item.values.get(columns.mapping.get("id", "")) or "").strip()
            for error in parsed.errors:
                report.rows.append(rejected_row(error, input_id, ""))
                break
            continue
        warnings = list(parsed.warnings)
        if profile.key in first_row:
            # As `index` reads a file: an id used twice is refused, and rows of one company
            # without ids (same name and place) become one record (`registry_content`).
            earlier = f"row {first_row[profile.key]}"
            if not parsed.generated_id:
                duplicate = FileProblem(
                    name,
                    item.number,
                    "id",
                    f"duplicate id '{profile.id}': already used by {earlier}",
                )
                report.rows.append(rejected_row(duplicate, profile.id, profile.name))
                continue
            warnings.append(
                FileProblem(
                    name,
                    item.number,
                    None,
                    f"same name and place as {earlier}, and no id: merged into that record",
                )
            )
        first_row.setdefault(profile.key, item.number)
        fingerprint = hashlib.sha256(
            json.dumps(item.values, sort_keys=True, default=str).encode()
        ).hexdigest()[:16]
        report.rows.append(
            _matched_row(matcher, profile, parsed.generated_id, fingerprint, tuple(warnings))
        )
    return report


def match_profiles(
    file: str, mapping: dict[str, str], profiles: Sequence[Profile], matcher: Matcher
) -> MatchReport:
    """A report for records already read (a supplier directory merged per company)."""
    rows = []
    for profile in profiles:
        fingerprint = hashlib.sha256(
            json.dumps(
                [profile.name, profile.texts, profile.attributes], sort_keys=True, default=str
            ).encode()
        ).hexdigest()[:16]
        rows.append(_matched_row(matcher, profile, False, fingerprint, ()))
    return MatchReport(file, mapping, rows)


def _matched_row(
    matcher: Matcher,
    profile: Profile,
    generated_id: bool,
    fingerprint: str,
    warnings: tuple[FileProblem, ...],
) -> ReportRow:
    record_id = "" if generated_id else profile.id
    fields = {**profile.attributes, "description": profile.description}
    party = Party.from_fields(record_id or f"row-{profile.source_row}", profile.name, fields)
    return ReportRow(
        profile.source_row,
        record_id,
        profile.name,
        matcher.match(party),
        fingerprint,
        warnings,
        profile,
    )


def rejected_row(error: FileProblem, input_id: str = "", name: str = "") -> ReportRow:
    return ReportRow(
        error.row,
        input_id,
        name,
        Match(Status.REJECTED, reason=_located(error)),
        rejected_error=error,
    )


def _profile_to_json(profile: Profile) -> dict[str, Any]:
    return {
        "id": profile.id,
        "kind": profile.kind.value,
        "name": profile.name,
        "texts": profile.texts,
        "language": profile.language,
        "attributes": profile.attributes,
        "source": profile.source,
        "source_row": profile.source_row,
        "passages": [[p.text, p.language] for p in profile.passages],
    }


def _profile_from_json(data: Mapping[str, Any]) -> Profile:
    return Profile(
        data["id"],
        Kind(data["kind"]),
        data["name"],
        dict(data["texts"]),
        data["language"],
        dict(data["attributes"]),
        data["source"],
        data["source_row"],
        tuple(Passage(i, text, language) for i, (text, language) in enumerate(data["passages"])),
    )


def _located(error: FileProblem) -> str:
    return f"column '{error.column}': {error.message}" if error.column else error.message


def _columns(path: Path, first: Row, overrides: Mapping[str, str] | None) -> FileColumns:
    columns = FileColumns.of(list(first.values), overrides, str(path))
    if not {"name", "operating_name"} & set(columns.mapping):
        raise InputFileError(
            FileProblem(
                str(path),
                1,
                None,
                f"no name column (name, nom, company, entreprise...) among {', '.join(repr(h) for h in first.values)}; "
                "map one: --map name=COLUMN on the command line, map=name=COLUMN over HTTP",
            ),
            "aucune colonne de nom (name, nom, entreprise...) parmi "
            f"{', '.join(repr(h) for h in first.values)}; désignez-en une : --map name=COLONNE en "
            "ligne de commande, map=name=COLONNE par HTTP",
        )
    return columns
