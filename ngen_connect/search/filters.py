"""Search filters (turned into SQL over the records table) and facet counts over a result set."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain
from typing import Any

from ngen_connect.errors import QueryError
from ngen_connect.language import BILINGUAL
from ngen_connect.limits import MAX_FILTER_VALUES, MAX_VALUES_PER_FILTER
from ngen_connect.models import RecordSummary
from ngen_connect.naics import naics_title
from ngen_connect.places import country_code, country_name, normalise_province
from ngen_connect.text import fold, text_key
from ngen_connect.values import (
    PRODUCT_STATUSES,
    SIZE_BANDS,
    employee_band,
    ownership_code,
    ownership_label,
    product_status,
    size_band,
    yes_no,
)

#: every filter a search takes, with what it holds (the HTTP API documents its query parameters
#: from this)
FILTERS: dict[str, str] = {
    "province": "Province or territory (code or name).",
    "city": "",
    "country": "",
    "type": "manufacturer, technology_supplier, research, ecosystem_partner",
    "naics": "NAICS code or prefix (2 to 6 digits).",
    "certification": "",
    "sme": "yes or no",
    "cluster": "",
    "ownership": "indigenous_owned, women_owned... or as written (Indigenous-owned, autochtone)",
    "licence": "Words of a licence held (or an IP asset's status).",
    "size": "Employee-size band: 1-19, 20-99, 100-499, 500+",
    "status": "Product status (SCAN Health): marketed, approved, dormant, cancelled",
    "language": "en or fr (bilingual profiles match both)",
    "registry": "",
}
FILTER_KEYS = tuple(FILTERS)
FACET_KEYS = (
    "kind",
    "country",
    "province",
    "type",
    "naics",
    "certification",
    "sme",
    "cluster",
    "ownership",
    "size",
    "status",
    "language",
)


def _code(value: str) -> str:
    """Certification names compare without case, accents, spaces or punctuation: 'ISO-9001' = 'iso 9001'."""
    return re.sub(r"[^a-z0-9]", "", fold(value))


@dataclass(frozen=True)
class Filters:
    """Each key holds the accepted values; a record passes when every key matches one of them."""

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: registries whose records stay out of every result (private registries the caller cannot read)
    hidden_registries: tuple[str, ...] = ()

    def naming_clusters(self, names: Mapping[str, str]) -> Filters:
        """Cluster values given by name (English or French, any case or accents) as cluster ids;
        `names` maps each cluster id to its name."""
        wanted = self.values.get("cluster")
        if not wanted:
            return self
        by_name = {text_key(name): cluster_id for cluster_id, name in names.items()}
        ids = tuple(dict.fromkeys(by_name.get(text_key(value), value) for value in wanted))
        return replace(self, values={**self.values, "cluster": ids})

    def hiding(self, registries: Iterable[str]) -> Filters:
        """These filters for a caller who may not read `registries`: their records and listings
        stay out, and asking for one of them finds nothing, as for a registry that does not exist."""
        hidden = tuple(sorted(set(self.hidden_registries) | set(registries)))
        values = dict(self.values)
        if "registry" in values:
            values["registry"] = tuple(v for v in values["registry"] if v not in hidden)
        return Filters(values, hidden)

    @classmethod
    def parse(cls, raw: Mapping[str, str | Sequence[str]] | None) -> Filters:
        values: dict[str, tuple[str, ...]] = {}
        total = 0
        for key, given in (raw or {}).items():
            if key not in FILTER_KEYS:
                raise QueryError(
                    f"Unknown filter '{key}'; use one of {', '.join(FILTER_KEYS)}.",
                    f"Filtre inconnu « {key} »; les filtres sont {', '.join(FILTER_KEYS)}.",
                )
            items = [given] if isinstance(given, str) else list(given)
            if len(items) > MAX_VALUES_PER_FILTER:
                raise QueryError(
                    f"Filter '{key}' has {len(items):,} values; the limit is {MAX_VALUES_PER_FILTER}.",
                    f"Le filtre « {key} » compte trop de valeurs (limite : {MAX_VALUES_PER_FILTER}).",
                )
            total += len(items)
            if total > MAX_FILTER_VALUES:
                raise QueryError(
                    f"The filters hold more than {MAX_FILTER_VALUES} values.",
                    f"Les filtres comptent plus de {MAX_FILTER_VALUES} valeurs.",
                )
            cleaned = tuple(v.strip() for v in items if v and v.strip())
            if cleaned:
                values[key] = _validate(key, cleaned)
        return cls(values)

    @classmethod
    def from_pairs(cls, pairs: Iterable[str]) -> Filters:
        """`KEY=VALUE` pairs from the command line; repeating a key accepts any of its values."""
        raw: dict[str, list[str]] = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep:
                raise QueryError(
                    f"'{pair}' is not KEY=VALUE (for example province=QC).",
                    "Format attendu : CLÉ=VALEUR.",
                )
            raw.setdefault(key.strip(), []).append(value)
        return cls.parse(raw)

    def __bool__(self) -> bool:
        return bool(self.values or self.hidden_registries)

    def sql(self) -> tuple[str, list[Any]]:
        """A WHERE clause over `records` and its parameters ("TRUE" when there is no filter)."""
        clauses: list[str] = []
        params: list[Any] = []
        for key, accepted in self.values.items():
            clause, args = _CLAUSES[key](list(accepted))
            clauses.append(clause)
            params.extend(args)
        if self.hidden_registries:
            clauses.append("(registry IS NULL OR registry NOT IN (SELECT unnest(?)))")
            params.append(list(self.hidden_registries))
        return (" AND ".join(clauses) or "TRUE"), params


def _validate(key: str, values: tuple[str, ...]) -> tuple[str, ...]:
    if key == "province":
        try:
            return tuple(normalise_province(v) for v in values)
        except QueryError as exc:
            raise QueryError(
                f"Filter 'province': {exc.message_en}.", f"Filtre « province » : {exc.message_fr}."
            ) from None
    if key == "country":
        return tuple(_country(v) for v in values)
    if key == "sme":
        try:
            return tuple("true" if yes_no(v) else "false" for v in values)
        except ValueError:
            raise QueryError(
                "Filter 'sme' takes yes or no (oui/non, true/false, vrai/faux, 1/0).",
                "Le filtre « sme » attend oui ou non (yes/no, vrai/faux, 1/0).",
            ) from None
    if key == "naics" and any(not v.isdigit() or not 2 <= len(v) <= 6 for v in values):
        raise QueryError(
            f"Filter 'naics': '{', '.join(values)}' is not a code or prefix of 2 to 6 digits.",
            "Filtre « naics » : un code ou un préfixe de 2 à 6 chiffres est attendu.",
        )
    if key == "size":
        try:
            return tuple(size_band(v) for v in values)
        except ValueError:
            raise QueryError(
                f"Filter 'size' takes a size band: {', '.join(SIZE_BANDS)}.",
                f"Le filtre « size » attend une tranche d'effectif : {', '.join(SIZE_BANDS)}.",
            ) from None
    if key == "ownership":
        return tuple(ownership_code(v) for v in values)
    if key == "status":
        try:
            return tuple(dict.fromkeys(product_status(v) for v in values))
        except ValueError:
            raise QueryError(
                f"Filter 'status' takes a product status: {', '.join(PRODUCT_STATUSES)}.",
                "Le filtre « status » attend un statut de produit : commercialisé, approuvé, "
                "dormant, annulé.",
            ) from None
    if key in {"language", "licence"}:
        return tuple(fold(v) for v in values)
    return values


def _country(value: str) -> str:
    """A country as stored: its ISO code when the name is known ("États-Unis" -> "US")."""
    found = country_code(value)
    return found[0] if found else value


def _in(column: str) -> Any:
    return lambda vs: (f"{column} IN (SELECT unnest(?))", [vs])


def _folded_list_has(column: str) -> Any:
    return lambda vs: (
        f"list_has_any(list_transform({column}, x -> lower(strip_accents(x))), ?)",
        [[fold(v) for v in vs]],
    )


def _certification(values: list[str]) -> tuple[str, list[Any]]:
    normalised = "regexp_replace(lower(strip_accents(x)), '[^a-z0-9]', '', 'g')"
    return f"list_has_any(list_transform(certifications, x -> {normalised}), ?)", [
        [_code(v) for v in values]
    ]


def _language(values: list[str]) -> tuple[str, list[Any]]:
    wanted = set(values)
    if wanted & {"en", "fr"}:
        wanted.add(BILINGUAL)
    return "language IN (SELECT unnest(?))", [sorted(wanted)]


def _registry(values: list[str]) -> tuple[str, list[Any]]:
    """A registry's own records and the members it lists."""
    if not values:
        return "FALSE", []
    return (
        "(registry IN (SELECT unnest(?)) OR key IN "
        "(SELECT record_key FROM listings WHERE registry IN (SELECT unnest(?))))",
        [values, values],
    )


def _size(values: list[str]) -> tuple[str, list[Any]]:
    """Records in one of the size bands: by head count, or by the band a file gave."""
    employees = "TRY_CAST(json_extract_string(attributes, '$.employees') AS BIGINT)"
    ranges = []
    for band in values:
        low, high = SIZE_BANDS[band]
        ranges.append(f"{employees} BETWEEN {low} AND {high if high is not None else 2**62}")
    by_band = "json_extract_string(attributes, '$.employee_band') IN (SELECT unnest(?))"
    return f"(({' OR '.join(ranges)}) OR ({employees} IS NULL AND {by_band}))", [values]


def _status(values: list[str]) -> tuple[str, list[Any]]:
    """Records holding a product with one of these statuses (SCAN Health: "cancelled" covers
    CANCELLED POST MARKET and PRE MARKET)."""
    statuses = "lower(coalesce(json_extract_string(attributes, '$.product_status'), ''))"
    pattern = '"(' + "|".join(values) + ')[^"]*"[[:space:]]*:'
    return f"regexp_matches({statuses}, ?)", [pattern]


def _licence(values: list[str]) -> tuple[str, list[Any]]:
    """Records holding a licence whose wording has the value's words, whole and in order (an IP
    asset: its licensing status); "establishment licence" matches "Drug establishment licence"."""
    held = (
        "lower(strip_accents(concat_ws(' ', json_extract_string(attributes, '$.licences'), "
        "json_extract_string(attributes, '$.licensing_status'))))"
    )
    # The patterns are built from words alone; a value without words (punctuation) matches nothing.
    patterns = [
        r"(^|[^a-z0-9])" + r"[^a-z0-9]+".join(words) + r"($|[^a-z0-9])"
        for words in (re.findall(r"[a-z0-9]+", fold(value)) for value in values)
        if words
    ]
    if not patterns:
        return "FALSE", []
    return "(" + " OR ".join(f"regexp_matches({held}, ?)" for _ in patterns) + ")", patterns


_CLAUSES: dict[str, Any] = {
    "province": _in("province"),
    "city": lambda vs: (
        "lower(strip_accents(city)) IN (SELECT unnest(?))",
        [[fold(v) for v in vs]],
    ),
    "country": lambda vs: ("upper(country) IN (SELECT unnest(?))", [[v.upper() for v in vs]]),
    "type": _in("org_type"),
    "naics": lambda vs: (
        "len(list_filter(naics, x -> list_has_any([x[1:2], x[1:3], x[1:4], x[1:5], x[1:6]], ?))) > 0",
        [vs],
    ),
    "certification": _certification,
    "sme": lambda vs: ("sme IN (SELECT unnest(?)::BOOLEAN)", [vs]),
    "cluster": _folded_list_has("clusters"),
    "ownership": _folded_list_has("ownership"),
    "licence": _licence,
    "status": _status,
    "size": _size,
    "language": _language,
    "registry": _registry,
}


def facet_counts(
    records: Sequence[RecordSummary],
    ui_language: str = "en",
    cluster_names: Mapping[str, str] | None = None,
    values: Callable[[RecordSummary], tuple[tuple[str, str], ...]] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Counts of each facet value over a result set, most frequent first; codes carry a label in
    the page's language (NAICS titles, country names, cluster names, ownership). `values` gives a
    record's (facet, value) pairs (`facet_values`, or a cache of it)."""
    values_of = values or facet_values
    counters: dict[str, dict[str, int]] = {key: {} for key in FACET_KEYS}
    for (key, value), count in Counter(chain.from_iterable(map(values_of, records))).items():
        counters[key][value] = count
    facets: dict[str, list[dict[str, Any]]] = {}
    for key, counter in counters.items():
        entries = []
        for value, count in sorted(counter.items(), key=lambda item: (-item[1], item[0])):
            entry: dict[str, Any] = {"value": value, "count": count}
            if key == "naics":
                entry["label"] = naics_title(value, ui_language)
            if key == "country":
                entry["label"] = country_name(value, ui_language)
            if key == "cluster" and cluster_names and value in cluster_names:
                entry["label"] = cluster_names[value]
            if key == "ownership":
                entry["label"] = ownership_label(value, ui_language)
            entries.append(entry)
        if entries:
            facets[key] = entries
    return facets


def facet_values(record: RecordSummary) -> tuple[tuple[str, str], ...]:
    """The (facet, value) pairs a record counts once for. Worked out once per record of an open
    version (`Catalog.facets`), not per search: a search counts the facets of its 300 records."""
    attrs = record.attributes
    pairs = [("kind", record.kind.value), ("language", record.language)]
    for key, attr in (("province", "province"), ("country", "country"), ("type", "org_type")):
        if attrs.get(attr):
            pairs.append((key, attrs[attr]))
    if attrs.get("sme") is not None:
        pairs.append(("sme", "yes" if attrs["sme"] else "no"))
    band = _band_of(attrs)
    if band:
        pairs.append(("size", band))
    for key, attr in (
        ("certification", "certifications"),
        ("cluster", "clusters"),
        ("ownership", "ownership"),
        ("naics", "naics"),
    ):
        pairs.extend((key, value) for value in set(attrs.get(attr) or ()))
    pairs.extend(("status", status) for status in _statuses(attrs.get("product_status")))
    return tuple(pairs)


def _statuses(counts: Any) -> set[str]:
    """The product statuses a licence holder has products in ("MARKETED": 12 -> "marketed"), as
    the `status` filter reads them."""
    found = set()
    for value in counts if isinstance(counts, dict) else ():
        try:
            found.add(product_status(str(value)))
        except ValueError:
            continue
    return found


def _band_of(attributes: Mapping[str, Any]) -> str | None:
    employees = attributes.get("employees")
    if isinstance(employees, int) and not isinstance(employees, bool):
        return employee_band(employees)
    band = attributes.get("employee_band")
    return band if band in SIZE_BANDS else None
