"""A seeded generator of SAMPLE data: member organisations, NGenCAN-style clusters and IP assets.

Everything it writes is fictitious and says so: each file has a `sample` column set to "yes", ids
start with "sample-", and the bundled slice lives under `fixtures/sample/` with a README (installed
as `ngen_connect.fixtures`, so a wheel carries it).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ngen_connect.models import Kind
from ngen_connect.sample.vocabulary import (
    ASSET_TYPES,
    CERT_COMMON,
    CITIES,
    LEGAL_EN,
    LEGAL_FR,
    LICENSING,
    MARKETS,
    NAME_PREFIXES_EN,
    NAME_PREFIXES_FR,
    OWNERSHIP,
    PROVINCE_NAMES,
    PROVINCE_WEIGHTS,
    SECTORS,
    SURNAMES_EN,
    SURNAMES_FR,
    Pair,
    Sector,
)

__all__ = ["bundled_sample_files", "generate", "write_sample"]

ORG_COLUMNS = (
    "id",
    "name",
    "description_en",
    "description_fr",
    "website",
    "city",
    "province",
    "country",
    "postal_code",
    "naics",
    "certifications",
    "employees",
    "type",
    "clusters",
    "ownership",
    "sample",
)
CLUSTER_COLUMNS = (
    "id",
    "name",
    "description_en",
    "description_fr",
    "region",
    "province",
    "focus_areas",
    "members",
    "sample",
)
IP_COLUMNS = (
    "id",
    "title",
    "abstract_en",
    "abstract_fr",
    "asset_type",
    "owner",
    "project",
    "ipc",
    "licensing_status",
    "sample",
)
# Sector mix of the member base: mostly manufacturers, then technology suppliers, research, partners.
_SECTOR_WEIGHTS = {
    "machining": 10,
    "fabrication": 10,
    "plastics": 8,
    "additive": 3,
    "automation": 7,
    "electronics": 6,
    "ev": 5,
    "aerospace": 6,
    "food": 9,
    "pharma": 4,
    "medtech": 4,
    "mining": 6,
    "software": 7,
    "cleantech": 5,
    "coatings": 3,
    "packaging": 4,
    "research": 5,
    "ecosystem": 3,
}
_ROLE_EN = {
    "manufacturer": (
        "contract manufacturer",
        "manufacturer",
        "job shop",
        "supplier",
        "production partner",
    ),
    "technology_supplier": ("technology supplier", "systems integrator", "solutions provider"),
    "research": (
        "applied research centre",
        "research institute",
        "college-based technology access centre",
    ),
    "ecosystem_partner": (
        "industry association",
        "not-for-profit economic development organisation",
    ),
}
_ADJ_EN = (
    "growing",
    "privately held",
    "family-owned",
    "employee-owned",
    "fast-growing",
    "established",
    "",
)


def de(phrase: str) -> str:
    """French 'de' + phrase with elision and contraction: de + le = du, de + les = des."""
    for article, replacement in (
        ("le ", "du "),
        ("les ", "des "),
        ("des ", "de "),
        ("un ", "d'un "),
        ("une ", "d'une "),
    ):
        if phrase.startswith(article):
            return replacement + phrase[len(article) :]
    if phrase[:1].lower() in "aeiouyhéèêàâîôû":
        return "d'" + phrase
    return "de " + phrase


def _join(items: Sequence[str], conjunction: str) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


@dataclass
class _Facts:
    name: str
    city: str
    province: str
    sector: Sector
    caps: list[Pair]
    materials: list[Pair]
    equipment: list[Pair]
    markets: list[Pair]
    certs: list[str]
    employees: int
    year: int
    extra: dict[str, Any] = field(default_factory=dict)


def _english(f: _Facts, rng: random.Random) -> str:
    c = [en for en, _ in f.caps]
    m = [en for en, _ in f.markets]
    mat = [en for en, _ in f.materials]
    eq = [en for en, _ in f.equipment]
    prov = PROVINCE_NAMES[f.province][0]
    role = rng.choice(_ROLE_EN[f.sector.org_type])
    adj = rng.choice(_ADJ_EN)
    article = "an" if (adj or role)[0] in "aeiou" else "a"
    openings = [
        f"{f.name} is {article} {(adj + ' ') if adj else ''}{role} in {f.city}, {prov}, specialising in {c[0]} and {c[1]}.",
        f"Based in {f.city}, {prov}, {f.name} provides {c[0]} for {m[0]} and {m[1]} customers.",
        f"Since {f.year}, {f.name} has delivered {_join(c[:3], 'and')} from its facility in {f.city}.",
        f"{f.name} helps {m[0]} companies with {c[0]}, from first prototype to full production.",
        f"We are a {f.city} {role} focused on {c[0]}.",
    ]
    body = [
        f"Capabilities include {_join(c[1:], 'and')}.",
        f"Our team of {f.employees} works with {_join(mat[:2], 'and')}.",
        f"The facility runs {_join(eq, 'and')}.",
        f"Customers in {_join(m, 'and')} rely on us for {c[-1]}.",
        f"Our quality management system is registered to {_join(f.certs, 'and')}."
        if f.certs
        else "",
        f"Materials processed: {', '.join(mat)}.",
        f"We recently invested in {eq[0]} to expand capacity in {c[0]}.",
        "We ship across Canada and into the United States and Europe.",
    ]
    if f.sector.org_type == "manufacturer":
        body += [
            "Runs range from one-off prototypes to production volumes of several thousand parts a year.",
            "Engineering support covers design for manufacturability, first-article inspection and PPAP.",
        ]
    elif f.sector.org_type == "technology_supplier":
        body += [
            "Deployments range from a single cell to plant-wide systems, with training and support."
        ]
    elif f.sector.org_type == "research":
        body += [
            "We partner with SMEs through funded projects, student internships and contract research."
        ]
    else:
        body += [
            f"We connect more than {f.employees * 4} member companies in {prov} with buyers and funding."
        ]
    chosen = [s for s in rng.sample(body, k=rng.randint(2, min(6, len(body)))) if s]
    return " ".join([rng.choice(openings), *chosen])


def _french(f: _Facts, rng: random.Random) -> str:
    c = [fr for _, fr in f.caps]
    m = [fr for _, fr in f.markets]
    mat = [fr for _, fr in f.materials]
    eq = [fr for _, fr in f.equipment]
    prov = PROVINCE_NAMES[f.province][1]
    openings = [
        f"Établie à {f.city} ({prov}) depuis {f.year}, {f.name} se spécialise en {c[0]} et en {c[1]}.",
        f"{f.name} offre des services {de(c[0])} et {de(c[1])} aux entreprises {de(m[0])} et {de(m[1])}.",
        f"Notre entreprise, située à {f.city}, se spécialise en {c[0]}.",
        f"Depuis {f.year}, notre équipe de {f.city} offre des services {de(c[0])}, {de(c[1])} et {de(c[2])}.",
        f"Entreprise fondée en {f.year}, {f.name} accompagne les clients {de(m[0])} en {c[0]}.",
    ]
    body = [
        f"Nos capacités comprennent : {_join(c[1:], 'et')}.",
        f"Matériaux travaillés : {', '.join(mat)}.",
        f"L'usine est équipée {de(eq[0])}" + (f" et {de(eq[1])}." if len(eq) > 1 else "."),
        f"Notre système de management de la qualité est certifié {_join(f.certs, 'et')}."
        if f.certs
        else "",
        f"Nos clients {de(m[0])} et {de(m[-1])} nous confient leurs projets {de(c[-1])}.",
        f"Nous avons récemment investi pour accroître notre capacité en {c[0]}.",
        "Nous livrons partout au Canada ainsi qu'aux États-Unis et en Europe.",
        f"Notre équipe compte {f.employees} personnes.",
    ]
    if f.sector.org_type == "manufacturer":
        body += [
            "Du prototype à la production en série, nous assurons la qualité de chaque pièce.",
            "Notre bureau d'ingénierie accompagne les clients dès la conception (DFM, inspection du premier article).",
        ]
    elif f.sector.org_type == "technology_supplier":
        body += [
            "Nos projets vont de la cellule unique à l'usine complète, formation et soutien compris."
        ]
    elif f.sector.org_type == "research":
        body += [
            "Nous réalisons des projets de recherche appliquée avec les PME, des stages et de la recherche contractuelle."
        ]
    else:
        body += [
            f"Nous regroupons plus de {f.employees * 4} entreprises membres de la région de {f.city}."
        ]
    chosen = [s for s in rng.sample(body, k=rng.randint(2, min(6, len(body)))) if s]
    return " ".join([rng.choice(openings), *chosen])


class _Names:
    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, sector: Sector, french: bool, city: str, rng: random.Random) -> str:
        for _ in range(20):
            if french:
                core = rng.choice(sector.name_fr)
                name = rng.choice(
                    [
                        f"{core} {rng.choice(SURNAMES_FR)} {rng.choice(LEGAL_FR)}",
                        f"Les Industries {rng.choice(SURNAMES_FR)} {rng.choice(LEGAL_FR)}",
                        f"{core} {rng.choice(NAME_PREFIXES_FR)} {rng.choice(LEGAL_FR)}",
                        f"Groupe {rng.choice(SURNAMES_FR)} {core.lower()} {rng.choice(LEGAL_FR)}",
                    ]
                )
            else:
                core = rng.choice(sector.name_en)
                name = rng.choice(
                    [
                        f"{rng.choice(NAME_PREFIXES_EN)} {core} {rng.choice(LEGAL_EN)}",
                        f"{rng.choice(SURNAMES_EN)} {core} {rng.choice(LEGAL_EN)}",
                        f"{rng.choice(NAME_PREFIXES_EN)} {rng.choice(NAME_PREFIXES_EN)} {core} {rng.choice(LEGAL_EN)}",
                    ]
                )
            if name not in self.used:
                self.used.add(name)
                return name
        name = f"{name.rsplit(' ', 1)[0]} ({city}) {name.rsplit(' ', 1)[1]}"
        self.used.add(name)
        return name


def _pick_city(rng: random.Random) -> tuple[str, str, str, float]:
    province = rng.choices(list(PROVINCE_WEIGHTS), weights=list(PROVINCE_WEIGHTS.values()))[0]
    return rng.choice([c for c in CITIES if c[1] == province])


def _language_mix(francophone: float, rng: random.Random) -> tuple[bool, bool]:
    """(writes English, writes French): francophone places write French, often both."""
    roll = rng.random()
    if roll < francophone * 0.72:
        return False, True
    if roll < francophone:
        return True, True
    return True, rng.random() < 0.03


def _postal(letter: str, rng: random.Random) -> str:
    digits, letters = "0123456789", "ABCEGHJKLMNPRSTVWXYZ"
    return f"{letter}{rng.choice(digits)}{rng.choice(letters)} {rng.choice(digits)}{rng.choice(letters)}{rng.choice(digits)}"


def _organisation(number: int, names: _Names, rng: random.Random) -> dict[str, Any]:
    sector = rng.choices(SECTORS, weights=[_SECTOR_WEIGHTS[s.key] for s in SECTORS])[0]
    city, province, letter, francophone = _pick_city(rng)
    english, french = _language_mix(francophone, rng)
    employees = max(2, min(4000, int(rng.lognormvariate(3.3, 1.1))))
    caps = rng.sample(sector.capabilities, k=min(len(sector.capabilities), rng.randint(3, 5)))
    facts = _Facts(
        name=names.make(sector, french and not english, city, rng),
        city=city,
        province=province,
        sector=sector,
        caps=caps,
        materials=rng.sample(sector.materials, k=min(len(sector.materials), rng.randint(1, 3))),
        equipment=rng.sample(sector.equipment, k=min(len(sector.equipment), rng.randint(1, 2))),
        markets=rng.sample(MARKETS, k=rng.randint(2, 3)),
        certs=sorted(
            set(
                rng.sample(
                    sector.certifications, k=rng.randint(0, min(3, len(sector.certifications)))
                )
            )
            | ({rng.choice(CERT_COMMON)} if rng.random() < 0.2 else set())
        ),
        employees=employees,
        year=rng.randint(1948, 2022),
    )
    slug = "".join(ch for ch in facts.name.lower() if ch.isalnum())[:24]
    ownership = [flag for flag, share in OWNERSHIP if rng.random() < share]
    return {
        "id": f"sample-org-{number:06d}",
        "name": facts.name,
        "description_en": _english(facts, rng) if english else "",
        "description_fr": _french(facts, rng) if french else "",
        "website": f"https://www.{slug}.example",
        "city": city,
        "province": province,
        "country": "CA",
        "postal_code": _postal(letter, rng),
        "naics": ";".join(
            sorted(rng.sample(sector.naics, k=rng.randint(1, min(2, len(sector.naics)))))
        ),
        "certifications": ";".join(facts.certs),
        "employees": str(employees),
        "type": sector.org_type,
        "clusters": "",
        "ownership": ";".join(ownership),
        "sample": "yes",
        # Ground truth for relevance judgments; not written to files.
        "_sector": sector.key,
        "_capabilities": [en for en, _ in caps],
    }


# (English name, French name, province, focus sectors): 32 regional clusters in the NGenCAN style.
_CLUSTERS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "Windsor-Essex Automotive Cluster",
        "Grappe automobile de Windsor-Essex",
        "ON",
        ("ev", "machining", "plastics"),
    ),
    (
        "Waterloo Region Advanced Manufacturing Network",
        "Réseau de fabrication de pointe de la région de Waterloo",
        "ON",
        ("automation", "software", "electronics"),
    ),
    (
        "Hamilton-Niagara Steel and Fabrication Cluster",
        "Grappe de l'acier et de la fabrication Hamilton-Niagara",
        "ON",
        ("fabrication", "coatings"),
    ),
    (
        "Toronto Life Sciences Manufacturing Hub",
        "Pôle de fabrication en sciences de la vie de Toronto",
        "ON",
        ("pharma", "medtech"),
    ),
    (
        "Ottawa Photonics and Electronics Cluster",
        "Grappe de la photonique et de l'électronique d'Ottawa",
        "ON",
        ("electronics", "software"),
    ),
    (
        "Northern Ontario Mining Supply Cluster",
        "Grappe des fournisseurs miniers du Nord de l'Ontario",
        "ON",
        ("mining", "fabrication"),
    ),
    (
        "Southwestern Ontario Agri-Food Processing Cluster",
        "Grappe de transformation agroalimentaire du Sud-Ouest de l'Ontario",
        "ON",
        ("food", "packaging"),
    ),
    (
        "Durham Clean Energy Manufacturing Cluster",
        "Grappe de fabrication en énergie propre de Durham",
        "ON",
        ("cleantech", "ev"),
    ),
    (
        "Montréal Aerospace Cluster",
        "Grappe aérospatiale de Montréal",
        "QC",
        ("aerospace", "machining", "coatings"),
    ),
    (
        "Quebec Life Sciences Manufacturing Cluster",
        "Grappe de fabrication en sciences de la vie du Québec",
        "QC",
        ("pharma", "medtech"),
    ),
    (
        "Beauce Metal Processing Cluster",
        "Grappe de la transformation métallique de la Beauce",
        "QC",
        ("fabrication", "machining"),
    ),
    (
        "Quebec Electric Transportation Cluster",
        "Grappe du transport électrique du Québec",
        "QC",
        ("ev", "electronics"),
    ),
    (
        "Saguenay Aluminum Valley Cluster",
        "Grappe de la Vallée de l'aluminium du Saguenay",
        "QC",
        ("fabrication", "coatings", "machining"),
    ),
    (
        "Quebec Plastics and Composites Cluster",
        "Grappe des plastiques et composites du Québec",
        "QC",
        ("plastics", "packaging"),
    ),
    (
        "Eastern Townships Advanced Manufacturing Cluster",
        "Grappe de fabrication de pointe de l'Estrie",
        "QC",
        ("automation", "additive"),
    ),
    (
        "Quebec Agri-Food Processing Cluster",
        "Grappe de transformation alimentaire du Québec",
        "QC",
        ("food", "packaging"),
    ),
    (
        "Quebec Artificial Intelligence for Industry Cluster",
        "Grappe de l'intelligence artificielle pour l'industrie du Québec",
        "QC",
        ("software", "automation"),
    ),
    (
        "Lower Mainland Clean Technology Cluster",
        "Grappe des technologies propres du Lower Mainland",
        "BC",
        ("cleantech", "software"),
    ),
    (
        "British Columbia Ocean and Marine Manufacturing Cluster",
        "Grappe de fabrication océanique et maritime de la Colombie-Britannique",
        "BC",
        ("fabrication", "electronics"),
    ),
    (
        "British Columbia Forest Bioproducts Cluster",
        "Grappe des bioproduits forestiers de la Colombie-Britannique",
        "BC",
        ("packaging", "cleantech"),
    ),
    (
        "Alberta Energy Equipment Cluster",
        "Grappe de l'équipement énergétique de l'Alberta",
        "AB",
        ("fabrication", "cleantech", "machining"),
    ),
    (
        "Edmonton Region Hydrogen Manufacturing Cluster",
        "Grappe de fabrication liée à l'hydrogène de la région d'Edmonton",
        "AB",
        ("cleantech", "automation"),
    ),
    (
        "Calgary Digital Manufacturing Cluster",
        "Grappe de fabrication numérique de Calgary",
        "AB",
        ("software", "additive"),
    ),
    (
        "Saskatchewan Mining Supply Cluster",
        "Grappe des fournisseurs miniers de la Saskatchewan",
        "SK",
        ("mining", "fabrication"),
    ),
    (
        "Saskatchewan Agri-Value Manufacturing Cluster",
        "Grappe de fabrication agroalimentaire à valeur ajoutée de la Saskatchewan",
        "SK",
        ("food", "automation"),
    ),
    (
        "Manitoba Aerospace and Bus Manufacturing Cluster",
        "Grappe de fabrication aérospatiale et d'autobus du Manitoba",
        "MB",
        ("aerospace", "ev"),
    ),
    (
        "New Brunswick Advanced Manufacturing Cluster",
        "Grappe de fabrication de pointe du Nouveau-Brunswick",
        "NB",
        ("food", "fabrication"),
    ),
    (
        "Acadian Peninsula Marine Processing Cluster",
        "Grappe de transformation des produits de la mer de la Péninsule acadienne",
        "NB",
        ("food", "packaging"),
    ),
    (
        "Nova Scotia Ocean Technology Cluster",
        "Grappe des technologies océaniques de la Nouvelle-Écosse",
        "NS",
        ("electronics", "software"),
    ),
    (
        "Prince Edward Island Bioscience Cluster",
        "Grappe des biosciences de l'Île-du-Prince-Édouard",
        "PE",
        ("pharma", "food"),
    ),
    (
        "Newfoundland and Labrador Offshore Supply Cluster",
        "Grappe des fournisseurs extracôtiers de Terre-Neuve-et-Labrador",
        "NL",
        ("fabrication", "mining"),
    ),
    (
        "Northern Canada Resource Manufacturing Cluster",
        "Grappe de fabrication liée aux ressources du Nord canadien",
        "YT",
        ("mining", "cleantech"),
    ),
)


def _clusters(count: int, orgs: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    sectors = {s.key: s for s in SECTORS}
    rows = []
    for number, (name_en, name_fr, province, focus) in enumerate(_CLUSTERS[:count], start=1):
        cluster_id = f"sample-cluster-{number:03d}"
        members = [o for o in orgs if o["_sector"] in focus and o["province"] == province]
        members = rng.sample(members, k=min(len(members), rng.randint(8, 40)))
        for org in members:
            org["clusters"] = ";".join(filter(None, [org["clusters"], cluster_id]))
        areas = [sectors[key].capabilities[0] for key in focus]
        extra = [rng.choice(sectors[key].capabilities[1:]) for key in focus]
        prov_en, prov_fr = PROVINCE_NAMES[province]
        rows.append(
            {
                "id": cluster_id,
                "name": name_en,
                "description_en": (
                    f"{name_en} brings together manufacturers, suppliers and research partners in {prov_en} "
                    f"around {_join([en for en, _ in areas], 'and')}. Members collaborate on {_join([en for en, _ in extra], 'and')}, "
                    "shared training and joint bids for national supply chains."
                ),
                "description_fr": (
                    f"{name_fr} réunit des manufacturiers, des fournisseurs et des partenaires de recherche ({prov_fr}) "
                    f"autour des créneaux suivants : {_join([fr for _, fr in areas], 'et')}. Les membres collaborent en {_join([fr for _, fr in extra], 'et')}, "
                    "en formation et dans des soumissions conjointes aux chaînes d'approvisionnement nationales."
                ),
                "region": prov_en,
                "province": province,
                "focus_areas": ";".join(en for en, _ in areas),
                "members": ";".join(o["id"] for o in members),
                "sample": "yes",
            }
        )
    return rows


def _ip_assets(count: int, orgs: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    sectors = {s.key: s for s in SECTORS}
    owners = [o for o in orgs if o["_sector"] not in {"ecosystem", "food"}]
    rows = []
    for number in range(1, count + 1):
        owner = rng.choice(owners)
        sector = sectors[owner["_sector"]]
        (cap_en, cap_fr), (mat_en, mat_fr) = (
            rng.choice(sector.capabilities),
            rng.choice(sector.materials),
        )
        asset_type = rng.choice(ASSET_TYPES)
        kind_en = {
            "patent": "Method and system for",
            "software": "Software for",
            "data": "Dataset on",
            "model": "Machine-learning model for",
            "know-how": "Process know-how for",
        }[asset_type]
        kind_fr = {
            "patent": "Procédé et système",
            "software": "Logiciel",
            "data": "Jeu de données",
            "model": "Modèle d'apprentissage automatique",
            "know-how": "Savoir-faire",
        }[asset_type]
        french_owner = bool(owner["description_fr"]) and not owner["description_en"]
        title = (
            f"{kind_fr} {de(cap_fr)} ({mat_fr})"
            if french_owner
            else f"{kind_en} {cap_en} ({mat_en})"
        )
        project = f"SAMPLE-P{rng.randint(100, 999)}"
        rows.append(
            {
                "id": f"sample-ip-{number:04d}",
                "title": title,
                "abstract_en": ""
                if french_owner
                else (
                    f"Developed in NGen project {project} by {owner['name']}, this {asset_type} improves {cap_en} "
                    f"of {mat_en}, cutting cycle time and scrap. Validated at pilot scale with industrial partners."
                ),
                "abstract_fr": ""
                if not (french_owner or rng.random() < 0.2)
                else (
                    f"Issu du projet NGen {project} mené par {owner['name']}, cet actif améliore les procédés {de(cap_fr)} "
                    f"({mat_fr}) en réduisant le temps de cycle et les rebuts. Validé à l'échelle pilote avec des partenaires industriels."
                ),
                "asset_type": asset_type,
                "owner": owner["id"],
                "project": project,
                "ipc": ";".join(rng.sample(sector.ipc, k=min(len(sector.ipc), rng.randint(1, 2)))),
                "licensing_status": rng.choice(LICENSING),
                "sample": "yes",
            }
        )
    return rows


def generate(
    organizations: int = 6000, clusters: int = 32, ip_assets: int = 200, seed: int = 2024
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(organisations, clusters, IP assets) as rows; the same seed gives the same data."""
    rng = random.Random(seed)
    names = _Names()
    orgs = [_organisation(n, names, rng) for n in range(1, organizations + 1)]
    cluster_rows = _clusters(min(clusters, len(_CLUSTERS)), orgs, rng)
    ip_rows = _ip_assets(ip_assets, orgs, rng) if orgs else []
    return orgs, cluster_rows, ip_rows


def _write_csv(path: Path, columns: Sequence[str], rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_sample(
    out: Path,
    *,
    organizations: int = 6000,
    clusters: int = 32,
    ip_assets: int = 200,
    seed: int = 2024,
) -> list[Path]:
    """Write a seeded sample (organisations, clusters, IP assets) as three CSV files in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    orgs, cluster_rows, ip_rows = generate(organizations, clusters, ip_assets, seed)
    return [
        _write_csv(out / "organizations.csv", ORG_COLUMNS, orgs),
        _write_csv(out / "clusters.csv", CLUSTER_COLUMNS, cluster_rows),
        _write_csv(out / "ip_assets.csv", IP_COLUMNS, ip_rows),
    ]


def _bundled_folder() -> Path:
    folder = resources.files("ngen_connect.fixtures") / "sample"
    # The indexer reads files from disk; pip installs packages as folders, so this holds but for
    # a zipped import, which the demo does not support.
    if not isinstance(folder, Path):
        raise TypeError(f"the bundled sample is not a folder on disk: {folder}")
    return folder


def bundled_sample_files(folder: Path | None = None) -> list[tuple[Kind, Path]]:
    """The committed SAMPLE slice (installed with the package), in indexing order."""
    folder = _bundled_folder() if folder is None else folder
    files = [
        (Kind.ORGANIZATION, folder / "organizations.csv"),
        (Kind.CLUSTER, folder / "clusters.csv"),
        (Kind.IP_ASSET, folder / "ip_assets.csv"),
    ]
    missing = [str(path) for _, path in files if not path.is_file()]
    if missing:
        from ngen_connect.errors import FileProblem, InputFileError

        raise InputFileError(
            FileProblem(
                missing[0],
                None,
                None,
                "the bundled sample file is missing; "
                "regenerate it with: ngen-connect sample --out fixtures/sample",
            )
        )
    return files
