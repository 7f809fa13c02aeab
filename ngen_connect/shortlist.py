"""A shortlist: records a buyer kept from their searches, side by side and as a file. The rows are
what the compare view shows: place, capabilities (NAICS), certifications, size, products for a
licence holder, and the registries that list the record.

Without a key the page keeps a shortlist in the browser tab; with one it is kept here, per key
(the audit trail's actor: "admin", "key:<registry>#<id>", "token:<name>#<id>"), in one JSON file
of the data directory rewritten whole under a lock of its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

from ngen_connect.atomic import locked_json, read_json
from ngen_connect.models import RecordJSON

SHORTLISTS_FILE = Path("shortlists") / "shortlists.json"

#: records a shortlist export takes
MAX_SHORTLIST = 50
SHORTLIST_COLUMNS = (
    "name",
    "kind",
    "id",
    "city",
    "province",
    "country",
    "naics",
    "certifications",
    "employees",
    "products",
    "registries",
    "website",
    "sample",
)
SHORTLIST_HEADERS_FR = {
    "name": "nom",
    "kind": "type de fiche",
    "id": "identifiant",
    "city": "ville",
    "province": "province",
    "country": "pays",
    "naics": "SCIAN",
    "certifications": "certifications",
    "employees": "employés",
    "products": "produits",
    "registries": "registres",
    "website": "site web",
    "sample": "exemple fictif",
}


def _joined(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(str(k) for k in value)
    return "" if value is None else str(value)


def shortlist_row(record: RecordJSON) -> dict[str, Any]:
    """One record as a shortlist's row."""
    attributes: Mapping[str, Any] = record["attributes"]
    registries = [*([attributes["registry"]] if attributes.get("registry") else [])]
    registries += list(attributes.get("listed_in") or {})
    return {
        "name": record["name"],
        "kind": record["kind"],
        "id": record["id"],
        "city": attributes.get("city", ""),
        "province": attributes.get("province", ""),
        "country": attributes.get("country", ""),
        "naics": _joined(attributes.get("naics")),
        "certifications": _joined(attributes.get("certifications")),
        "employees": attributes.get("employees", attributes.get("employee_band", "")),
        "products": attributes.get("products", ""),
        "registries": "; ".join(registries),
        "website": attributes.get("website", ""),
        # a fictitious profile of the bundled sample says so wherever it goes
        "sample": "yes" if attributes.get("sample") else "",
    }


#: a record's kind as a French export writes it
KINDS_FR = {"organization": "organisation", "cluster": "grappe", "ip_asset": "actif de PI"}


def shortlist_rows(records: Sequence[RecordJSON], language: str = "en") -> list[dict[str, Any]]:
    """The records as a shortlist's rows, in order (`SHORTLIST_COLUMNS`); kinds in French for a
    French export."""
    rows = [shortlist_row(record) for record in records]
    if language == "fr":
        for row in rows:
            row["kind"] = KINDS_FR.get(row["kind"], row["kind"])
            row["sample"] = "oui" if row["sample"] else ""
    return rows


class ShortlistEntry(TypedDict):
    """A record kept in a shortlist, named as it was when it was kept."""

    kind: str
    id: str
    name: str


class Shortlists:
    """The shortlists kept for keys, one per key, in a data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / SHORTLISTS_FILE

    def of(self, owner: str) -> list[ShortlistEntry]:
        """The owner's shortlist, in the order its records were kept ([] when none)."""
        kept: list[ShortlistEntry] = read_json(self.path).get(owner, [])
        return kept

    def keep(self, owner: str, entries: Sequence[ShortlistEntry]) -> None:
        """Replace the owner's shortlist (an empty one is forgotten)."""
        with locked_json(self.path) as stored:
            if entries:
                stored[owner] = [dict(entry) for entry in entries[:MAX_SHORTLIST]]
            else:
                stored.pop(owner, None)
