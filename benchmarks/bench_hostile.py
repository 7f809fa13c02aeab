"""Hostile files against a real server: the answer, the time to it, the peak memory of the server
and of its worker process, and the worst `/health` latency while each is handled.

    python benchmarks/bench_hostile.py [--organizations 500] [--model fake]

One `ngen-connect serve` over SAMPLE organisations. Each file is made here and sent as a registry
upload with the admin key, one at a time; meanwhile a probe calls `/health` every 20 ms. Before
each file the kernel's peak-memory counters of both processes are reset (clear_refs), so each row
shows what that file cost. The encoder does not matter here (nothing hostile is embedded), so the
deterministic stand-in is the default.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
from _machine import describe, update_results
from _server import indexed_sample, serving
from bench_uploads import peak_rss_mb, worker_pid

from tests.hostile import nested, with_part, xlsx

MB = 1024 * 1024


class HealthProbe(threading.Thread):
    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.latencies: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=120) as client:
            while not self.stop.is_set():
                started = time.perf_counter()
                client.get(f"{self.base}/health")
                self.latencies.append((time.perf_counter() - started) * 1000)
                time.sleep(0.02)


def _styles_bomb() -> bytes:
    plain = xlsx([["name", "description"], ["Sheet Co", "Welding."]])
    with zipfile.ZipFile(io.BytesIO(plain)) as book:
        styles = book.read("xl/styles.xml").decode()
    fonts = "".join(
        f'<font><sz val="{10 + i % 20}"/><name val="Font {i}"/></font>' for i in range(600_000)
    )
    return with_part(plain, "xl/styles.xml", styles.replace("<fonts", fonts + "<fonts", 1).encode())


def _wide_xlsx_row() -> bytes:
    plain = xlsx([["name"], ["Co"]])
    sheet = (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row>'
        '<row r="2">' + "<c><v>1</v></c>" * 300_000 + "</row></sheetData></worksheet>"
    )
    return with_part(plain, "xl/worksheets/sheet1.xml", sheet.encode())


def _text_in_number_cell() -> bytes:
    plain = xlsx([["name", "description"], ["Co", 12]])
    with zipfile.ZipFile(io.BytesIO(plain)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml")
    return with_part(plain, "xl/worksheets/sheet1.xml", sheet.replace(b"<v>12</v>", b"<v>abc</v>"))


def _many_rows_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["name"])
    for i in range(150_000):
        sheet.append([f"Co {i}"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _plain_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"a" * (200 * MB))
    return out.getvalue()


#: (label, file name, maker)
FILES: list[tuple[str, str, Callable[[], bytes]]] = [
    (
        "JSON record nested 490 deep (accepted, kept as text below 32)",
        "nest.json",
        lambda: (
            f'[{{"name": "Nest Co", "description": "welding", "extra": {nested(490)}}}]'.encode()
        ),
    ),
    ("JSON nested 100,000 deep", "deep.json", lambda: ("[" * 100_000 + "]" * 100_000).encode()),
    (
        "JSON Lines, a line nested 100,000 deep",
        "deep.jsonl",
        lambda: (
            b'{"name": "Co", "description": "x", "v": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
        ),
    ),
    (
        "CSV row of 1,000,000 fields",
        "wide.csv",
        lambda: b"name,description\nA," + b"," * 1_000_000 + b"\n",
    ),
    (
        "CSV row of 25,000,000 fields",
        "wider.csv",
        lambda: b"name,description\nA," + b"," * 25_000_000 + b"\n",
    ),
    (
        "CSV of 60 MB",
        "big.csv",
        lambda: b"name,description\n" + (b"Acme," + b"x" * 1000 + b"\n") * 61_440,
    ),
    (
        "CSV of 150,000 rows",
        "many-rows.csv",
        lambda: ("name\n" + "".join(f"Co {i}\n" for i in range(150_000))).encode(),
    ),
    (
        "CSV cell of 17 MB",
        "cell.csv",
        lambda: b'name,description\nCo,"' + b"x" * (17 * MB) + b'"\n',
    ),
    ("XLSX whose styles.xml unpacks to 31 MB", "styles.xlsx", _styles_bomb),
    ("XLSX unpacking to 200 MB (one part)", "bomb.xlsx", _plain_bomb),
    ("XLSX of 150,000 rows", "many-rows.xlsx", _many_rows_xlsx),
    ("XLSX row of 300,000 cells", "wide-row.xlsx", _wide_xlsx_row),
    ("XLSX number cell holding text", "text-in-number.xlsx", _text_in_number_cell),
]


def _reset_peak(pid: int | None) -> None:
    if pid is not None:
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--organizations", type=int, default=500)
    parser.add_argument("--model", default="fake")
    args = parser.parse_args()
    machine = describe()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data_dir = indexed_sample(folder, args.organizations, args.model)
        with serving(data_dir, args.model, folder / "server.log") as server:
            headers = {"X-API-Key": server.key}
            warm = httpx.post(
                f"{server.base}/registries/warm/uploads",
                params={"filename": "warm.csv"},
                content=b"name,description\nWarm Co,Welding.\n",
                headers=headers,
                timeout=600,
            )
            warm.raise_for_status()
            for label, name, make in FILES:
                body = make()
                worker = worker_pid(server.pid)
                _reset_peak(server.pid)
                _reset_peak(worker)
                probe = HealthProbe(server.base)
                probe.start()
                started = time.perf_counter()
                answer = httpx.post(
                    f"{server.base}/registries/hostile/uploads",
                    params={"filename": name},
                    content=body,
                    headers=headers,
                    timeout=900,
                )
                seconds = time.perf_counter() - started
                probe.stop.set()
                probe.join()
                alive = httpx.get(f"{server.base}/health", timeout=30).status_code
                worker_after = worker_pid(server.pid)
                rows.append(
                    {
                        "file": label,
                        "bytes": len(body),
                        "status": answer.status_code,
                        "code": answer.json().get("code", "ok")
                        if answer.status_code != 200
                        else "ok",
                        "seconds": round(seconds, 2),
                        "server_peak_mb": round(peak_rss_mb(server.pid)),
                        "worker_peak_mb": round(peak_rss_mb(worker_after))
                        if worker_after
                        else None,
                        "worst_health_ms": round(max(probe.latencies), 1)
                        if probe.latencies
                        else None,
                        "health_after": alive,
                    }
                )
                print(rows[-1], flush=True)
    result = {
        "machine": machine,
        "model": args.model,
        "organizations": args.organizations,
        "files": rows,
    }
    (HERE / "results" / "hostile.json").write_text(json.dumps(result, indent=2) + "\n")
    body = table(result, args)
    update_results("hostile", body)
    print(body)


def table(result: dict[str, Any], args: argparse.Namespace) -> str:
    machine = result["machine"]
    lines = [
        "## Hostile files",
        "",
        f"`python benchmarks/bench_hostile.py --organizations {args.organizations} --model {args.model}` "
        f"on {machine['date']}: {machine['cpu']}, {machine['cores']} cores, {machine['memory']}, Python {machine['python']}.",
        "One `ngen-connect serve` over SAMPLE organisations; each file sent as a registry upload with "
        "the admin key while a probe calls `/health` every 20 ms. Peak memory is each process's own "
        "high-water mark, reset before each file (the worker process reads, matches and writes uploads; "
        "its memory is not given back between files, so its figure never falls below what the files "
        "before left). A dash: the answer came before the first probe did. A file that is accepted "
        "publishes a new index version, which the server opens on the next request (the 120 ms).",
        "",
        "| file | size (bytes) | answer | time to answer (s) | server peak RSS (MB) | worker peak RSS (MB) | worst /health (ms) | /health after |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in result["files"]:
        lines.append(
            f"| {r['file']} | {r['bytes']:,} | {r['status']} {r['code']} | {r['seconds']} | "
            f"{r['server_peak_mb']} | {r['worker_peak_mb']} | {_shown(r['worst_health_ms'])} | "
            f"{r['health_after']} |"
        )
    return "\n".join(lines)


def _shown(value: float | None) -> str:
    """A latency, or a dash when the file was answered before any probe came back."""
    return "–" if value is None else str(value)


if __name__ == "__main__":
    main()
