"""The relevance benchmark's two test collections, each with queries and graded judgments.

- `sample`: SAMPLE organisations from the seeded generator; hand-written paraphrase queries in
  English and French (sample_queries.tsv), each aimed at one capability. Grade 2: the organisation
  offers that capability; grade 1: same sector; 0 otherwise.
- `dpd`: real companies from Health Canada's Drug Product Database (marketed extract), one profile
  per licence-holding company, described in English for half of them and in French (the extract's
  `_F` columns) for the other half. Queries name a dosage form and route, in both languages.
  Grade 2: the company markets a product with that form and route; grade 1: that route only.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ngen_connect.sample import ORG_COLUMNS, _write_csv, generate

HERE = Path(__file__).resolve().parent


@dataclass
class Query:
    id: str
    text: str
    language: str
    judgments: dict[str, int]  # record id -> grade


@dataclass
class Collection:
    name: str
    csv_path: Path
    languages: dict[str, str]  # record id -> "en" | "fr" | "en+fr"
    queries: list[Query] = field(default_factory=list)


def sample_collection(work: Path, organizations: int, seed: int = 11) -> Collection:
    orgs, _, _ = generate(organizations, 0, 0, seed=seed)
    work.mkdir(parents=True, exist_ok=True)
    path = _write_csv(work / "organizations.csv", ORG_COLUMNS, orgs)
    languages = {
        o["id"]: "en+fr"
        if o["description_en"] and o["description_fr"]
        else ("fr" if o["description_fr"] else "en")
        for o in orgs
    }
    from ngen_connect.sample.vocabulary import SECTORS

    sector_of = {en: s.key for s in SECTORS for en, _ in s.capabilities}
    collection = Collection("sample", path, languages)
    with (HERE / "sample_queries.tsv").open(encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle, delimiter="\t"), start=1):
            capability = row["capability"]
            if capability not in sector_of:
                raise ValueError(
                    f"sample_queries.tsv row {number + 1}: unknown capability {capability!r}"
                )
            judgments = {}
            for org in orgs:
                if capability in org["_capabilities"]:
                    judgments[org["id"]] = 2
                elif org["_sector"] == sector_of[capability]:
                    judgments[org["id"]] = 1
            for language in ("en", "fr"):
                collection.queries.append(
                    Query(
                        f"sample-{number:02d}-{language}",
                        row[f"query_{language}"],
                        language,
                        judgments,
                    )
                )
    return collection


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def dpd_collection(work: Path, extract: Path, queries: int = 25) -> Collection:
    companies: dict[str, dict[str, str]] = {}
    company_of: dict[str, str] = {}
    for row in _rows(extract / "comp.txt"):
        drug, code = row[0], row[2]
        company_of[drug] = code
        companies.setdefault(
            code,
            {
                "name": row[3].strip(),
                "city": row[11].strip().title(),
                "province": row[12].strip().title(),
            },
        )
    brands: dict[str, list[str]] = defaultdict(list)
    human: dict[str, Counter[str]] = defaultdict(Counter)
    for row in _rows(extract / "drug.txt"):
        code = company_of.get(row[0])
        if code:
            brands[code].append(row[4].strip().title())
            human[code][row[2]] += 1
    forms: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in _rows(extract / "form.txt"):
        forms[row[0]].append((row[2].strip(), row[3].strip()))
    routes: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in _rows(extract / "route.txt"):
        routes[row[0]].append((row[2].strip(), row[3].strip()))
    company_forms: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    company_routes: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
    pair_names: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    for drug, code in company_of.items():
        for form in forms.get(drug, []):
            company_forms[code][form] += 1
            for route in routes.get(drug, []):
                pairs[(form[0], route[0])].add(code)
                pair_names[(form[0], route[0])] = (form[0], form[1], route[0], route[1])
        for route in routes.get(drug, []):
            company_routes[code][route] += 1
    rows, languages = [], {}
    for code, info in companies.items():
        if not company_forms[code]:
            continue
        french = int(hashlib.sha1(code.encode()).hexdigest(), 16) % 2 == 1
        top_forms = [f[1] if french else f[0] for f, _ in company_forms[code].most_common(6)]
        top_routes = [r[1] if french else r[0] for r, _ in company_routes[code].most_common(5)]
        products = ", ".join(sorted(set(brands[code]))[:4])
        count = sum(human[code].values())
        if french:
            text = (
                f"{info['name']} est titulaire de {count} identifications numériques de drogue commercialisées "
                f"auprès de Santé Canada. Formes posologiques : {', '.join(t.lower() for t in top_forms)}. "
                f"Voies d'administration : {', '.join(t.lower() for t in top_routes)}. Produits : {products}."
            )
        else:
            text = (
                f"{info['name']} holds {count} marketed Health Canada drug identification numbers. "
                f"Dosage forms: {', '.join(t.lower() for t in top_forms)}. Routes of administration: "
                f"{', '.join(t.lower() for t in top_routes)}. Products include {products}."
            )
        rows.append(
            {
                "id": f"dpd-{code}",
                "name": info["name"],
                "description_en": "" if french else text,
                "description_fr": text if french else "",
                "city": info["city"],
            }
        )
        languages[f"dpd-{code}"] = "fr" if french else "en"
    work.mkdir(parents=True, exist_ok=True)
    path = _write_csv(
        work / "companies.csv", ["id", "name", "description_en", "description_fr", "city"], rows
    )
    collection = Collection("dpd", path, languages)
    chosen = sorted(
        (
            p
            for p, codes in pairs.items()
            if 4 <= len(codes) <= 80 and not p[1].startswith("DISINFECTANT")
        ),
        key=lambda p: (-len(pairs[p]), p),
    )[:queries]
    for number, pair in enumerate(chosen, start=1):
        form_en, form_fr, route_en, route_fr = pair_names[pair]
        route_holders = {
            c for c, counter in company_routes.items() if any(r[0] == route_en for r in counter)
        }
        judgments = {f"dpd-{c}": 1 for c in route_holders if f"dpd-{c}" in languages}
        judgments.update({f"dpd-{c}": 2 for c in pairs[pair] if f"dpd-{c}" in languages})
        collection.queries.append(
            Query(
                f"dpd-{number:02d}-en",
                f"{route_en.lower()} {form_en.lower()} manufacturer",
                "en",
                judgments,
            )
        )
        collection.queries.append(
            Query(
                f"dpd-{number:02d}-fr",
                f"fabricant de {form_fr.lower()} par voie {route_fr.lower()}",
                "fr",
                judgments,
            )
        )
    return collection
