import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from ngen_connect.errors import InputFileError, RowError
from ngen_connect.readers import Row, detect_encoding, read_rows

TEXT = "id,nom,capacités\n1,Usinage Lévesque ltée,Découpe et pliage de tôle\n"


def _rows(path: Path) -> list[Row | RowError]:
    return list(read_rows(path))


@pytest.mark.parametrize(
    ("encoding", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")]
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


def test_ragged_csv_row_is_reported_and_others_kept(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("name,description\nA,one\nB,two,extra\nC,three\n", encoding="utf-8")
    rows = _rows(path)
    assert [r.number for r in rows if isinstance(r, Row)] == [2, 4]
    [error] = [r for r in rows if isinstance(r, RowError)]
    assert error.row == 3 and "3 fields" in error.message


def test_jsonl_bad_line_names_line_and_character(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(
        '{"name": "A", "description": "x"}\n{"name": "B", "description": }\n', encoding="utf-8"
    )
    good, bad = _rows(path)
    assert isinstance(good, Row) and isinstance(bad, RowError)
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
    assert isinstance(good, Row) and isinstance(bad, RowError) and bad.row == 2


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
    with pytest.raises(InputFileError, match="neither UTF-8 nor Windows-1252"):
        _rows(path)
