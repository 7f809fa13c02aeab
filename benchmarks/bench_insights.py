"""Network reports: how long each takes at 1,000, 10,000 and 100,000 organisations.

    python benchmarks/bench_insights.py [--sizes 1000,10000,100000] [--model fake:384] [--repeat 5]

For each size: generate SAMPLE organisations and clusters (seeded, as bench_scale.py does), index
them with the stand-in encoder (`fake:384`: the real encoders' width, no neural network) beside
the real Drug Product Database extract (../shared/data, `scan-health import`), then time
`Service.coverage` for the default report (every NAICS 3- and 4-digit manufacturing code), a
NAICS prefix, a glossary group, a query (a search read page by page) and the three together;
`Service.reach` (every cluster) and `Service.resilience` (SCAN Health); the median of `--repeat`
runs after one warm-up. Records the section in RESULTS.md. The demand report's time depends on the
search log, not on the organisations: benchmarks/bench_demand.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _machine import describe, update_results

from ngen_connect import ANONYMOUS, OPERATOR, Engine, Kind, Service, load_settings
from ngen_connect.sample import CLUSTER_COLUMNS, ORG_COLUMNS, _write_csv, generate

DPD = HERE.parents[1] / "shared" / "data" / "health_canada_dpd" / "allfiles"

WORK = HERE / ".work" / "insights"
CASES: dict[str, dict[str, Any]] = {
    "default (NAICS 31-33)": {},
    "naics 3327": {"naics": ["3327"]},
    'group "5-axis machining"': {"groups": ["5-axis machining"]},
    'query "usinage 5 axes titane"': {"queries": ["usinage 5 axes titane"]},
    "all three": {
        "naics": ["3327"],
        "groups": ["5-axis machining"],
        "queries": ["usinage 5 axes titane"],
    },
}


def _median_ms(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    report = run()  # warm-up: the version opened, the glossary loaded
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        report = run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), report


def measure(size: int, model: str, repeat: int) -> list[str]:
    folder = WORK / f"orgs-{size}"
    source, clusters = folder / "organizations.csv", folder / "clusters.csv"
    if not clusters.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        orgs, groups, _ = generate(size, max(32, size // 300), 0, seed=2024)
        _write_csv(source, ORG_COLUMNS, orgs)
        _write_csv(clusters, CLUSTER_COLUMNS, groups)
    data = folder / f"data-{model.replace(':', '-')}"
    engine = Engine(load_settings(data_dir=data, model=model))
    engine.index_files([source])
    engine.index_files([clusters], kind=Kind.CLUSTER)
    service = Service(engine)
    service.import_extracts(OPERATOR, [DPD])
    lines = []
    for label, asked in CASES.items():
        ms, report = _median_ms(partial(service.coverage, ANONYMOUS, **asked), repeat)
        counts = ", ".join(str(c.organizations) for c in report.capabilities[:3])
        line = f"| {size:,} | {label} | {len(report.capabilities)} | {counts} | {ms:.1f} |"
        print(line, flush=True)
        lines.append(line)
    ms, reach = _median_ms(partial(service.reach, ANONYMOUS), repeat)
    summary = reach.summary()
    line = (
        f"| {size:,} | reach (every cluster) | {summary['clusters']} clusters | "
        f"{summary['members']} members, {summary['outside_region']} outside their province | {ms:.1f} |"
    )
    print(line, flush=True)
    lines.append(line)
    ms, found = _median_ms(partial(service.resilience, ANONYMOUS), repeat)
    counts = found.report.summary()["ingredient"]
    line = (
        f"| {size:,} | resilience (SCAN Health) | {counts['lines']} ingredients | "
        f"{counts['single_holder']} single-holder, {counts['no_canadian_holder']} no Canadian | {ms:.1f} |"
    )
    print(line, flush=True)
    lines.append(line)
    engine.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--model", default="fake:384")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    header = [
        "| organisations | report | lines | what it found (coverage: organisations with the first 3) | median ms |",
        "|---:|---|---:|---|---:|",
    ]
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows += measure(size, args.model, args.repeat)
    machine = describe()
    body = "\n".join(
        [
            "## Network reports (`insights coverage`, `insights reach`, `scan-health resilience`)",
            "",
            f"`python benchmarks/bench_insights.py --model {args.model}`, {machine['date']}; "
            f"{machine['cpu']}, {machine['cores']} cores, Python {machine['python']}. "
            f"`Service.coverage`, `Service.reach`, `Service.resilience` in process, median of "
            f"{args.repeat} runs after a warm-up; the real DPD marketed extract (833 holders) "
            "imported beside the sample organisations.",
            "",
            *header,
            *rows,
        ]
    )
    update_results("insights-coverage", body)


if __name__ == "__main__":
    main()
