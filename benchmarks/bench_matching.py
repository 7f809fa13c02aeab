"""Entity-resolution precision and recall on real name variants, and matching throughput.

    python benchmarks/bench_matching.py

PATSTAT applicants with KU Leuven's hand-checked clusters (../shared/data/entity_resolution): one
name per cluster becomes the member base, every other variant is a registry row to resolve.
Precision = correct matches / all `matched`; recall = correct matches / rows whose cluster is in the
member base. `ambiguous` rows are reported with whether the right member is among their candidates.
Throughput: a 10,000-row registry (variants repeated) matched against the member base.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe, update_results

from ngen_connect.matching import Matcher, Party, Status

PATSTAT = HERE.parents[1] / "shared" / "data" / "entity_resolution" / "patstat_reference.csv"


def patstat() -> tuple[list[Party], list[tuple[Party, str]]]:
    clusters: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with PATSTAT.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            clusters[row["leuven_id"]].append(
                (row["person_id"], row["person_name"].lstrip("* ").strip())
            )
    members, queries = [], []
    for cluster, rows in sorted(clusters.items()):
        members.append(Party(cluster, rows[0][1]))
        queries.extend((Party(pid, name), cluster) for pid, name in rows[1:])
    return members, queries


def noisy_sample(
    n_members: int = 6000, n_rows: int = 10_000, seed: int = 5
) -> tuple[list[Party], list[tuple[Party, str]]]:
    """SAMPLE organisations as members; registry rows are noisy copies (legal form changed or dropped,
    case, accents, a typo, website or postal code missing) plus unknown companies (truth "")."""
    import random

    from ngen_connect.sample import generate

    rng = random.Random(seed)
    orgs, _, _ = generate(n_members, 0, 0, seed=seed)
    members = [Party.from_fields(o["id"], o["name"], o) for o in orgs]
    others, _, _ = generate(n_rows // 5, 0, 0, seed=seed + 1)
    known = {o["name"] for o in orgs}
    rows: list[tuple[Party, str]] = []
    for i in range(n_rows):
        if i % 5 == 4:
            other = others[i // 5]
            if other["name"] not in known:
                rows.append((Party.from_fields(f"row{i}", other["name"], other), ""))
                continue
        org = orgs[rng.randrange(len(orgs))]
        words = org["name"].split()
        if rng.random() < 0.5 and len(words) > 2:
            words[-1] = rng.choice(["Inc", "Ltd.", "Limited", "Ltée", "inc.", "Corp", "S.E.C."])
        name = " ".join(words)
        if rng.random() < 0.3:
            name = name.upper()
        if rng.random() < 0.3:
            cut = rng.randrange(1, len(name) - 1)
            name = name[:cut] + name[cut + 1 :]
        fields = dict(org)
        if rng.random() < 0.5:
            fields["website"] = ""
        if rng.random() < 0.5:
            fields["postal_code"] = ""
        rows.append((Party.from_fields(f"row{i}", name, fields), org["id"]))
    return members, rows


def evaluate(matcher: Matcher, queries: list[tuple[Party, str]]) -> dict[str, float]:
    counts = {
        "matched_right": 0,
        "matched_wrong": 0,
        "ambiguous_right_listed": 0,
        "ambiguous_other": 0,
        "new": 0,
    }
    for party, truth in queries:
        result = matcher.match(party)
        if not truth:  # a company that is not a member: anything but `new` is a false match
            counts["unknown_rows"] = counts.get("unknown_rows", 0) + 1
            counts["unknown_matched"] = counts.get("unknown_matched", 0) + (
                result.status is Status.MATCHED
            )
            continue
        if result.status is Status.MATCHED:
            counts[
                "matched_right" if result.best and result.best.id == truth else "matched_wrong"
            ] += 1
        elif result.status is Status.AMBIGUOUS:
            listed = any(c.id == truth for c in result.candidates)
            counts["ambiguous_right_listed" if listed else "ambiguous_other"] += 1
        else:
            counts["new"] += 1
    matched = counts["matched_right"] + counts["matched_wrong"] + counts.get("unknown_matched", 0)
    known = len(queries) - counts.get("unknown_rows", 0)
    return {
        **counts,
        "rows": len(queries),
        "precision": round(counts["matched_right"] / matched, 4) if matched else 0.0,
        "recall": round(counts["matched_right"] / known, 4),
        "recall_with_ambiguous": round(
            (counts["matched_right"] + counts["ambiguous_right_listed"]) / known, 4
        ),
    }


def main() -> None:
    members, queries = patstat()
    quality = evaluate(Matcher(members), queries)
    sample_members, sample_rows = noisy_sample()
    started = time.perf_counter()
    matcher = Matcher(sample_members)
    build = time.perf_counter() - started
    started = time.perf_counter()
    sample_quality = evaluate(matcher, sample_rows)
    rate = len(sample_rows) / (time.perf_counter() - started)
    machine = describe()
    result = {
        "machine": machine,
        "patstat": quality,
        "sample": sample_quality,
        "sample_members": len(sample_members),
        "rows_per_second_10k": round(rate, 1),
        "index_seconds": round(build, 2),
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "matching.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))

    def line(label: str, q: dict[str, float]) -> str:
        return (
            f"| {label} | {q['rows']} | {q['matched_right']} | {q['matched_wrong'] + q.get('unknown_matched', 0)} "
            f"| {q['ambiguous_right_listed']} | {q['ambiguous_other']} | {q['new']} | {q['precision']:.3f} "
            f"| {q['recall']:.3f} | {q['recall_with_ambiguous']:.3f} |"
        )

    lines = [
        "## Entity resolution (registry matching)",
        "",
        f"`python benchmarks/bench_matching.py` on {machine['date']} ({machine['cpu']}, {machine['cores']} cores).",
        f"- PATSTAT: applicant names with KU Leuven's hand-checked clusters, {len(members):,} clusters; the first "
        f"name of each is the member base, the other {len(queries):,} real variants are registry rows.",
        f"- SAMPLE: {len(sample_members):,} generated members; 10,000 registry rows, 80 % noisy copies (legal "
        "form changed, upper case, one typo, website or postal code missing) and 20 % companies that are not "
        "members (any `matched` among them counts as wrong).",
        "",
        "| data | rows | matched right | matched wrong | ambiguous (right one listed) | ambiguous (not listed) | new | precision | recall | recall incl. ambiguous |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        line("PATSTAT", quality),
        line("SAMPLE + noise", sample_quality),
        "",
        f"Throughput: the 10,000-row SAMPLE registry against {len(sample_members):,} members, in-process, "
        f"{rate:,.0f} rows/s (plus {build:.2f} s to index the members); file reading and upload not included.",
    ]
    update_results("matching", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
