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

from ngen_connect.registries.matching import Matcher, Party, Status

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


DPD = HERE.parents[1] / "shared" / "data" / "health_canada_dpd"
_ABBREVIATIONS = (
    ("LABORATORIES", "LABS"),
    ("PHARMACEUTICALS", "PHARMA"),
    ("INTERNATIONAL", "INTL"),
    ("CANADA", "CDA"),
    ("COMPANY", "CO"),
    ("LIMITED", "LTD"),
    ("INCORPORATED", "INC"),
)


def dpd_companies(folder: Path, suffix: str) -> dict[str, dict[str, str]]:
    companies: dict[str, dict[str, str]] = {}
    with (folder / f"comp{suffix}.txt").open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            companies.setdefault(row[2], {"name": row[3], "city": row[11], "postal_code": row[14]})
    return companies


def dpd_noisy(seed: int = 7) -> tuple[list[Party], list[tuple[Party, str]]]:
    """Marketed-extract companies are the members; approved and dormant extracts' companies are the
    registry rows, with realistic noise: legal form dropped or changed, abbreviations, case, a typo,
    postal code or city missing. The company code is the truth (not a member: "")."""
    import random

    rng = random.Random(seed)
    marketed = dpd_companies(DPD / "allfiles", "")
    members = [Party.from_fields(code, c["name"], c) for code, c in marketed.items()]
    rows: list[tuple[Party, str]] = []
    for folder, suffix in (("allfiles_ap", "_ap"), ("allfiles_dr", "_dr")):
        for code, company in dpd_companies(DPD / folder, suffix).items():
            name = company["name"]
            for long, short in _ABBREVIATIONS:
                if long in name and rng.random() < 0.5:
                    name = name.replace(long, short)
            words = name.split()
            if len(words) > 2 and rng.random() < 0.4:
                words = (
                    words[:-1]
                    if rng.random() < 0.5
                    else [*words[:-1], rng.choice(["INC.", "LTD", "LTÉE", "CORP."])]
                )
            name = " ".join(words)
            if rng.random() < 0.5:
                name = name.title()
            if rng.random() < 0.2 and len(name) > 6:
                cut = rng.randrange(1, len(name) - 1)
                name = name[:cut] + name[cut + 1 :]
            fields = dict(company)
            if rng.random() < 0.4:
                fields["postal_code"] = ""
            if rng.random() < 0.2:
                fields["city"] = ""
            rows.append(
                (
                    Party.from_fields(f"{folder}-{code}", name, fields),
                    code if code in marketed else "",
                )
            )
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


def _file_rate(matcher: Matcher, rows: list[tuple[Party, str]]) -> float:
    """Rows per second of `match_file` on a 10,000-row CSV: reading, mapping, matching, report."""
    import tempfile

    from ngen_connect.registries import match_file

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "registry.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["Company", "City", "Website", "Postal code"])
            for party, _ in rows:
                writer.writerow([party.name, party.city, party.website, party.postal])
        started = time.perf_counter()
        report = match_file(path, matcher)
        elapsed = time.perf_counter() - started
    assert len(report.rows) == len(rows)
    return len(rows) / elapsed


def main() -> None:
    members, queries = patstat()
    quality = evaluate(Matcher(members), queries)
    dpd_members, dpd_rows = dpd_noisy()
    dpd_quality = evaluate(Matcher(dpd_members), dpd_rows)
    sample_members, sample_rows = noisy_sample()
    started = time.perf_counter()
    matcher = Matcher(sample_members)
    build = time.perf_counter() - started
    started = time.perf_counter()
    sample_quality = evaluate(matcher, sample_rows)
    rate = len(sample_rows) / (time.perf_counter() - started)
    upload_rate = _file_rate(matcher, sample_rows)
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
        f"- DPD: the {len(dpd_members):,} companies of Health Canada's marketed extract are the members; the "
        f"{len(dpd_rows):,} companies of the approved and dormant extracts are registry rows with realistic noise "
        "(legal form dropped or changed, LABORATORIES -> LABS and similar, case, one typo in 20 %, postal code "
        "or city missing); the company code is the truth, and rows of companies absent from the marketed "
        "extract must come out `new`.",
        f"- SAMPLE: {len(sample_members):,} generated members; 10,000 registry rows, 80 % noisy copies (legal "
        "form changed, upper case, one typo, website or postal code missing) and 20 % companies that are not "
        "members (any `matched` among them counts as wrong).",
        "",
        "| data | rows | matched right | matched wrong | ambiguous (right one listed) | ambiguous (not listed) | new | precision | recall | recall incl. ambiguous |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        line("PATSTAT", quality),
        line("DPD approved + dormant, noisy", dpd_quality),
        line("SAMPLE + noise", sample_quality),
        "",
        f"Throughput: the 10,000-row SAMPLE registry against {len(sample_members):,} members, in-process, "
        f"{rate:,.0f} rows/s matching alone (plus {build:.2f} s to index the members); {upload_rate:,.0f} rows/s "
        "for the whole file (`match_file`: reading the CSV, mapping columns, matching, building the report).",
    ]
    update_results("matching", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
