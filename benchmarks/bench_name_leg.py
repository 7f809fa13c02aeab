"""The name leg at 100,000 organisations: the trigram shortlist against comparing the whole band.

    python benchmarks/bench_name_leg.py [--organizations 100000] [--queries 300]

Builds the name index (`ngen_connect.search.name_leg.NameIndex`) over the names of that many
SAMPLE organisations (seeded, as `ngen-connect sample` writes them; no index needed), normalised as
the ranker does, then runs the queries in one process, each twice: through the full comparison of
its length band (WRatio over every name about as long as the query, the leg as it was) and through
the trigram shortlist. Queries: exact names, names with one or two typos (substitution, insertion,
deletion, transposition), reordered words, truncated names, and capability queries in English and
French (those of bench_indexing.py). Measures the build time (whole, and the trigram matrix
alone), the time of each query both ways (p50/p95), how many names each compares, and agreement:
the share of queries whose matches (records and scores) are identical, with no filter and with a
filter letting a third of the records through. Prints the figures, writes
benchmarks/results/name_leg.json and the `name-leg` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from importlib.metadata import version
from pathlib import Path
from statistics import mean
from typing import Any

import numpy as np
from rapidfuzz import utils

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe, update_results
from bench_indexing import QUERIES, percentile

from ngen_connect.names import normalise_name
from ngen_connect.sample import generate
from ngen_connect.search.name_leg import NameIndex, Trigrams

THRESHOLD = 88.0  # `Weights.name_threshold`
#: queries of each kind, out of every 300
KINDS = {
    "exact name": 60,
    "one typo": 60,
    "two typos": 40,
    "reordered words": 40,
    "truncated name": 40,
    "capability (EN/FR)": 60,
}


def _typo(text: str, rng: random.Random) -> str:
    chars = list(text)
    at = rng.randrange(len(chars))
    kind = rng.choice(["substitute", "insert", "delete", "transpose"])
    if kind == "substitute":
        chars[at] = rng.choice("aeiounrstlcé")
    elif kind == "insert":
        chars.insert(at, rng.choice("aeiounrstlc"))
    elif kind == "delete" and len(chars) > 1:
        del chars[at]
    elif at + 1 < len(chars):
        chars[at], chars[at + 1] = chars[at + 1], chars[at]
    return "".join(chars)


def queries(names: list[str], count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, query), `count` in all, in the proportions of `KINDS`."""
    made: list[tuple[str, str]] = []
    for kind, share in KINDS.items():
        for number in range(round(share * count / 300)):
            name = rng.choice(names)
            words = name.split()
            if kind == "exact name":
                query = name
            elif kind == "one typo":
                query = _typo(name, rng)
            elif kind == "two typos":
                query = _typo(_typo(name, rng), rng)
            elif kind == "reordered words":
                query = " ".join(rng.sample(words, len(words)))
            elif kind == "truncated name":
                query = " ".join(words[: max(1, len(words) - 2)])
            else:
                query = QUERIES[number % len(QUERIES)]
            made.append((kind, query))
    return made


def timed(index: NameIndex, query: str, allowed: Any, exhaustive: bool) -> tuple[float, Any]:
    started = time.perf_counter()
    found = index.search(query, allowed, THRESHOLD, exhaustive=exhaustive)
    return (time.perf_counter() - started) * 1000, found


def run(organizations: int, count: int) -> dict[str, Any]:
    print(f"generating {organizations:,} sample organisations...", flush=True)
    orgs, _, _ = generate(organizations, 0, 0, seed=2024)
    rows = [(str(o["id"]), str(o["name"]), 2 * n) for n, o in enumerate(orgs)]
    started = time.perf_counter()
    index = NameIndex(rows)
    build = time.perf_counter() - started
    compared = sorted((utils.default_process(normalise_name(n)) for _, n, _ in rows), key=len)
    trigram_builds = []
    for _ in range(3):
        started = time.perf_counter()
        Trigrams(compared)
        trigram_builds.append(time.perf_counter() - started)
    matrix = index.trigrams.matrix

    rng = random.Random(2024)
    made = queries([name for _, name, _ in rows], count, rng)
    pids = np.arange(0, 2 * len(rows), 2, dtype=np.int64)
    a_third = np.sort(np.random.default_rng(1).choice(pids, size=len(pids) // 3, replace=False))
    for _, query in made[:10]:  # warm-up
        index.search(query, None, THRESHOLD)
        index.search(query, None, THRESHOLD, exhaustive=True)
    per_query = []
    for kind, query in made:
        full_ms, full = timed(index, query, None, True)
        short_ms, short = timed(index, query, None, False)
        _, full_filtered = timed(index, query, a_third, True)
        _, short_filtered = timed(index, query, a_third, False)
        per_query.append(
            {
                "kind": kind,
                "query": query,
                "full_ms": full_ms,
                "shortlist_ms": short_ms,
                "full_compared": index.compared(query, THRESHOLD, exhaustive=True),
                "shortlist_compared": index.compared(query, THRESHOLD),
                "matches": len(full),
                "agree": full == short,
                "agree_filtered": full_filtered == short_filtered,
            }
        )
    return {
        "organizations": organizations,
        "names": len(index),
        "trigrams": int(matrix.shape[1]),
        "trigram_entries": int(matrix.nnz),
        "build_seconds": round(build, 2),
        "trigram_build_seconds": round(min(trigram_builds), 2),
        "queries": per_query,
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    full = [r["full_ms"] for r in rows]
    short = [r["shortlist_ms"] for r in rows]
    return {
        "queries": len(rows),
        "full_p50_ms": round(percentile(full, 0.5), 2),
        "full_p95_ms": round(percentile(full, 0.95), 2),
        "shortlist_p50_ms": round(percentile(short, 0.5), 2),
        "shortlist_p95_ms": round(percentile(short, 0.95), 2),
        "full_compared_mean": round(mean(r["full_compared"] for r in rows)),
        "shortlist_compared_p50": round(percentile([r["shortlist_compared"] for r in rows], 0.5)),
        "shortlist_compared_p95": round(percentile([r["shortlist_compared"] for r in rows], 0.95)),
        "with_matches": sum(1 for r in rows if r["matches"]),
        "agreement": sum(r["agree"] for r in rows) / len(rows),
        "agreement_filtered": sum(r["agree_filtered"] for r in rows) / len(rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--organizations", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    machine = describe()
    result = run(args.organizations, args.queries)
    rows = result["queries"]
    overall = summary(rows)
    by_kind = {kind: summary([r for r in rows if r["kind"] == kind]) for kind in KINDS}
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "name_leg.json").write_text(
        json.dumps(
            {
                "machine": machine,
                **{k: v for k, v in result.items() if k != "queries"},
                "overall": overall,
                "by_kind": by_kind,
                "longest_shortlists": sorted(rows, key=lambda r: -r["shortlist_compared"])[:10],
            },
            indent=2,
        )
        + "\n"
    )
    lines = [
        "## Name leg: trigram shortlist",
        "",
        f"`python benchmarks/bench_name_leg.py --organizations {args.organizations} --queries "
        f"{args.queries}` on {machine['date']}: {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['memory']}, Python {machine['python']}, rapidfuzz {version('rapidfuzz')}, "
        f"scipy {version('scipy')}.",
        f"The names of {result['organizations']:,} SAMPLE organisations ({result['names']:,} names, "
        f"{result['trigrams']:,} distinct trigrams, {result['trigram_entries']:,} entries), "
        "normalised as the ranker does; one process, each query once each way after 10 warm-up "
        f"queries, threshold {THRESHOLD:g}. *full*: WRatio over every name of the query's length "
        "band (the name leg before the shortlist); *shortlist*: only the names sharing enough "
        "trigrams with the query. Agreement: queries whose matches (records and scores) are "
        "identical both ways, with no filter / with a filter letting a third of the records through.",
        "",
        f"Build: {result['build_seconds']} s for the name index (normalising the names included), "
        f"of which {result['trigram_build_seconds']} s for the trigram matrix (best of 3).",
        "",
        "| queries | n | with matches | full p50 (ms) | full p95 (ms) | shortlist p50 (ms) "
        "| shortlist p95 (ms) | names compared: full (mean) | shortlist p50 / p95 | agreement |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, s in [*by_kind.items(), ("**all**", overall)]:
        lines.append(
            f"| {label} | {s['queries']} | {s['with_matches']} | {s['full_p50_ms']} "
            f"| {s['full_p95_ms']} | {s['shortlist_p50_ms']} | {s['shortlist_p95_ms']} "
            f"| {s['full_compared_mean']:,} | {s['shortlist_compared_p50']:,} / "
            f"{s['shortlist_compared_p95']:,} | {s['agreement']:.0%} / {s['agreement_filtered']:.0%} |"
        )
    update_results("name-leg", "\n".join(lines))
    print("\n".join(lines))
    if overall["agreement"] < 1 or overall["agreement_filtered"] < 1:
        sys.exit("the shortlist lost matches of the full comparison")


if __name__ == "__main__":
    main()
