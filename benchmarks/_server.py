"""`ngen-connect serve` for a benchmark: a free loopback port, a fresh admin key, ready when
/health answers, stopped afterwards."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

CLI = str(Path(sys.executable).with_name("ngen-connect"))


@dataclass(frozen=True)
class Server:
    base: str
    key: str
    pid: int


@contextmanager
def serving(data_dir: Path, model: str, log: Path) -> Iterator[Server]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    key = secrets.token_urlsafe(32)
    with log.open("w") as output:
        process = subprocess.Popen(
            [CLI, "serve", "--data-dir", str(data_dir), "--model", model, "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NGEN_CONNECT_ADMIN_KEY": key},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield Server(base, key, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)


def indexed_sample(folder: Path, organizations: int, model: str) -> Path:
    """SAMPLE organisations (no clusters, no IP assets) generated into `folder/sample` and indexed
    into `folder/data` with `model`; returns the data directory."""
    sample, data_dir = folder / "sample", folder / "data"
    subprocess.run(
        [
            CLI,
            "sample",
            "--out",
            str(sample),
            "--organizations",
            str(organizations),
            "--clusters",
            "0",
            "--ip-assets",
            "0",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            CLI,
            "index",
            str(sample / "organizations.csv"),
            "--data-dir",
            str(data_dir),
            "--model",
            model,
        ],
        check=True,
        capture_output=True,
    )
    return data_dir
