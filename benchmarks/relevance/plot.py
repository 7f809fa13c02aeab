"""Plot benchmarks/results/relevance.json to benchmarks/results/relevance.png (needs matplotlib).

    python benchmarks/relevance/plot.py

The notebook notebooks/relevance.ipynb runs the same code.
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "results"


def plot(
    results_path: Path = RESULTS / "relevance.json", out: Path = RESULTS / "relevance.png"
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = json.loads(results_path.read_text(encoding="utf-8"))["results"]
    metrics = [
        ("ndcg", "nDCG@10"),
        ("ndcg_same", "nDCG@10 same language"),
        ("ndcg_cross", "nDCG@10 other language"),
        ("share", "top-10 share in query language"),
    ]
    rankings = ["semantic", "keyword", "hybrid"]
    fig, axes = plt.subplots(
        len(data), len(metrics), figsize=(4 * len(metrics), 3.2 * len(data)), squeeze=False
    )
    for row, (collection, by_ranking) in enumerate(data.items()):
        for col, (key, label) in enumerate(metrics):
            ax = axes[row][col]
            for offset, language in enumerate(("en", "fr")):
                values = [by_ranking[r][f"{language}.{key}"] for r in rankings]
                ax.bar(
                    [i + offset * 0.38 for i in range(len(rankings))],
                    values,
                    width=0.36,
                    label=f"{language.upper()} queries",
                )
            ax.set_xticks([i + 0.19 for i in range(len(rankings))], rankings)
            ax.set_ylim(0, 1)
            ax.set_title(f"{collection}: {label}", fontsize=9)
            if row == 0 and col == 0:
                ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return out


if __name__ == "__main__":
    print(plot())
