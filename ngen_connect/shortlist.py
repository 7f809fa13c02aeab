"""A shortlist: records a buyer kept from their searches, side by side and as a file. The rows are
what the compare view shows: place, capabilities (NAICS), certifications, size, products for a
licence holder, and the registries that list the record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ngen_connect.models import RecordJSON

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
    }


def shortlist_rows(records: Sequence[RecordJSON]) -> list[dict[str, Any]]:
    """The records as a shortlist's rows, in order (`SHORTLIST_COLUMNS`)."""
    return [shortlist_row(record) for record in records]
