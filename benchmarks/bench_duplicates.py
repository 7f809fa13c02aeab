"""Probable duplicate members: how fast, and how many of the planted duplicates are found.

    python benchmarks/bench_duplicates.py [--sizes 10000 30000] [--planted 500] [--namesakes 300]

For each size, that many SAMPLE organisations (seeded) are the member base, plus planted records:
- duplicates: a copy of a member entered again, with realistic noise: legal form changed or dropped,
  upper case, accents dropped, Saint/St- and Manufacturing/Mfg swapped, `&`/and, the trade name as
  the name of a numbered company ("9123-4567 Québec inc." operating as the member's name), website
  or postal code missing; same city, written short or long;
- namesakes: a member's name (legal form changed) in another city and province with another website:
  a different company, which must never be a high-confidence pair.
`find_duplicates` runs in process (the matcher's blocking, scoring, grouping); recall is the share of
planted duplicates whose pair is listed (at the default threshold, and at high confidence). Then the
command itself, `ngen-connect duplicates --out pairs.xlsx`, on an index of the first size's SAMPLE
organisations (indexed once with the fake embedder under benchmarks/.work/): start-up, opening
the index, finding, writing the file.
Records benchmarks/results/duplicates.json and the `duplicates` section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe, update_results

from ngen_connect.models import Kind, RecordSummary
from ngen_connect.registries import DEFAULT_MIN_CONFIDENCE, find_duplicates
from ngen_connect.sample import generate

WORK = HERE / ".work"
_LEGAL = ["Inc.", "Ltd.", "Ltée", "inc.", "Corp.", "Limited", "S.E.N.C.", "Co.", ""]
_SWAPS = [
    (r"\bSaint-", "St-"),
    (r"\bManufacturing\b", "Mfg."),
    (r" et ", " & "),
    (r" and ", " & "),
]


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _noisy(name: str, rng: random.Random) -> str:
    words = name.split()
    if rng.random() < 0.7:
        words = [*words[:-1], rng.choice(_LEGAL)] if len(words) > 2 else words
    name = " ".join(w for w in words if w)
    for long, short in _SWAPS:
        if re.search(long, name) and rng.random() < 0.7:
            name = re.sub(long, short, name)
    if rng.random() < 0.3:
        name = name.upper()
    if rng.random() < 0.3:
        name = _plain(name)
    return name


def _record(row: dict[str, Any], **changes: Any) -> RecordSummary:
    attributes = {
        k: row[k] for k in ("city", "province", "country", "postal_code", "website") if row.get(k)
    }
    attributes.update(changes.pop("attributes", {}))
    attributes = {k: v for k, v in attributes.items() if v}
    return RecordSummary(
        changes.get("id", row["id"]),
        Kind.ORGANIZATION,
        changes.get("name", row["name"]),
        "en",
        attributes,
        1,
    )


def dataset(
    size: int, planted: int, namesakes: int, seed: int = 11
) -> tuple[list[RecordSummary], set[frozenset[str]], set[frozenset[str]]]:
    """(members, planted duplicate pairs, namesake pairs)."""
    rng = random.Random(seed)
    orgs, _, _ = generate(size, 0, 0, seed=seed)
    members = [_record(o) for o in orgs]
    cities = sorted({(o["city"], o["province"]) for o in orgs})
    duplicates: set[frozenset[str]] = set()
    for n, original in enumerate(rng.sample(orgs, planted)):
        copy_id = f"dup-{n:05d}"
        attributes: dict[str, Any] = {"city": original["city"]}
        if rng.random() < 0.5:
            attributes["website"] = original["website"]
        if rng.random() < 0.5:
            attributes["postal_code"] = original["postal_code"]
        if rng.random() < 0.8:
            attributes["province"] = original["province"]
        if "Saint-" in original["city"] and rng.random() < 0.7:
            attributes["city"] = original["city"].replace("Saint-", "St-")
        if rng.random() < 0.15:  # a numbered company trading under the member's name
            name = f"{rng.randrange(9000, 9999)}-{rng.randrange(1000, 9999)} Québec inc."
            attributes["operating_name"] = _noisy(original["name"], rng)
        else:
            name = _noisy(original["name"], rng)
        members.append(_record(original, id=copy_id, name=name, attributes=attributes))
        duplicates.add(frozenset({original["id"], copy_id}))
    namesake_pairs: set[frozenset[str]] = set()
    for n, original in enumerate(rng.sample(orgs, namesakes)):
        city, province = rng.choice([c for c in cities if c[1] != original["province"]])
        namesake_id = f"namesake-{n:05d}"
        attributes = {
            "city": city,
            "province": province,
            "country": "CA",
            "website": f"https://www.namesake{n}.example",
            "postal_code": "",
        }
        members.append(
            _record(
                original, id=namesake_id, name=_noisy(original["name"], rng), attributes=attributes
            )
        )
        namesake_pairs.add(frozenset({original["id"], namesake_id}))
    rng.shuffle(members)
    return members, duplicates, namesake_pairs


def run(size: int, planted: int, namesakes: int) -> dict[str, Any]:
    members, duplicates, namesake_pairs = dataset(size, planted, namesakes)
    started = time.perf_counter()
    report = find_duplicates(members, min_confidence=0.0)
    seconds = time.perf_counter() - started
    listed = [p for p in report.pairs if p.confidence >= DEFAULT_MIN_CONFIDENCE]
    pairs = {frozenset({p.a.id, p.b.id}): p for p in report.pairs}
    found = [pairs[d] for d in duplicates if d in pairs]
    namesakes_listed = [pairs[n] for n in namesake_pairs if n in pairs]
    planted_ids = {i for pair in duplicates | namesake_pairs for i in pair}
    background = [
        p for p in listed if frozenset({p.a.id, p.b.id}) not in duplicates | namesake_pairs
    ]
    return {
        "members": len(members),
        "seconds": round(seconds, 2),
        "pairs_scored_above_zero": len(report.pairs),
        "listed": len(listed),
        "planted": len(duplicates),
        "recall": round(
            sum(p.confidence >= DEFAULT_MIN_CONFIDENCE for p in found) / len(duplicates), 4
        ),
        "recall_high": round(sum(p.level == "high" for p in found) / len(duplicates), 4),
        "namesakes": len(namesake_pairs),
        "namesakes_listed": sum(p.confidence >= DEFAULT_MIN_CONFIDENCE for p in namesakes_listed),
        "namesakes_high": sum(p.level == "high" for p in namesakes_listed),
        "other_listed": len(background),
        "other_levels": dict(Counter(p.level for p in background)),
        "other_touching_planted": sum(bool({p.a.id, p.b.id} & planted_ids) for p in background),
    }


def command_line(size: int) -> dict[str, Any]:
    """Wall time and peak memory of `ngen-connect duplicates --out` on a SAMPLE index of `size`."""
    cli = str(Path(sys.executable).with_name("ngen-connect"))
    folder = WORK / f"duplicates-{size}"
    data = folder / "data"
    if not (data / "current").exists():
        subprocess.run(
            [cli, "sample", "--out", str(folder), "--organizations", str(size)], check=True
        )
        index = [cli, "index", str(folder / "organizations.csv"), "--data-dir", str(data)]
        subprocess.run([*index, "--model", "fake"], check=True, capture_output=True)
    started = time.perf_counter()
    command = [cli, "duplicates", "--data-dir", str(data), "--model", "fake"]
    done = subprocess.run(
        [*command, "--out", str(folder / "pairs.xlsx")],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return {
        "members": size,
        "seconds": round(seconds, 2),
        "peak_mb": peak,
        "summary": done.stdout.splitlines()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000])
    parser.add_argument("--planted", type=int, default=500)
    parser.add_argument("--namesakes", type=int, default=300)
    args = parser.parse_args()
    results = [run(size, args.planted, args.namesakes) for size in args.sizes]
    cli = command_line(args.sizes[0])
    machine = describe()
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "duplicates.json").write_text(
        json.dumps({"machine": machine, "runs": results, "command_line": cli}, indent=2) + "\n"
    )
    print(json.dumps({"runs": results, "command_line": cli}, indent=2))
    lines = [
        "## Probable duplicate members",
        "",
        f"`python benchmarks/bench_duplicates.py` on {machine['date']} ({machine['cpu']}, "
        f"{machine['cores']} cores), in process (`find_duplicates`: blocking, scoring, grouping). "
        f"SAMPLE organisations plus {args.planted} planted duplicates (a member entered again with its "
        "legal form changed or dropped, upper case, accents dropped, Saint/St- and Manufacturing/Mfg "
        "swapped, 15 % as a numbered company trading under the member's name, website or postal code "
        f"missing half the time) and {args.namesakes} namesakes (a member's name in another province, "
        "with another website). Recall: planted pairs listed at the default threshold "
        f"({DEFAULT_MIN_CONFIDENCE}) and at high confidence (0.9 and more); namesakes must never be "
        "high; *other* pairs are those the generator itself made (its names repeat with another "
        "legal form, its websites, cut at 24 letters, repeat too). SAMPLE names come from a small "
        "vocabulary (a few hundred surnames, places and sector words), so its blocks grow with the "
        "member count and time grows faster than the members; real names are more varied.",
        "",
        "| members | seconds | pairs listed | recall | recall (high) | namesakes listed | namesakes high | other pairs listed (high / medium / low) |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        levels = r["other_levels"]
        lines.append(
            f"| {r['members']:,} | {r['seconds']:.1f} | {r['listed']:,} | {r['recall']:.3f} "
            f"| {r['recall_high']:.3f} | {r['namesakes_listed']} / {r['namesakes']} "
            f"| {r['namesakes_high']} | {r['other_listed']} ({levels.get('high', 0)} / "
            f"{levels.get('medium', 0)} / {levels.get('low', 0)}) |"
        )
    lines += [
        "",
        f"The command on an index of {cli['members']:,} SAMPLE organisations (fake embedder; the "
        "model is not used): `ngen-connect duplicates --out pairs.xlsx` took "
        f"{cli['seconds']:.1f} s wall time (start-up, opening the index, finding, writing the XLSX), "
        f"peak resident memory {cli['peak_mb']} MB; {cli['summary']}",
    ]
    update_results("duplicates", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
