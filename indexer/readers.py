"""Reading tabular files (CSV, JSON Lines, JSON arrays, XLSX) into numbered rows, streaming.

Rows are numbered the way a person finds them again: a CSV or XLSX row by its line in a spreadsheet
(the header is row 1), a JSON Lines row by its line, a JSON array item by its position (from 1).
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO
from xml.parsers import expat

import clevercsv

from ngen_connect.errors import FileProblem, InputFileError, TooLargeError
from ngen_connect.limits import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROW_DELIMITERS,
    MAX_VALUE_DEPTH,
    MAX_XLSX_BYTES,
    MAX_XLSX_PART_BYTES,
    MAX_XLSX_ROW_CELLS,
    MAX_XLSX_XML_PART_BYTES,
)
from ngen_connect.values import shallow_value

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".xlsx")
DELIMITERS = (",", ";", "\t", "|")
_XLSX_SURPLUS_COLUMNS = 10
_CHUNK = 1 << 16
_SAMPLE_CHARS = 1 << 15
_SAMPLE_LINES = 10
_MAX_SAMPLE_CHARS = 1 << 20
_MAX_JSON_KEYS = 1000
_SEP_LINE = re.compile(r"^sep=(.)\r?\n")

csv.field_size_limit(MAX_CELL_CHARS)


def check_row_count(path: Path, limit: int, label: str | None = None) -> None:
    """TooLargeError as soon as a file is found to hold more than `limit` rows: a streaming pass
    that stops at the first row past the limit, before any row is processed."""
    for count, _ in enumerate(read_rows(path, label), start=1):
        if count > limit:
            raise TooLargeError(
                FileProblem(
                    label or str(path),
                    None,
                    None,
                    f"the file has more than {limit:,} rows",
                ),
                f"le fichier dépasse {limit:,} lignes",
            )


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode bytes that are not UTF-8 as Windows-1252: a UTF-8 file with a few lines pasted from
    an older system keeps both its UTF-8 and its Windows-1252 accents."""
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("cp1252"), error.end


codecs.register_error("ngen-cp1252", _cp1252_fallback)


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, Any]
    #: what was odd about the row as read (kept all the same), for the report's warnings
    notes: tuple[FileProblem, ...] = ()


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
        FileProblem(
            str(path),
            None,
            None,
            "the file is not UTF-8, UTF-16 or Windows-1252 text (" + "; ".join(failures) + "). "
            "Save it as UTF-8 CSV and try again.",
        )
    )


def open_text(path: Path) -> TextIO:
    """The file as text in its detected encoding (newlines untranslated, for the csv module)."""
    encoding = detect_encoding(path)
    if encoding == "cp1252":  # not wholly UTF-8: UTF-8 where it is, Windows-1252 elsewhere
        return path.open(encoding="utf-8", errors="ngen-cp1252", newline="")
    return path.open(encoding=encoding, newline="")


def read_rows(path: Path, label: str | None = None) -> Iterator[Row | FileProblem]:
    """Yield each row of a file, or a FileProblem for a row that cannot be read. Problems name
    the file as `label` when given (an upload is read from a temporary copy whose path must not
    reach the caller), else by its path.

    Raises InputFileError when the file as a whole is unreadable.
    """
    rows = _rows_of(path)
    return rows if label is None or label == str(path) else _named(rows, str(path), label)


def _named(rows: Iterator[Row | FileProblem], path: str, label: str) -> Iterator[Row | FileProblem]:
    def named(problem: FileProblem) -> FileProblem:
        return replace(problem, file=label) if problem.file == path else problem

    for item in rows:
        if isinstance(item, FileProblem):
            yield named(item)
        elif item.notes:
            yield replace(item, notes=tuple(named(note) for note in item.notes))
        else:
            yield item


def _rows_of(path: Path) -> Iterator[Row | FileProblem]:
    if not path.is_file():
        raise InputFileError(FileProblem(str(path), None, None, "no such file"))
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
        FileProblem(
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


def _sample(handle: TextIO) -> str:
    """The file's first 32 KB, or more when that holds too few lines (a very long first row)."""
    sample = handle.read(_SAMPLE_CHARS)
    while sample.count("\n") < _SAMPLE_LINES and len(sample) < _MAX_SAMPLE_CHARS:
        more = handle.read(_SAMPLE_CHARS)
        if not more:
            break
        sample += more
    return sample


def _read_csv(path: Path) -> Iterator[Row | FileProblem]:
    with open_text(path) as handle:
        sample = _sample(handle)
        sep_line = _SEP_LINE.match(sample)  # Excel's "sep=;" first line names the delimiter
        delimiter = sep_line.group(1) if sep_line else sniff_delimiter(sample)
        handle.seek(0)
        if sep_line:
            handle.readline()
        guard = RowGuard(handle, delimiter, str(path))
        # RFC 4180 quoting whatever the delimiter: "" inside quotes is one quote.
        reader = csv.reader(guard.lines(), csv.excel, delimiter=delimiter)
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            raise InputFileError(
                FileProblem(str(path), 1, None, f"malformed CSV header: {exc}")
            ) from exc
        if not cells or not any(h.strip() for h in cells):
            raise InputFileError(FileProblem(str(path), 1, None, "the file has no header row"))
        header, header_notes = _header(cells, str(path))
        number = 1
        while True:
            guard.next_row(number + 1)
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputFileError(
                    FileProblem(
                        str(path),
                        number + 1,
                        None,
                        f"malformed CSV near line {reader.line_num}: {_csv_reason(exc)}",
                    )
                ) from exc
            number += 1
            check_width(len(fields), str(path), number)
            if not any(f.strip() for f in fields):
                continue
            row = _csv_row(str(path), number, header, fields, delimiter)
            if header_notes:
                notes = [FileProblem(str(path), 1, None, note) for note in header_notes]
                row = Row(row.number, row.values, (*notes, *row.notes))
                header_notes = []
            yield row


class RowGuard:
    """Feeds a csv reader the lines of a file and refuses a row whose lines hold more than
    MAX_ROW_DELIMITERS delimiters, before the reader splits it: one line of millions of empty
    fields would otherwise become millions of strings. Delimiters inside quotes count too, so the
    count bounds the row's fields from above."""

    def __init__(self, handle: Iterable[str], delimiter: str, file: str) -> None:
        self._handle = handle
        self._delimiter = delimiter
        self._file = file
        self._row = 1
        self._delimiters = 0

    def next_row(self, number: int) -> None:
        """The reader is about to read row `number` (as a spreadsheet numbers it)."""
        self._row, self._delimiters = number, 0

    def lines(self) -> Iterator[str]:
        for line in self._handle:
            self._delimiters += line.count(self._delimiter)
            if self._delimiters > MAX_ROW_DELIMITERS:
                raise TooLargeError(
                    FileProblem(
                        self._file,
                        self._row,
                        None,
                        f"the row holds more than {MAX_ROW_DELIMITERS:,} delimiters; a row may "
                        f"have {MAX_COLUMNS:,} columns at most",
                    ),
                    f"la ligne contient plus de {MAX_ROW_DELIMITERS:,} séparateurs; une ligne a "
                    f"au plus {MAX_COLUMNS:,} colonnes",
                )
            yield line


def check_width(fields: int, file: str, row: int) -> None:
    """TooLargeError for a row with more fields than a file may have columns."""
    if fields > MAX_COLUMNS:
        raise TooLargeError(
            FileProblem(
                file,
                row,
                None,
                f"the row has {fields:,} fields; the limit is {MAX_COLUMNS:,} columns",
            ),
            f"la ligne a {fields:,} champs; la limite est de {MAX_COLUMNS:,} colonnes",
        )


def _csv_reason(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return f"a cell is longer than {MAX_CELL_CHARS:,} characters"
    return str(error)


def _header(cells: list[Any], file: str) -> tuple[list[str], list[str]]:
    """Column names from a header row: an empty cell becomes 'column N' and a repeated name
    'NAME (2)', so no column's values are lost; each such change is noted."""
    names = [str(c).strip() if c is not None else "" for c in cells]
    while names and not names[-1]:
        names.pop()  # trailing empty cells (a trailing delimiter) name nothing
    if len(names) > MAX_COLUMNS:
        raise TooLargeError(
            FileProblem(
                file,
                1,
                None,
                f"the header has {len(names):,} columns; the limit is {MAX_COLUMNS:,}",
            )
        )
    header: list[str] = []
    taken: set[str] = set()  # a set: a header of thousands of repeated names stays linear
    notes: list[str] = []
    for position, name in enumerate(names, start=1):
        if not name:
            name = f"column {position}"
            notes.append(f"header cell {position} is empty; its values are kept as '{name}'")
        final, copy = name, 1
        while final in taken:
            copy += 1
            final = f"{name} ({copy})"
        if final != name:
            notes.append(f"column {position} repeats the header '{name}'; it is read as '{final}'")
        taken.add(final)
        header.append(final)
    return header, notes


def _csv_row(file: str, number: int, header: list[str], fields: list[str], delimiter: str) -> Row:
    """A row of any width is kept: missing cells are empty, surplus cells get their own columns."""
    notes: list[FileProblem] = []
    surplus = [f for f in fields[len(header) :] if f.strip()]
    if len(fields) < len(header):
        notes.append(
            FileProblem(
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
            FileProblem(
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
    for column, value in values.items():
        rows_inside = _rows_inside(value, delimiter, len(header))
        if rows_inside:
            notes.append(
                FileProblem(
                    file,
                    number,
                    column,
                    f"the value holds {rows_inside} line(s) that look like rows of the file: a quote "
                    "may be unbalanced, with the rows that follow read into this value",
                )
            )
    return Row(number, values, tuple(notes))


def _rows_inside(value: str, delimiter: str, columns: int) -> int:
    """Lines of a multi-line value that hold as many delimiters as a row of the file would."""
    if "\n" not in value or columns < 2:
        return 0
    return sum(1 for line in value.split("\n")[1:] if line.count(delimiter) >= columns - 1)


def _read_jsonl(path: Path) -> Iterator[Row | FileProblem]:
    keys = _jsonl_keys(path)
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield FileProblem(
                    str(path), number, None, f"invalid JSON at character {exc.colno}: {exc.msg}"
                )
                continue
            except (ValueError, RecursionError) as exc:
                yield FileProblem(str(path), number, None, f"unreadable JSON: {_json_reason(exc)}")
                continue
            if not isinstance(value, dict):
                yield FileProblem(str(path), number, None, "each line must be a JSON object")
                continue
            yield _json_row(str(path), number, value, keys)


def _jsonl_keys(path: Path) -> list[str]:
    """Every key of every object, in order of appearance: the file's columns."""
    keys: dict[str, None] = {}
    with open_text(path) as handle:
        for line in handle:
            try:
                value = json.loads(line) if line.strip() else None
            except (ValueError, RecursionError):
                continue
            if isinstance(value, dict):
                _add_keys(path, keys, value)
    return list(keys)


def _add_keys(path: Path, keys: dict[str, None], item: dict[str, Any]) -> None:
    keys.update(dict.fromkeys(str(k) for k in item))
    if len(keys) > _MAX_JSON_KEYS:
        raise InputFileError(
            FileProblem(
                str(path), None, None, f"the objects hold more than {_MAX_JSON_KEYS} different keys"
            )
        )


def _json_row(file: str, number: int, item: dict[str, Any], keys: list[str]) -> Row:
    """The object as a row of the file's table: keys it lacks are empty, and a value nested more
    than MAX_VALUE_DEPTH deep keeps its deeper parts as JSON text, with a warning."""
    values: dict[str, Any] = {key: None for key in keys}
    notes: list[FileProblem] = []
    for key, value in item.items():
        values[str(key)], flattened = shallow_value(value)
        if flattened:
            notes.append(
                FileProblem(
                    file,
                    number,
                    str(key),
                    f"the value nests more than {MAX_VALUE_DEPTH} levels deep; its deeper parts "
                    "are kept as text",
                )
            )
    return Row(number, values, tuple(notes))


def _json_reason(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "values nested too deeply"
    return str(error)


def _read_json(path: Path) -> Iterator[Row | FileProblem]:
    with open_text(path) as handle:
        try:
            document = json.load(handle)
        except json.JSONDecodeError as exc:
            raise InputFileError(
                FileProblem(
                    str(path),
                    exc.lineno,
                    None,
                    f"invalid JSON at line {exc.lineno}, character {exc.colno}: {exc.msg}",
                )
            ) from exc
        except (ValueError, RecursionError) as exc:
            raise InputFileError(
                FileProblem(str(path), None, None, f"unreadable JSON: {_json_reason(exc)}")
            ) from None
    if isinstance(document, dict):
        lists = [v for v in document.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise InputFileError(
                FileProblem(
                    str(path),
                    None,
                    None,
                    "expected a JSON array of objects (or an object holding one array)",
                )
            )
        document = lists[0]
    if not isinstance(document, list):
        raise InputFileError(FileProblem(str(path), None, None, "expected a JSON array of objects"))
    keys: dict[str, None] = {}
    for item in document:
        if isinstance(item, dict):
            _add_keys(path, keys, item)
    return _json_items(path, document, list(keys))


def _json_items(path: Path, items: list[Any], keys: list[str]) -> Iterator[Row | FileProblem]:
    for number, item in enumerate(items, start=1):
        if isinstance(item, dict):
            yield _json_row(str(path), number, item, keys)
        else:
            yield FileProblem(str(path), number, None, f"item {number} is not a JSON object")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _check_xlsx_size(path: Path) -> int:
    """Refuse a workbook whose parts would unpack past the limits, before reading any cell: a few
    hundred kilobytes of XLSX can hold gigabytes of XML. Returns the unpacked size."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(
            FileProblem(str(path), None, None, f"not a readable XLSX workbook: {exc}")
        ) from exc
    total = sum(part.file_size for part in parts)
    for part in parts:
        limit = _xlsx_part_limit(part.filename)
        if part.file_size > limit:
            raise TooLargeError(
                FileProblem(
                    str(path),
                    None,
                    None,
                    f"the workbook's part {part.filename} unpacks to {part.file_size:,} bytes; "
                    f"the limit is {limit:,}",
                ),
                f"la partie {part.filename} du classeur fait {part.file_size:,} octets une fois "
                f"décompressée; la limite est de {limit:,}",
            )
    if total > MAX_XLSX_BYTES:
        raise TooLargeError(
            FileProblem(
                str(path),
                None,
                None,
                f"the workbook unpacks to {total:,} bytes; the limit is {MAX_XLSX_BYTES:,} "
                "/ classeur trop volumineux",
            )
        )
    return total


def _xlsx_part_limit(name: str) -> int:
    """How large a workbook part may unpack: a sheet or the shared strings (read a cell at a time)
    more than the other XML parts (styles, workbook, theme...), which are parsed whole; parts
    that are not XML (images, printer settings) are never read."""
    lowered = name.lower()
    if lowered.startswith("xl/worksheets/") or lowered == "xl/sharedstrings.xml":
        return MAX_XLSX_PART_BYTES
    if lowered.endswith((".xml", ".rels")):
        return MAX_XLSX_XML_PART_BYTES
    return MAX_XLSX_BYTES


def _read_xlsx(path: Path) -> Iterator[Row | FileProblem]:
    from openpyxl import load_workbook

    unpacked = _check_xlsx_size(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError... for broken files
        raise InputFileError(
            FileProblem(str(path), None, None, f"not a readable XLSX workbook: {exc}")
        ) from exc
    try:
        if not workbook.worksheets:
            raise InputFileError(
                FileProblem(str(path), None, None, "the workbook has no sheet"),
                "le classeur n'a aucune feuille",
            )
        _check_sheet(path, workbook.worksheets[0]._worksheet_path)
    except BaseException:
        workbook.close()
        raise
    return _xlsx_rows(path, workbook, XLSX_TEXT_PER_BYTE * unpacked + MAX_CELL_CHARS)


def _check_sheet(path: Path, part: str) -> None:
    """Read the sheet's XML once with expat, which keeps nothing, and refuse a row of more than
    MAX_XLSX_ROW_CELLS cells or a document type declaration (entities that expand into cells)
    before openpyxl builds each row's elements in memory: one row of millions of cells would
    cost gigabytes."""
    parser = expat.ParserCreate(namespace_separator=" ")
    cells = 0
    row = 1

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal cells, row
        local = name.rsplit(" ", 1)[-1]
        if local == "row":
            cells = 0
            row = int(attributes["r"]) if attributes.get("r", "").isdigit() else row + 1
        elif local == "c":
            cells += 1
            if cells > MAX_XLSX_ROW_CELLS:
                raise TooLargeError(
                    FileProblem(
                        str(path),
                        row,
                        None,
                        f"the row holds more than {MAX_XLSX_ROW_CELLS:,} cells",
                    ),
                    f"la ligne contient plus de {MAX_XLSX_ROW_CELLS:,} cellules",
                )

    def doctype(*_: Any) -> None:
        raise InputFileError(
            FileProblem(
                str(path), None, None, "the sheet declares a document type; XLSX never does"
            ),
            "la feuille déclare un type de document, ce qu'un XLSX ne fait jamais",
        )

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    try:
        with zipfile.ZipFile(path) as archive, archive.open(part.lstrip("/")) as sheet:
            while chunk := sheet.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except (expat.ExpatError, KeyError, zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(
            FileProblem(str(path), None, None, f"the sheet's XML cannot be read: {exc}"),
            "le XML de la feuille est illisible",
        ) from None


#: text an XLSX may expand to per byte of its unpacked XML: cells that all point to one huge
#: shared string would otherwise turn kilobytes into gigabytes of text
XLSX_TEXT_PER_BYTE = 4


def _next_cells(rows: Iterator[tuple[Any, ...]], path: Path, number: int) -> tuple[Any, ...] | None:
    """The next row's cells, None at the end; InputFileError naming the row when its XML cannot
    be read (a number cell holding text, a malformed part): openpyxl raises many kinds of error."""
    try:
        return next(rows, None)
    except Exception as exc:
        raise InputFileError(
            FileProblem(
                str(path),
                number,
                None,
                f"the workbook cannot be read at this row ({type(exc).__name__}: {exc}); open it "
                "in a spreadsheet and save it again, or save it as CSV",
            ),
            f"le classeur est illisible à cette ligne ({type(exc).__name__}); ouvrez-le dans un "
            "tableur et enregistrez-le de nouveau, ou enregistrez-le en CSV",
        ) from None


def _xlsx_rows(path: Path, workbook: Any, max_text: int) -> Iterator[Row | FileProblem]:
    try:
        sheet = workbook.worksheets[0]
        # Trust the cells, not the size the sheet claims: a 2 KB file can claim a million rows
        # by 16,384 columns, which would be read as that many empty cells.
        sheet.reset_dimensions()
        header_cells = _next_cells(sheet.iter_rows(max_row=1, values_only=True), path, 1)
        if not header_cells or not any(c is not None and str(c).strip() for c in header_cells):
            raise InputFileError(
                FileProblem(str(path), 1, None, f"sheet '{sheet.title}' has no header row")
            )
        header, header_notes = _header(list(header_cells), str(path))
        rows = sheet.iter_rows(
            min_row=2, max_col=len(header) + _XLSX_SURPLUS_COLUMNS, values_only=True
        )
        text = 0
        gap: tuple[Any, ...] | None = None
        number = 1
        while (cells := _next_cells(rows, path, number + 1)) is not None:
            number += 1
            # openpyxl fills missing rows with one shared empty tuple: skip it without a look
            if cells is gap:
                continue
            if all(c is None for c in cells):
                gap = cells
                continue
            values = [_cell(c) for c in cells]
            text += sum(len(v) for v in values if isinstance(v, str))
            if text > max_text:
                raise TooLargeError(
                    FileProblem(
                        str(path),
                        number,
                        None,
                        f"the cells hold over {max_text:,} characters, more than the workbook's "
                        "size allows (cells repeating one huge shared string?) / classeur trop "
                        "volumineux",
                    )
                )
            if any(isinstance(v, str) and len(v) > MAX_CELL_CHARS for v in values):
                raise TooLargeError(
                    FileProblem(
                        str(path),
                        number,
                        None,
                        f"a cell is longer than {MAX_CELL_CHARS:,} characters / cellule trop longue",
                    )
                )
            if not any(v is not None and str(v).strip() for v in values):
                continue
            row = dict(zip(header, values, strict=False))
            notes: tuple[FileProblem, ...] = tuple(
                FileProblem(str(path), 1, None, note) for note in header_notes
            )
            header_notes = []
            surplus = {
                f"column {offset}": v
                for offset, v in enumerate(values[len(header) :], start=len(header) + 1)
                if v is not None and str(v).strip()
            }
            if surplus:
                row.update(surplus)
                notes += (
                    FileProblem(
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
