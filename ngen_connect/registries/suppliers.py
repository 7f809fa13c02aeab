"""Supplier directories (such as SIMSA's) read as one record per supplier.

A supplier directory often lists a company once per category; its rows are merged into one record
per company (same normalised name and city) carrying all its categories.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ngen_connect.errors import FileProblem, InputFileError
from ngen_connect.indexer.columns import FileColumns, header_key
from ngen_connect.indexer.passages import build_passages
from ngen_connect.indexer.readers import Row, read_rows
from ngen_connect.language import combine_languages
from ngen_connect.models import Kind, Profile
from ngen_connect.names import normalise_name
from ngen_connect.places import city_key, normalise_place
from ngen_connect.text import fold, strip_control

_CATEGORY_HEADERS = {
    "category",
    "categories",
    "category_file",
    "categorie",
    "categories_fr",
    "secteur",
    "service",
}


@dataclass
class _Supplier:
    name: str
    rows: list[int] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class SupplierImport:
    profiles: list[Profile]
    rejected: list[FileProblem]
    rows: int
    mapping: dict[str, str] = field(default_factory=dict)


def read_suppliers(
    path: Path, registry: str, overrides: Mapping[str, str] | None = None
) -> SupplierImport:
    mapping: dict[str, str] = {}
    suppliers: dict[tuple[str, str], _Supplier] = {}
    rejected: list[FileProblem] = []
    rows = 0
    for item in read_rows(path):
        rows += 1
        if isinstance(item, FileProblem):
            rejected.append(item)
            continue
        if not mapping:
            mapping = FileColumns.of(list(item.values), overrides, str(path)).mapping
            if "name" not in mapping:
                raise InputFileError(
                    FileProblem(
                        str(path),
                        1,
                        None,
                        "no name column (name, nom, company, entreprise...); map one: --map "
                        "name=COLUMN on the command line, map=name=COLUMN over HTTP",
                    ),
                    "aucune colonne de nom (name, nom, entreprise...); désignez-en une : --map "
                    "name=COLONNE en ligne de commande, map=name=COLONNE par HTTP",
                )
        _add_row(item, mapping, suppliers, rejected, str(path))
    profiles = [_profile(s, registry, str(path)) for s in suppliers.values()]
    return SupplierImport(profiles, rejected, rows, mapping)


def _text(value: Any) -> str:
    """A directory's cell as one line of text, without control characters (as `index` reads)."""
    return " ".join(strip_control(str(value)).split()) if value not in (None, "") else ""


def _add_row(
    item: Row,
    mapping: Mapping[str, str],
    suppliers: dict[tuple[str, str], _Supplier],
    rejected: list[FileProblem],
    file: str,
) -> None:
    name = _text(item.values.get(mapping["name"]))
    if not name:
        rejected.append(FileProblem(file, item.number, mapping["name"], "the name is empty"))
        return
    fields = {f: _text(item.values.get(column)) for f, column in mapping.items()}
    key = (normalise_name(name), city_key(fields.get("city", "")))
    supplier = suppliers.setdefault(key, _Supplier(name))
    supplier.rows.append(item.number)
    for f, value in fields.items():
        if value and f not in supplier.fields:
            supplier.fields[f] = value
    for text in (fields.get(f, "") for f in ("description", "description_en", "description_fr")):
        if text and text not in supplier.descriptions:
            supplier.descriptions.append(text)
    mapped = set(mapping.values()) - {mapping.get("categories")}
    for header, value in item.values.items():
        category = _text(value)
        is_category = header == mapping.get("categories") or header_key(header) in _CATEGORY_HEADERS
        if header not in mapped and is_category and category:
            category = category.replace("_", " ")
            if category not in supplier.categories:
                supplier.categories.append(category)


def _place(fields: Mapping[str, str]) -> dict[str, Any]:
    place = normalise_place(
        fields.get("province"), fields.get("country"), fields.get("postal_code")
    )
    return {"city": fields.get("city", ""), **place.attributes()}


def _profile(supplier: _Supplier, registry: str, source: str) -> Profile:
    fields = supplier.fields
    categories = supplier.categories
    text = " ".join(supplier.descriptions)
    if categories:
        text = (text + " " if text else "") + f"Supplier categories: {', '.join(categories)}."
    if not text:
        text = supplier.name
    passages = build_passages({"und": text})
    language = combine_languages([(p.language, len(p.text)) for p in passages])
    attributes: dict[str, Any] = {"registry": registry, **_place(fields)}
    for f in ("website", "phone"):
        if fields.get(f):
            attributes[f] = fields[f].lower() if f == "website" else fields[f]
    if categories:
        attributes["categories"] = categories
    basis = f"{registry}|{normalise_name(supplier.name)}|{fold(fields.get('city', ''))}"
    record_id = fields.get("id") or hashlib.sha1(basis.encode()).hexdigest()[:12]
    return Profile(
        record_id,
        Kind.ORGANIZATION,
        supplier.name,
        {language if language in {"en", "fr"} else "und": text},
        language,
        {k: v for k, v in attributes.items() if v not in ("", None)},
        source,
        supplier.rows[0],
        tuple(passages),
    )
