"""Plot benchmarks/results/scale.json to benchmarks/results/scale.png (needs matplotlib).

    python benchmarks/plot_scale.py

Search latency over HTTP (p50 and p95) against corpus size, as `bench_scale.py` measured it with
the stand-in encoder, and the same plus the real encoders' own query time (about what a server with the
real encoders would answer in; each encoder also searches its own vectors), and the real encoders
measured end to end by `profile_search.py` when its results are there. The notebook
notebooks/scale.ipynb runs the same code.
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def plot(results_path: Path = RESULTS / "scale.json", out: Path = RESULTS / "scale.png") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = json.loads(results_path.read_text(encoding="utf-8"))
    rows = sorted(data["rows"], key=lambda r: r["organizations"])
    sizes = [r["organizations"] for r in rows]
    real = sum(t["p50"] for t in data.get("real_encoders", {}).values())
    fig, (latency, memory) = plt.subplots(1, 2, figsize=(10, 3.8))
    for stat, style in (("p50", "o-"), ("p95", "s--")):
        values = [r["search"][stat] for r in rows]
        latency.plot(sizes, values, style, label=f"{stat}, {data['model']} stand-in")
        if real:
            latency.plot(
                sizes,
                [v + real for v in values],
                style,
                alpha=0.5,
                label=f"{stat} + real encoders' query time ({real:.0f} ms)",
            )
    measured = results_path.with_name("profile_search.json")
    if measured.is_file():
        # the real encoders, measured end to end over HTTP by profile_search.py
        real_run = json.loads(measured.read_text(encoding="utf-8"))
        for stat, marker in (("p50", "o"), ("p95", "s")):
            latency.plot(
                [real_run["organizations"]],
                [real_run[stat]],
                marker,
                color="black",
                label=f"{stat} measured with the real encoders (profile_search.py)",
            )
    latency.axhline(40, color="grey", linewidth=0.8, linestyle=":")
    latency.set_xscale("log")
    latency.set_xlabel("organisations")
    latency.set_ylabel("GET /search, ms (one client)")
    latency.set_title("Search latency against corpus size", fontsize=10)
    latency.legend(fontsize=6, loc="upper left")
    memory.plot(sizes, [r["server_rss_mib"] for r in rows], "o-", label="server, warm")
    memory.plot(
        sizes,
        [r["change"]["server_peak_rss_mib"] for r in rows],
        "s--",
        label="server, peak through a 10-row change",
    )
    memory.axhline(1536, color="grey", linewidth=0.8, linestyle=":")
    memory.set_xscale("log")
    memory.set_xlabel("organisations")
    memory.set_ylabel("resident memory, MiB")
    memory.set_title("Server memory against corpus size", fontsize=10)
    memory.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return out


if __name__ == "__main__":
    print(plot())
