"""Short-label collections of the relevance benchmark: one concept's label in one language finds
its profile written in the other, built at run time from the reference data in ../shared/data.

Each concept of a bilingual vocabulary becomes two organisation profiles, one English-only and one
French-only, and its label is a query in each language (1 to 8 words):

- `esco`: ESCO occupations. Profile name: the preferred label; description: the preferred label
  and the first alternative labels of the same language (French has no descriptions, so neither
  side gets one). English query: the preferred label; French query: its first gendered form
  ("directeur technique/directrice technique" is searched as "directeur technique"). A seeded
  sample of concepts is queried, among a seeded set of distractor concepts.
- `esco-skills`: ESCO skills and knowledge ("operate concrete casting machine", "machinery
  products"), many of them verb phrases and one- or two-word generic labels. English profile:
  the label and its description; French profile: the label and its alternative labels (French has
  no descriptions). Queries: the labels, French in its first gendered form.
- `naics`: NAICS Canada 2022 titles and French SCIAN titles of the same code (a concordance with
  an older edition, so some pairs differ in scope). English profile: title and definition; French
  profile: the title. Queries: the titles of a seeded sample of codes.
- `ipc`: IPC subclass titles, written in capitals in the file; profiles and queries are in
  sentence case, as profiles and queries are written. Name: the title's first ';'-separated part;
  description: the whole title. Query: the whole title when it has at most 8 words in both
  languages, else its first part when that has. `ipc-caps`: the same queries in the file's
  capitals, on the same profiles, as ALL-CAPS queries are a known weakness.

Judgments: a query's concept has grade 2 in the other language's profile (what the collection
measures: MRR and recall count it alone) and grade 1 in the query's language (a right answer a
user would accept, so nDCG does not punish it). Concepts whose query text is the same (compared
folded) share their judgments: "Knit fabric mills" is the title of two NAICS codes.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from datasets import Collection, Query

from ngen_connect.text import fold

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
LANGUAGES = ("en", "fr")
MAX_WORDS = 8
#: alternative labels kept in an ESCO profile's description
ALT_LABELS = 10
COLUMNS = ("id", "name", "description_en", "description_fr")


@dataclass(frozen=True)
class Concept:
    """One concept in both languages: each language's profile and query ('' when none fits)."""

    key: str
    names: dict[str, str]
    descriptions: dict[str, str]
    queries: dict[str, str]

    def queryable(self) -> bool:
        return all(1 <= len(self.queries[lang].split()) <= MAX_WORDS for lang in LANGUAGES)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _split(labels: str) -> list[str]:
    return [" ".join(label.split()) for label in labels.split("|") if label.strip()]


def first_form(label: str) -> str:
    """The first gendered form of a French ESCO label: 'vendeur/vendeuse en articles de sport' ->
    'vendeur en articles de sport'; '' when the label has more than one '/'."""
    if "/" not in label:
        return " ".join(label.split())
    if label.count("/") > 1:
        return ""
    first, second = (part.split() for part in label.split("/"))
    return " ".join(first + second[len(first) :])


def sentence_case(text: str) -> str:
    lowered = " ".join(text.split()).lower()
    return lowered[:1].upper() + lowered[1:]


def esco_concepts(source: Path) -> list[Concept]:
    concepts = []
    for row in _read(source):
        labels = {"en": " ".join(row["label_en"].split()), "fr": " ".join(row["label_fr"].split())}
        alternatives = {lang: _split(row[f"altLabels_{lang}"]) for lang in LANGUAGES}
        descriptions = {
            lang: ", ".join(
                [labels[lang], *[a for a in alternatives[lang] if a != labels[lang]][:ALT_LABELS]]
            )
            for lang in LANGUAGES
        }
        concepts.append(
            Concept(
                "esco-" + row["conceptUri"].rsplit("/", 1)[-1],
                labels,
                descriptions,
                {"en": labels["en"], "fr": first_form(labels["fr"])},
            )
        )
    return concepts


def esco_skill_concepts(source: Path) -> list[Concept]:
    concepts = []
    for row in _read(source):
        labels = {"en": " ".join(row["label_en"].split()), "fr": " ".join(row["label_fr"].split())}
        french = [a for a in _split(row["altLabels_fr"]) if a != labels["fr"]][:ALT_LABELS]
        description_en = " ".join(row["description_en"].split())
        descriptions = {
            "en": f"{labels['en']}. {description_en}" if description_en else labels["en"],
            "fr": ", ".join([labels["fr"], *french]),
        }
        concepts.append(
            Concept(
                "skill-" + row["conceptUri"].rsplit("/", 1)[-1],
                labels,
                descriptions,
                {"en": labels["en"], "fr": first_form(labels["fr"])},
            )
        )
    return concepts


def naics_concepts(source: Path) -> list[Concept]:
    concepts = []
    for row in _read(source):
        titles = {"en": row["title_en_naics2022"], "fr": row["title_fr_from_cae2scian"]}
        descriptions = {"en": f"{titles['en']}. {row['definition_en']}", "fr": titles["fr"]}
        concepts.append(Concept(f"naics-{row['code']}", titles, descriptions, dict(titles)))
    return concepts


def _ipc_query(titles: dict[str, str]) -> dict[str, str]:
    """The whole titles when both fit in a query, else both first parts (maybe too long)."""
    if all(len(titles[lang].split()) <= MAX_WORDS for lang in LANGUAGES):
        return dict(titles)
    return {lang: titles[lang].split(";")[0].strip() for lang in LANGUAGES}


def ipc_concepts(source: Path, style: Callable[[str], str] = sentence_case) -> list[Concept]:
    """Profiles in sentence case; queries styled by `style` (the file's capitals: `str`)."""
    concepts = []
    for row in _read(source):
        titles = {lang: " ".join(row[f"title_{lang}"].split()) for lang in LANGUAGES}
        queries = _ipc_query(titles)
        concepts.append(
            Concept(
                f"ipc-{row['symbol']}",
                {lang: sentence_case(titles[lang].split(";")[0]) for lang in LANGUAGES},
                {lang: sentence_case(titles[lang]) for lang in LANGUAGES},
                {lang: style(text) for lang, text in queries.items()},
            )
        )
    return concepts


def _sample(
    concepts: Sequence[Concept], queried: int, total: int | None, seed: int
) -> tuple[list[Concept], list[Concept]]:
    """A seeded sample of queryable concepts and the indexed ones: those, and a seeded sample of
    the rest up to `total` (None: every concept). Both in key order, whatever the file's order."""
    ordered = sorted(concepts, key=lambda c: c.key)
    rng = random.Random(seed)
    eligible = [c for c in ordered if c.queryable()]
    chosen = sorted(rng.sample(eligible, min(queried, len(eligible))), key=lambda c: c.key)
    keys = {c.key for c in chosen}
    rest = [c for c in ordered if c.key not in keys]
    room = len(rest) if total is None else max(0, total - len(chosen))
    distractors = rng.sample(rest, min(room, len(rest)))
    return chosen, sorted(chosen + distractors, key=lambda c: c.key)


def _write_profiles(path: Path, concepts: Sequence[Concept]) -> dict[str, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    languages = {}
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        for concept in concepts:
            for lang in LANGUAGES:
                writer.writerow(
                    {
                        "id": f"{concept.key}-{lang}",
                        "name": concept.names[lang],
                        "description_en": concept.descriptions[lang] if lang == "en" else "",
                        "description_fr": concept.descriptions[lang] if lang == "fr" else "",
                    }
                )
                languages[f"{concept.key}-{lang}"] = lang
    return languages


def _queries(name: str, indexed: Sequence[Concept], queried: Sequence[Concept]) -> list[Query]:
    sharing: dict[tuple[str, str], list[Concept]] = defaultdict(list)
    for concept in indexed:
        for lang in LANGUAGES:
            if concept.queries[lang]:
                sharing[lang, fold(concept.queries[lang])].append(concept)
    queries = []
    for number, concept in enumerate(queried, start=1):
        for lang in LANGUAGES:
            other = "fr" if lang == "en" else "en"
            same = sharing[lang, fold(concept.queries[lang])]
            judgments = {f"{c.key}-{lang}": 1 for c in same}
            judgments.update({f"{c.key}-{other}": 2 for c in same})
            queries.append(
                Query(f"{name}-{number:03d}-{lang}", concept.queries[lang], lang, judgments)
            )
    return queries


def build(
    name: str, work: Path, concepts: Sequence[Concept], queried: int, total: int | None, seed: int
) -> Collection:
    chosen, indexed = _sample(concepts, queried, total, seed)
    csv_path = work / "profiles.csv"
    collection = Collection(name, csv_path, _write_profiles(csv_path, indexed))
    collection.queries = _queries(name, indexed, chosen)
    return collection


def esco_collection(
    work: Path, source: Path = SHARED, queried: int = 300, total: int = 1500, seed: int = 11
) -> list[Collection]:
    concepts = esco_concepts(source / "esco" / "esco_occupations_en_fr.csv")
    return [build("esco", work, concepts, queried, total, seed)]


def esco_skills_collection(
    work: Path, source: Path = SHARED, queried: int = 300, total: int = 1500, seed: int = 11
) -> list[Collection]:
    concepts = esco_skill_concepts(source / "esco" / "esco_skills_en_fr.csv")
    return [build("esco-skills", work, concepts, queried, total, seed)]


def naics_collection(
    work: Path, source: Path = SHARED, queried: int = 250, seed: int = 11
) -> list[Collection]:
    concepts = naics_concepts(source / "naics" / "naics2022_en_x_scian_fr_partial.csv")
    return [build("naics", work, concepts, queried, None, seed)]


def ipc_collection(
    work: Path, source: Path = SHARED, queried: int = 250, seed: int = 11
) -> list[Collection]:
    """`ipc` and `ipc-caps`: the same profiles and concepts queried, in two spellings."""
    path = source / "ipc" / "ipc_subclasses_en_fr.csv"
    collections = []
    for name, style in (("ipc", sentence_case), ("ipc-caps", str)):
        collections.append(build(name, work, ipc_concepts(path, style), queried, None, seed))
    return collections


#: the collections this module builds, by the name `run.py --collections` takes
BUILDERS: dict[str, Callable[[Path], list[Collection]]] = {
    "esco": esco_collection,
    "esco-skills": esco_skills_collection,
    "naics": naics_collection,
    "ipc": ipc_collection,
}
