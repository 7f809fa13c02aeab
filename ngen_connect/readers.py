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

import clevercsv

from ngen_connect.errors import InputFileError, RowError

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".xlsx")
DELIMITERS = (",", ";", "\t", "|")
_CHUNK = 1 << 16
_SAMPLE_CHARS = 1 << 15


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, Any]
    #: what was odd about the row as read (kept all the same), for the report's warnings
    notes: tuple[RowError, ...] = ()


def detect_encoding(path: Path) -> str:
    """UTF-16 or UTF-8 when the file starts with their byte-order mark; else UTF-8 when the whole
    file decodes as such, else Windows-1252.

    The check streams the file, so large registries stay in bounded memory.
    """
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not head.startswith(
        codecs.BOM_UTF32_LE
    ):
        candidates = ["utf-16"]
    elif head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "cp1252"]
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
            "the file is not UTF-8, UTF-16 or Windows-1252 text (" + "; ".join(failures) + "). "
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


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample of many lines (comma, semicolon, tab or pipe).

    CleverCSV scores each candidate dialect by how consistent a table it makes of the whole sample,
    quotes included, so a header line alone never decides and a quoted comma is not a delimiter.
    """
    if "\n" in sample.rstrip("\r\n"):
        sample = sample[: sample.rstrip("\r\n").rfind("\n") + 1]  # whole lines only
    try:
        dialect = clevercsv.Detector().detect(sample, delimiters=list(DELIMITERS))
    except Exception:  # the detector fails on some degenerate samples; the header decides then
        dialect = None
    if dialect is not None and dialect.delimiter in DELIMITERS:
        return str(dialect.delimiter)
    header = sample.split("\n", 1)[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(path: Path) -> Iterator[Row | RowError]:
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        delimiter = sniff_delimiter(handle.read(_SAMPLE_CHARS))
        handle.seek(0)
        # RFC 4180 quoting whatever the delimiter: "" inside quotes is one quote.
        reader = csv.reader(handle, csv.excel, delimiter=delimiter)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise InputFileError(
                RowError(str(path), 1, None, f"malformed CSV header: {exc}")
            ) from exc
        if not header or not any(h.strip() for h in header):
            raise InputFileError(RowError(str(path), 1, None, "the file has no header row"))
        header = [h.strip() for h in header]
        while header and not header[-1]:
            header.pop()  # trailing empty header cells (a trailing delimiter) name nothing
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
            yield _csv_row(str(path), number, header, fields)


def _csv_row(file: str, number: int, header: list[str], fields: list[str]) -> Row:
    """A row of any width is kept: missing cells are empty, surplus cells get their own columns."""
    notes: list[RowError] = []
    surplus = [f for f in fields[len(header) :] if f.strip()]
    if len(fields) < len(header):
        notes.append(
            RowError(
                file,
                number,
                None,
                f"the row has {len(fields)} fields but the header has {len(header)}; "
                "the missing cells are read as empty",
            )
        )
    values = dict(zip(header, fields, strict=False))
    if surplus:
        notes.append(
            RowError(
                file,
                number,
                None,
                f"the row has {len(fields)} fields but the header has {len(header)}; the extra "
                "values are kept as unnamed columns (check the quoting and the delimiter)",
            )
        )
        for offset, value in enumerate(fields[len(header) :], start=len(header) + 1):
            if value.strip():
                values[f"column {offset}"] = value
    return Row(number, values, tuple(notes))


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
            row = {h: v for h, v in zip(header, values, strict=False) if h}
            notes: tuple[RowError, ...] = ()
            surplus = {
                f"column {offset}": v
                for offset, v in enumerate(values[len(header) :], start=len(header) + 1)
                if v is not None and str(v).strip()
            }
            if surplus:
                row.update(surplus)
                notes = (
                    RowError(
                        str(path),
                        number,
                        None,
                        f"{len(surplus)} value(s) lie right of the last named column; kept as "
                        "unnamed columns",
                    ),
                )
            yield Row(number, row, notes)
    finally:
        workbook.close()
