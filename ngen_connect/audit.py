"""The audit trail: one entry per write (records indexed or deleted, registry uploads, decisions,
directory and SCAN Health imports, key and privacy changes), appended to a JSON Lines file in the
data directory and never rewritten.

Each entry carries the hash of the entry before it and its own, over its content and that hash: an
entry removed, altered or moved breaks the chain from there on, which `verify` finds. Who wrote is
the key's id (the start of its salted hash in the access rules, never the key), "admin", or
"cli:<os user>" for the command line. Appends from several processes (the server, its worker, the
command line) take an exclusive lock on the file, so the chain stays one line after another.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from typing_extensions import TypedDict

#: where the trail is kept in a data directory
AUDIT_FILE = Path("audit") / "audit.jsonl"
#: the hash an empty trail's first entry follows
GENESIS = "0" * 64


class AuditEntryJSON(TypedDict):
    """One write: when (UTC), who, what (the action and its details: registry, counts, record
    ids, the upload's number), the outcome ("ok", "refused", or an error's code), and the chain."""

    at: str
    actor: str
    action: str
    outcome: str
    details: dict[str, Any]
    previous: str
    hash: str


def command_line_actor() -> str:
    """Who writes from the command line: the operating system's user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"cli:uid-{os.getuid()}"


def _digest(previous: str, content: Mapping[str, Any]) -> str:
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((previous + canonical).encode("utf-8")).hexdigest()


def _content(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in ("at", "actor", "action", "outcome", "details")}


@dataclass(frozen=True)
class Verification:
    """What `verify` found: the entries read, and the first line whose chain is broken (None
    when the whole trail holds), with why."""

    entries: int
    broken_line: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_line is None


class AuditTrail:
    """The trail of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / AUDIT_FILE

    def append(
        self, actor: str, action: str, outcome: str, details: Mapping[str, Any]
    ) -> AuditEntryJSON:
        """Add one entry after the last, under an exclusive lock; the entry as written."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                previous = _last_hash(handle)
                handle.seek(0, os.SEEK_END)
                if handle.tell():
                    handle.seek(-1, os.SEEK_END)
                    if handle.read(1) != b"\n":  # a line a crash cut: the entry starts afresh
                        handle.write(b"\n")
                at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
                entry: AuditEntryJSON = {
                    "at": at,
                    "actor": actor,
                    "action": action,
                    "outcome": outcome,
                    "details": dict(details),
                    "previous": previous,
                    "hash": "",
                }
                entry["hash"] = _digest(previous, _content(entry))
                handle.write((json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return entry

    def entries(
        self, since: date | None = None, registries: frozenset[str] | None = None
    ) -> list[AuditEntryJSON]:
        """The entries, oldest first, from `since` (a UTC day) on; with `registries`, only those
        about one of them (a registry's key sees its registry's entries)."""
        found = []
        for _, entry in self._lines():
            if entry is None:
                continue
            if since is not None and entry["at"][:10] < since.isoformat():
                continue
            if registries is not None and entry["details"].get("registry") not in registries:
                continue
            found.append(entry)
        return found

    def verify(self) -> Verification:
        """Walk the chain: every entry must follow the one before and hash to what it says."""
        previous, count = GENESIS, 0
        for number, entry in self._lines():
            if entry is None:
                return Verification(count, number, "not an entry of the trail")
            if entry["previous"] != previous:
                return Verification(count, number, "does not follow the entry before it")
            if _digest(previous, _content(entry)) != entry["hash"]:
                return Verification(count, number, "its content does not match its hash")
            previous, count = entry["hash"], count + 1
        return Verification(count)

    def _lines(self) -> Iterator[tuple[int, AuditEntryJSON | None]]:
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, _entry(line)


def _entry(line: bytes) -> AuditEntryJSON | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    fields = ("at", "actor", "action", "outcome", "previous", "hash")
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in fields):
        return None
    if not isinstance(entry.get("details"), dict):
        return None
    return entry  # type: ignore[return-value]


def _last_hash(handle: Any) -> str:
    """The hash of the file's last entry (GENESIS when it has none), read from its end."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    if not size:
        return GENESIS
    block = min(size, 65536)
    while True:
        handle.seek(size - block)
        tail = handle.read(block)
        lines = [line for line in tail.splitlines() if line.strip()]
        if len(lines) > 1 or block == size:
            break
        block = min(size, block * 4)
    entry = _entry(lines[-1]) if lines else None
    # a last line that is no entry (cut by a crash) is chained over: verify reports it
    return entry["hash"] if entry else GENESIS
