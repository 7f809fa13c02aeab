"""Kept uploads of each registry, and what changed from one upload to the next.

    DATA_DIR/versions/<version>/uploads/<name>/00001.json, 00002.json, ...
        (file, mapping, counts, changes, rows)

Each row keeps its candidates and the record it would become, so a person can decide it later
(`RegistryService.decide`). The kept uploads live in the index version they produced: an upload
is written, and a decision rewritten, in the version being built, and published with it by the
one `current` swap (`ngen_connect.index.datadir`), so search never shows records whose upload is
not kept, and a write killed at any point leaves the previous uploads as they were. Every later
version links the files (no copy). A data directory an earlier release wrote keeps them in
DATA_DIR/registries/<name>/; they are read from there until the next upload or decision links
them into the version it builds, and then removed from there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typing_extensions import TypedDict

from ngen_connect.atomic import write_atomic
from ngen_connect.errors import QueryError, RecordNotFoundError
from ngen_connect.index.datadir import DataDir, fault_point, link_tree, now
from ngen_connect.registries.access import check_registry_name
from ngen_connect.registries.matching import Status
from ngen_connect.registries.reports import MatchReport, ReportRow

#: the subfolder of an index version that holds the registries' kept uploads
UPLOADS = "uploads"


class ChangesJSON(TypedDict):
    """What an upload changed since the registry's previous one, by row key (the row's id, else
    its normalised name); `previous_upload` is null for a first upload."""

    added: list[str]
    removed: list[str]
    changed: list[str]
    unchanged: int
    previous_upload: str | None


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

    def to_dict(self) -> ChangesJSON:
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
    changes: ChangesJSON
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
    """Named registries' kept uploads: each upload's mapping and match report, numbered in order.

    Read from the live version (`VERSION/uploads/<name>/00001.json`); written into the version a
    write builds, by `save` and `rewrite`.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data = DataDir(data_dir)
        #: where a data directory an earlier release wrote keeps them (beside `access.json`)
        self.legacy = data_dir / "registries"

    def root(self) -> Path:
        """The folder of the kept uploads in effect: the live version's, else the earlier
        release's."""
        current = self.data.current
        if current is not None and (current / UPLOADS).is_dir():
            return current / UPLOADS
        return self.legacy

    def uploads(self, name: str) -> list[Path]:
        return _numbered(self.root() / check_registry_name(name))

    def names(self) -> list[str]:
        """Registries with at least one kept upload."""
        root = self.root()
        if not root.is_dir():
            return []
        return sorted(folder.name for folder in root.iterdir() if _numbered(folder))

    def load(self, name: str, number: int | None = None) -> KeptUpload:
        """A kept upload by number, or the latest (None)."""
        kept = _numbered(self.root() / check_registry_name(name))
        wanted = [p for p in kept if number is None or int(p.stem) == number]
        if not wanted:
            which = "no upload" if number is None else f"no upload {number}"
            raise RecordNotFoundError(
                f"Registry '{name}' has {which}.",
                f"Le registre « {name} » n'a {'aucun téléversement' if number is None else f'pas de téléversement {number}'}.",
            )
        path = wanted[-1]
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

    def rewrite(self, kept: KeptUpload, version: Path) -> None:
        """Store a kept upload again in the version being built (`version`), with its rows as
        they are now (after a decision). The file is replaced, not changed: the live version
        keeps the upload as it was until this one is published."""
        path = self._folder(version) / kept.registry / f"{kept.number:05d}.json"
        body = json.loads(path.read_text(encoding="utf-8"))
        body["counts"] = kept.report.counts()
        body["rows"] = [row.to_kept() for row in kept.report.rows]
        fault_point("before-upload-kept")
        write_atomic(path, _kept_json(body))
        fault_point("after-upload-kept")

    def save(self, name: str, report: MatchReport, version: Path) -> tuple[int, Changes]:
        """Store an upload as the registry's next one in the version being built (`version`);
        returns its number and what changed since the previous one."""
        folder = self._folder(version) / check_registry_name(name)
        previous_path = next(iter(reversed(_numbered(folder))), None)
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
        folder.mkdir(parents=True, exist_ok=True)
        # Numbered so uploads sort in order even within one second.
        number = int(previous_path.stem) + 1 if previous_path else 1
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
        fault_point("before-upload-kept")
        write_atomic(
            folder / f"{number:05d}.json",
            _kept_json(body),
        )
        fault_point("after-upload-kept")
        return number, changes

    def forget_legacy(self) -> None:
        """Once the live version holds the kept uploads, remove the earlier release's copies of
        them (links to the same files): they no longer count."""
        current = self.data.current
        if current is None or not (current / UPLOADS).is_dir() or not self.legacy.is_dir():
            return
        for folder in self.legacy.iterdir():
            for path in _numbered(folder):
                path.unlink()
                fault_point("legacy-removal")
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()

    def _folder(self, version: Path) -> Path:
        """`version`'s kept uploads; when it has none yet, those of an earlier release's data
        directory are linked into it first."""
        folder = version / UPLOADS
        if not folder.is_dir():
            folder.mkdir()
            if self.legacy.is_dir():
                for registry in self.legacy.iterdir():
                    if _numbered(registry):
                        link_tree(registry, folder / registry.name)
        return folder


def _numbered(folder: Path) -> list[Path]:
    """A registry folder's kept uploads (00001.json, 00002.json...), in order."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.glob("*.json") if p.stem.isascii() and p.stem.isdigit() and p.is_file()
    )


def _kept_json(body: dict[str, Any]) -> str:
    """A kept upload as JSON text, one row a line: each row is written by the json module's C
    encoder (with `indent` it falls back to Python, which holds many times the text in memory at
    once; benchmarks/RESULTS.md, "Uploads never stall the server")."""
    head = json.dumps(
        {k: v for k, v in body.items() if k != "rows"}, ensure_ascii=False, default=str
    )
    rows = ",\n".join(json.dumps(row, ensure_ascii=False, default=str) for row in body["rows"])
    return (head[:-1] + ", " if head != "{}" else "{") + f'"rows": [\n{rows}\n]}}\n'
