"""Health Canada Drug Product Database extracts -> the SCAN Health licensed-supplier registry.

Reads the extract files as Health Canada publishes them (comma-separated, quoted, no header row;
`comp`, `drug`, `form`, `route`, `ther`, `status`, with an optional `_ap`/`_dr`/`_ia` suffix), from
folders or zip files, and builds one profile per licence-holding company, in English and French.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ngen_connect.engine import Engine
from ngen_connect.errors import FileProblem, IndexNotFoundError, InputFileError, QueryError
from ngen_connect.index.products import PRODUCT_LIST
from ngen_connect.indexer.passages import build_passages
from ngen_connect.language import BILINGUAL
from ngen_connect.models import IndexReport, Kind, Profile, Progress, RecordSummary
from ngen_connect.places import normalise_place

if TYPE_CHECKING:
    from ngen_connect.registries.resilience import Lost

REGISTRY = "scan-health"
FILES = ("comp", "drug", "form", "route", "ther", "status", "ingred", "schedule")
_COLUMNS = {
    "comp": 18,
    "drug": 14,
    "form": 4,
    "route": 4,
    "ther": 4,
    "status": 7,
    "ingred": 15,
    "schedule": 3,
}
_INJECTABLE = {
    "INTRAVENOUS",
    "INTRAMUSCULAR",
    "SUBCUTANEOUS",
    "INTRADERMAL",
    "INTRA-ARTICULAR",
    "INTRATHECAL",
    "EPIDURAL",
    "INTRAVITREAL",
    "INTRAVESICAL",
    "INTRACAVERNOSAL",
}


@dataclass
class Product:
    code: str
    din: str
    brand: str
    brand_fr: str
    status: str = ""
    status_fr: str = ""
    forms: list[tuple[str, str]] = field(default_factory=list)
    routes: list[tuple[str, str]] = field(default_factory=list)
    atc: list[tuple[str, str]] = field(default_factory=list)
    #: active ingredients, (English, French)
    ingredients: list[tuple[str, str]] = field(default_factory=list)
    #: schedules (prescription, OTC, narcotic...), (English, French)
    schedules: list[tuple[str, str]] = field(default_factory=list)

    def entry(self) -> dict[str, Any]:
        """The product as its holder's record keeps it: searchable by brand, ingredient, form,
        route, ATC class, schedule and status, in English and French."""
        return {
            "din": self.din,
            "brand": self.brand,
            "brand_fr": self.brand_fr if self.brand_fr != self.brand else "",
            "status": self.status,
            "ingredients": _unique(i[0] for i in self.ingredients),
            "ingredients_fr": _unique(i[1] for i in self.ingredients if i[1] != i[0]),
            "forms": _unique(f[0] for f in self.forms),
            "forms_fr": _unique(f[1] for f in self.forms if f[1] != f[0]),
            "routes": _unique(r[0] for r in self.routes),
            "routes_fr": _unique(r[1] for r in self.routes if r[1] != r[0]),
            "atc": _unique(f"{a[0]} {a[1]}".strip() for a in self.atc),
            "schedules": _unique(s[0] for s in self.schedules),
            "schedules_fr": _unique(s[1] for s in self.schedules if s[1] != s[0]),
        }


_WORD_START = re.compile(r"(^|[\s\-/(])(\w)")


def _name_case(text: str) -> str:
    """A brand or ingredient as people write it: "CHILDREN'S TYLENOL 5MG" -> "Children's Tylenol
    5mg", "APO-ATORVASTATIN" -> "Apo-Atorvastatin" (str.title would write "Children'S" and "5Mg")."""
    return _WORD_START.sub(lambda m: m.group(1) + m.group(2).upper(), text.lower())


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


@dataclass
class Company:
    code: str
    name: str
    city: str
    province: str
    country: str
    postal_code: str
    products: list[Product] = field(default_factory=list)


def _open_sources(paths: Sequence[Path]) -> dict[str, list[tuple[str, io.TextIOBase | None, Path]]]:
    """Extract file name ("comp", ...) -> readable sources across folders and zips."""
    found: dict[str, list[tuple[str, io.TextIOBase | None, Path]]] = defaultdict(list)
    for path in paths:
        if path.is_dir():
            for file in sorted(path.glob("*.txt")):
                kind = file.stem.split("_")[0]
                if kind in FILES:
                    found[kind].append((str(file), None, file))
        elif path.suffix.lower() == ".zip" and path.is_file():
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    kind = Path(member).stem.split("_")[0]
                    if kind in FILES and member.endswith(".txt"):
                        text = archive.read(member).decode("utf-8-sig", errors="strict")
                        found[kind].append((f"{path}!{member}", io.StringIO(text), path))
        else:
            raise InputFileError(
                FileProblem(
                    str(path),
                    None,
                    None,
                    "not a folder or .zip of Drug Product Database extract files",
                )
            )
    missing = [kind for kind in ("comp", "drug") if kind not in found]
    if missing:
        raise InputFileError(
            FileProblem(
                ", ".join(str(p) for p in paths),
                None,
                None,
                f"no {' or '.join(f'{m}.txt' for m in missing)} among the extract files (expected {', '.join(FILES)})",
            )
        )
    return found


def _rows(kind: str, sources: list[tuple[str, io.TextIOBase | None, Path]]) -> Iterator[list[str]]:
    for label, stream, path in sources:
        handle = stream if stream is not None else path.open(encoding="utf-8-sig", newline="")
        try:
            for number, row in enumerate(csv.reader(handle), start=1):
                if len(row) != _COLUMNS[kind]:
                    raise InputFileError(
                        FileProblem(
                            label,
                            number,
                            None,
                            f"{kind} rows have {_COLUMNS[kind]} fields, this one has {len(row)}",
                        )
                    )
                yield [value.strip() for value in row]
        finally:
            if stream is None:
                handle.close()


def read_extracts(paths: Sequence[Path]) -> list[Company]:
    """Licence holders with their products from Drug Product Database extracts (folders or ZIPs of
    comp, drug, form, route, ther and status files, as Health Canada publishes them)."""
    sources = _open_sources(paths)
    products: dict[str, Product] = {}
    for row in _rows("drug", sources["drug"]):
        products[row[0]] = Product(
            row[0], row[3], _name_case(row[4]), _name_case(row[12] or row[4])
        )
    # (file, the product's list, the columns of its English and French values)
    lists = (
        ("form", "forms", 2, 3),
        ("route", "routes", 2, 3),
        ("ther", "atc", 1, 2),
        ("ingred", "ingredients", 2, 11),
        ("schedule", "schedules", 1, 2),
    )
    for kind, target, first, second in lists:
        for row in _rows(kind, sources.get(kind, [])):
            product = products.get(row[0])
            if product is not None:
                value = (row[first], row[second] or row[first])
                if kind == "ingred":
                    value = (_name_case(row[first]), _name_case(row[second] or row[first]))
                values = getattr(product, target)
                if value not in values:
                    values.append(value)
    for row in _rows("status", sources.get("status", [])):
        product = products.get(row[0])
        if product is not None and row[1] == "Y":
            product.status, product.status_fr = row[2], row[4]
    companies: dict[str, Company] = {}
    for row in _rows("comp", sources["comp"]):
        product = products.get(row[0])
        company = companies.get(row[2])
        if company is None:
            company = companies[row[2]] = Company(
                row[2], row[3], row[11].title(), row[12], row[13], row[14]
            )
        if product is not None and product not in company.products:
            company.products.append(product)
    return [c for c in companies.values() if c.products]


def _top(values: Counter[tuple[str, str]], index: int, n: int) -> list[str]:
    return [value[index].lower() for value, _ in values.most_common(n) if value[index]]


def company_profile(company: Company) -> Profile:
    """A licence holder as a searchable organisation profile of the SCAN Health registry."""
    forms: Counter[tuple[str, str]] = Counter(f for p in company.products for f in p.forms)
    routes: Counter[tuple[str, str]] = Counter(r for p in company.products for r in p.routes)
    statuses: Counter[str] = Counter(p.status for p in company.products if p.status)
    atc = Counter(a[1].lower() for p in company.products for a in p.atc if a[1])
    ingredients = Counter(i[0].lower() for p in company.products for i in p.ingredients)
    ingredients_fr = Counter(i[1].lower() for p in company.products for i in p.ingredients)
    brands = sorted({p.brand for p in company.products})[:8]
    # The French text names only brands written in French: a brand the extract gives in English
    # alone is a name, not French words, and stemmed as French it would match unrelated French
    # words ("Generation V" and "génériques" share the French stem "gener"). Every brand stays
    # searchable by the product leg, in either language, and in the English text.
    french_brands = sorted(
        {p.brand_fr for p in company.products if p.brand_fr and p.brand_fr != p.brand}
    )[:8]
    injectable = any(r[0] in _INJECTABLE for r in routes)
    english = (
        f"{company.name} holds Health Canada drug identification numbers for {len(company.products)} products"
        f" ({', '.join(f'{n} {s.lower()}' for s, n in statuses.most_common())}). "
        f"Dosage forms: {', '.join(_top(forms, 0, 8))}. Routes of administration: {', '.join(_top(routes, 0, 6))}. "
        + ("Injectable (parenteral) products. " if injectable else "")
        + (
            f"Active ingredients include {', '.join(n for n, _ in ingredients.most_common(6))}. "
            if ingredients
            else ""
        )
        + (f"Therapeutic classes: {', '.join(n for n, _ in atc.most_common(6))}. " if atc else "")
        + f"Products: {', '.join(brands)}."
    )
    french = (
        f"{company.name} est titulaire d'identifications numériques de drogue de Santé Canada pour "
        f"{len(company.products)} produits. Formes posologiques : {', '.join(_top(forms, 1, 8))}. "
        f"Voies d'administration : {', '.join(_top(routes, 1, 6))}. "
        + ("Produits injectables (voie parentérale). " if injectable else "")
        + (
            f"Ingrédients actifs : {', '.join(n for n, _ in ingredients_fr.most_common(6))}. "
            if ingredients_fr
            else ""
        )
        + (f"Produits : {', '.join(french_brands)}." if french_brands else "")
    )
    attributes: dict[str, object] = {
        "registry": REGISTRY,
        "city": company.city,
        "licences": ["Health Canada DIN holder"],
        "dpd_company_code": company.code,
        "product_status": dict(statuses),
        "products": len(company.products),
        "dosage_forms": _top(forms, 0, 20),
        "routes": _top(routes, 0, 20),
        "atc": sorted({a[0] for p in company.products for a in p.atc if a[0]})[:50],
        # every product, searchable on its own (ngen_connect.search.products)
        PRODUCT_LIST: [p.entry() for p in sorted(company.products, key=lambda p: p.din)],
    }
    attributes.update(
        normalise_place(company.province, company.country, company.postal_code).attributes()
    )
    texts = {"en": english, "fr": french}
    passages = build_passages(texts)
    return Profile(
        f"dpd-{company.code}",
        Kind.ORGANIZATION,
        company.name,
        texts,
        BILINGUAL,
        attributes,
        "Health Canada DPD",
        None,
        tuple(passages),
    )


@dataclass(frozen=True)
class ProductChange:
    """One product that appeared, disappeared or changed between two extracts."""

    din: str
    brand: str
    company: str
    #: added, removed, status, form, route or brand
    change: str
    before: str = ""
    after: str = ""


#: the columns of a comparison's export, in order
CHANGE_COLUMNS = ("company", "din", "brand", "change", "before", "after")


@dataclass
class ExtractChanges:
    companies_added: list[str]
    companies_removed: list[str]
    products_added: list[str]
    products_removed: list[str]
    status_changed: list[tuple[str, str, str]]  # DIN, old status, new status
    #: every product change, with its DIN, brand and company, by company then DIN
    changes: list[ProductChange] = field(default_factory=list)

    def per_company(self) -> dict[str, Counter[str]]:
        """How many changes of each kind each company has, companies in name order."""
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for change in self.changes:
            counts[change.company][change.change] += 1
        return dict(sorted(counts.items()))

    def rows(self) -> list[dict[str, str]]:
        return [{column: getattr(c, column) for column in CHANGE_COLUMNS} for c in self.changes]


#: a product catalogue: DIN -> (the product's entry, its holder's name)
Catalogue = dict[str, tuple[Mapping[str, Any], str]]


def catalogue_of(companies: Sequence[Company]) -> tuple[Catalogue, dict[str, str]]:
    """Products by DIN, and company names by company code, of an extract."""
    products: Catalogue = {
        p.din or p.code: (p.entry(), c.name) for c in companies for p in c.products
    }
    return products, {c.code: c.name for c in companies}


def catalogue_of_records(records: Iterable[RecordSummary]) -> tuple[Catalogue, dict[str, str]]:
    """The same, from the registry's records as an index keeps them: what a new import is
    compared with, so the previous extract itself need not be kept."""
    products: Catalogue = {}
    names: dict[str, str] = {}
    for record in records:
        code = record.attributes.get("dpd_company_code")
        if record.attributes.get("registry") != REGISTRY or not code:
            continue
        names[str(code)] = record.name
        for entry in record.attributes.get(PRODUCT_LIST) or ():
            products[str(entry.get("din", ""))] = (entry, record.name)
    return products, names


def compare_extracts(old: Sequence[Company], new: Sequence[Company]) -> ExtractChanges:
    """What appeared, disappeared or changed (status, dosage form, route, brand) between two
    extracts, product by product."""
    return compare_catalogues(catalogue_of(old), catalogue_of(new))


def compare_catalogues(
    old: tuple[Catalogue, dict[str, str]], new: tuple[Catalogue, dict[str, str]]
) -> ExtractChanges:
    """Product by product, what appeared, disappeared or changed (status, dosage form, route,
    brand) from one catalogue to the next; companies by code."""

    def joined(entry: Mapping[str, Any], key: str) -> str:
        return "; ".join(sorted({str(v) for v in entry.get(key) or () if v}))

    readers: tuple[tuple[str, Callable[[Mapping[str, Any]], str]], ...] = (
        ("status", lambda e: str(e.get("status", ""))),
        ("form", lambda e: joined(e, "forms")),
        ("route", lambda e: joined(e, "routes")),
        ("brand", lambda e: str(e.get("brand", ""))),
    )
    (before, old_names), (after, new_names) = old, new
    changes: list[ProductChange] = []
    for din in sorted(set(after) - set(before)):
        entry, company = after[din]
        changes.append(
            ProductChange(din, entry["brand"], company, "added", "", entry.get("status", ""))
        )
    for din in sorted(set(before) - set(after)):
        entry, company = before[din]
        changes.append(
            ProductChange(din, entry["brand"], company, "removed", entry.get("status", ""), "")
        )
    for din in sorted(set(before) & set(after)):
        (was, _), (now, company) = before[din], after[din]
        for kind, read in readers:
            if read(was).casefold() != read(now).casefold():
                changes.append(
                    ProductChange(din, now["brand"], company, kind, read(was), read(now))
                )
    changes.sort(key=lambda c: (c.company, c.din, c.change))
    return ExtractChanges(
        companies_added=sorted(new_names[c] for c in set(new_names) - set(old_names)),
        companies_removed=sorted(old_names[c] for c in set(old_names) - set(new_names)),
        products_added=sorted(set(after) - set(before)),
        products_removed=sorted(set(before) - set(after)),
        status_changed=[(c.din, c.before, c.after) for c in changes if c.change == "status"],
        changes=changes,
    )


#: the share of a registry's licence holders (beyond 10) an extract import may remove unconfirmed
REMOVAL_GUARD = 0.2


@dataclass
class ExtractImport:
    """What an import of extracts did: the holders read, the index write, the holders removed
    and, product by product, what changed."""

    companies: int
    indexed: IndexReport
    removed: list[str]
    #: products added, removed and changed since the registry's previous content
    changes: ExtractChanges
    #: ingredients, forms and ATC classes that lost marketed holders (`registries.resilience`)
    losses: list[Lost] = field(default_factory=list)


def import_extracts(
    engine: Engine,
    paths: Sequence[Path],
    progress: Progress | None = None,
    *,
    allow_removals: bool = False,
) -> ExtractImport:
    """Drug Product Database extracts as the SCAN Health registry, updated in place in one new
    index version: one record per licence holder with all its products; holders no longer
    listed are removed; what changed since the registry's previous content is reported product
    by product. An import that would remove more than `REMOVAL_GUARD` of the holders (one
    extract given where three were imported before) is refused unless `allow_removals`."""
    companies = read_extracts(paths)
    try:
        records = engine.records()
    except IndexNotFoundError:
        records = {}
    previous = catalogue_of_records(records.values())
    profiles = [company_profile(c) for c in companies]
    known = {p.id for p in profiles}
    held = [r.id for r in records.values() if r.attributes.get("registry") == REGISTRY]
    gone = [i for i in held if i not in known]
    if len(gone) > max(REMOVAL_GUARD * len(held), 10) and not allow_removals:
        share = round(100 * len(gone) / len(held))
        raise QueryError(
            f"This import would remove {len(gone):,} of the {len(held):,} licence holders "
            f"({share} %) now in the scan-health registry. Give every extract together "
            "(marketed, approved, dormant...), or confirm with --allow-removals.",
            f"Cette importation retirerait {len(gone):,} des {len(held):,} titulaires "
            f"({share} %) du registre scan-health. Donnez tous les extraits ensemble "
            "(commercialisés, approuvés, dormants...), ou confirmez avec --allow-removals.",
        )
    report = engine.replace_registry(REGISTRY, profiles, {}, progress=progress)
    changes = compare_catalogues(previous, catalogue_of(companies))
    return ExtractImport(len(companies), report, sorted(gone), changes)
