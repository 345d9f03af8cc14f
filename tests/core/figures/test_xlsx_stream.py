"""The rows of the ledger's sheets written as XML text (`core.figures.xlsx_stream`): the same
sheet as openpyxl's own write-only `append` writes for the same cells, and read back by
openpyxl with every value, type and style in place."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from xml.etree.ElementTree import canonicalize

import time_machine
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side

from core.figures.xlsx_stream import CHUNK, StreamedSheet

BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
BOX = Border(left=Side(style="thin"), bottom=Side(style="thin"))
# (value, font, alignment, border, number format) of each cell of a row; None: no cell
ROWS = [
    [("台账", BOLD, None, None, None)],
    [],
    [
        ("  前后有空格 ", None, WRAP, None, None),
        ("a < b & c > d\n第二行", None, WRAP, None, None),
        (42, None, None, BOX, None),
        (0.1234, None, None, None, "0.0%"),
        (True, None, None, None, None),
        (datetime(2026, 12, 7, 9, 30), None, None, None, "yyyy-mm-dd hh:mm"),
        (date(2026, 12, 7), None, None, BOX, "yyyy-mm-dd"),
        (None, None, None, BOX, None),  # an empty cell that keeps its border
        ("", None, None, BOX, None),
        None,  # no cell at all
        ("=HYPERLINK(1)", None, None, None, None),
        (12.5, None, None, None, None),
    ],
]


def _openpyxl_append(ws, row) -> None:
    cells = []
    for item in row:
        if item is None:
            cells.append(None)
            continue
        value, font, alignment, border, number_format = item
        cell = WriteOnlyCell(ws)
        if font:
            cell.font = font
        if alignment:
            cell.alignment = alignment
        if border:
            cell.border = border
        if number_format:  # before the value: a date given no format is given openpyxl's
            cell.number_format = number_format
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # text, never a formula (as the ledger always wrote)
        cells.append(cell)
    ws.append(cells)


def _streamed_append(sheet: StreamedSheet, row) -> None:
    cells = []
    for item in row:
        if item is None:
            cells.append(None)
            continue
        value, font, alignment, border, number_format = item
        style = sheet.style(font, None, alignment, border, number_format)
        cells.append((value, style))
    sheet.append(cells)


def _xlsx(streamed: bool, rows=ROWS, merge: bool = True) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("表")
    ws.column_dimensions["A"].width = 30  # written at the sheet's top, before the rows
    if streamed:
        sheet = StreamedSheet(ws)
        for row in rows:
            _streamed_append(sheet, row)
        assert sheet.rows == len(rows)
    else:
        for row in rows:
            _openpyxl_append(ws, row)
    if merge:
        ws.merged_cells.add("A1:C1")  # written at the sheet's tail, after the rows
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _parts(data: bytes) -> dict[str, str]:
    # Canonical XML (C14N): `<c …/>` here is `<c …></c>` from openpyxl, the same XML.
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: canonicalize(z.read(name).decode()) for name in z.namelist()}


def test_the_same_package_as_openpyxls_own_append():
    # every part: the sheet (cells, types, style numbers, widths, merged cells) and styles.xml;
    # the clock stands still, or the two packages' docProps/core.xml could be stamped a
    # second apart
    with time_machine.travel(datetime(2026, 12, 7, 3, 0, tzinfo=UTC), tick=False):
        assert _parts(_xlsx(streamed=True)) == _parts(_xlsx(streamed=False))


def test_read_back_with_values_types_and_styles():
    ws = load_workbook(io.BytesIO(_xlsx(streamed=True)))["表"]
    assert ws["A1"].value == "台账" and ws["A1"].font.b
    assert ws.max_row == 3 and ws["A2"].value is None
    assert ws["A3"].value == "  前后有空格 "  # xml:space="preserve": the spaces stay
    assert ws["B3"].value == "a < b & c > d\n第二行" and ws["B3"].alignment.wrap_text
    assert ws["C3"].value == 42 and ws["C3"].border.left.style == "thin"
    assert ws["D3"].value == 0.1234 and ws["D3"].number_format == "0.0%"
    assert ws["E3"].value is True
    assert ws["F3"].value == datetime(2026, 12, 7, 9, 30)
    assert ws["F3"].number_format == "yyyy-mm-dd hh:mm"
    assert ws["G3"].value == datetime(2026, 12, 7) and ws["G3"].number_format == "yyyy-mm-dd"
    assert ws["H3"].value is None and ws["H3"].border.bottom.style == "thin"
    assert ws["I3"].border.left.style == "thin" and ws["J3"].border.left.style is None
    assert ws["K3"].value == "=HYPERLINK(1)" and ws["K3"].data_type == "s"
    assert ws["L3"].value == 12.5
    assert ws.column_dimensions["A"].width == 30 and "A1:C1" in ws.merged_cells


def test_rows_over_many_chunks_all_written_in_order():
    count = 2 * CHUNK + 7  # two full chunks and the rest written when the workbook is saved
    rows = [
        [(n, None, None, None, None), (f"第{n}行", None, None, None, None)]
        for n in range(1, count + 1)
    ]
    ws = load_workbook(io.BytesIO(_xlsx(streamed=True, rows=rows, merge=False)))["表"]
    assert ws.max_row == len(rows)
    assert list(ws.iter_rows(values_only=True)) == [(n, f"第{n}行") for n in range(1, count + 1)]
