"""Hostile input against a real server (`ngen-connect serve`), one case per class of attack and per
limit in SECURITY.md. Every hostile file is made here, at run time. Each case checks the answer,
that the limit held before memory grew with the input (the peak memory of the process that read
it, which the kernel counts), and that the service still answers afterwards."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ngen_connect.limits import (
    MAX_COLUMNS,
    MAX_EXTRA_CHARS,
    MAX_RESULT_ATTRIBUTES_CHARS,
    MAX_VALUE_CHARS,
    MAX_VALUE_DEPTH,
    MAX_XLSX_XML_PART_BYTES,
)
from tests.conftest import ADMIN_KEY, copy_index, run_cli, server_process
from tests.hostile import nested, with_part, worker_pids, xlsx

ADMIN = {"X-API-Key": ADMIN_KEY}
MB = 1024 * 1024


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, sample_index: Path
) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("hostile")
    data_dir = copy_index(sample_index, folder / "data")
    with server_process(
        "serve", "--data-dir", str(data_dir), "--model", "fake", log_dir=folder
    ) as (base, process):
        yield {"base": base, "pid": process.pid, "data_dir": data_dir, "folder": folder}


def _still_answers(base: str) -> None:
    assert httpx.get(f"{base}/health", timeout=30).status_code == 200
    found = httpx.get(f"{base}/search", params={"q": "welding"}, timeout=30)
    assert found.status_code == 200 and found.json()["total"] > 0


def _upload(base: str, registry: str, filename: str, body: bytes, **params: Any) -> httpx.Response:
    return httpx.post(
        f"{base}/registries/{registry}/uploads",
        params={"filename": filename, **params},
        content=body,
        headers=ADMIN,
        timeout=300,
    )


def _worker_pid(server_pid: int) -> int:
    workers = worker_pids(server_pid)
    assert len(workers) == 1, f"expected one worker process, found {workers}"
    return workers[0]


class PeakMemory:
    """The growth of a process's peak resident memory over a block (Linux resets the peak when
    asked through clear_refs)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.grown = 0

    def _status(self, field: str) -> int:
        text = Path(f"/proc/{self.pid}/status").read_text()
        match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
        assert match, text
        return int(match.group(1)) * 1024

    def __enter__(self) -> PeakMemory:
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        self._before = self._status("VmRSS")
        return self

    def __exit__(self, *_: object) -> None:
        self.grown = self._status("VmHWM") - self._before


def _warm(served: dict[str, Any]) -> int:
    """The worker process, started and warm (model and index loaded by a first small upload)."""
    base = served["base"]
    answer = _upload(base, "warm", "warm.csv", b"name,description\nWarm Co,Welding.\n")
    assert answer.status_code == 200, answer.text
    return _worker_pid(served["pid"])


# -- 1. no stored value can make an index unreadable -------------------------------------------


DEPTHS = (10, 100, 490, 1_000, 100_000)


def test_no_nesting_through_any_input_path_breaks_the_service(
    served: dict[str, Any], tmp_path: Path
) -> None:
    base, data_dir = served["base"], served["data_dir"]
    for depth in DEPTHS:
        record = (
            f'{{"name": "Nest Co {depth}", "description": "welding", "extra": {nested(depth)}}}'
        )
        as_array = _upload(base, "nest-json", "nest.json", f"[{record}]".encode())
        as_lines = _upload(base, "nest-jsonl", "nest.jsonl", f"{record}\n".encode())
        written = httpx.post(
            f"{base}/records/organization",
            content=f"[{record.replace('Nest Co', 'Nest Record')}]".encode(),
            headers={**ADMIN, "Content-Type": "application/json"},
            timeout=300,
        )
        for answer in (as_array, as_lines, written):
            assert answer.status_code in (200, 400), (depth, answer.text)
            assert "/tmp" not in answer.text, "a server path reached the caller"
            assert set(answer.json()) >= {"code", "message"} or answer.status_code == 200
        if depth <= 490:
            assert as_array.status_code == as_lines.status_code == written.status_code == 200
            [row] = as_lines.json()["rows"]
            warned = row["warnings"]
            assert (f"more than {MAX_VALUE_DEPTH} levels" in warned) == (depth > MAX_VALUE_DEPTH)
        else:  # past the parser's own depth: refused with its row or file, never a 500
            assert as_array.status_code == written.status_code == 400
            assert "nested too deeply" in as_array.json()["message"]
        lines = tmp_path / f"nest-{depth}.jsonl"
        lines.write_text(record.replace("Nest Co", "Nest Index") + "\n")
        indexed = run_cli("index", str(lines), "--data-dir", str(data_dir), "--model", "fake")
        assert "Traceback" not in indexed.stderr and indexed.returncode in (0, 3), indexed.stderr
        _still_answers(base)
    stored = httpx.get(f"{base}/organizations/{_id_of(base, 'Nest Record 490')}").json()
    deep = stored["attributes"]["extra"]["extra"]
    for _ in range(MAX_VALUE_DEPTH):
        deep = deep["a"]
    assert isinstance(deep, str) and deep.startswith('{"a": ')  # kept, as text
    # the same data directory, opened by a new server and by the command line
    with server_process(
        "serve", "--data-dir", str(data_dir), "--model", "fake", log_dir=tmp_path
    ) as (again, _):
        _still_answers(again)
    searched = run_cli("search", "welding", "--data-dir", str(data_dir), "--model", "fake")
    assert searched.returncode == 0, searched.stderr


def _id_of(base: str, name: str) -> str:
    found = httpx.get(f"{base}/search", params={"q": name, "limit": 5}).json()["results"]
    return next(r["id"] for r in found if r["name"] == name)


def test_an_unreadable_stored_value_is_left_out_and_the_index_opens(
    served: dict[str, Any], tmp_path: Path
) -> None:
    """Defence in depth: a value no release writes any more (nested past the parser's depth) is
    put straight into a copy of the records file; every reader still opens the version."""
    import duckdb

    data_dir = copy_index(served["data_dir"], tmp_path / "data")
    records = (data_dir / "current").resolve() / "records.duckdb"
    with duckdb.connect(str(records)) as db:
        [(key,)] = db.execute(
            "SELECT key FROM records WHERE kind = 'organization' ORDER BY key LIMIT 1"
        ).fetchall()
        db.execute(
            "UPDATE records SET attributes = ?::JSON WHERE key = ?",
            ['{"extra": ' + nested(5_000) + "}", key],
        )
    with server_process(
        "serve", "--data-dir", str(data_dir), "--model", "fake", log_dir=tmp_path
    ) as (base, _):
        _still_answers(base)
        shown = httpx.get(f"{base}/organizations/{key.split(':', 1)[1]}")
        assert shown.status_code == 200 and "extra" not in shown.json()["attributes"]
    assert "cannot be read" in (tmp_path / "server.log").read_text()


# -- 2. every dimension of a file is bounded while it is read ----------------------------------


def test_a_row_of_millions_of_fields_is_refused_before_it_is_split(served: dict[str, Any]) -> None:
    base = served["base"]
    worker = _warm(served)
    body = b"name,description\nWide Co," + b"," * 5_000_000 + b"\n" + b"Next Co,Welding.\n" * 10
    with PeakMemory(worker) as memory:
        answer = _upload(base, "wide", "wide.csv", body)
    assert answer.status_code == 413 and answer.json()["code"] == "too_large"
    assert "row 2" in answer.json()["message"] and "delimiters" in answer.json()["message"]
    # split, 5 million fields would be 250 MB of strings; the line itself is 5 MB
    assert memory.grown < 60 * MB, memory.grown
    narrow = b"name,description," + b",".join(b"x" for _ in range(MAX_COLUMNS + 10)) + b"\n"
    refused = _upload(base, "wide", "wide.csv", b"name,description\n" + narrow)
    assert refused.status_code == 413 and f"{MAX_COLUMNS:,} columns" in refused.json()["message"]
    french = httpx.post(
        f"{base}/registries/wide/uploads",
        params={"filename": "large.csv", "lang": "fr"},
        content=b"name,description\n" + narrow,
        headers=ADMIN,
    )
    assert "la limite est de" in french.json()["message"]
    _still_answers(base)


MEMBERS = [["name", "description"], ["Sheet Co", "Welding."]]


def test_xlsx_parts_each_have_their_limit(served: dict[str, Any]) -> None:
    base = served["base"]
    worker = _warm(served)
    plain = xlsx(MEMBERS)
    with zipfile.ZipFile(io.BytesIO(plain)) as book:
        styles = book.read("xl/styles.xml")
    padding = b"<!--" + b" " * (MAX_XLSX_XML_PART_BYTES + 1) + b"-->"
    declaration, _, rest = styles.rpartition(b"?>")  # a comment may come after it, not before
    padded = declaration + b"?>" + padding + rest if declaration else padding + styles
    bomb = with_part(plain, "xl/styles.xml", padded)
    assert len(bomb) < 200_000  # a small file...
    with PeakMemory(worker) as memory:
        answer = _upload(base, "bombs", "styles.xlsx", bomb)
    assert answer.status_code == 413 and "xl/styles.xml" in answer.json()["message"]
    assert memory.grown < 16 * MB, memory.grown  # ...refused before the part is unpacked
    cells = "".join(f'<c r="A{i}"><v>1</v></c>' for i in range(1))
    wide_row = (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>name'
        '</t></is></c></row><row r="2">' + cells + "<c><v>1</v></c>" * 300_000 + "</row>"
        "</sheetData></worksheet>"
    )
    wide = with_part(plain, "xl/worksheets/sheet1.xml", wide_row.encode())
    with PeakMemory(worker) as memory:
        answer = _upload(base, "bombs", "wide.xlsx", wide)
    assert answer.status_code == 413 and "16,384 cells" in answer.json()["message"]
    assert memory.grown < 32 * MB, memory.grown  # 300,000 cells parsed would be ~300 MB
    _still_answers(base)


def test_a_cell_openpyxl_cannot_read_is_a_400_naming_the_row(
    served: dict[str, Any], tmp_path: Path
) -> None:
    base = served["base"]
    plain = xlsx([*MEMBERS, ["Other Co", 12]])
    with zipfile.ZipFile(io.BytesIO(plain)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml")
    broken = with_part(
        plain, "xl/worksheets/sheet1.xml", sheet.replace(b"<v>12</v>", b"<v>abc</v>")
    )
    for answer in (
        _upload(base, "broken", "broken.xlsx", broken),
        _upload(base, "broken", "broken.xlsx", broken, preview="true"),
        httpx.post(
            f"{base}/records/organization",
            params={"filename": "broken.xlsx"},
            content=broken,
            headers=ADMIN,
            timeout=60,
        ),
    ):
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == "bad_file" and "row 3" in answer.json()["message"]
    path = tmp_path / "broken.xlsx"
    path.write_bytes(broken)
    indexed = run_cli("index", str(path), "--data-dir", str(tmp_path / "d"), "--model", "fake")
    assert indexed.returncode == 2 and "Traceback" not in indexed.stderr
    assert "broken.xlsx, row 3" in indexed.stderr
    _still_answers(base)


def test_values_and_results_stay_small_whatever_a_row_holds(served: dict[str, Any]) -> None:
    base = served["base"]
    long_city = "Regina " * 5_000
    wide = {f"note {i}": "x" * 9_000 for i in range(20)}
    record = {
        "id": "big-values",
        "name": "Big Values Co",
        "description": "welding",
        "city": long_city,
        **wide,
    }
    written = httpx.post(f"{base}/records/organization", json=[record], headers=ADMIN, timeout=120)
    assert written.status_code == 200, written.text
    warnings = " ".join(w["message"] for w in written.json()["warnings"])
    assert f"the first {MAX_VALUE_CHARS:,} are kept" in warnings
    assert f"over {MAX_EXTRA_CHARS:,} characters" in warnings
    stored = httpx.get(f"{base}/organizations/big-values").json()["attributes"]
    assert len(stored["city"]) == MAX_VALUE_CHARS
    assert len(json.dumps(stored["extra"])) <= MAX_EXTRA_CHARS + 1_000
    hit = next(
        r
        for r in httpx.get(f"{base}/search", params={"q": "Big Values Co"}).json()["results"]
        if r["id"] == "big-values"
    )
    shown = {k: v for k, v in hit.items() if k not in {"snippet", "snippet_highlighted", "why"}}
    assert len(json.dumps(shown)) < MAX_RESULT_ATTRIBUTES_CHARS + 5_000
    assert "extra" in hit["omitted"]


# -- 3. heavy work never shares the server's interpreter ---------------------------------------


def test_a_worker_that_dies_mid_upload_is_a_clear_error_and_comes_back(
    served: dict[str, Any],
) -> None:
    base = served["base"]
    worker = _warm(served)
    body = b"name,description\n" + b"".join(
        f"Killed Co {i},Welding and machining of part {i}.\n".encode() for i in range(30_000)
    )
    with httpx.Client(timeout=300) as client:
        pending = client.build_request(
            "POST",
            f"{base}/registries/killed/uploads",
            params={"filename": "killed.csv"},
            content=body,
            headers=ADMIN,
        )
        answers: list[httpx.Response] = []
        thread = threading.Thread(target=lambda: answers.append(client.send(pending)))
        thread.start()
        time.sleep(1.0)
        os.kill(worker, signal.SIGKILL)
        thread.join()
    [answer] = answers
    assert answer.status_code == 503 and answer.json()["code"] == "worker_stopped"
    assert "try again" in answer.json()["message"]
    _still_answers(base)
    again = _upload(base, "killed", "small.csv", b"name,description\nBack Co,Welding.\n")
    assert again.status_code == 200 and _worker_pid(served["pid"]) != worker


# -- 5. a full disk is a 507 and a message, never a traceback ----------------------------------


def _full_disk(data_dir: Path, folder: Path) -> list[str]:
    """A command run in a mount namespace of its own, where DISK is a small file system holding a
    copy of the data directory and then filled to the last byte (uploads still reach the
    temporary folder, elsewhere: the writes into the data directory are what fail)."""
    disk = folder / "disk"
    disk.mkdir()
    size = sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file()) + 4 * MB
    script = (
        f"mount -t tmpfs -o size={size} tmpfs {disk} && cp -a {data_dir} {disk}/data && "
        f'(cat /dev/zero > {disk}/filler 2>/dev/null; true) && exec "$@"'
    )
    return ["unshare", "--map-root-user", "--mount", "sh", "-c", script, "sh"]


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs util-linux's unshare")
def test_a_full_disk_answers_507_and_the_cli_says_so(
    served: dict[str, Any], tmp_path: Path
) -> None:
    disk = tmp_path / "disk"
    kept = _upload(
        served["base"], "review", "review.csv", b"name,description\nReview Co,Welding.\n"
    )
    assert kept.status_code == 200, kept.text
    prefix = _full_disk(served["data_dir"], tmp_path)
    with server_process(
        "serve",
        "--data-dir",
        str(disk / "data"),
        "--model",
        "fake",
        log_dir=tmp_path,
        prefix=prefix,
    ) as (base, _):
        upload = _upload(base, "full", "full.csv", b"name,description\nFull Co,Welding.\n" * 1000)
        records = httpx.post(
            f"{base}/records/organization",
            json=[{"id": "full", "name": "Full Co", "description": "welding"}],
            headers=ADMIN,
            timeout=60,
        )
        decided = httpx.post(
            f"{base}/registries/review/uploads/latest/rows/2/decision",
            json={"status": "new"},
            headers={**ADMIN, "Accept-Language": "fr"},
            timeout=60,
        )
        assert decided.status_code == 507 and "disque est plein" in decided.json()["message"]
        for answer in (upload, records):
            assert answer.status_code == 507, answer.text
            assert answer.json()["code"] == "insufficient_storage"
            assert "disk is full" in answer.json()["message"]
        _still_answers(base)
    private = subprocess.run(
        [
            *prefix,
            str(Path(sys.executable).with_name("ngen-connect")),
            "registry",
            "private",
            "full",
            "--key",
            "a-key-of-sixteen-characters",
            "--data-dir",
            str(disk / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert private.returncode == 1 and "Traceback" not in private.stderr
    assert "disk is full" in private.stderr


# -- every other limit in SECURITY.md, over HTTP ------------------------------------------------

_MANY = 100_001


def _limit_cases() -> list[tuple[str, Any]]:
    """(limit, a request past it) for each limit of SECURITY.md's table not tested above."""
    json_body = {**ADMIN, "Content-Type": "application/json"}
    return [
        (
            "rows in an uploaded file",
            lambda b: _upload(b, "limits", "rows.csv", ("name\n" + "Co\n" * _MANY).encode()),
        ),
        (
            "records written in one call",
            lambda b: httpx.post(
                f"{b}/records/organization",
                params={"filename": "many.csv"},
                content=(
                    "id,name,description\n" + "".join(f"r{i},Co {i},x\n" for i in range(10_001))
                ).encode(),
                headers=ADMIN,
                timeout=120,
            ),
        ),
        (
            "needs in a needs list",
            lambda b: httpx.post(
                f"{b}/registries/warm/needs",
                params={"filename": "needs.csv"},
                content=("need\n" + "welding\n" * 1_001).encode(),
                headers=ADMIN,
                timeout=120,
            ),
        ),
        (
            "rows of a kept report on one page",
            lambda b: httpx.get(
                f"{b}/registries/warm/uploads/latest", params={"limit": 501}, headers=ADMIN
            ),
        ),
        (
            "one cell",
            lambda b: _upload(
                b, "limits", "cell.csv", b'name,description\nCo,"' + b"x" * (17 * MB) + b'"\n'
            ),
        ),
        ("a query", lambda b: httpx.get(f"{b}/search", params={"q": "x" * 1_001})),
        (
            "filter values",
            lambda b: httpx.get(
                f"{b}/search", params={"q": "welding", "city": [f"c{i}" for i in range(51)]}
            ),
        ),
        ("a registry name", lambda b: _upload(b, "Not_A_Name", "x.csv", b"name\nCo\n")),
        (
            "any other request body",
            lambda b: httpx.post(
                f"{b}/records/organization/delete",
                content=b'{"ids": ["' + b"a" * 3 * MB + b'"]}',
                headers=json_body,
            ),
        ),
    ]


@pytest.mark.parametrize(
    ("limit", "request_past_it"), _limit_cases(), ids=[limit for limit, _ in _limit_cases()]
)
def test_every_limit_answers_a_clear_4xx_and_the_service_goes_on(
    served: dict[str, Any], limit: str, request_past_it: Any
) -> None:
    _warm(served)
    answer = request_past_it(served["base"])
    assert 400 <= answer.status_code < 500, (limit, answer.status_code, answer.text[:300])
    body = answer.json()
    assert set(body) >= {"code", "message"} and body["message"], (limit, body)
    assert "/tmp" not in body["message"] and "Traceback" not in body["message"]
    _still_answers(served["base"])
