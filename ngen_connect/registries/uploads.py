"""Kept uploads of each registry, and what changed from one upload to the next.

DATA_DIR/registries/<name>/00001.json, 00002.json, ...   (file, mapping, counts, changes, rows)

Each row keeps its candidates and the record it would become, so a person can decide it later
(`RegistryService.decide`); a decision rewrites the kept upload in place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ngen_connect.atomic import write_atomic
from ngen_connect.errors import QueryError, RecordNotFoundError
from ngen_connect.index.datadir import now
from ngen_connect.registries.access import check_registry_name
from ngen_connect.registries.matching import Status
from ngen_connect.registries.reports import MatchReport, ReportRow


@dataclass
class Changes:
    """What a new upload of a registry changed, by record key."""

    added: list[str]
    removed: list[str]
    changed: list[str]
    unchanged: int
    previous: str | None

    def summary(self) -> str:
        since = f"since upload {self.previous}" if self.previous else "first upload"
        return (
            f"{since}: {len(self.added)} added, {len(self.removed)} removed, "
            f"{len(self.changed)} changed, {self.unchanged} unchanged."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "previous_upload": self.previous,
        }


@dataclass
class KeptUpload:
    """One kept upload of a registry, read back: its report, with any decisions made since."""

    registry: str
    number: int
    uploaded: str
    report: MatchReport
    changes: dict[str, Any]
    #: the registry's latest upload, the one its records and listings come from
    latest: bool


def upload_number(value: str | int) -> int | None:
    """An upload as people name it: `3`, `00003` or `latest` (None)."""
    text = str(value).strip().lower()
    if text == "latest":
        return None
    if text.isascii() and text.isdigit() and 0 < int(text) < 100_000:  # not "²", "١" or "１"
        return int(text)
    raise QueryError(
        f"'{value}' is not an upload: give its number (1, 2, ...) or 'latest'.",
        f"« {value} » n'est pas un téléversement : donnez son numéro (1, 2, ...) ou « latest ».",
    )


class Uploads:
    """Named registries in the data directory: each upload's mapping and match report, kept by date.

    DATA_DIR/registries/<name>/<upload time>.json
    """

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "registries"

    def uploads(self, name: str) -> list[Path]:
        folder = self.root / check_registry_name(name)
        return sorted(folder.glob("*.json")) if folder.is_dir() else []

    def names(self) -> list[str]:
        """Registries with at least one kept upload."""
        if not self.root.is_dir():
            return []
        return sorted(
            folder.name
            for folder in self.root.iterdir()
            if folder.is_dir() and any(folder.glob("*.json"))
        )

    def load(self, name: str, number: int | None = None) -> KeptUpload:
        """A kept upload by number, or the latest (None)."""
        kept = self.uploads(name)
        if number is None:
            path = kept[-1] if kept else None
        else:
            path = self.root / name / f"{number:05d}.json"
        if path is None or path not in kept:
            which = "no upload" if number is None else f"no upload {number}"
            raise RecordNotFoundError(
                f"Registry '{name}' has {which}.",
                f"Le registre « {name} » n'a {'aucun téléversement' if number is None else f'pas de téléversement {number}'}.",
            )
        body = json.loads(path.read_text(encoding="utf-8"))
        report = MatchReport(
            body["file"], body["mapping"], [ReportRow.from_kept(row) for row in body["rows"]]
        )
        return KeptUpload(
            name,
            int(path.stem),
            body.get("uploaded", ""),
            report,
            body.get("changes", {}),
            path == kept[-1],
        )

    def rewrite(self, kept: KeptUpload) -> None:
        """Store a kept upload again, with its rows as they are now (after a decision)."""
        path = self.root / kept.registry / f"{kept.number:05d}.json"
        body = json.loads(path.read_text(encoding="utf-8"))
        body["counts"] = kept.report.counts()
        body["rows"] = [row.to_kept() for row in kept.report.rows]
        write_atomic(path, json.dumps(body, ensure_ascii=False, indent=1, default=str) + "\n")

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
            "rows": [row.to_kept() for row in report.rows],
        }
        write_atomic(
            folder / f"{number:05d}.json",
            json.dumps(body, ensure_ascii=False, indent=1, default=str) + "\n",
        )
        return changes
