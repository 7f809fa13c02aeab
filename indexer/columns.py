"""Which column holds which field: header synonyms in English and French, language-suffixed
columns, explicit `--map` overrides, and the kind of record a file holds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ngen_connect.errors import FileProblem, InputFileError, QueryError
from ngen_connect.language import UNDETERMINED
from ngen_connect.models import Kind
from ngen_connect.text import text_key


def header_key(header: str) -> str:
    """A column header as a key: "Nom de l'entreprise" -> "nom_de_l_entreprise"."""
    return text_key(header, "_")


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
    # The name a company trades under, beside its legal name ("raison sociale" is the legal name).
    "operating_name": (
        "operating_name",
        "operating_as",
        "operating_names",
        "trade_name",
        "trade_names",
        "trading_name",
        "trading_as",
        "doing_business_as",
        "dba",
        "d_b_a",
        "nom_commercial",
        "noms_commerciaux",
        "nom_d_usage",
        "nom_usuel",
        "nom_d_emprunt",
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


LIST_FIELDS = {
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


TEXT_FIELDS = ("description", "description_en", "description_fr")


_LOOKUP = {spelling: field for field, spellings in SYNONYMS.items() for spelling in spellings}


# Column suffixes or prefixes that say a column's language: "mission_fr", "description (English)".
_LANGUAGE_AFFIXES = {
    "en": ("en", "eng", "english", "anglais", "ang"),
    "fr": ("fr", "fra", "fre", "french", "francais", "fran"),
}


#: headers that say what a company does in a phrase of their own ("What we do", "Nos services")
_DESCRIPTION_PHRASES = frozenset(
    {
        "what_we_do",
        "what_we_offer",
        "what_we_make",
        "what_they_do",
        "our_services",
        "our_capabilities",
        "ce_que_nous_faisons",
        "ce_que_nous_offrons",
        "nos_services",
        "nos_capacites",
        "nos_activites",
        "core_competencies",
        "key_capabilities",
        "capability_statement",
        "overview",
        "apercu",
        "specialties",
        "specialites",
        "products",
        "produits",
    }
)
#: words that make a short header a description ("Company description", "Description de
#: l'entreprise", "Services offered", "Manufacturing capabilities")
_DESCRIPTION_WORDS = frozenset(
    {"description", "descriptions", "capabilities", "capacites", "services", "activities"}
    | {"activites", "expertise", "competences", "profile", "profil", "overview", "apercu"}
)


_AFFIXES = frozenset(a for affixes in _LANGUAGE_AFFIXES.values() for a in affixes)


def _field_of(header: str) -> tuple[str, str | None] | None:
    """(canonical field, language the header names or None) for a header, if it is known."""
    key = header_key(header)
    if key in _LOOKUP:
        return _LOOKUP[key], None
    words = key.split("_")
    described = key in _DESCRIPTION_PHRASES or (len(words) <= 4 and _DESCRIPTION_WORDS & set(words))
    if described and not {words[0], words[-1]} & _AFFIXES:  # a language's: read below
        return "description", None
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
            raise QueryError(
                f"unknown field '{field}' in the column mapping; known fields: {', '.join(FIELDS)}",
                f"champ « {field} » inconnu dans la correspondance des colonnes; champs connus : "
                f"{', '.join(FIELDS)}",
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
            raise QueryError(
                f"'{pair}' is not FIELD=COLUMN (for example name=\"Company Name\")",
                f'« {pair} » n\'est pas de la forme CHAMP=COLONNE (par exemple name="Nom")',
            )
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
            FileProblem(
                file,
                1,
                None,
                f"the columns fit both clusters {found['cluster']} and IP assets {found['ip_asset']}; "
                "say which with --kind cluster or --kind ip_asset",
            ),
            "les colonnes conviennent à deux types de fiches : précisez --kind",
        )
    return kinds[0]


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
                FileProblem(
                    file,
                    1,
                    None,
                    f"--map {field_name}={header}: the file has no column '{header}'; its columns are "
                    f"{', '.join(repr(h) for h in headers)}",
                ),
                f"--map {field_name}={header} : colonne « {header} » introuvable",
            )
        resolved[field_name] = found
    return resolved


_FRENCH_MISSING = {
    "a name column (name, nom, company, entreprise...)": "une colonne de nom (name, nom, "
    "entreprise...)",
    "a description column (description, capabilities, capacités...)": "une colonne de "
    "description (description, capacités...)",
}


def require_columns(file: str, columns: FileColumns, headers: list[str]) -> None:
    missing = []
    if not {"name", "operating_name"} & set(columns.mapping):
        missing.append("a name column (name, nom, company, entreprise...)")
    if not columns.texts and not {"categories", "focus_areas"} & set(columns.mapping):
        missing.append("a description column (description, capabilities, capacités...)")
    if missing:
        raise InputFileError(
            FileProblem(
                file,
                1,
                None,
                f"missing {' and '.join(missing)}; the columns are {', '.join(repr(h) for h in headers)}. "
                'Rename a column or map it: --map name="Company" on the command line, '
                "map=name=Company over HTTP",
            ),
            f"il manque {' et '.join(_FRENCH_MISSING[m] for m in missing)}; les colonnes sont "
            f"{', '.join(repr(h) for h in headers)}. Renommez une colonne ou désignez-la : "
            '--map name="Entreprise" en ligne de commande, map=name=Entreprise par HTTP',
        )
