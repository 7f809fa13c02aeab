"""Health Canada Drug Product Database extracts -> the SCAN Health licensed-supplier registry.

Reads the extract files as Health Canada publishes them (comma-separated, quoted, no header row;
`comp`, `drug`, `form`, `route`, `ther`, `status`, with an optional `_ap`/`_dr`/`_ia` suffix), from
folders or zip files, and builds one profile per licence-holding company, in English and French.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ngen_connect.errors import InputFileError, RowError
from ngen_connect.indexer.passages import build_passages
from ngen_connect.language import BILINGUAL
from ngen_connect.models import Kind, Profile
from ngen_connect.places import normalise_place

REGISTRY = "scan-health"
FILES = ("comp", "drug", "form", "route", "ther", "status")
_COLUMNS = {"comp": 18, "drug": 14, "form": 4, "route": 4, "ther": 4, "status": 7}
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
                RowError(
                    str(path),
                    None,
                    None,
                    "not a folder or .zip of Drug Product Database extract files",
                )
            )
    missing = [kind for kind in ("comp", "drug") if kind not in found]
    if missing:
        raise InputFileError(
            RowError(
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
                        RowError(
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
            row[0], row[3], row[4].title(), row[12].title() or row[4].title()
        )
    for kind, target in (("form", "forms"), ("route", "routes"), ("ther", "atc")):
        for row in _rows(kind, sources.get(kind, [])):
            product = products.get(row[0])
            if product is not None:
                getattr(product, target).append(
                    (row[2], row[3]) if kind != "ther" else (row[1], row[2])
                )
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
    brands = sorted({p.brand for p in company.products})[:8]
    injectable = any(r[0] in _INJECTABLE for r in routes)
    english = (
        f"{company.name} holds Health Canada drug identification numbers for {len(company.products)} products"
        f" ({', '.join(f'{n} {s.lower()}' for s, n in statuses.most_common())}). "
        f"Dosage forms: {', '.join(_top(forms, 0, 8))}. Routes of administration: {', '.join(_top(routes, 0, 6))}. "
        + ("Injectable (parenteral) products. " if injectable else "")
        + (
            f"Active ingredients include {', '.join(n for n, _ in atc.most_common(6))}. "
            if atc
            else ""
        )
        + f"Products: {', '.join(brands)}."
    )
    french = (
        f"{company.name} est titulaire d'identifications numériques de drogue de Santé Canada pour "
        f"{len(company.products)} produits. Formes posologiques : {', '.join(_top(forms, 1, 8))}. "
        f"Voies d'administration : {', '.join(_top(routes, 1, 6))}. "
        + ("Produits injectables (voie parentérale). " if injectable else "")
        + f"Produits : {', '.join(sorted({p.brand_fr for p in company.products})[:8])}."
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


def compare_extracts(old: Sequence[Company], new: Sequence[Company]) -> ExtractChanges:
    """What appeared, disappeared or changed (status, dosage form, route, brand) between two
    extracts, product by product."""

    def products(companies: Sequence[Company]) -> dict[str, tuple[Product, str]]:
        return {p.din or p.code: (p, c.name) for c in companies for p in c.products}

    def forms(product: Product) -> str:
        return "; ".join(sorted({f[0] for f in product.forms if f[0]}))

    def routes(product: Product) -> str:
        return "; ".join(sorted({r[0] for r in product.routes if r[0]}))

    before, after = products(old), products(new)
    changes: list[ProductChange] = []
    for din in sorted(set(after) - set(before)):
        product, company = after[din]
        changes.append(ProductChange(din, product.brand, company, "added", "", product.status))
    for din in sorted(set(before) - set(after)):
        product, company = before[din]
        changes.append(ProductChange(din, product.brand, company, "removed", product.status, ""))
    for din in sorted(set(before) & set(after)):
        (was, _), (now, company) = before[din], after[din]
        for kind, read in (
            ("status", lambda p: p.status),
            ("form", forms),
            ("route", routes),
            ("brand", lambda p: p.brand),
        ):
            if read(was) != read(now):
                changes.append(ProductChange(din, now.brand, company, kind, read(was), read(now)))
    changes.sort(key=lambda c: (c.company, c.din, c.change))
    old_names = {c.code: c.name for c in old}
    new_names = {c.code: c.name for c in new}
    return ExtractChanges(
        companies_added=sorted(new_names[c] for c in set(new_names) - set(old_names)),
        companies_removed=sorted(old_names[c] for c in set(old_names) - set(new_names)),
        products_added=sorted(set(after) - set(before)),
        products_removed=sorted(set(before) - set(after)),
        status_changed=[(c.din, c.before, c.after) for c in changes if c.change == "status"],
        changes=changes,
    )
