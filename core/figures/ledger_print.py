"""The ledger's 打印版: the issues of a period as the sheet a community brings to its monthly
meeting, one sheet per month (a quarter is three sheets), printed on A4 landscape at a size
people can read.

Fewer columns than the full export (`core.figures.ledger`, which stays what it is for
filtering and hand-over): 序号, 编号, 街巷, 类别, 内容, 反映日期, 状态, 管家, 办结日期, 办结说明,
超期, 评价 — their widths add up to the width of an A4 landscape page inside its margins at
100 % scale, so Excel never shrinks the 9-point text to fit. Each sheet has a merged, centred
title (单位 and month), the header repeated on every page, 第 N 页 / 共 M 页 in the footer, and
the 制表人 / 审核人 / 日期 lines under the table for signatures.

Written in openpyxl's write-only mode a page of issues at a time, as the full ledger is, so a
busy month costs little memory. Residents' names and phones are not in it (nor in the full one).
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from core import audit
from core.figures import ledger
from core.figures.xlsx_stream import StreamedSheet
from core.items import issues as issue_flow
from infra import text
from infra.timeutil import local_midnight_utc, to_local, utcnow
from models import Area

COLUMNS = [
    ("序号", 5),
    ("编号", 13),
    ("街巷", 10),
    ("类别", 10),
    ("内容", 30),
    ("反映日期", 11),
    ("状态", 7),
    ("管家", 9),
    ("办结日期", 11),
    ("办结说明", 22),
    ("超期", 5),
    ("评价", 5),
]
WRAPPED = {3, 4, 5, 8, 10}  # 1-based: the free-text columns wrap instead of spilling over
FONT_SIZE = 9  # the smallest size a meeting reads on paper
MARGIN_INCHES = 0.4  # left and right; `COLUMNS` fits between them (tests/…::test_fits_a4)
TITLE_ROW, SUBTITLE_ROW, HEADER_ROW = 1, 2, 3
DATE_FORMAT = "yyyy-mm-dd"
FOOTER = "第 &P 页，共 &N 页"

_thin = Side(style="thin", color="808080")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
BODY_FONT = Font(size=FONT_SIZE)
HEADER_FONT = Font(size=FONT_SIZE, bold=True)
TITLE_FONT = Font(size=14, bold=True)
SUBTITLE_FONT = Font(size=10)
SIGN_FONT = Font(size=10)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(vertical="top", wrap_text=True)
TOP = Alignment(vertical="top")


def months(first: date, last: date) -> list[tuple[date, date]]:
    """The calendar months [first, last] touches, each clipped to the period."""
    out = []
    start = first
    while start <= last:
        following = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        out.append((start, min(last, following - timedelta(days=1))))
        start = following
    return out


class _Page(StreamedSheet):
    """One month's sheet, its rows streamed to disk as they are made, and the styles of its
    cells, each combination registered once."""

    def __init__(self, ws):
        super().__init__(ws)
        self.styles: dict[tuple, str] = {}

    def cell(self, value, font=BODY_FONT, alignment=TOP, border=None, number_format=None):
        """A cell as `(value, style)` for `append`: a string is always text (never a formula,
        whatever a resident typed), with Excel's quote prefix when it looks like one."""
        quote = False
        if isinstance(value, str):
            value = text.clean(value)
            quote = value.startswith(ledger.FORMULA_STARTS)
        # Keyed by identity: the styles are this module's constants, alive as long as it is.
        key = (id(font), id(alignment), id(border), number_format, quote)
        style = self.styles.get(key)
        if style is None:
            style = self.styles[key] = self.style(
                font=font,
                alignment=alignment,
                border=border,
                number_format=number_format,
                quote=quote,
            )
        return (value, style)

    def merged_row(self, value, font, alignment=CENTRE) -> None:
        """A row whose first cell spans the table's width."""
        self.append([self.cell(value, font, alignment)])
        self.ws.merged_cells.add(f"A{self.rows}:{get_column_letter(len(COLUMNS))}{self.rows}")


def _new_page(wb: Workbook, area: Area, first: date, last: date) -> _Page:
    ws = wb.create_sheet(f"{first.year}年{first.month}月")
    # Widths and the frozen header go first: a write-only sheet writes them at its top.
    for index, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.scale = 100  # the widths fit; nothing is shrunk below 9 pt
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_margins = PageMargins(
        left=MARGIN_INCHES, right=MARGIN_INCHES, top=0.6, bottom=0.6, header=0.3, footer=0.3
    )
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = FOOTER
    ws.oddFooter.center.size = FONT_SIZE
    ws.evenFooter.center.text = FOOTER
    ws.oddHeader.right.text = f"{area.name} 诉求台账"
    ws.oddHeader.right.size = FONT_SIZE

    page = _Page(ws)
    page.merged_row(f"{area.name}诉求台账（{first.year}年{first.month}月）", TITLE_FONT)
    page.merged_row(
        f"单位：{area.label_path}　　期间：{first:%Y-%m-%d} 至 {last:%Y-%m-%d}", SUBTITLE_FONT
    )
    page.append([page.cell(name, HEADER_FONT, CENTRE, BORDER) for name, _ in COLUMNS])
    return page


def _issue_row(page: _Page, n: int, i, names: dict, end: datetime) -> None:
    """One issue (a row of `ledger.issue_pages`) as a row of the sheet."""
    closed = i.resolved_at or (i.closed_at if i.close_reason == "merged" else None)
    late = (closed or end) > i.deadline and i.status != "cancelled"
    values = [
        n,
        i.number,
        i.alley_name,
        i.category,
        i.content if i.visibility != "hidden" else "（内容不公开）",
        to_local(i.created_at).date(),
        issue_flow.STATUS_LABELS.get(i.status, i.status),
        "、".join(names.get(i.id, [])),
        to_local(i.resolved_at).date() if i.resolved_at else None,
        i.resolution_note or "",
        "是" if late else "否",
        i.rating,
    ]
    cells = []
    for column, value in enumerate(values, start=1):
        fmt = DATE_FORMAT if isinstance(value, date) else None
        alignment = WRAP if column in WRAPPED else TOP
        cells.append(page.cell(value, BODY_FONT, alignment, BORDER, fmt))
    page.append(cells)


def _signatures(page: _Page, preparer: str, made: date) -> None:
    """制表人 / 审核人 / 日期 under the table, each over a third of its width."""
    page.append([])
    thirds = [(1, 4), (5, 8), (9, len(COLUMNS))]
    words = [f"制表人：{preparer}", "审核人：____________", f"日期：{made:%Y年%m月%d日}"]
    row = []
    for (start, stop), word in zip(thirds, words, strict=True):
        row.append(page.cell(word, SIGN_FONT))
        row.extend([None] * (stop - start))
    page.append(row)
    for start, stop in thirds:
        page.ws.merged_cells.add(
            f"{get_column_letter(start)}{page.rows}:{get_column_letter(stop)}{page.rows}"
        )


def workbook(area: Area, first: date, last: date, preparer: str) -> tuple[bytes, dict]:
    """The .xlsx bytes and how many issues each month's sheet holds."""
    wb = Workbook(write_only=True)
    made = to_local(utcnow()).date()
    counts: dict[str, int] = {}
    for month_first, month_last in months(first, last):
        start = local_midnight_utc(month_first)
        end = local_midnight_utc(month_last + timedelta(days=1))
        page = _new_page(wb, area, month_first, month_last)
        n = 0
        for rows in ledger.issue_pages(area, start, end):
            names, _, _ = ledger.issue_details(rows)
            for issue in rows:
                n += 1
                _issue_row(page, n, issue, names, end)
        if n == 0:
            page.merged_row("本月没有诉求。", BODY_FONT, TOP)
        _signatures(page, preparer, made)
        counts[f"{month_first:%Y-%m}"] = n
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), counts


def export(area: Area, first: date, last: date, actor, preparer: str) -> tuple[bytes, str]:
    """The 打印版 as handed to a person, and its file name; audited as the full ledger is."""
    data, counts = workbook(area, first, last, preparer)
    audit.record(
        "ledger.export",
        "area",
        area.id,
        actor=actor,
        area=area,
        data={"from": first.isoformat(), "to": last.isoformat(), "version": "print", **counts},
    )
    return data, f"台账打印版-{area.name}-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"
