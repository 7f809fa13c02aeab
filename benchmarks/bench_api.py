"""`/search` latency over HTTP at 10,000 sample organisations: sequential and 4 concurrent clients,
and, with --beside, one client beside other work.

    python benchmarks/bench_api.py [--data-dir benchmarks/.work/orgs-10000/data] [--requests 400]
                                   [--workers N] [--note "how the figures were obtained"]
    python benchmarks/bench_api.py --beside [--requests 200]

Starts `ngen-connect serve [--workers N]` on a free loopback port over an index built by
bench_indexing.py (or `ngen-connect sample` + `ngen-connect index`), warms it up, then sends a
bounded number of GET /search requests (EN/FR queries cycled) one at a time and from 4 concurrent
clients (each request capped at 30 s). Reports p50/p95/p99 and requests/s of both, the server's CPU
time per search, the speed-up of 4 clients over one, each worker's memory (RSS) once warm, and each
encoder's own time for one query;
records them in benchmarks/RESULTS.md (a section per worker count).

--beside measures one client idle, then beside two processes spinning on the CPU (a nightly
re-index and a report on a 2-core machine), then while `ngen-connect index --rebuild` rewrites the
same data directory, and records them in their own section.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe, rss_mib, update_results
from bench_indexing import QUERIES, latency_stats

from ngen_connect import load_settings
from ngen_connect.embedding import load_embedders


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _timed(client: httpx.Client, base: str, query: str) -> float:
    started = time.perf_counter()
    response = client.get(f"{base}/search", params={"q": query, "limit": 10}, timeout=30)
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=HERE / ".work" / "orgs-10000" / "data")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--workers", type=int, default=1, help="ngen-connect serve --workers N")
    parser.add_argument("--note", default="", help="a sentence on how the figures were obtained")
    parser.add_argument(
        "--as",
        dest="label",
        default="",
        help="record the figures as a labelled variant (e.g. 'before'), in a section of their own",
    )
    parser.add_argument("--beside", action="store_true", help="measure beside other work")
    args = parser.parse_args()
    if args.beside:
        beside(args.data_dir, args.requests, args.note)
        return
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [CLI, "serve", "--data-dir", str(args.data_dir), "--port", str(port)]
    if args.workers > 1:
        command += ["--workers", str(args.workers)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client() as client:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                try:
                    health = client.get(f"{base}/health", timeout=2).json()
                    break
                except httpx.TransportError:
                    time.sleep(0.5)
            else:
                raise SystemExit("the server did not start within 180 s")
            queries = [QUERIES[i % len(QUERIES)] for i in range(args.requests)]
            for query in QUERIES * args.workers:
                _timed(client, base, query)  # warm-up (every worker, as far as the kernel spreads)
            started, cpu = time.perf_counter(), _server_cpu(server.pid)
            sequential = [_timed(client, base, q) for q in queries]
            one_client = len(queries) / (time.perf_counter() - started)
            one_cpu = (_server_cpu(server.pid) - cpu) * 1000 / len(queries)
        started, cpu = time.perf_counter(), _server_cpu(server.pid)
        with (
            ThreadPoolExecutor(4) as pool,
            httpx.Client(limits=httpx.Limits(max_connections=4)) as shared,
        ):
            concurrent = list(pool.map(lambda q: _timed(shared, base, q), queries))
        throughput = len(queries) / (time.perf_counter() - started)
        four_cpu = (_server_cpu(server.pid) - cpu) * 1000 / len(queries)
        memory = _worker_memory(server.pid, args.workers)
    finally:
        server.terminate()
        server.wait(timeout=30)
    embed = _embedding(queries[:200], args.workers)
    row = {
        "organizations": health["counts"]["organization"],
        "passages": health["passages"],
        "model": load_settings().model,
        "workers": args.workers,
        "requests": len(queries),
        "sequential": latency_stats(sequential),
        "sequential_requests_per_second": round(one_client, 1),
        "concurrent_4": latency_stats(concurrent),
        "concurrent_4_requests_per_second": round(throughput, 1),
        "speed_up_4_over_1": round(throughput / one_client, 2),
        "server_cpu_ms_per_search": {
            "sequential": round(one_cpu, 1),
            "concurrent_4": round(four_cpu, 1),
        },
        "worker_rss_mib": memory,
        "query_embedding": {name: latency_stats(times) for name, times in embed.items()},
    }
    print(json.dumps(row))
    machine = describe()
    (HERE / "results").mkdir(exist_ok=True)
    suffix = ("" if args.workers == 1 else f"_workers_{args.workers}") + (
        f"_{args.label}" if args.label else ""
    )
    (HERE / "results" / f"api{suffix}.json").write_text(
        json.dumps({"machine": machine, "note": args.note, **row}, indent=2) + "\n"
    )
    workers = "one worker" if args.workers == 1 else f"`--workers {args.workers}`"
    option = "" if args.workers == 1 else f" --workers {args.workers}"
    rss = ", ".join(f"{m:,.0f}" for m in memory["workers"])
    lines = [
        "## HTTP `/search` latency"
        + ("" if args.workers == 1 else f", {args.workers} workers")
        + (f" ({args.label})" if args.label else ""),
        "",
        f"`python benchmarks/bench_api.py --requests {args.requests}{option}"
        f"{f' --as {args.label}' if args.label else ''}` on {machine['date']}: "
        f"{machine['cpu']}, {machine['cores']} cores, {machine['memory']}. `ngen-connect serve` "
        f"(uvicorn, {workers}) over {row['organizations']:,} sample organisations "
        f"({row['passages']:,} passages, {row['model']} fused), GET /search?limit=10 on loopback, 40 "
        "EN/FR queries cycled after one warm-up round; hybrid ranking with facets.",
        *(["", args.note] if args.note else []),
        "",
        "| clients | requests | p50 (ms) | p95 (ms) | p99 (ms) | requests/s | server CPU per search (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| 1 (sequential) | {len(queries)} | {row['sequential']['p50']} | {row['sequential']['p95']} | "
        f"{row['sequential']['p99']} | {one_client:.1f} | {one_cpu:.1f} |",
        f"| 4 concurrent | {len(queries)} | {row['concurrent_4']['p50']} | {row['concurrent_4']['p95']} | "
        f"{row['concurrent_4']['p99']} | {throughput:.1f} | {four_cpu:.1f} |",
        *(
            f"| {name} alone, one query | {len(embed[name])} | {stats['p50']} | {stats['p95']} | "
            f"{stats['p99']} | | |"
            for name, stats in row["query_embedding"].items()
        ),
        "",
        "Server CPU per search: the CPU time (user and system) of the server's processes over the "
        "run, per search; more than the p50 when one search keeps more than one core busy.",
        "",
        f"4 clients: {throughput / one_client:.2f}x the requests/s of one. Memory once warm (RSS, MiB): "
        f"{'the worker' if args.workers == 1 else 'each worker'} {rss}"
        + ("" if args.workers == 1 else f"; the parent process {memory['parent']:,.0f}")
        + ".",
    ]
    section = "api" if args.workers == 1 else f"api-workers-{args.workers}"
    update_results(section + (f"-{args.label}" if args.label else ""), "\n".join(lines))
    print("\n".join(lines))


def _server_cpu(pid: int) -> float:
    """CPU seconds (user and system) the server has used: its process and its workers."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for process in [pid, *map(int, children)]:
        with suppress(FileNotFoundError):
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _worker_memory(pid: int, workers: int) -> dict[str, Any]:
    """RSS of the server process (one worker), or of the parent and each of its workers."""
    if workers == 1:
        return {"parent": None, "workers": [round(rss_mib(pid), 1)]}
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    workers_rss = [
        round(rss_mib(int(child)), 1)
        for child in children
        if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text()
    ]
    return {"parent": round(rss_mib(pid), 1), "workers": workers_rss}


def _embedding(queries: list[str], workers: int) -> dict[str, list[float]]:
    """Each encoder's own time for one query, in this process, loaded as each worker loads them
    (the same NGEN_CONNECT_* settings, the cores shared among the workers)."""
    settings = load_settings(processes=workers)
    times: dict[str, list[float]] = {}
    for embedder in load_embedders(settings.model, threads=settings.threads):
        name = embedder.model_id.split(":", 1)[0]
        times[name] = []
        for query in queries:
            started = time.perf_counter()
            embedder.encode_query(query)
            times[name].append((time.perf_counter() - started) * 1000)
    return times


def _serve(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [CLI, "serve", "--data-dir", str(data_dir), "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("the server did not start within 180 s")


def beside(data_dir: Path, requests: int, note: str = "") -> None:
    """One client: idle, beside two busy processes, and while `index --rebuild` runs."""
    queries = [QUERIES[i % len(QUERIES)] for i in range(requests)]
    source = data_dir.parent / "sample" / "organizations.csv"
    server, base = _serve(data_dir)
    results: dict[str, dict[str, float]] = {}
    try:
        with httpx.Client() as client:
            organizations = client.get(f"{base}/health").json()["counts"]["organization"]
            for query in QUERIES:
                _timed(client, base, query)  # warm-up
            results["idle"] = latency_stats([_timed(client, base, q) for q in queries])
            burners = [
                subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)
            ]
            try:
                time.sleep(1)
                results["two busy processes"] = latency_stats(
                    [_timed(client, base, q) for q in queries]
                )
            finally:
                for burner in burners:
                    burner.kill()
                    burner.wait()
            rebuild = subprocess.Popen(
                [CLI, "index", str(source), "--data-dir", str(data_dir), "--rebuild"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                time.sleep(5)  # past model loading, into the embedding
                results["index --rebuild of the same data dir"] = latency_stats(
                    [_timed(client, base, q) for q in queries]
                )
            finally:
                rebuild.kill()
                rebuild.wait()
    finally:
        server.terminate()
        server.wait(timeout=30)
    machine = describe()
    (HERE / "results" / "api_beside.json").write_text(
        json.dumps(
            {"machine": machine, "organizations": organizations, "requests": requests, **results},
            indent=2,
        )
        + "\n"
    )
    idle_p95 = results["idle"]["p95"]
    lines = [
        "## HTTP `/search` beside other work",
        "",
        f"`python benchmarks/bench_api.py --beside --data-dir {data_dir.relative_to(HERE.parent) if data_dir.is_relative_to(HERE.parent) else data_dir} "
        f"--requests {requests}` on {machine['date']}: "
        f"{machine['cpu']}, {machine['cores']} cores, {machine['memory']}. One client, GET "
        f"/search?limit=10 (hybrid, facets) over {organizations:,} sample organisations, EN/FR queries cycled; "
        "*two busy processes* spin on the CPU beside the server; the rebuild is killed once the "
        "requests are done.",
        *(["", note] if note else []),
        "",
        "| beside | p50 (ms) | p95 (ms) | p99 (ms) | p95 / idle p95 |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, stats in results.items():
        lines.append(
            f"| {label} | {stats['p50']} | {stats['p95']} | {stats['p99']} | "
            f"{stats['p95'] / idle_p95:.1f}x |"
        )
    update_results("api-beside", "\n".join(lines))
    print("\n".join(lines))


CLI = str(Path(sys.executable).with_name("ngen-connect"))


if __name__ == "__main__":
    main()
