"""Fusion weights fitted on the relevance collections' judgments, with leave-one-collection-out
cross-validation.

    python benchmarks/relevance/fit.py [--collections sample,dpd,esco,naics,ipc] [--pool 50]

Each query is ranked once by the hybrid ranking without its floor; for its best `--pool`
candidates the legs' evidence is kept (benchmarks/.work/fusion_features.pkl; `--refresh` ranks
again): the semantic score, the language gap it was given, the keyword leg's BM25 share of the
best, its coverage of the query's information (IDF), the name and product similarities. scipy's
differential evolution then chooses the fusion's weights (keyword, coverage, name, product, and a
scale of the language gap) that maximise the mean over collections of (nDCG@10 + MRR@10) / 2,
re-ranking the same candidates; every collection weighs the same. The short-label collections
(esco, naics, ipc) are scored twice: as judged, and `cross`, with the query's same-language twin
taken out of the candidates, so that the answer exists only in the other language (the task where
the keyword leg can mislead most). Each collection is scored with the weights fitted on the
others (`cross-validated`), with the weights fitted on all (`fitted`) and with the shipped ones.
Writes benchmarks/results/fusion_fit.json and the `fusion-fit` section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import differential_evolution

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
from _machine import describe, update_results
from datasets import Collection
from run import WORK, CachedQueries, prepare

from ngen_connect import Engine, load_settings
from ngen_connect.embedding import load_embedders
from ngen_connect.glossary import load_glossary
from ngen_connect.language import detect_query_language
from ngen_connect.models import Kind
from ngen_connect.search.ranking import Ranking, Weights, plan_query
from ngen_connect.settings import DEFAULT_MODEL
from ngen_connect.text import query_form

#: the legs whose weights are fitted, as `_Evidence` names them; the semantic score is the scale
FEATURES = ("semantic", "cross_language", "keyword", "coverage", "name", "product")


def candidates(engine: Engine, text: str, pool: int) -> tuple[list[str], np.ndarray]:
    """The hybrid ranking's best `pool` records for a query (no floor) and their legs' evidence,
    one row per record, one column per feature."""
    form = query_form(text)
    plan = plan_query(
        text, detect_query_language(form), engine._start_encoding_query(form), load_glossary()
    )
    with engine._reading() as reader:
        allowed = engine._allowed(reader, [Kind.ORGANIZATION], None)
        ranked = reader.ranker.rank(plan, allowed, pool, Ranking.HYBRID)
        rows = ranked._order
        evidence = ranked._evidence
        features = np.stack([getattr(evidence, f)[rows] for f in FEATURES], axis=1)
        features[:, 0] = np.maximum(features[:, 0], -1.0)
        return [key.split(":", 1)[1] for key in ranked.keys], features


def gather(engine: Engine, collection: Collection, pool: int) -> list[dict[str, Any]]:
    out = []
    for query in collection.queries:
        ids, features = candidates(engine, query.text, pool)
        grades = np.asarray([query.judgments.get(i, 0) for i in ids], dtype=np.int64)
        out.append({"query": query, "ids": ids, "x": features, "grades": grades})
    return out


#: the weights chosen, in order, with their bounds: the legs' weights and the language gap's scale
CHOSEN = (
    ("keyword", (0.0, 0.3)),
    ("coverage", (0.0, 0.3)),
    ("gap_scale", (0.0, 2.0)),
)
LABELS = ("esco", "naics", "ipc")
#: how far below the shipped weights' figure a set may fall before the fit is penalised, and how much
TOLERANCE = 0.005
PENALTY = 100.0


class Judged:
    """One collection's queries as arrays: candidates' features (queries x pool x features), their
    grades, each query's ideal DCG@10 and whether a candidate is one of its best-graded answers."""

    def __init__(self, queries: list[dict[str, Any]], pool: int, without_twin: bool) -> None:
        n, f = len(queries), len(FEATURES)
        self.x = np.zeros((n, pool, f))
        self.x[:, :, 0] = -10.0  # padding ranks last
        self.grades = np.zeros((n, pool))
        self.ideal = np.zeros(n)
        self.best = np.zeros((n, pool), dtype=bool)
        self.language = np.asarray([q["query"].language for q in queries])
        discounts = 1.0 / np.log2(np.arange(2, 12))
        for at, q in enumerate(queries):
            judged = dict(q["query"].judgments)
            x, grades = q["x"], q["grades"]
            if without_twin:
                keep = grades != 1
                x, grades = x[keep], grades[keep]
                judged = {d: g for d, g in judged.items() if g != 1}
            self.x[at, : len(x)] = x
            self.grades[at, : len(x)] = grades
            ideal = sorted((2.0**g - 1 for g in judged.values()), reverse=True)[:10]
            self.ideal[at] = float(np.dot(ideal, discounts[: len(ideal)]))
            top = max(judged.values(), default=0)
            self.best[at, : len(x)] = (grades == top) & (grades > 0)

    def score(self, w: np.ndarray, language: str | None = None) -> dict[str, float]:
        """nDCG@10 and MRR@10 of the candidates re-ranked by `x @ w`."""
        chosen = slice(None) if language is None else self.language == language
        scores = self.x[chosen] @ w
        top = np.argsort(-scores, axis=1, kind="stable")[:, :10]
        rows = np.arange(len(top))[:, None]
        gains = 2.0 ** self.grades[chosen][rows, top] - 1
        dcg = gains @ (1.0 / np.log2(np.arange(2, 12)))
        ideal = self.ideal[chosen]
        normalised = np.where(ideal > 0, dcg / np.where(ideal > 0, ideal, 1), 0.0)
        hits = self.best[chosen][rows, top]
        first = np.where(hits.any(axis=1), hits.argmax(axis=1) + 1, np.inf)
        return {"ndcg": float(normalised.mean()), "mrr": float((1.0 / first).mean())}


def weights_of(chosen: np.ndarray) -> np.ndarray:
    """The chosen weights as one per feature (`FEATURES`): semantic 1, the gap scaled, the name
    and product legs' weights as shipped (no collection asks for names; only DPD for products)."""
    keyword, coverage, gap_scale = chosen
    fixed = Weights()
    return np.asarray([1.0, gap_scale, keyword, coverage, fixed.name, fixed.product])


def shipped(weights: Weights) -> np.ndarray:
    return np.asarray([weights.keyword, weights.coverage, 1.0], dtype=np.float64)


def objective(sets: list[Judged], base: list[dict[str, float]], chosen: np.ndarray) -> float:
    """To minimise: minus the mean of (nDCG@10 + MRR@10) / 2 over the sets, plus a penalty for
    each figure (nDCG@10, MRR@10 of each set) more than `TOLERANCE` below what the shipped
    weights give (`base`): a fusion must never lose on one collection what it gains on others."""
    w = weights_of(chosen)
    found = [s.score(w) for s in sets]
    shortfall = sum(
        max(0.0, b[metric] - TOLERANCE - f[metric])
        for f, b in zip(found, base, strict=True)
        for metric in ("ndcg", "mrr")
    )
    return -float(np.mean([sum(f.values()) / 2 for f in found])) + PENALTY * shortfall


def fit(sets: list[Judged]) -> np.ndarray:
    w = weights_of(shipped(Weights()))
    base = [s.score(w) for s in sets]
    found = differential_evolution(
        partial(objective, sets, base),
        [bound for _, bound in CHOSEN],
        seed=0,
        maxiter=60,
        popsize=12,
        polish=False,
        tol=1e-6,
        x0=shipped(Weights()),
    )
    chosen: np.ndarray = found.x
    return chosen


def judged_sets(by_collection: dict[str, list[dict[str, Any]]], pool: int) -> dict[str, Judged]:
    """Each collection as judged, and each short-label one also without the twins (`NAME cross`)."""
    sets = {}
    for name, queries in by_collection.items():
        if name == "ipc-caps":
            continue  # ipc's queries in capitals: read in lower case, they are ipc's again
        sets[name] = Judged(queries, pool, without_twin=False)
        if name in LABELS:
            sets[f"{name} cross"] = Judged(queries, pool, without_twin=True)
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--collections", default="sample,dpd,esco,naics,ipc")
    parser.add_argument("--organizations", type=int, default=2000)
    parser.add_argument("--pool", type=int, default=50)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--refresh", action="store_true", help="rank the queries again")
    args = parser.parse_args()
    names = [n.strip() for n in args.collections.split(",") if n.strip()]
    by_collection = gathered(args, names)
    sets = judged_sets(by_collection, args.pool)
    everywhere = fit(list(sets.values()))
    current = shipped(Weights())
    results: dict[str, Any] = {}
    for name in (n for n in by_collection if n in sets):
        others = [s for label, s in sets.items() if label.split()[0] != name]
        held_out = fit(others)
        for label in (name, f"{name} cross"):
            if label not in sets:
                continue
            results[label] = {
                run: {
                    **{k: round(v, 4) for k, v in sets[label].score(weights_of(w)).items()},
                    **{
                        f"ndcg_{lang}": round(sets[label].score(weights_of(w), lang)["ndcg"], 4)
                        for lang in ("en", "fr")
                    },
                }
                for run, w in (
                    ("shipped", current),
                    ("cross_validated", held_out),
                    ("fitted", everywhere),
                )
            }
            results[label]["held_out_weights"] = named(held_out)
            print(label, json.dumps(results[label]), flush=True)
    fitted = named(everywhere)
    print("fitted on all:", fitted)
    out = HERE.parent / "results"
    out.mkdir(exist_ok=True)
    machine = describe()
    (out / "fusion_fit.json").write_text(
        json.dumps(
            {
                "machine": machine,
                "model": args.model,
                "pool": args.pool,
                "features": FEATURES,
                "shipped": asdict(Weights()),
                "fitted": fitted,
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    update_results("fusion-fit", "\n".join(report(results, fitted, machine, args)))


def named(chosen: np.ndarray) -> dict[str, float]:
    return {name: round(float(v), 4) for (name, _), v in zip(CHOSEN, chosen, strict=True)}


def gathered(args: argparse.Namespace, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each collection's queries with their candidates' evidence, ranked once and kept."""
    cache = WORK.parent / "fusion_features.pkl"
    if cache.exists() and not args.refresh:
        kept: dict[str, list[dict[str, Any]]] = pickle.loads(cache.read_bytes())
        if all(n in kept for n in names):
            return {n: kept[n] for n in names}
    threads = load_settings().threads
    embedders = [CachedQueries(e) for e in load_embedders(args.model, threads=threads)]
    by_collection: dict[str, list[dict[str, Any]]] = {}
    for collection, engine in prepare(args.organizations, args.model, embedders, names):
        open_ended = Engine(engine.settings, embedder=embedders, weights=Weights(floor=None))
        by_collection[collection.name] = gather(open_ended, collection, args.pool)
        open_ended.close()
        print(f"{collection.name}: evidence of {len(collection.queries)} queries", flush=True)
    cache.write_bytes(pickle.dumps(by_collection))
    return by_collection


def report(
    results: dict[str, Any], fitted: dict[str, float], machine: dict[str, str], args: Any
) -> list[str]:
    lines = [
        "## Fusion weights fitted on the judgments",
        "",
        f"`python benchmarks/relevance/fit.py --collections {args.collections} --pool {args.pool}` "
        f"on {machine['date']} ({machine['cpu']}, {machine['cores']} cores), model `{args.model}`. "
        "scipy's differential evolution over the legs' evidence of each query's best "
        f"{args.pool} candidates (hybrid ranking, no floor), maximising the mean over collections "
        "of (nDCG@10 + MRR@10) / 2; weights on the semantic score's scale, `gap_scale` multiplies "
        "the language gap. `NAME cross`: the short-label collection with each query's "
        "same-language twin taken out. `cross-validated`: each collection re-ranked with the "
        "weights fitted without it (and without its `cross` view); `fitted`: fitted on all; "
        "`shipped`: the weights in `Weights()`.",
        "",
        "Fitted on all: " + ", ".join(f"{k} {v:+.3f}" for k, v in fitted.items()),
        "",
        "| collection | weights | nDCG@10 | en | fr | MRR@10 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, found in results.items():
        for label in ("shipped", "cross_validated", "fitted"):
            s = found[label]
            lines.append(
                f"| {name} | {label.replace('_', '-')} | {s['ndcg']:.3f} | "
                f"{s['ndcg_en']:.3f} | {s['ndcg_fr']:.3f} | {s['mrr']:.3f} |"
            )
    lines += ["", "Weights fitted without each collection:", ""]
    for name, found in results.items():
        if name.endswith(" cross"):
            continue
        w = found["held_out_weights"]
        lines.append(f"- without {name}: " + ", ".join(f"{k} {v:+.3f}" for k, v in w.items()))
    return lines


if __name__ == "__main__":
    main()
