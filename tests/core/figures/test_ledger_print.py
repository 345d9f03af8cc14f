"""The ledger's 打印版: one sheet per month of a quarter, A4 landscape at 100 % with 9-point
text whose columns fit the page, a merged centred title, page numbers in the footer and the
制表人 / 审核人 / 日期 lines — read back from the file itself (no office suite here)."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from core.figures import ledger_print
from models import Issue
from tests.core.figures.test_reports import at
from tests.factories import login, make_district

API = "/api/v1"
A4_LANDSCAPE_INCHES = 297 / 25.4
PIXELS_PER_INCH = 96
DIGIT_PIXELS = 7  # Calibri 11, the workbook's default font: Excel's unit of column width


def _report(client, d, month, day, content):
    with at(month, day, 10):
        res = client.post(
            f"{API}/issues",
            json={"alley_id": d.alleys[0].id, "category": "环境卫生", "content": content},
            headers=login(client, "辛"),
        )
        assert res.status_code == 201, res.get_json()


def _quarter(client):
    d = make_district()
    _report(client, d, 10, 8, "十月：垃圾堆在巷口" * 12)
    _report(client, d, 12, 2, "十二月：路灯不亮")
    _report(client, d, 12, 3, '=HYPERLINK("x")')
    with at(12, 7, 9):
        data, counts = ledger_print.workbook(
            d.communities[0], date(2026, 10, 1), date(2026, 12, 31), "周强"
        )
    return d, load_workbook(io.BytesIO(data)), counts


def test_a_quarter_is_one_sheet_per_month(client):
    _, wb, counts = _quarter(client)
    assert wb.sheetnames == ["2026年10月", "2026年11月", "2026年12月"]
    assert counts == {"2026-10": 1, "2026-11": 0, "2026-12": 2}
    october, november, december = (wb[name] for name in wb.sheetnames)
    assert october.cell(1, 1).value == "第1社区诉求台账（2026年10月）"
    assert "期间：2026-10-01 至 2026-10-31" in october.cell(2, 1).value
    header = [c.value for c in october[3]]
    assert header == [name for name, _ in ledger_print.COLUMNS]
    row = {name: october.cell(4, i + 1).value for i, name in enumerate(header)}
    assert row["序号"] == 1 and row["编号"] == Issue.get().number
    assert row["内容"].startswith("十月：垃圾堆在巷口")  # never cut
    assert row["反映日期"].date() == date(2026, 10, 8)
    assert november.cell(4, 1).value == "本月没有诉求。"
    assert [december.cell(r, 1).value for r in (4, 5)] == [1, 2]
    assert december.cell(5, 5).value == '=HYPERLINK("x")' and december.cell(5, 5).data_type == "s"


def test_fits_a4_landscape_at_nine_points(client):
    _, wb, _ = _quarter(client)
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape" and int(setup.paperSize) == 9  # A4
        assert setup.scale == 100 and not ws.sheet_properties.pageSetUpPr.fitToPage
        # every column inside the printable width, so nothing is shrunk to fit
        pixels = sum(DIGIT_PIXELS * ws.column_dimensions[c.column_letter].width + 5 for c in ws[3])
        margins = ws.page_margins.left + ws.page_margins.right
        assert pixels <= (A4_LANDSCAPE_INCHES - margins) * PIXELS_PER_INCH
        sizes = {c.font.sz for row in ws.iter_rows(min_row=3) for c in row if c.value is not None}
        assert sizes and min(sizes) >= 9
        assert ws.print_title_rows == "$3:$3"  # the header on every page


def test_title_merged_centred_page_numbers_and_signature_lines(client):
    _, wb, _ = _quarter(client)
    for ws in wb.worksheets:
        merged = {str(r) for r in ws.merged_cells.ranges}
        assert {"A1:L1", "A2:L2"} <= merged
        assert ws.cell(1, 1).alignment.horizontal == "center" and ws.cell(1, 1).font.sz >= 14
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        last = [c.value for c in ws[ws.max_row]]
        assert last[0] == "制表人：周强" and last[4].startswith("审核人：")
        assert last[8] == "日期：2026年12月07日"
        assert f"A{ws.max_row}:D{ws.max_row}" in merged


def test_months_of_a_period():
    assert ledger_print.months(date(2026, 11, 15), date(2027, 1, 3)) == [
        (date(2026, 11, 15), date(2026, 11, 30)),
        (date(2026, 12, 1), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 3)),
    ]
