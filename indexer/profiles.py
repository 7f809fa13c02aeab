"""Turning rows of any registry file into validated profiles: column guessing in English and French,
value normalisation, and per-row errors that name the file, the row and the column."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from typing import Any

from ngen_connect.errors import InputFileError, RowError
from ngen_connect.indexer.passages import split_passages
from ngen_connect.indexer.readers import Row
from ngen_connect.language import BILINGUAL, UNDETERMINED, combine_languages, detect_language
from ngen_connect.models import Kind, Passage, Profile
from ngen_connect.places import normalise_place
from ngen_connect.text import fold, is_placeholder, strip_control

MAX_NAME_CHARS = 300
MAX_TEXT_CHARS = 20_000


def header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold(header)).strip("_")


# Canonical field -> header spellings seen in English and French registries (already header_key'd).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": (
        "id",
        "identifier",
        "identifiant",
        "org_id",
        "organization_id",
        "organisation_id",
        "member_id",
        "membre_id",
        "no_membre",
        "record_id",
        "uid",
        "asset_id",
        "cluster_id",
    ),
    "name": (
        "name",
        "nom",
        "company",
        "company_name",
        "entreprise",
        "nom_entreprise",
        "nom_de_l_entreprise",
        "nom_de_l_organisation",
        "organization",
        "organisation",
        "organization_name",
        "organisation_name",
        "nom_organisation",
        "raison_sociale",
        "legal_name",
        "business_name",
        "supplier",
        "supplier_name",
        "fournisseur",
        "title",
        "titre",
        "cluster_name",
        "nom_grappe",
        "label",
        "libelle",
    ),
    "description": (
        "description",
        "capabilities",
        "capability",
        "capabilites",
        "capacites",
        "competences",
        "profile",
        "profil",
        "about",
        "a_propos",
        "services",
        "products_and_services",
        "produits_et_services",
        "abstract",
        "resume",
        "summary",
        "sommaire",
        "expertise",
        "activities",
        "activites",
        "mission",
    ),
    "description_en": (
        "description_en",
        "capabilities_en",
        "description_english",
        "description_anglais",
        "abstract_en",
        "english_description",
    ),
    "description_fr": (
        "description_fr",
        "capacites_fr",
        "capabilities_fr",
        "description_francais",
        "description_french",
        "abstract_fr",
        "resume_fr",
        "french_description",
    ),
    "website": ("website", "web_site", "site_web", "site_internet", "url", "web", "www", "site"),
    "city": ("city", "ville", "municipality", "municipalite", "town", "localite"),
    "province": (
        "province",
        "prov",
        "province_territory",
        "province_territoire",
        "state",
        "province_state",
        "territory",
    ),
    "country": ("country", "pays"),
    "postal_code": ("postal_code", "code_postal", "postcode", "zip", "zip_code"),
    "phone": ("phone", "telephone", "tel", "phone_number"),
    "naics": ("naics", "naics_code", "naics_codes", "scian", "code_scian", "codes_scian"),
    "certifications": (
        "certifications",
        "certification",
        "certs",
        "quality_certifications",
        "normes",
        "accreditations",
    ),
    "employees": (
        "employees",
        "employee_count",
        "number_of_employees",
        "nombre_d_employes",
        "nombre_employes",
        "employes",
        "headcount",
        "effectif",
    ),
    "employee_band": ("employee_band", "size_band", "taille", "company_size", "size"),
    "sme": ("sme", "pme", "is_sme", "small_medium_enterprise"),
    "org_type": (
        "type",
        "organization_type",
        "organisation_type",
        "org_type",
        "type_d_organisation",
        "type_organisation",
        "member_type",
    ),
    "clusters": ("clusters", "cluster", "grappes", "grappe", "cluster_memberships"),
    "ownership": ("ownership", "ownership_flags", "propriete", "diversity", "diversite"),
    "licences": ("licences", "licenses", "licence", "license", "permis"),
    "declared_language": ("language", "langue", "lang"),
    "region": ("region",),
    "focus_areas": (
        "focus_areas",
        "focus",
        "domaines",
        "domaines_d_expertise",
        "themes",
        "secteurs",
        "sectors",
    ),
    "members": ("members", "membres", "member_ids", "members_ids"),
    "asset_type": ("asset_type", "ip_type", "type_de_pi", "type_d_actif"),
    "owner": ("owner", "owner_id", "owner_organization", "proprietaire", "titulaire"),
    "project": ("project", "projet", "ngen_project", "projet_ngen"),
    "ipc": ("ipc", "ipc_classes", "ipc_class", "cib", "classes_cib"),
    "licensing_status": (
        "licensing_status",
        "licence_status",
        "license_status",
        "statut_de_licence",
        "statut_licence",
        "availability",
        "disponibilite",
    ),
    "categories": (
        "categories",
        "category",
        "category_file",
        "categorie",
        "product_categories",
        "supplier_categories",
        "categories_de_produits",
        "products",
        "produits",
        "keywords",
        "mots_cles",
    ),
    "sample": ("sample", "sample_data", "donnees_exemple", "exemple"),
}
FIELDS = tuple(SYNONYMS)
_LIST_FIELDS = {
    "naics",
    "certifications",
    "clusters",
    "ownership",
    "licences",
    "focus_areas",
    "members",
    "ipc",
    "categories",
}
_TEXT_FIELDS = ("description", "description_en", "description_fr")
_LOOKUP = {spelling: field for field, spellings in SYNONYMS.items() for spelling in spellings}

_ORG_TYPES = {
    "manufacturer": (
        "manufacturer",
        "manufacturing",
        "fabricant",
        "manufacturier",
        "entreprise manufacturiere",
    ),
    "technology_supplier": (
        "technology supplier",
        "technology provider",
        "fournisseur de technologie",
        "fournisseur technologique",
        "tech supplier",
    ),
    "research": (
        "research",
        "research organization",
        "research organisation",
        "recherche",
        "organisme de recherche",
        "university",
        "universite",
        "college",
        "cegep",
    ),
    "ecosystem_partner": (
        "ecosystem partner",
        "partenaire de l ecosysteme",
        "partenaire",
        "association",
        "industry association",
    ),
}
_ORG_TYPE_LOOKUP = {
    s: code for code, spellings in _ORG_TYPES.items() for s in (code.replace("_", " "), *spellings)
}
_TRUE = {"1", "true", "yes", "y", "oui", "o", "vrai", "x"}
_FALSE = {"0", "false", "no", "n", "non", "faux", ""}
_NAICS = re.compile(r"^\d{2,6}$")
_LIST_SPLIT = re.compile(r"\s*[;|\n]\s*|\s*,\s*")


# Column suffixes or prefixes that say a column's language: "mission_fr", "description (English)".
_LANGUAGE_AFFIXES = {
    "en": ("en", "eng", "english", "anglais", "ang"),
    "fr": ("fr", "fra", "fre", "french", "francais", "fran"),
}


def _field_of(header: str) -> tuple[str, str | None] | None:
    """(canonical field, language the header names or None) for a header, if it is known."""
    key = header_key(header)
    if key in _LOOKUP:
        return _LOOKUP[key], None
    for language, affixes in _LANGUAGE_AFFIXES.items():
        for affix in affixes:
            for base in (
                key[: -len(affix) - 1] if key.endswith("_" + affix) else "",
                key[len(affix) + 1 :] if key.startswith(affix + "_") else "",
            ):
                if base in _LOOKUP:
                    field = _LOOKUP[base]
                    if field == "description":
                        field = f"description_{language}"
                    return field, language
    return None


def guess_mapping(
    headers: Iterable[str], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Map canonical fields to the file's own headers; explicit overrides win over the guess."""
    mapping: dict[str, str] = {}
    for header in headers:
        found = _field_of(header)
        if found and found[0] not in mapping:
            mapping[found[0]] = header
    for field, header in (overrides or {}).items():
        if field not in SYNONYMS:
            raise ValueError(
                f"unknown field '{field}' in the column mapping; known fields: {', '.join(FIELDS)}"
            )
        mapping[field] = header
    return mapping


def text_columns(headers: Iterable[str], mapping: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every column holding capability text, as (header, language or "und"): the mapped ones
    first, then any other description-like column ("mission_fr" beside "activities_fr")."""
    hints = {"description_en": "en", "description_fr": "fr", "description": UNDETERMINED}
    columns = [(mapping[f], hint) for f, hint in hints.items() if f in mapping]
    mapped = set(mapping.values())
    for header in headers:
        found = _field_of(header)
        if header not in mapped and found and found[0] in hints:
            columns.append((header, hints[found[0]]))
    return columns


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """`FIELD=Column header` pairs from the command line."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or not field.strip() or not header.strip():
            raise ValueError(f"'{pair}' is not FIELD=COLUMN (for example name=\"Company Name\")")
        mapping[field.strip()] = header.strip()
    guess_mapping([], mapping)  # validates the field names
    return mapping


# Columns that only a cluster file or an IP-asset file has (header keys); any other file holds
# organisations. A region, focus areas, an owner or a project alone decide nothing.
_KIND_COLUMNS: dict[Kind, frozenset[str]] = {
    Kind.CLUSTER: frozenset(
        {
            "members",
            "membres",
            "member_ids",
            "members_ids",
            "cluster_id",
            "cluster_name",
            "nom_grappe",
            "id_grappe",
        }
    ),
    Kind.IP_ASSET: frozenset(
        {
            "asset_id",
            "asset_type",
            "ip_type",
            "type_de_pi",
            "type_d_actif",
            "ipc",
            "ipc_class",
            "ipc_classes",
            "cib",
            "classes_cib",
            "licensing_status",
            "licence_status",
            "license_status",
            "statut_de_licence",
            "statut_licence",
        }
    ),
}


def infer_kind(file: str, headers: Sequence[str]) -> Kind:
    """The kind of record a file holds, from its columns: clusters when it has a members or cluster
    column, IP assets when it has an asset type, IPC or licensing column, organisations otherwise.
    A file with columns of both is refused: give --kind."""
    present = {header_key(h) for h in headers}
    kinds = [kind for kind, columns in _KIND_COLUMNS.items() if present & columns]
    if not kinds:
        return Kind.ORGANIZATION
    if len(kinds) > 1:
        found = {kind.value: sorted(present & _KIND_COLUMNS[kind]) for kind in kinds}
        raise InputFileError(
            RowError(
                file,
                1,
                None,
                f"the columns fit both clusters {found['cluster']} and IP assets {found['ip_asset']}; "
                "say which with --kind cluster or --kind ip_asset / les colonnes conviennent à deux "
                "types de fiches : précisez --kind",
            )
        )
    return kinds[0]


def _text(value: Any) -> str:
    """A cell as text; empty for nothing, a blank or a placeholder such as 'N/A' or '--'."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(t for t in (_text(v) for v in value) if t)
    text = strip_control(str(value)).strip()
    return "" if is_placeholder(text) else text


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else _LIST_SPLIT.split(str(value))
    return [text for text in (_text(item) for item in items) if text]


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    token = fold(_text(value))
    if token in _TRUE:
        return True
    if token in _FALSE:
        return None if token == "" else False
    raise ValueError(f"'{value}' is not yes/no (oui/non, true/false, 1/0)")


_DECLARED_LANGUAGES = {
    "en": ("en", "eng", "english", "anglais", "ang", "a"),
    "fr": ("fr", "fra", "fre", "french", "francais", "f"),
    BILINGUAL: (
        "en fr",
        "fr en",
        "bilingual",
        "bilingue",
        "both",
        "les deux",
        "english french",
        "anglais francais",
        "francais anglais",
        "b",
    ),
}
_DECLARED_LOOKUP = {s: code for code, spellings in _DECLARED_LANGUAGES.items() for s in spellings}


def declared_language(value: Any) -> str | None:
    """A language column's value as "en", "fr" or "en+fr"; ValueError when it says something else."""
    key = " ".join(re.sub(r"[^a-z]+", " ", fold(_text(value))).split())
    if not key:
        return None
    if key in _DECLARED_LOOKUP:
        return _DECLARED_LOOKUP[key]
    raise ValueError(f"'{value}' is not a language this product reads (en, fr, bilingual)")


def employee_band(count: int) -> str:
    for upper, band in ((9, "1-9"), (49, "10-49"), (99, "50-99"), (499, "100-499")):
        if count <= upper:
            return band
    return "500+"


@dataclass
class _RowContext:
    file: str
    row: int
    mapping: Mapping[str, str]

    def error(self, field: str | None, message: str) -> RowError:
        column = self.mapping.get(field) if field else None
        return RowError(self.file, self.row, column or field, message)


def _normalise_attribute(field: str, raw: Any) -> Any:
    """Normalise one attribute value; raise ValueError with a readable reason."""
    if field in _LIST_FIELDS:
        values = _as_list(raw)
        if field == "certifications":
            values = [re.sub(r"\s+", " ", v) for v in values]
        if field == "categories":
            values = [v.replace("_", " ") for v in values]
        return values
    if field in {"sme", "sample"}:
        return _as_bool(raw)
    text = _text(raw)
    if not text:
        return None
    if field == "employees":
        return _employees(text)
    if field == "org_type":
        return _ORG_TYPE_LOOKUP.get(re.sub(r"[^a-z]+", " ", fold(text)).strip(), text)
    if field == "website":
        return text.lower().removesuffix("/")
    return text


_THOUSANDS = re.compile(r"^\d{1,3}(?:([ ,.\u00a0\u202f])\d{3})(?:\1\d{3})*$")


def _employees(text: str) -> int:
    """A head count as people write it: 1200, 1,200, 1 200, 1.200 (thousands), 12.0."""
    squeezed = text.replace("\u00a0", " ").strip()
    if _THOUSANDS.match(squeezed):
        squeezed = re.sub(r"[ ,.\u00a0\u202f]", "", squeezed)
    try:
        value = float(squeezed.replace(",", "."))
    except ValueError:
        raise ValueError(f"'{text}' is not a number of employees") from None
    if not math.isfinite(value) or value < 0 or value > 10_000_000:
        raise ValueError(f"'{text}' is not a number of employees")
    return int(value)


def generated_id(kind: Kind, name: str, attributes: Mapping[str, Any]) -> str:
    """A stable id for rows that bring none, so re-indexing the same file finds the same records."""
    basis = "|".join(
        [
            kind.value,
            fold(name),
            fold(str(attributes.get("city") or "")),
            str(attributes.get("province") or attributes.get("region") or ""),
        ]
        # Outside Canada the country tells two places apart (Cambridge, UK / Cambridge, US).
        + ([str(attributes["country"])] if attributes.get("country") not in (None, "CA") else [])
    )
    return "gen-" + hashlib.sha1(basis.encode()).hexdigest()[:12]


def build_passages(texts: Mapping[str, str], default: str | None = None) -> list[Passage]:
    """Passages of every text; a text from a language-specific column keeps that language, an
    undetermined one takes `default` ("en" or "fr") when given, else its detected language."""
    passages: list[Passage] = []
    for hint, text in texts.items():
        for chunk in split_passages(text):
            language = hint if hint != UNDETERMINED else default or detect_language(chunk)
            passages.append(Passage(len(passages), chunk, language))
    return passages


@dataclass
class ParsedRow:
    """One input row read as a record: the profile (None when the row is rejected), the reasons
    it was rejected, and what was odd about a row that is kept."""

    row: int | None
    profile: Profile | None
    errors: list[RowError] = dataclass_field(default_factory=list)
    warnings: list[RowError] = dataclass_field(default_factory=list)
    #: the id was made from the name and place because the file gives none
    generated_id: bool = False


@dataclass(frozen=True)
class FileColumns:
    """How one file's columns are read: the mapping and every capability-text column."""

    mapping: dict[str, str]
    texts: tuple[tuple[str, str], ...]
    #: the name column, then any other name-like column ("label_fr" beside "label_en"), read in
    #: order when the first is empty
    names: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, headers: Sequence[str], overrides: Mapping[str, str] | None = None, file: str = ""
    ) -> FileColumns:
        """The columns of a file with these headers; an override naming a column the file lacks
        is refused (case, accents and punctuation ignored when matching it)."""
        mapping = guess_mapping(headers, _resolve(headers, overrides or {}, file))
        names = [mapping["name"]] if "name" in mapping else []
        for header in headers:
            found = _field_of(header)
            if found and found[0] == "name" and header not in names:
                names.append(header)
        return cls(mapping, tuple(text_columns(headers, mapping)), tuple(names))


def _resolve(headers: Sequence[str], overrides: Mapping[str, str], file: str) -> dict[str, str]:
    by_key = {header_key(h): h for h in reversed(headers)}
    resolved = {}
    for field_name, header in overrides.items():
        found = header if header in headers else by_key.get(header_key(header))
        if found is None:
            raise InputFileError(
                RowError(
                    file,
                    1,
                    None,
                    f"--map {field_name}={header}: the file has no column '{header}'; its columns are "
                    f"{', '.join(repr(h) for h in headers)} / colonne introuvable",
                )
            )
        resolved[field_name] = found
    return resolved


_PLACE_FIELDS = ("province", "country", "postal_code")
_SPECIAL = {"id", "name", "declared_language", *_TEXT_FIELDS, *_PLACE_FIELDS}


def profile_from_row(
    row: Row,
    file: str,
    kind: Kind,
    columns: FileColumns | Mapping[str, str],
    *,
    require_text: bool = True,
) -> ParsedRow:
    """Read one row; it is rejected only when it cannot become a record: no name, or no text
    when `require_text` (a registry row to match needs only a name)."""
    if not isinstance(columns, FileColumns):
        columns = FileColumns.of(list(row.values), columns)
    mapping = columns.mapping
    ctx = _RowContext(file, row.number, mapping)
    parsed = ParsedRow(row.number, None, warnings=list(row.notes))
    extra: dict[str, Any] = {}

    def get(field: str) -> Any:
        return row.values.get(mapping[field]) if field in mapping else None

    name = _name(row, columns, ctx, parsed, extra)
    if not name:
        parsed.errors.append(ctx.error("name", "the name is empty"))
        return parsed
    attributes = _attributes(row, columns, ctx, parsed, extra)
    try:
        declared = declared_language(get("declared_language"))
    except ValueError as exc:
        parsed.warnings.append(
            ctx.error("declared_language", f"{exc}; the language is detected instead")
        )
        declared = None
    texts = _texts(row, columns, ctx, parsed)
    if not texts:
        fallback = "; ".join(
            v for f in ("categories", "focus_areas") for v in attributes.get(f, [])
        )
        if fallback:
            texts[UNDETERMINED] = fallback
        elif require_text:
            described = [header for header, _ in columns.texts]
            parsed.errors.append(
                RowError(
                    file,
                    row.number,
                    described[0] if described else None,
                    f"no description: {', '.join(repr(c) for c in described)} empty",
                )
            )
            return parsed
    if extra:
        attributes["extra"] = {**extra, **attributes.get("extra", {})}
    record_id = _text(get("id"))
    if not record_id:
        record_id, parsed.generated_id = generated_id(kind, name, attributes), True
    default = declared if declared in {"en", "fr"} else None
    passages = build_passages(texts, default)
    language = combine_languages([(p.language, len(p.text)) for p in passages])
    if UNDETERMINED in texts and len(texts) == 1 and language in {"en", "fr"}:
        texts = {language: texts[UNDETERMINED]}
    parsed.profile = Profile(
        record_id, kind, name, texts, language, attributes, file, row.number, tuple(passages)
    )
    return parsed


def _name(
    row: Row, columns: FileColumns, ctx: _RowContext, parsed: ParsedRow, extra: dict[str, Any]
) -> str:
    """The first non-empty name column's value; an over-long name is cut, kept whole in `extra`."""
    for header in columns.names:
        name = " ".join(_text(row.values.get(header)).split())
        if not name:
            continue
        if len(name) > MAX_NAME_CHARS:
            parsed.warnings.append(
                RowError(
                    ctx.file,
                    ctx.row,
                    header,
                    f"the name is longer than {MAX_NAME_CHARS} characters; the whole name is kept "
                    "among the extra values",
                )
            )
            extra[header] = name
            name = name[:MAX_NAME_CHARS].rstrip() + "…"
        return name
    return ""


def _texts(row: Row, columns: FileColumns, ctx: _RowContext, parsed: ParsedRow) -> dict[str, str]:
    texts: dict[str, str] = {}
    for header, hint in columns.texts:
        text = _text(row.values.get(header))
        if len(text) > MAX_TEXT_CHARS:
            parsed.warnings.append(
                RowError(
                    ctx.file,
                    ctx.row,
                    header,
                    f"the text is longer than {MAX_TEXT_CHARS:,} characters; the first {MAX_TEXT_CHARS:,} are kept",
                )
            )
            text = text[:MAX_TEXT_CHARS]
        if text and text not in texts.get(hint, ""):
            texts[hint] = f"{texts[hint]}\n\n{text}" if hint in texts else text
    return texts


def _attributes(
    row: Row, columns: FileColumns, ctx: _RowContext, parsed: ParsedRow, extra: dict[str, Any]
) -> dict[str, Any]:
    """Every mapped attribute normalised; a value that cannot be read is kept as given among the
    extra values, with a warning."""
    mapping = columns.mapping
    attributes: dict[str, Any] = {}
    for field, header in mapping.items():
        if field in _SPECIAL:
            continue
        raw = row.values.get(header)
        if field == "naics":
            codes = _as_list(raw)
            bad = [c for c in codes if not _NAICS.match(c)]
            if bad:
                parsed.warnings.append(
                    ctx.error(
                        field,
                        f"{', '.join(repr(b) for b in bad)} not a NAICS code (2 to 6 digits); kept as given",
                    )
                )
                extra[header] = raw
            value: Any = [c for c in codes if _NAICS.match(c)]
        else:
            try:
                value = _normalise_attribute(field, raw)
            except ValueError as exc:
                parsed.warnings.append(ctx.error(field, f"{exc}; kept as given"))
                extra[header] = raw
                continue
        if value not in (None, [], ""):
            attributes[field] = value
    place = normalise_place(
        *(_text(row.values.get(mapping[f])) if f in mapping else "" for f in _PLACE_FIELDS)
    )
    for field, message in place.notes:
        parsed.warnings.append(ctx.error(field, message))
    for key, value in place.attributes().items():
        if key == "region" and "region" in attributes:
            extra[mapping["province"]] = value  # the file's own region column wins
        else:
            attributes[key] = value
    if "employees" in attributes:
        attributes.setdefault("employee_band", employee_band(attributes["employees"]))
        attributes.setdefault("sme", attributes["employees"] < 500)
    mapped = set(mapping.values()) | {header for header, _ in columns.texts} | set(columns.names)
    unmapped = {k: v for k, v in row.values.items() if k not in mapped and _text(v)}
    if unmapped:
        attributes["extra"] = unmapped
    return attributes


def merge_profiles(first: Profile, later: Profile) -> Profile:
    """One record from two rows about the same organisation: texts and lists joined, the first
    row's values kept where both have one."""
    texts = dict(first.texts)
    for language, text in later.texts.items():
        if text not in texts.get(language, ""):
            texts[language] = f"{texts[language]}\n\n{text}" if language in texts else text
    attributes = dict(first.attributes)
    for key, value in later.attributes.items():
        if isinstance(value, list) and isinstance(attributes.get(key), list):
            attributes[key] = list(dict.fromkeys([*attributes[key], *value]))
        elif isinstance(value, dict) and isinstance(attributes.get(key), dict):
            attributes[key] = {**value, **attributes[key]}
        else:
            attributes.setdefault(key, value)
    passages = build_passages(texts)
    language = combine_languages([(p.language, len(p.text)) for p in passages])
    return replace(
        first, texts=texts, attributes=attributes, language=language, passages=tuple(passages)
    )


def read_profiles(
    path_label: str,
    rows: Iterable[Row | RowError],
    kind: Kind | None,
    overrides: Mapping[str, str] | None = None,
) -> Iterator[ParsedRow]:
    """Read every row of one file; a bad row yields its errors and the good rows go on.

    `kind` None infers the kind from the file's columns.
    """
    columns: FileColumns | None = None
    for item in rows:
        if isinstance(item, RowError):
            yield ParsedRow(item.row, None, [item])
            continue
        if columns is None:
            headers = list(item.values.keys())
            columns = FileColumns.of(headers, overrides, path_label)
            _require_columns(path_label, columns, headers)
            kind = kind or infer_kind(path_label, headers)
        assert kind is not None
        yield profile_from_row(item, path_label, kind, columns)


def _require_columns(file: str, columns: FileColumns, headers: list[str]) -> None:
    missing = []
    if "name" not in columns.mapping:
        missing.append("a name column (name, nom, company, entreprise...)")
    if not columns.texts and not {"categories", "focus_areas"} & set(columns.mapping):
        missing.append("a description column (description, capabilities, capacités...)")
    if missing:
        raise InputFileError(
            RowError(
                file,
                1,
                None,
                f"missing {' and '.join(missing)}; the columns are {', '.join(repr(h) for h in headers)}. "
                'Rename a column or map it explicitly, e.g. --map name="Company"',
            )
        )


def content_hashes(profile: Profile) -> tuple[str, str]:
    """(text hash, content hash): the first changes only when re-embedding is needed."""
    text_basis = json.dumps(
        [profile.name, [[p.text, p.language] for p in profile.passages]], ensure_ascii=False
    )
    content_basis = json.dumps(
        [text_basis, profile.language, profile.attributes, profile.texts],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return (
        hashlib.sha256(text_basis.encode()).hexdigest(),
        hashlib.sha256(content_basis.encode()).hexdigest(),
    )
