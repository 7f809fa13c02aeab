"""Kept uploads of each registry, and what changed from one upload to the next.

DATA_DIR/registries/<name>/00001.json, 00002.json, ...   (file, mapping, counts, changes, rows)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ngen_connect.atomic import write_atomic
from ngen_connect.index.datadir import now
from ngen_connect.registries.access import check_registry_name
from ngen_connect.registries.matching import Status
from ngen_connect.registries.reports import MatchReport


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


class Uploads:
    """Named registries in the data directory: each upload's mapping and match report, kept by date.

    DATA_DIR/registries/<name>/<upload time>.json
    """

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "registries"

    def uploads(self, name: str) -> list[Path]:
        folder = self.root / check_registry_name(name)
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
