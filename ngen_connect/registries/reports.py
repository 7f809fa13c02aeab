"""Match reports: every row of a registry file resolved against the members, each appearing exactly
once: matched, ambiguous (with candidates), new, or rejected (with the reason)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ngen_connect.errors import InputFileError, RowError, TooLargeError
from ngen_connect.export import write_table
from ngen_connect.indexer.columns import FileColumns
from ngen_connect.indexer.readers import Row, read_rows
from ngen_connect.indexer.rows import profile_from_row
from ngen_connect.models import Kind, Profile, RecordSummary
from ngen_connect.names import normalise_name
from ngen_connect.registries.matching import Match, Matcher, Party, Status

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
)
REPORT_FORMATS = (".csv", ".xlsx", ".json")


@dataclass(frozen=True)
class ReportRow:
    row: int | None
    input_id: str
    input_name: str
    match: Match
    fingerprint: str = ""  # hash of the row's values, to tell changed rows between two uploads
    #: what was odd about the row, which was read all the same
    warnings: tuple[RowError, ...] = ()
    #: the row read as a record (None when rejected); not part of the report itself
    profile: Profile | None = field(default=None, compare=False, repr=False)
    #: why the row was rejected, with its column
    rejected_error: RowError | None = None

    @property
    def key(self) -> str:
        """What identifies the record across uploads: its id, else its normalised name."""
        return self.input_id or normalise_name(self.input_name)

    def to_dict(self) -> dict[str, Any]:
        best = self.match.best if self.match.status in {Status.MATCHED, Status.AMBIGUOUS} else None
        return {
            "row": self.row,
            "input_id": self.input_id,
            "input_name": self.input_name,
            "status": self.match.status.value,
            "confidence": round(self.match.confidence, 4),
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
        }


@dataclass
class MatchReport:
    file: str
    mapping: dict[str, str]
    rows: list[ReportRow]

    @property
    def rejected(self) -> list[RowError]:
        """Why each rejected row was rejected, with file, row and column."""
        return [r.rejected_error for r in self.rows if r.rejected_error is not None]

    @property
    def warnings(self) -> list[RowError]:
        return [w for row in self.rows for w in row.warnings]

    def summary(self) -> str:
        counts = self.counts()
        warned = len({w.row for w in self.warnings})
        return (
            f"{len(self.rows)} rows: "
            + ", ".join(f"{counts[status.value]} {status.value}" for status in Status)
            + f"; {counts['warnings']} warnings on {warned} rows."
        )

    def counts(self) -> dict[str, int]:
        counted = Counter(r.match.status.value for r in self.rows)
        counts = {status.value: counted.get(status.value, 0) for status in Status}
        return {**counts, "warnings": len(self.warnings)}

    def write(self, path: Path) -> None:
        about = {"file": self.file, "mapping": self.mapping, "counts": self.counts()}
        rows = [r.to_dict() for r in self.rows]
        write_table(
            path, REPORT_COLUMNS, rows, sheet="Match report", about=about, formats=REPORT_FORMATS
        )


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
    for count, item in enumerate(read_rows(path), start=1):
        if max_rows is not None and count > max_rows:
            raise TooLargeError(
                RowError(
                    str(path),
                    None,
                    None,
                    f"the file has more than {max_rows:,} rows",
                ),
                f"le fichier dépasse {max_rows:,} lignes",
            )
        if isinstance(item, RowError):
            located = RowError(name, item.row, item.column, item.message)
            report.rows.append(rejected_row(located, "", ""))
            continue
        if columns is None:
            columns = _columns(path, item, overrides)
            report.mapping = columns.mapping
        parsed = profile_from_row(item, str(path), Kind.ORGANIZATION, columns, require_text=False)
        profile = parsed.profile
        if profile is None:
            input_id = str(item.values.get(columns.mapping.get("id", "")) or "").strip()
            for error in parsed.errors:
                report.rows.append(rejected_row(error, input_id, ""))
                break
            continue
        fingerprint = hashlib.sha256(
            json.dumps(item.values, sort_keys=True, default=str).encode()
        ).hexdigest()[:16]
        report.rows.append(
            _matched_row(matcher, profile, parsed.generated_id, fingerprint, tuple(parsed.warnings))
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
    warnings: tuple[RowError, ...],
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


def rejected_row(error: RowError, input_id: str = "", name: str = "") -> ReportRow:
    return ReportRow(
        error.row,
        input_id,
        name,
        Match(Status.REJECTED, reason=_located(error)),
        rejected_error=error,
    )


def _located(error: RowError) -> str:
    return f"column '{error.column}': {error.message}" if error.column else error.message


def _columns(path: Path, first: Row, overrides: Mapping[str, str] | None) -> FileColumns:
    columns = FileColumns.of(list(first.values), overrides, str(path))
    if not {"name", "operating_name"} & set(columns.mapping):
        raise InputFileError(
            RowError(
                str(path),
                1,
                None,
                f"no name column (name, nom, company, entreprise...) among {', '.join(repr(h) for h in first.values)}; "
                "map one with --map name=COLUMN",
            )
        )
    return columns
