"""Matching an uploaded registry file against the member base, with a report in which every input
row appears exactly once: matched, ambiguous (with candidates), new, or rejected (with the reason)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ngen_connect.errors import InputFileError, QueryError, RowError
from ngen_connect.matching import Match, Matcher, Party, Status
from ngen_connect.profiles import guess_mapping
from ngen_connect.readers import Row, read_rows

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
)
REPORT_FORMATS = (".csv", ".xlsx", ".json")


@dataclass(frozen=True)
class ReportRow:
    row: int | None
    input_id: str
    input_name: str
    match: Match

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
        }


@dataclass
class MatchReport:
    file: str
    mapping: dict[str, str]
    rows: list[ReportRow]

    def counts(self) -> dict[str, int]:
        counted = Counter(r.match.status.value for r in self.rows)
        return {status.value: counted.get(status.value, 0) for status in Status}

    def write(self, path: Path) -> None:
        suffix = path.suffix.lower()
        if suffix not in REPORT_FORMATS:
            raise QueryError(
                f"Write the report as {', '.join(REPORT_FORMATS)}, not '{suffix or path.name}'. "
                "/ Format de rapport non pris en charge."
            )
        rows = [r.to_dict() for r in self.rows]
        if suffix == ".json":
            body = {
                "file": self.file,
                "mapping": self.mapping,
                "counts": self.counts(),
                "rows": rows,
            }
            path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        elif suffix == ".csv":
            with path.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=REPORT_COLUMNS)
                writer.writeheader()
                writer.writerows(rows)
        else:
            from openpyxl import Workbook

            book = Workbook()
            sheet = book.active
            sheet.title = "Match report"
            sheet.append(list(REPORT_COLUMNS))
            for row in rows:
                sheet.append([row[c] for c in REPORT_COLUMNS])
            sheet.freeze_panes = "A2"
            book.save(path)


def members_from_records(records: Mapping[str, Mapping[str, Any]]) -> list[Party]:
    """Member parties from index record summaries (organisations only)."""
    return [
        Party.from_fields(str(r["id"]), str(r["name"]), r["attributes"])
        for r in records.values()
        if r["kind"] == "organization"
    ]


def match_file(
    path: Path, matcher: Matcher, overrides: Mapping[str, str] | None = None
) -> MatchReport:
    """Resolve every row of a registry file; only a name column is required."""
    report = MatchReport(str(path), {}, [])
    for item in _rows_with_mapping(path, overrides, report):
        if isinstance(item, RowError):
            report.rows.append(
                ReportRow(item.row, "", "", Match(Status.REJECTED, reason=item.message))
            )
            continue
        fields = {field: item.values.get(column) for field, column in report.mapping.items()}
        name = str(fields.get("name") or "").strip()
        record_id = str(fields.get("id") or "").strip()
        if not name:
            column = report.mapping["name"]
            report.rows.append(
                ReportRow(
                    item.number,
                    record_id,
                    "",
                    Match(Status.REJECTED, reason=f"column '{column}': the name is empty"),
                )
            )
            continue
        party = Party.from_fields(record_id or f"row-{item.number}", name, fields)
        report.rows.append(ReportRow(item.number, record_id, name, matcher.match(party)))
    return report


def _rows_with_mapping(
    path: Path, overrides: Mapping[str, str] | None, report: MatchReport
) -> Iterable[Row | RowError]:
    for item in read_rows(path):
        if isinstance(item, Row) and not report.mapping:
            report.mapping = guess_mapping(item.values.keys(), overrides)
            if "name" not in report.mapping:
                raise InputFileError(
                    RowError(
                        str(path),
                        1,
                        None,
                        f"no name column (name, nom, company, entreprise...) among {', '.join(repr(h) for h in item.values)}; "
                        "map one with --map name=COLUMN",
                    )
                )
        yield item


def summary(report: MatchReport) -> Sequence[str]:
    counts = report.counts()
    return [
        f"{len(report.rows)} rows: " + ", ".join(f"{n} {status}" for status, n in counts.items())
    ]
