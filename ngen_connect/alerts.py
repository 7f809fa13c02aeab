"""Saved searches with alerts: a query with its filters and kinds, owned by whoever saved it (the
audit trail's actor: "admin", "key:<registry>#<id>", "token:<name>#<id>", "cli:<user>"), and the
records that pass it now and did not at the last check. A SCAN Health watch follows the marketed
products of an active ingredient, a brand or a licence holder instead: what a check finds is a
product that appeared, changed status or disappeared.

A check runs the saved search once against the live index version (its whole result set, the best
300) and keeps the ids it saw; what is new since the previous check is kept too (the last
`KEPT_FINDINGS`), for the alert's Atom feed. The alerts of a data directory are one JSON file,
rewritten whole under a lock of this file's own (alerts are few and small).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from ngen_connect.atomic import locked_json, read_json
from ngen_connect.errors import QueryError, RecordNotFoundError
from ngen_connect.text import strip_control

ALERTS_FILE = Path("alerts") / "alerts.json"
#: the findings an alert keeps for its feed
KEPT_FINDINGS = 200
#: the alerts one owner may keep
MAX_ALERTS = 100


@dataclass
class Finding:
    """A record that passed the saved search at a check and had not at the one before."""

    key: str
    name: str
    found: str  # when, ISO 8601


@dataclass
class Alert:
    id: str
    owner: str
    name: str
    query: str
    filters: dict[str, list[str]] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)
    #: a SCAN Health watch instead of a search: {"ingredient" | "brand" | "company": value}
    watch: dict[str, str] = field(default_factory=dict)
    created: str = ""
    checked: str = ""
    #: the record keys the last check saw
    seen: list[str] = field(default_factory=list)
    #: what the checks found new, latest first
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body.pop("seen")
        body["watching"] = len(self.seen)
        return body

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alert:
        fields = {k: v for k, v in data.items() if k != "findings"}
        return cls(**fields, findings=[Finding(**f) for f in data.get("findings") or ()])


class Alerts:
    """The alerts of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / ALERTS_FILE

    def owned(self, owner: str | None) -> list[Alert]:
        """The owner's alerts (every alert for None: the command line's operator)."""
        return [a for a in self._read().values() if owner is None or a.owner == owner]

    def get(self, alert_id: str, owner: str | None) -> Alert:
        """One alert of the owner's; another's is not found, as one that does not exist."""
        found = self._read().get(alert_id)
        if found is None or (owner is not None and found.owner != owner):
            raise RecordNotFoundError(
                f"There is no alert '{alert_id[:40]}'.", f"Aucune alerte « {alert_id[:40]} »."
            )
        return found

    def create(self, alert: Alert) -> Alert:
        with self._locked() as alerts:
            if sum(1 for a in alerts.values() if a.owner == alert.owner) >= MAX_ALERTS:
                raise QueryError(
                    f"An owner keeps {MAX_ALERTS} alerts at most; delete one first.",
                    f"Une même clé garde au plus {MAX_ALERTS} alertes; supprimez-en une d'abord.",
                )
            # hexadecimal: an id is typed on a command line, where one starting with "-" would
            # read as an option ("alerts delete -J2x...")
            alert.id = secrets.token_hex(8)
            alerts[alert.id] = alert
        return alert

    def delete(self, alert_id: str, owner: str | None) -> None:
        self.get(alert_id, owner)
        with self._locked() as alerts:
            alerts.pop(alert_id, None)

    def record_check(
        self, alert_id: str, found: Mapping[str, str], at: str
    ) -> tuple[Alert, list[Finding]]:
        """Keep what a check saw (`found`: record key -> name) and what it found new since the
        check before, compared under the lock, so two checks at once find a record once; a
        watch's product gone (or gone from a status) is news too. An alert deleted meanwhile is
        not found."""
        with self._locked() as alerts:
            alert = alerts.get(alert_id)
            if alert is None:
                raise RecordNotFoundError(
                    f"There is no alert '{alert_id[:40]}'.", f"Aucune alerte « {alert_id[:40]} »."
                )
            before = set(alert.seen)
            new = [Finding(key, found[key], at) for key in sorted(found) if key not in before]
            if alert.watch:
                new = _changes(new, sorted(before - set(found)), at)
            alert.seen = sorted(found)
            alert.checked = at
            alert.findings = [*reversed(new), *alert.findings][:KEPT_FINDINGS]
            return alert, new

    def _read(self) -> dict[str, Alert]:
        return {key: Alert.from_dict(value) for key, value in read_json(self.path).items()}

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Alert]]:
        """The alerts to change, written back whole when the block ends, one writer at a time."""
        with locked_json(self.path) as stored:
            alerts = {key: Alert.from_dict(value) for key, value in stored.items()}
            yield alerts
            stored.clear()
            stored.update({key: asdict(alert) for key, alert in alerts.items()})


def _text(value: str) -> str:
    """Text an XML element holds: escaped, without what XML cannot hold."""
    return escape(strip_control(value))


def feed_link(base: str, alert: Alert) -> str:
    """Where an alert's feed sends a reader: the search in the page, with its filters, or the
    Insights page for a watch."""
    if not alert.query:
        return base + "#/insights"
    pairs = [("q", alert.query), *((k, v) for k, vs in alert.filters.items() for v in vs)]
    pairs += [("kind", kind) for kind in alert.kinds]
    return base + "#/search?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in pairs)


def alert_title(alert: Alert) -> str:
    """What an alert is called: its name, else its query, else what it watches."""
    watched = " ".join(f"{what} {value}" for what, value in alert.watch.items())
    return alert.name or alert.query or watched


def _entry_link(base: str, alert: Alert, finding: Finding) -> str:
    """A finding's record in the page (a search's finding), else the alert's own link."""
    kind, _, record_id = finding.key.partition(":")
    if alert.watch or kind not in _PAGES:
        return feed_link(base, alert)
    return f"{base}#/{kind}/{quote(record_id, safe='')}"


_PAGES = ("organization", "cluster", "ip_asset")


def atom_feed(alert: Alert, base: str) -> str:
    """The alert's findings as an Atom feed (RFC 4287), the latest first; `base` is the page's
    address, where each entry links (its record, for a search's finding)."""
    updated = alert.findings[0].found if alert.findings else (alert.checked or alert.created)
    entries = "".join(
        "<entry>"
        f"<id>urn:ngen-connect:alert:{_text(alert.id)}:{_text(quote(f.key))}:{_text(f.found)}</id>"
        f"<title>{_text(f.name)}</title>"
        f"<updated>{_text(f.found)}</updated>"
        f"<link href={quoteattr(strip_control(_entry_link(base, alert, f)))}/>"
        f"<summary>{_text(f.name)} ({_text(f.key)})</summary>"
        "</entry>"
        for f in alert.findings
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>urn:ngen-connect:alert:{_text(alert.id)}</id>"
        f"<title>NGen Connect: {_text(alert_title(alert))}</title>"
        f"<link href={quoteattr(strip_control(feed_link(base, alert)))}/>"
        f"<updated>{_text(updated)}</updated>"
        f"<author><name>NGen Connect</name></author>"
        f"{entries}</feed>"
    )


def _changes(appeared: list[Finding], gone: list[str], at: str) -> list[Finding]:
    """A watch's news: a product whose status changed is one finding ("Tapazole (02296039) —
    DORMANT — holder; was MARKETED"), a product gone another ("02296039 MARKETED: gone")."""
    was = {key.partition(" ")[0]: key.partition(" ")[2] for key in gone}
    changed = []
    for finding in appeared:
        din = finding.key.partition(" ")[0]
        if din in was:
            changed.append(replace(finding, name=f"{finding.name}; was {was.pop(din)}"))
        else:
            changed.append(finding)
    left = [key for key in gone if key.partition(" ")[0] in was]
    return changed + [Finding(key, f"{key}: gone", at) for key in left]


#: what a SCAN Health watch may follow
WATCHED = ("ingredient", "brand", "company")


def watched_products(
    holders: Sequence[tuple[str, Mapping[str, Any]]], watch: Mapping[str, str]
) -> dict[str, str]:
    """The products a watch follows, as "DIN status" -> what a person reads ("Brand (DIN) —
    status — holder"), among `holders` (name, attributes) of the SCAN Health registry."""
    ((what, value),) = watch.items()
    wanted = " ".join(value.split()).casefold()
    found = {}
    for holder, attributes in holders:
        for entry in attributes.get("product_list") or ():
            names = {
                "ingredient": [*entry.get("ingredients", ()), *entry.get("ingredients_fr", ())],
                "brand": [entry.get("brand", ""), entry.get("brand_fr", "")],
                "company": [holder],
            }[what]
            if any(wanted and wanted in str(n).casefold() for n in names):
                status = str(entry.get("status") or "-")
                din = str(entry.get("din", ""))
                found[f"{din} {status}"] = f"{entry.get('brand', '')} ({din}) — {status} — {holder}"
    return found
