"""Reading tabular files (CSV, JSON Lines, JSON arrays, XLSX) into numbered rows, streaming.

Rows are numbered the way a person finds them again: a CSV or XLSX row by its line in a spreadsheet
(the header is row 1), a JSON Lines row by its line, a JSON array item by its position (from 1).
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ngen_connect.errors import InputFileError, RowError

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".xlsx")
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, Any]


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as such, else Windows-1252.

    The check streams the file, so large registries stay in bounded memory.
    """
    with path.open("rb") as handle:
        head = handle.read(3)
    candidates = ["utf-8-sig" if head == codecs.BOM_UTF8 else "utf-8", "cp1252"]
    failures: list[str] = []
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        offset = 0
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    decoder.decode(chunk)
                    offset += len(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError as exc:
            failures.append(f"{encoding} fails at byte {offset + exc.start}")
    raise InputFileError(
        RowError(
            str(path),
            None,
            None,
            "the file is neither UTF-8 nor Windows-1252 text (" + "; ".join(failures) + "). "
            "Save it as UTF-8 CSV and try again.",
        )
    )


def read_rows(path: Path) -> Iterator[Row | RowError]:
    """Yield each row of a file, or a RowError for a row that cannot be read.

    Raises InputFileError when the file as a whole is unreadable.
    """
    if not path.is_file():
        raise InputFileError(RowError(str(path), None, None, "no such file"))
    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv", ".txt"}:
        return _read_csv(path)
    if suffix in {".jsonl", ".ndjson"}:
        return _read_jsonl(path)
    if suffix == ".json":
        return _read_json(path)
    if suffix == ".xlsx":
        return _read_xlsx(path)
    raise InputFileError(
        RowError(
            str(path),
            None,
            None,
            f"unsupported file type '{suffix or '(none)'}'; use one of {', '.join(SUPPORTED_SUFFIXES)}",
        )
    )


def _sniff_dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample.split("\n", 20)[0] + "\n", delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _read_csv(path: Path) -> Iterator[Row | RowError]:
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        dialect = _sniff_dialect(handle.read(_CHUNK))
        handle.seek(0)
        reader = csv.reader(handle, dialect)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise InputFileError(
                RowError(str(path), 1, None, f"malformed CSV header: {exc}")
            ) from exc
        if not header or not any(h.strip() for h in header):
            raise InputFileError(RowError(str(path), 1, None, "the file has no header row"))
        header = [h.strip() for h in header]
        blank = [i + 1 for i, h in enumerate(header) if not h]
        if blank:
            raise InputFileError(
                RowError(str(path), 1, None, f"header cells {blank} are empty; name every column")
            )
        number = 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputFileError(
                    RowError(
                        str(path),
                        number + 1,
                        None,
                        f"malformed CSV near line {reader.line_num}: {exc}",
                    )
                ) from exc
            number += 1
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                yield RowError(
                    str(path),
                    number,
                    None,
                    f"the row has {len(fields)} fields but the header has {len(header)} "
                    "(check the quoting and the delimiter)",
                )
                continue
            yield Row(number, dict(zip(header, fields, strict=True)))


def _read_jsonl(path: Path) -> Iterator[Row | RowError]:
    encoding = detect_encoding(path)
    with path.open(encoding=encoding) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield RowError(
                    str(path), number, None, f"invalid JSON at character {exc.colno}: {exc.msg}"
                )
                continue
            if not isinstance(value, dict):
                yield RowError(str(path), number, None, "each line must be a JSON object")
                continue
            yield Row(number, value)


def _read_json(path: Path) -> Iterator[Row | RowError]:
    encoding = detect_encoding(path)
    with path.open(encoding=encoding) as handle:
        try:
            document = json.load(handle)
        except json.JSONDecodeError as exc:
            raise InputFileError(
                RowError(
                    str(path),
                    exc.lineno,
                    None,
                    f"invalid JSON at line {exc.lineno}, character {exc.colno}: {exc.msg}",
                )
            ) from exc
    if isinstance(document, dict):
        lists = [v for v in document.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise InputFileError(
                RowError(
                    str(path),
                    None,
                    None,
                    "expected a JSON array of objects (or an object holding one array)",
                )
            )
        document = lists[0]
    if not isinstance(document, list):
        raise InputFileError(RowError(str(path), None, None, "expected a JSON array of objects"))
    return _json_items(path, document)


def _json_items(path: Path, items: list[Any]) -> Iterator[Row | RowError]:
    for number, item in enumerate(items, start=1):
        if isinstance(item, dict):
            yield Row(number, item)
        else:
            yield RowError(str(path), number, None, f"item {number} is not a JSON object")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _read_xlsx(path: Path) -> Iterator[Row | RowError]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError... for broken files
        raise InputFileError(
            RowError(str(path), None, None, f"not a readable XLSX workbook: {exc}")
        ) from exc
    return _xlsx_rows(path, workbook)


def _xlsx_rows(path: Path, workbook: Any) -> Iterator[Row | RowError]:
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_cells = next(rows, None)
        if not header_cells or not any(c is not None and str(c).strip() for c in header_cells):
            raise InputFileError(
                RowError(str(path), 1, None, f"sheet '{sheet.title}' has no header row")
            )
        header = [str(c).strip() if c is not None else "" for c in header_cells]
        while header and not header[-1]:
            header.pop()
        for number, cells in enumerate(rows, start=2):
            values = [_cell(c) for c in cells]
            if not any(v is not None and str(v).strip() for v in values):
                continue
            extra = [v for v in values[len(header) :] if v is not None and str(v).strip()]
            if extra:
                yield RowError(
                    str(path),
                    number,
                    None,
                    f"{len(extra)} value(s) lie right of the last named column",
                )
                continue
            yield Row(number, {h: v for h, v in zip(header, values, strict=False) if h})
    finally:
        workbook.close()
