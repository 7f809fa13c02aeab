"""Turning rows of any registry file into validated profiles: column guessing in English and French,
value normalisation, and per-row errors that name the file, the row and the column."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ngen_connect.errors import InputFileError, RowError
from ngen_connect.language import UNDETERMINED, combine_languages, detect_language
from ngen_connect.models import Kind, Passage, Profile
from ngen_connect.passages import split_passages
from ngen_connect.readers import Row
from ngen_connect.text import fold

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
}
_TEXT_FIELDS = ("description", "description_en", "description_fr")
_LOOKUP = {spelling: field for field, spellings in SYNONYMS.items() for spelling in spellings}

PROVINCES: dict[str, tuple[str, ...]] = {
    "AB": ("alberta", "alta"),
    "BC": ("british columbia", "colombie britannique", "b c"),
    "MB": ("manitoba", "man"),
    "NB": ("new brunswick", "nouveau brunswick", "n b"),
    "NL": (
        "newfoundland and labrador",
        "terre neuve et labrador",
        "newfoundland",
        "terre neuve",
        "nfld",
    ),
    "NS": ("nova scotia", "nouvelle ecosse", "n s"),
    "NT": ("northwest territories", "territoires du nord ouest", "nwt", "t n o"),
    "NU": ("nunavut",),
    "ON": ("ontario", "ont"),
    "PE": ("prince edward island", "ile du prince edouard", "pei", "i p e"),
    "QC": ("quebec", "que", "pq"),
    "SK": ("saskatchewan", "sask"),
    "YT": ("yukon", "yukon territory"),
}
_PROVINCE_LOOKUP = {
    spelling: code
    for code, spellings in PROVINCES.items()
    for spelling in (code.lower(), *spellings)
}
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


def guess_mapping(
    headers: Iterable[str], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Map canonical fields to the file's own headers; explicit overrides win over the guess."""
    mapping: dict[str, str] = {}
    for header in headers:
        field = _LOOKUP.get(header_key(header))
        if field and field not in mapping:
            mapping[field] = header
    for field, header in (overrides or {}).items():
        if field not in SYNONYMS:
            raise ValueError(
                f"unknown field '{field}' in the column mapping; known fields: {', '.join(FIELDS)}"
            )
        mapping[field] = header
    return mapping


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


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    return str(value).strip()


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else _LIST_SPLIT.split(str(value))
    return [str(item).strip() for item in items if str(item).strip()]


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    token = fold(_text(value))
    if token in _TRUE:
        return True
    if token in _FALSE:
        return None if token == "" else False
    raise ValueError(f"'{value}' is not yes/no (oui/non, true/false, 1/0)")


def normalise_province(value: str) -> str:
    key = re.sub(r"[^a-z]+", " ", fold(value)).strip()
    code = _PROVINCE_LOOKUP.get(key)
    if code is None:
        raise ValueError(
            f"'{value}' is not a Canadian province or territory (use e.g. ON, QC, Québec)"
        )
    return code


def employee_band(count: int) -> str:
    for upper, band in ((9, "1-9"), (49, "10-49"), (99, "50-99"), (499, "100-499")):
        if count <= upper:
            return band
    return "500+"


@dataclass
class _RowContext:
    file: str
    row: int
    mapping: dict[str, str]

    def error(self, field: str | None, message: str) -> RowError:
        column = self.mapping.get(field) if field else None
        return RowError(self.file, self.row, column or field, message)


def _normalise_attribute(field: str, raw: Any) -> Any:
    """Normalise one attribute value; raise ValueError with a readable reason."""
    if field in _LIST_FIELDS:
        values = _as_list(raw)
        if field == "naics":
            for code in values:
                if not _NAICS.match(code):
                    raise ValueError(f"'{code}' is not a NAICS code (2 to 6 digits)")
        if field == "certifications":
            values = [re.sub(r"\s+", " ", v) for v in values]
        return values
    if field in {"sme", "sample"}:
        return _as_bool(raw)
    text = _text(raw)
    if not text:
        return None
    if field == "province":
        return normalise_province(text)
    if field == "employees":
        try:
            count = int(float(text.replace(",", "").replace(" ", "")))
        except ValueError:
            raise ValueError(f"'{text}' is not a number of employees") from None
        if count < 0:
            raise ValueError("the number of employees cannot be negative")
        return count
    if field == "org_type":
        return _ORG_TYPE_LOOKUP.get(re.sub(r"[^a-z]+", " ", fold(text)).strip(), text)
    if field == "website":
        return text.lower().removesuffix("/")
    if field == "country":
        return "CA" if fold(text) in {"canada", "ca", "can"} else text
    return text


def generated_id(kind: Kind, name: str, attributes: Mapping[str, Any]) -> str:
    """A stable id for rows that bring none, so re-indexing the same file finds the same records."""
    basis = "|".join(
        [
            kind.value,
            fold(name),
            fold(str(attributes.get("city") or "")),
            str(attributes.get("province") or ""),
        ]
    )
    return "gen-" + hashlib.sha1(basis.encode()).hexdigest()[:12]


def build_passages(texts: Mapping[str, str]) -> list[Passage]:
    """Passages of every text; a text from a language-specific column keeps that language."""
    passages: list[Passage] = []
    for hint, text in texts.items():
        for chunk in split_passages(text):
            language = hint if hint != UNDETERMINED else detect_language(chunk)
            passages.append(Passage(len(passages), chunk, language))
    return passages


def profile_from_row(
    row: Row, file: str, kind: Kind, mapping: dict[str, str]
) -> Profile | list[RowError]:
    ctx = _RowContext(file, row.number, mapping)
    errors: list[RowError] = []
    name = _text(row.values.get(mapping.get("name", ""), ""))
    if not name:
        errors.append(ctx.error("name", "the name is empty"))
    elif len(name) > MAX_NAME_CHARS:
        errors.append(ctx.error("name", f"the name is longer than {MAX_NAME_CHARS} characters"))
    texts: dict[str, str] = {}
    for field, hint in (
        ("description_en", "en"),
        ("description_fr", "fr"),
        ("description", UNDETERMINED),
    ):
        text = _text(row.values.get(mapping[field])) if field in mapping else ""
        if len(text) > MAX_TEXT_CHARS:
            errors.append(
                ctx.error(field, f"the text is longer than {MAX_TEXT_CHARS:,} characters")
            )
        elif text:
            texts[hint] = text
    if not texts and not errors:
        described = [mapping[f] for f in _TEXT_FIELDS if f in mapping]
        errors.append(
            ctx.error(None, f"no description: {', '.join(repr(c) for c in described)} empty")
        )
    attributes: dict[str, Any] = {}
    for field, header in mapping.items():
        if field in {"id", "name", *_TEXT_FIELDS}:
            continue
        try:
            value = _normalise_attribute(field, row.values.get(header))
        except ValueError as exc:
            errors.append(ctx.error(field, str(exc)))
            continue
        if value not in (None, [], ""):
            attributes[field] = value
    if errors:
        return errors
    if "employees" in attributes:
        attributes.setdefault("employee_band", employee_band(attributes["employees"]))
        attributes.setdefault("sme", attributes["employees"] < 500)
    if "province" in attributes:
        attributes.setdefault("country", "CA")
    mapped = set(mapping.values())
    extra = {k: v for k, v in row.values.items() if k not in mapped and _text(v)}
    if extra:
        attributes["extra"] = extra
    record_id = _text(row.values.get(mapping.get("id", ""))) or generated_id(kind, name, attributes)
    passages = build_passages(texts)
    language = combine_languages([(p.language, len(p.text)) for p in passages])
    if UNDETERMINED in texts and language != UNDETERMINED and len(texts) == 1:
        texts = {language if language in {"en", "fr"} else UNDETERMINED: texts[UNDETERMINED]}
    return Profile(
        record_id, kind, name, texts, language, attributes, file, row.number, tuple(passages)
    )


def read_profiles(
    path_label: str,
    rows: Iterable[Row | RowError],
    kind: Kind,
    overrides: Mapping[str, str] | None = None,
) -> Iterator[Profile | RowError]:
    """Validate every row of one file; a bad row yields its errors and the good rows go on."""
    mapping: dict[str, str] | None = None
    for item in rows:
        if isinstance(item, RowError):
            yield item
            continue
        if mapping is None:
            mapping = guess_mapping(item.values.keys(), overrides)
            _require_columns(path_label, mapping, list(item.values.keys()))
        result = profile_from_row(item, path_label, kind, mapping)
        if isinstance(result, list):
            yield from result
        else:
            yield result


def _require_columns(file: str, mapping: Mapping[str, str], headers: list[str]) -> None:
    missing = []
    if "name" not in mapping:
        missing.append("a name column (name, nom, company, entreprise...)")
    if not any(f in mapping for f in _TEXT_FIELDS):
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
