import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from ngen_connect.errors import FileProblem, InputFileError
from ngen_connect.indexer.readers import Row, detect_encoding, read_rows
from tests.conftest import DATA

TEXT = "id,nom,capacités\n1,Usinage Lévesque ltée,Découpe et pliage de tôle\n"


def _rows(path: Path) -> list[Row | FileProblem]:
    return list(read_rows(path))


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("utf-16", "utf-16")],
)
def test_registry_encodings_are_read(tmp_path: Path, encoding: str, expected: str) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(TEXT.encode(encoding))
    assert detect_encoding(path) == expected
    [row] = _rows(path)
    assert isinstance(row, Row)
    assert row.values == {
        "id": "1",
        "nom": "Usinage Lévesque ltée",
        "capacités": "Découpe et pliage de tôle",
    }
    assert row.number == 2


def test_semicolon_csv_from_french_excel(tmp_path: Path) -> None:
    path = tmp_path / "membres.csv"
    path.write_text("nom;description\nA;Soudure, pliage\n", encoding="utf-8")
    [row] = _rows(path)
    assert isinstance(row, Row) and row.values == {"nom": "A", "description": "Soudure, pliage"}


def test_ragged_csv_rows_are_kept_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "name,description,city\nA,one,Regina\nB,two,Laval,extra\nC,three\n", encoding="utf-8"
    )
    rows = _rows(path)
    assert all(isinstance(r, Row) for r in rows)
    a, b, c = (r for r in rows if isinstance(r, Row))
    assert not a.notes
    assert b.values["column 4"] == "extra" and "4 fields" in b.notes[0].message
    assert (
        c.values == {"name": "C", "description": "three"} and "read as empty" in c.notes[0].message
    )
    assert (b.notes[0].row, c.notes[0].row) == (3, 4)


# One file per delimiter and encoding people send, all holding the same three records: RFC 4180
# doubled quotes, a quoted newline, quoted delimiters of every kind.
CSV_FILES = sorted((DATA / "csv").iterdir())


@pytest.mark.parametrize("path", CSV_FILES, ids=[p.name for p in CSV_FILES])
def test_csv_as_people_write_it(path: Path) -> None:
    rows = _rows(path)
    assert all(isinstance(r, Row) and not r.notes for r in rows)
    values = [r.values for r in rows if isinstance(r, Row)]
    assert [v["name"] for v in values] == [
        "Sterile Works Inc.",
        "Usinage Lévesque ltée",
        "Prairie Pumps | Ltd",
    ]
    assert values[0]["description"] == 'Aseptic "fill-finish" of vials, line 1\nline 2'
    assert values[1]["description"] == "Usinage CNC 5 axes; pièces en titane, AS9100"
    assert values[2]["description"] == 'Dewatering pumps, 50% of sales; "rebuilt" units'
    assert [r.number for r in rows if isinstance(r, Row)] == [2, 3, 4]


def test_dialect_is_sniffed_from_many_lines_not_the_header(tmp_path: Path) -> None:
    # The header alone looks like one column; the quoted commas below must not be delimiters.
    lines = ["name;description"] + [
        f'Shop {i};"Welding, ""MIG"" and TIG; bending, {i} t"' for i in range(30)
    ]
    path = tmp_path / "fr.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = _rows(path)
    assert len(rows) == 30 and all(isinstance(r, Row) and not r.notes for r in rows)
    first = rows[0]
    assert isinstance(first, Row)
    assert first.values == {"name": "Shop 0", "description": 'Welding, "MIG" and TIG; bending, 0 t'}


def test_real_esco_slice_reads_every_row(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "esco" / "esco_skills_en_fr.csv"
    with source.open(encoding="utf-8") as handle:
        head = [next(handle) for _ in range(2501)]
    path = tmp_path / "esco.csv"
    path.write_text("".join(head), encoding="utf-8")
    rows = _rows(path)
    assert len(rows) == 2500 and all(isinstance(r, Row) and not r.notes for r in rows)
    assert all(len(r.values) == 7 for r in rows if isinstance(r, Row))


def test_jsonl_bad_line_names_line_and_character(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(
        '{"name": "A", "description": "x"}\n{"name": "B", "description": }\n', encoding="utf-8"
    )
    good, bad = _rows(path)
    assert isinstance(good, Row) and isinstance(bad, FileProblem)
    assert bad.row == 2 and "character" in bad.message


def test_malformed_json_array_rejects_the_file_with_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_text('[\n {"name": "A"},\n {"name": "B",,}\n]', encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        _rows(path)
    assert info.value.error.row == 3
    assert "line 3" in str(info.value)


def test_json_object_holding_one_array(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_text(json.dumps({"organizations": [{"name": "A"}, 5]}), encoding="utf-8")
    good, bad = _rows(path)
    assert isinstance(good, Row) and isinstance(bad, FileProblem) and bad.row == 2


def test_xlsx_rows_keep_spreadsheet_numbers(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Entreprise", "Description", "Employés"])
    sheet.append(["Alpha", "Moulage par injection", 12.0])
    sheet.append([None, None, None])
    sheet.append(["Beta", "Extrusion", 40])
    path = tmp_path / "membres.xlsx"
    book.save(path)
    rows = _rows(path)
    assert [
        (r.number, r.values["Entreprise"], r.values["Employés"]) for r in rows if isinstance(r, Row)
    ] == [(2, "Alpha", 12), (4, "Beta", 40)]


def test_unknown_type_and_missing_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"unsupported file type '\.pdf'"):
        (tmp_path / "a.pdf").write_text("x")
        _rows(tmp_path / "a.pdf")
    with pytest.raises(InputFileError, match="no such file"):
        _rows(tmp_path / "missing.csv")


def test_binary_garbage_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"name,description\n\x81\x8d\x8f\x90\x9d")
    with pytest.raises(InputFileError, match="not UTF-8, UTF-16 or Windows-1252"):
        _rows(path)


def test_odd_headers_keep_every_column(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("id,name,,description,name\n1,Acme,x,CNC,Acme Inc.\n2,Beta,,Welding,\n")
    first, second = _rows(path)
    assert isinstance(first, Row) and isinstance(second, Row)
    assert first.values == {
        "id": "1",
        "name": "Acme",
        "column 3": "x",
        "description": "CNC",
        "name (2)": "Acme Inc.",
    }
    assert [n.message for n in first.notes] == [
        "header cell 3 is empty; its values are kept as 'column 3'",
        "column 5 repeats the header 'name'; it is read as 'name (2)'",
    ]
    assert not second.notes, "the header is reported once"


def test_an_unbalanced_quote_is_reported_not_swallowed_silently(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('id,name,description\n1,Acme,"CNC machining\n2,Beta,Welding\n3,Gamma,Paint\n')
    [row] = _rows(path)
    assert isinstance(row, Row)
    [note] = row.notes
    assert note.column == "description" and "2 line(s) that look like rows" in note.message


def test_excel_sep_line_long_first_row_and_big_cells(tmp_path: Path) -> None:
    path = tmp_path / "sep.csv"
    path.write_text("sep=;\nnom;description\nA;Soudure, pliage\n", encoding="utf-8")
    [row] = _rows(path)
    assert isinstance(row, Row) and row.number == 2
    assert row.values == {"nom": "A", "description": "Soudure, pliage"}
    long_first = tmp_path / "long.csv"
    long_first.write_text(
        "Nom;Description, activités;Ville\n"
        + f"A;{'usinage, ' * 5000};Laval\n"
        + "".join(f"B{i};Soudage, pliage;Laval\n" for i in range(3))
    )
    rows = _rows(long_first)
    assert len(rows) == 4 and all(isinstance(r, Row) and len(r.values) == 3 for r in rows)
    big = tmp_path / "big.csv"
    big.write_text("name,description\nA," + "x" * 200_000 + "\n")
    [row] = _rows(big)
    assert isinstance(row, Row) and len(row.values["description"]) == 200_000


def test_mixed_utf8_and_windows_1252_lines_keep_both_accents(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "name,description\nSociété Générale,Usinage\n".encode()
        + "Ébénisterie Côté,Menuiserie\n".encode("cp1252")
    )
    names = [r.values["name"] for r in _rows(path) if isinstance(r, Row)]
    assert names == ["Société Générale", "Ébénisterie Côté"]


def test_json_rows_take_every_key_and_hostile_json_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text('{"id": "1", "categories": "pumps"}\n{"id": "2", "name": "Beta"}\n')
    first, second = _rows(path)
    assert isinstance(first, Row) and isinstance(second, Row)
    assert first.values == {"id": "1", "categories": "pumps", "name": None}
    assert second.values == {"id": "2", "categories": None, "name": "Beta"}
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputFileError, match="nested too deeply"):
        _rows(deep)
    digits = tmp_path / "digits.jsonl"
    digits.write_text('{"id": ' + "9" * 5000 + '}\n{"id": 1, "name": "A"}\n')
    bad, good = _rows(digits)
    assert isinstance(bad, FileProblem) and bad.row == 1 and "unreadable JSON" in bad.message
    assert isinstance(good, Row)


def test_an_xlsx_that_unpacks_past_the_limits_is_refused_before_reading(tmp_path: Path) -> None:
    import zipfile

    from ngen_connect.errors import TooLargeError
    from ngen_connect.limits import MAX_XLSX_PART_BYTES

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"a" * (MAX_XLSX_PART_BYTES + 1))
    assert path.stat().st_size < 1_000_000
    with pytest.raises(TooLargeError, match="unpacks to"):
        _rows(path)


def test_headers_and_sparse_sheets_cost_what_their_cells_cost(tmp_path: Path) -> None:
    from ngen_connect.errors import TooLargeError
    from ngen_connect.limits import MAX_COLUMNS

    repeated = tmp_path / "repeated.csv"
    repeated.write_text(",".join(["a"] * MAX_COLUMNS) + "\n" + ",".join(["x"] * MAX_COLUMNS) + "\n")
    [row] = _rows(repeated)
    assert isinstance(row, Row) and f"a ({MAX_COLUMNS})" in row.values
    wide = tmp_path / "wide.csv"
    wide.write_text(
        ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1))
        + "\n"
        + ",".join("x" * (MAX_COLUMNS + 1))
        + "\n"
    )
    with pytest.raises(TooLargeError, match="columns"):
        _rows(wide)
    book = Workbook()
    sheet = book.active
    sheet["A1"] = "name"
    sheet["A1048576"] = "Sparse Co"  # the sheet claims a million rows; two hold cells
    sparse = tmp_path / "sparse.xlsx"
    book.save(sparse)
    [row] = _rows(sparse)
    assert isinstance(row, Row) and row.number == 1_048_576 and row.values == {"name": "Sparse Co"}


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _shared_string_bomb(path: Path, rows: int, length: int) -> None:
    """A workbook whose description cells all point to one shared string of `length` characters."""
    strings = f'<sst xmlns="{_MAIN}"><si><t>name</t></si><si><t>description</t></si>'
    strings += f"<si><t>{'Zirconium widgets ' * (length // 18)}</t></si></sst>"
    cells = ['<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>']
    cells += [
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>Co {r}</t></is></c>'
        f'<c r="B{r}" t="s"><v>2</v></c></row>'
        for r in range(2, rows + 2)
    ]
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets><sheet '
        'name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
        f'Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/sharedStrings.xml": strings,
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_MAIN}"><sheetData>'
        + "".join(cells)
        + "</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)


def test_cells_repeating_one_huge_shared_string_are_refused(tmp_path: Path) -> None:
    from ngen_connect.errors import TooLargeError

    path = tmp_path / "bomb.xlsx"
    _shared_string_bomb(path, rows=200, length=1_000_000)
    assert path.stat().st_size < 20_000
    with pytest.raises(TooLargeError, match="more than the workbook's size allows"):
        list(read_rows(path))
    fine = tmp_path / "fine.xlsx"
    _shared_string_bomb(fine, rows=3, length=1_000)
    assert len([r for r in read_rows(fine) if isinstance(r, Row)]) == 3


def test_a_far_away_cell_in_a_wide_sheet_is_one_row(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["name"] + [f"c{i}" for i in range(1, 2000)])
    sheet.cell(row=1_048_576, column=1, value="Far Away Inc.")
    path = tmp_path / "gap.xlsx"
    book.save(path)
    rows = [r for r in read_rows(path) if isinstance(r, Row)]
    assert [(r.number, r.values["name"]) for r in rows] == [(1_048_576, "Far Away Inc.")]
