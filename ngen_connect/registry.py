"""Matching an uploaded registry file against the member base, with a report in which every input
row appears exactly once: matched, ambiguous (with candidates), new, or rejected (with the reason)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ngen_connect.datadir import now, write_atomic
from ngen_connect.errors import InputFileError, QueryError, RowError
from ngen_connect.export import write_table
from ngen_connect.matching import Match, Matcher, Party, Status, normalise_name
from ngen_connect.models import Kind
from ngen_connect.profiles import FileColumns, profile_from_row
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
    #: why each rejected row was rejected, with file, row and column
    rejected: list[RowError] = field(default_factory=list)

    @property
    def warnings(self) -> list[RowError]:
        return [w for row in self.rows for w in row.warnings]

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
    """Resolve every row of a registry file; only a name column is required.

    Rows are read exactly as `index` reads them (addresses, codes, warnings), so a registry upload
    and an index of the same file agree on every value.
    """
    report = MatchReport(str(path), {}, [])
    columns: FileColumns | None = None
    for item in read_rows(path):
        if isinstance(item, RowError):
            report.rows.append(
                ReportRow(item.row, "", "", Match(Status.REJECTED, reason=item.message))
            )
            report.rejected.append(item)
            continue
        if columns is None:
            columns = _columns(path, item, overrides)
            report.mapping = columns.mapping
        parsed = profile_from_row(item, str(path), Kind.ORGANIZATION, columns, require_text=False)
        profile = parsed.profile
        if profile is None:
            report.rows.append(
                ReportRow(
                    item.number,
                    str(item.values.get(columns.mapping.get("id", "")) or "").strip(),
                    "",
                    Match(Status.REJECTED, reason="; ".join(_located(e) for e in parsed.errors)),
                )
            )
            report.rejected.extend(parsed.errors)
            continue
        record_id = "" if parsed.generated_id else profile.id
        fields = {**profile.attributes, "description": profile.description}
        party = Party.from_fields(record_id or f"row-{item.number}", profile.name, fields)
        fingerprint = hashlib.sha256(
            json.dumps(item.values, sort_keys=True, default=str).encode()
        ).hexdigest()[:16]
        report.rows.append(
            ReportRow(
                item.number,
                record_id,
                profile.name,
                matcher.match(party),
                fingerprint,
                tuple(parsed.warnings),
            )
        )
    return report


def _located(error: RowError) -> str:
    return f"column '{error.column}': {error.message}" if error.column else error.message


def _columns(path: Path, first: Row, overrides: Mapping[str, str] | None) -> FileColumns:
    columns = FileColumns.of(list(first.values), overrides, str(path))
    if "name" not in columns.mapping:
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


def summary(report: MatchReport) -> Sequence[str]:
    counts = report.counts()
    warned = len({w.row for w in report.warnings})
    return [
        f"{len(report.rows)} rows: "
        + ", ".join(f"{counts[status.value]} {status.value}" for status in Status)
        + f"; {counts['warnings']} warnings on {warned} rows."
    ]


_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass
class Changes:
    """What a new upload of a registry changed, by record key."""

    added: list[str]
    removed: list[str]
    changed: list[str]
    unchanged: int
    previous: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "previous_upload": self.previous,
        }


class Registries:
    """Named registries in the data directory: each upload's mapping and match report, kept by date.

    DATA_DIR/registries/<name>/<upload time>.json
    """

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "registries"

    @staticmethod
    def check_name(name: str) -> str:
        if not _NAME.match(name):
            raise QueryError(
                f"'{name}' is not a registry name: use lower-case letters, digits and dashes (e.g. scan-health). "
                "/ Nom de registre invalide."
            )
        return name

    def uploads(self, name: str) -> list[Path]:
        folder = self.root / self.check_name(name)
        return sorted(folder.glob("*.json")) if folder.is_dir() else []

    def save(self, name: str, report: MatchReport) -> Changes:
        """Store an upload and report what changed since the previous one."""
        previous_path = next(iter(reversed(self.uploads(name))), None)
        previous = (
            json.loads(previous_path.read_text(encoding="utf-8")) if previous_path else {"rows": []}
        )
        before = {
            row["key"]: row["fingerprint"]
            for row in previous["rows"]
            if row["status"] != "rejected"
        }
        after = {
            row.key: row.fingerprint
            for row in report.rows
            if row.match.status is not Status.REJECTED
        }
        changes = Changes(
            added=sorted(set(after) - set(before)),
            removed=sorted(set(before) - set(after)),
            changed=sorted(k for k in set(after) & set(before) if after[k] != before[k]),
            unchanged=sum(1 for k in set(after) & set(before) if after[k] == before[k]),
            previous=previous_path.stem if previous_path else None,
        )
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        # Numbered so uploads sort in order even within one second.
        number = len(self.uploads(name)) + 1
        body = {
            "registry": name,
            "upload": number,
            "uploaded": now(),
            "file": report.file,
            "mapping": report.mapping,
            "counts": report.counts(),
            "changes": changes.to_dict(),
            "rows": [
                {**row.to_dict(), "key": row.key, "fingerprint": row.fingerprint}
                for row in report.rows
            ],
        }
        write_atomic(
            folder / f"{number:05d}.json", json.dumps(body, ensure_ascii=False, indent=1) + "\n"
        )
        return changes


class Access:
    """Which registries are private, and to which API keys (kept as SHA-256 hashes).

    DATA_DIR/registries/access.json   {"scan-health": ["<sha256 of a key>", ...]}
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "registries" / "access.json"

    def _load(self) -> dict[str, list[str]]:
        if not self.path.is_file():
            return {}
        rules: dict[str, list[str]] = json.loads(self.path.read_text(encoding="utf-8"))
        return rules

    def _save(self, rules: dict[str, list[str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps(rules, indent=2, sort_keys=True) + "\n")

    @staticmethod
    def _hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def make_private(self, registry: str, key: str) -> None:
        if len(key) < 16:
            raise QueryError(
                "An API key needs at least 16 characters. / Une clé d'API compte au moins 16 caractères."
            )
        rules = self._load()
        hashes = set(rules.get(Registries.check_name(registry), [])) | {self._hash(key)}
        rules[registry] = sorted(hashes)
        self._save(rules)

    def make_public(self, registry: str) -> None:
        rules = self._load()
        rules.pop(Registries.check_name(registry), None)
        self._save(rules)

    def hidden_for(self, key: str | None) -> set[str]:
        """Private registries this key (or no key) cannot read."""
        digest = self._hash(key) if key else None
        return {name for name, hashes in self._load().items() if digest not in hashes}
