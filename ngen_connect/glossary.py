"""A bilingual manufacturing glossary: abbreviations and synonyms in English and French.

Curated groups (below), plus noun-phrase pairs from ESCO's knowledge concepts (`data/glossary_esco.tsv`,
rebuilt by `scripts/build_glossary.py`) and Health Canada's dosage forms and routes of administration
(`data/glossary_health.tsv`, rebuilt by `scripts/build_health_glossary.py`), and industrial
equipment and supply terms (`data/glossary_equipment.tsv`, curated; ' | ' separates a side's
terms). A query that mentions any term of a group is expanded, for the
keyword leg, with the group's other terms in both languages, so keywords can match across languages.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from ngen_connect.text import analyse, fold

DATA = Path(__file__).parent / "data"

# Each group: (English terms, French terms). The first term of each side is its display form.
CURATED: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("CNC", "computer numerical control", "CNC machining"),
        ("commande numérique", "CNC", "usinage CNC", "CN"),
    ),
    (("machining", "machine shop"), ("usinage", "atelier d'usinage")),
    (("5-axis", "five-axis", "5 axis"), ("5 axes", "cinq axes")),
    (("milling",), ("fraisage",)),
    (("turning", "lathe"), ("tournage", "tour")),
    (("grinding",), ("rectification", "meulage")),
    (
        ("EDM", "electrical discharge machining", "wire EDM"),
        ("électroérosion", "EDM", "électroérosion à fil"),
    ),
    (
        ("additive manufacturing", "AM", "3D printing"),
        ("fabrication additive", "FA", "impression 3D"),
    ),
    (("welding", "welder"), ("soudage", "soudure")),
    (("robotic welding",), ("soudage robotisé",)),
    (("sheet metal",), ("tôle", "tôlerie")),
    (("laser cutting",), ("découpe laser", "découpe au laser")),
    (("stamping",), ("emboutissage", "estampage")),
    (("casting", "foundry", "die casting"), ("moulage", "fonderie", "moulage sous pression")),
    (("forging",), ("forgeage",)),
    (("injection moulding", "injection molding"), ("moulage par injection", "injection plastique")),
    (("extrusion",), ("extrusion",)),
    (("thermoforming",), ("thermoformage",)),
    (("composites", "composite"), ("composites", "composite")),
    (("carbon fibre", "carbon fiber"), ("fibre de carbone",)),
    (("plastics", "plastic"), ("plastiques", "plastique")),
    (("titanium",), ("titane",)),
    (("aluminum", "aluminium"), ("aluminium",)),
    (("stainless steel",), ("acier inoxydable", "inox")),
    (("steel",), ("acier",)),
    (("coating", "coatings", "painting"), ("revêtement", "revêtements", "peinture")),
    (("powder coating",), ("peinture en poudre", "revêtement en poudre")),
    (("heat treating", "heat treatment"), ("traitement thermique",)),
    (("anodizing", "anodising"), ("anodisation",)),
    (("plating", "electroplating"), ("placage", "électrodéposition")),
    (("automation", "industrial automation"), ("automatisation", "automatisation industrielle")),
    (("robotics", "robot", "robots"), ("robotique", "robot", "robots")),
    (("cobot", "collaborative robot"), ("cobot", "robot collaboratif")),
    (("PLC", "programmable logic controller"), ("automate programmable", "API", "automate")),
    (("machine vision", "computer vision"), ("vision artificielle", "vision par ordinateur")),
    # the trade's acronyms, with what they stand for in each language
    (
        ("autonomous mobile robot", "autonomous mobile robots", "AMR"),
        ("robot mobile autonome", "robots mobiles autonomes", "AMR"),
    ),
    (
        ("automated guided vehicle", "automated guided vehicles", "AGV"),
        ("véhicule à guidage automatique", "véhicules à guidage automatique", "AGV", "VGA"),
    ),
    (
        ("CMM", "coordinate measuring machine", "coordinate measuring machines"),
        ("MMT", "machine à mesurer tridimensionnelle", "machines à mesurer tridimensionnelles"),
    ),
    (("selective laser melting", "SLM"), ("fusion laser sélective", "SLM")),
    (("high velocity oxy-fuel", "HVOF"), ("projection à haute vitesse", "HVOF")),
    (("thermal spray", "thermal spraying"), ("projection thermique",)),
    (
        ("high pressure processing", "HPP", "cold pasteurization"),
        ("traitement à haute pression", "HPP", "pasteurisation à froid"),
    ),
    (("SPC", "statistical process control"), ("MSP", "maîtrise statistique des procédés")),
    (
        ("FMEA", "failure mode and effects analysis"),
        ("AMDE", "analyse des modes de défaillance et de leurs effets"),
    ),
    (("CAD", "computer-aided design"), ("CAO", "conception assistée par ordinateur")),
    (("CAM", "computer-aided manufacturing"), ("FAO", "fabrication assistée par ordinateur")),
    (("HMI", "human-machine interface"), ("IHM", "interface homme-machine")),
    (("supervisory control and data acquisition", "SCADA"), ("télésurveillance", "SCADA")),
    (
        ("VFD", "variable frequency drive", "variable speed drive"),
        ("variateur de fréquence", "variateur de vitesse"),
    ),
    (
        ("OEM", "original equipment manufacturer", "original equipment manufacturers"),
        ("FEO", "fabricant d'équipement d'origine", "équipementier", "OEM"),
    ),
    (("lyophilization", "freeze drying", "freeze-drying"), ("lyophilisation",)),
    (("IoT", "internet of things", "IIoT"), ("internet des objets", "IdO", "IIoT")),
    (
        ("AI", "artificial intelligence", "machine learning"),
        ("IA", "intelligence artificielle", "apprentissage automatique"),
    ),
    (("digital twin",), ("jumeau numérique",)),
    (("predictive maintenance",), ("maintenance prédictive",)),
    (("MES", "manufacturing execution system"), ("MES", "système de gestion de la production")),
    (("ERP", "enterprise resource planning"), ("PGI", "progiciel de gestion intégré", "ERP")),
    (("cybersecurity", "cyber security"), ("cybersécurité",)),
    (
        ("PCB", "printed circuit board", "circuit board"),
        ("carte de circuit imprimé", "circuit imprimé", "CCI"),
    ),
    (("SMT", "surface mount", "surface-mount technology"), ("CMS", "montage en surface")),
    (("electronics",), ("électronique",)),
    (
        ("wire harness", "cable harness", "harness"),
        ("faisceau de câbles", "faisceau électrique", "faisceau"),
    ),
    (
        ("EV", "electric vehicle", "electric vehicles"),
        ("VE", "véhicule électrique", "véhicules électriques"),
    ),
    (("battery", "batteries", "battery pack"), ("batterie", "batteries", "bloc-batterie")),
    (("BMS", "battery management system"), ("système de gestion de batterie", "BMS")),
    (("charging station", "EV charger", "charging equipment"), ("borne de recharge", "recharge")),
    (("hydrogen",), ("hydrogène",)),
    (("fuel cell",), ("pile à combustible",)),
    (("carbon capture", "CCUS"), ("captage du carbone", "captage et stockage du carbone")),
    (("decarbonization", "decarbonisation"), ("décarbonation", "décarbonisation")),
    (("heat pump",), ("thermopompe", "pompe à chaleur")),
    (("recycling",), ("recyclage",)),
    (("circular economy",), ("économie circulaire",)),
    (("aerospace", "aviation", "aircraft"), ("aérospatiale", "aéronautique", "aéronef")),
    (("MRO", "maintenance repair and overhaul"), ("entretien, réparation et révision", "MRO")),
    (
        ("NDT", "non-destructive testing"),
        ("END", "essais non destructifs", "contrôle non destructif", "CND"),
    ),
    (("landing gear",), ("train d'atterrissage",)),
    (("automotive", "auto parts"), ("automobile", "pièces automobiles")),
    (("mining", "mine", "mines"), ("minier", "mine", "mines", "industrie minière")),
    (("pump", "pumps", "pumping"), ("pompe", "pompes", "pompage")),
    (("dewatering", "mine dewatering"), ("dénoyage", "exhaure", "assèchement")),
    (
        ("conveyor", "conveyors", "belt conveyor"),
        ("convoyeur", "convoyeurs", "convoyeur à courroie"),
    ),
    (("crusher", "crushers", "crushing"), ("concasseur", "concasseurs", "concassage")),
    (("screening", "vibrating screen"), ("criblage", "crible", "cribles")),
    (("underground",), ("souterrain", "souterraine", "souterraines")),
    (("roof bolting", "roof bolts", "rock bolts"), ("boulonnage", "boulons d'ancrage")),
    (("hose", "hoses"), ("tuyau flexible", "boyau", "boyaux")),
    (("drilling", "drill"), ("forage", "foreuse")),
    (("blasting", "explosives"), ("sautage", "dynamitage", "explosifs")),
    (("potash",), ("potasse",)),
    (
        ("pharmaceutical", "pharmaceuticals", "pharma", "drug"),
        ("pharmaceutique", "produits pharmaceutiques", "médicament"),
    ),
    (("sterile", "aseptic"), ("stérile", "aseptique")),
    (
        ("prefilled syringe", "prefilled syringes", "pre-filled syringe"),
        ("seringue préremplie", "seringues préremplies"),
    ),
    (("syringe", "syringes"), ("seringue", "seringues")),
    (("vaccine", "vaccines"), ("vaccin", "vaccins")),
    (("vial", "vials"), ("fiole", "fioles", "flacon", "flacons")),
    (("auto-injector", "autoinjector", "pen injector"), ("auto-injecteur", "stylo injecteur")),
    (("inhaler", "inhalers"), ("inhalateur", "inhalateurs")),
    (
        ("injectable", "injectables", "injection"),
        ("injectable", "injectables", "solution injectable"),
    ),
    (("fill-finish", "fill and finish"), ("remplissage et finition", "remplissage aseptique")),
    (("biologics", "biomanufacturing"), ("produits biologiques", "biofabrication")),
    (("API", "active pharmaceutical ingredient"), ("IPA", "ingrédient pharmaceutique actif")),
    (("GMP", "good manufacturing practices"), ("BPF", "bonnes pratiques de fabrication")),
    (
        ("medical device", "medical devices", "medtech"),
        ("dispositif médical", "dispositifs médicaux", "technologies médicales"),
    ),
    (("cleanroom", "clean room"), ("salle blanche", "salle propre")),
    (
        ("food processing", "food manufacturing", "agri-food"),
        ("transformation alimentaire", "agroalimentaire"),
    ),
    (("bakery",), ("boulangerie",)),
    (("packaging",), ("emballage", "conditionnement")),
    (("co-packing", "contract packaging"), ("emballage à forfait", "conditionnement à façon")),
    (
        ("contract manufacturing", "contract manufacturer"),
        ("fabrication à contrat", "sous-traitance", "fabrication à façon"),
    ),
    (("prototype", "prototyping"), ("prototype", "prototypage")),
    (("supplier", "suppliers", "vendor"), ("fournisseur", "fournisseurs")),
    (("manufacturer", "manufacturing"), ("fabricant", "fabrication", "manufacturier")),
    (("SME", "small business"), ("PME", "petite entreprise")),
    (("R&D", "research and development"), ("R-D", "recherche et développement")),
    (("lean manufacturing", "lean"), ("production à valeur ajoutée", "lean")),
    (("quality management system", "QMS"), ("système de management de la qualité", "SMQ")),
    (("ISO 9001",), ("ISO 9001",)),
    (("ISO 13485",), ("ISO 13485",)),
    (("AS9100",), ("AS9100",)),
    (("IATF 16949",), ("IATF 16949",)),
    (("Indigenous-owned", "Indigenous owned"), ("propriété autochtone", "entreprise autochtone")),
    (("women-owned", "women owned"), ("propriété féminine", "entreprise appartenant à des femmes")),
)


@dataclass(frozen=True)
class Group:
    en: tuple[str, ...]
    fr: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.en[0]} ↔ {self.fr[0]}"

    @cached_property
    def terms(self) -> frozenset[str]:
        """The index terms of the group's words in both languages (worked out once)."""
        return frozenset(term for phrase in self.phrases for term in phrase)

    @cached_property
    def phrases(self) -> frozenset[tuple[str, ...]]:
        """Each of the group's terms as the index terms of its words, in its language: a term of
        several words is in common with a passage only where all of them are
        (`KeywordIndex.holding`)."""
        found = [tuple(analyse(term, "en")) for term in self.en]
        found += [tuple(analyse(term, "fr")) for term in self.fr]
        return frozenset(phrase for phrase in found if phrase)


@dataclass(frozen=True)
class Expansion:
    """A glossary group the query mentioned, and the terms it adds in each language."""

    group: Group
    matched: str


#: what may stand on either side of a term: anything but a letter or digit of folded text
_BOUNDARY = "a-z0-9"
_WORD = re.compile(f"[{_BOUNDARY}]+")


def _pattern(term: str) -> re.Pattern[str]:
    return re.compile(f"(?<![{_BOUNDARY}])" + re.escape(fold(term)) + f"(?![{_BOUNDARY}])")


class Glossary:
    def __init__(self, groups: list[Group]) -> None:
        self.groups = groups
        #: (group, term, the term folded, its pattern), longest term first
        self._patterns = sorted(
            (
                (group, term, fold(term), _pattern(term))
                for group in groups
                for term in (*group.en, *group.fr)
            ),
            key=lambda p: -len(p[1]),
        )
        # A term occurs only where its first word is a whole word of the query (the boundaries
        # around a match are the word's own), so a query looks at the terms of its words alone:
        # a pass over every term reads thousands of objects, most of them out of the CPU's caches
        # by the time a search gets here.
        self._by_first_word: dict[str, list[int]] = {}
        self._wordless: list[int] = []
        for at, (_, _, folded_term, _) in enumerate(self._patterns):
            first = _WORD.search(folded_term)
            if first is None:
                self._wordless.append(at)
            else:
                self._by_first_word.setdefault(first.group(), []).append(at)

    def expand(self, query: str) -> list[Expansion]:
        """Groups whose terms occur in the query (accents and case ignored), longest match first.
        A term found only inside a longer term already matched is not a match of its own: the
        "injection" of "injection moulding" is no drug's route of administration."""
        folded = fold(query)
        candidates = set(self._wordless)
        for word in set(_WORD.findall(folded)):
            candidates.update(self._by_first_word.get(word, ()))
        found: dict[int, Expansion] = {}
        taken: list[tuple[int, int]] = []
        for at in sorted(candidates):
            group, term, folded_term, pattern = self._patterns[at]
            if folded_term not in folded or id(group) in found:
                continue
            spans = [m.span() for m in pattern.finditer(folded)]
            free = [(a, b) for a, b in spans if not any(s <= a and b <= e for s, e in taken)]
            if free:
                found[id(group)] = Expansion(group, term)
            taken.extend(spans)
        return list(found.values())

    def vocabulary(self, language: str) -> set[str]:
        """Folded words of one side of the glossary (used to tell short queries' language)."""
        return {
            w
            for g in self.groups
            for term in (g.en if language == "en" else g.fr)
            for w in fold(term).split()
        }


def _terms(cell: str) -> tuple[str, ...]:
    """A TSV cell's terms: one, or several separated by ' | ' (the first is the display form)."""
    return tuple(t.strip() for t in cell.split("|") if t.strip())


@lru_cache(maxsize=1)
def load_glossary() -> Glossary:
    groups = [Group(en, fr) for en, fr in CURATED]
    for path in sorted(DATA.glob("glossary_*.tsv")):
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                groups.append(Group(_terms(row["en"]), _terms(row["fr"])))
    return Glossary(groups)
