"""The ledger (台账) of an area and period as a spreadsheet: the record communities review
monthly and hand over. Sheets: 汇总 (the period's figures), 诉求台账 (every issue reported
in the period with its whole trail), 微心愿台账, 巡查记录.

Made to be printed and filtered by a secretary: each sheet opens with a title row (单位, 期间,
导出时间) above its header; dates are real Excel dates and counts and rates real numbers (so
they sort and sum); long text wraps; the header has an autofilter and repeats on every printed
page, landscape, fitted to the page width.

管家 lists the stewards an item was assigned to; 接单管家 / 办结管家 / 实现管家 name the one
who did the work (`core.items.credit`), and the summary's per-steward figures credit them.

12345 hotline tickets (上级转办件) are marked in 件别, with their ticket number, the hotline's
deadline and 按时办结; 汇总 gives their 按时办结率 apart (`core.figures.hotline`).

Residents' phone numbers and names are left out: the ledger circulates on office PCs and USB
sticks; who reported what stays in the system.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core import audit
from core.figures import hotline, stats
from core.figures.xlsx_stream import StreamedSheet
from core.items import issues as issue_flow
from core.items import on_behalf, outcomes
from core.items import wishes as wish_flow
from infra import text
from infra.timeutil import local_midnight_utc, to_local, utcnow
from models import Area, Department, Issue, IssueAssignee, IssueIntake, Patrol, Steward, Wish

HEADER_FILL = PatternFill("solid", fgColor="C42B1C")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=13)
HEADER_ROW = 2  # row 1 is the title
DATE_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
TOP = Alignment(vertical="top")
# Columns of free text: wrapped, so a long report reads on screen and on paper.
WRAPPED = {"内容", "办结说明", "评价内容", "心愿", "实现说明", "记录", "管家"}
ISSUE_COLUMNS = [
    ("编号", 14),
    ("街巷", 12),
    ("类别", 14),
    ("内容", 40),
    ("反映时间", 17),
    ("来源", 8),
    ("紧急程度", 8),
    ("办理期限", 17),
    ("状态", 10),
    ("管家", 14),
    ("接单管家", 10),
    ("办结管家", 10),
    ("接单时间", 17),
    ("办结时间", 17),
    ("办结方式", 10),
    ("办结结果", 14),  # core.items.outcomes: 已答复（政策解释）, 与 #12 重复，已合并 …
    ("办结说明", 30),
    ("吹哨部门", 14),
    ("是否超期", 8),
    ("重开次数", 8),
    ("评价", 6),
    ("评价内容", 20),
    ("完结方式", 10),
    # 上级转办件 (12345 hotline tickets, core.figures.hotline): their number, the hotline's
    # deadline and whether they were closed by it; 件别 says which rows they are, to filter on.
    ("件别", 11),
    ("工单号", 14),
    ("转办期限", 17),
    ("按时办结", 8),
]
SOURCE_LABELS = {
    "resident": "小程序",
    "web": "扫码网页",
    "steward": "管家随手做",
    **on_behalf.SOURCE_LABELS,  # registered by staff on behalf of a resident
}
LOCAL_LABEL = "社区受理"
CLOSE_LABELS = {
    "rated": "已评价",
    "unrated": "未评价",
    "on_the_spot": "现场解决",
    "cancelled": "撤销",
    "merged": "合并为重复",
}


def _when(dt: datetime | None) -> datetime | None:
    """A stored (UTC) time as the local wall-clock time Excel shows: a real date cell."""
    return to_local(dt).replace(tzinfo=None) if dt else None


def default_period(today: date) -> tuple[date, date]:
    """The period a ledger is asked for without one: last month during the first five days of
    a month (the monthly review is of the month just closed), otherwise this month so far."""
    if today.day <= 5:
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    return today.replace(day=1), today


# A cell Excel (or LibreOffice) would read as a formula when it starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


class _Sheet(StreamedSheet):
    """A write-only sheet (its rows streamed to disk as they are made, so a month of 50,000
    issues costs little memory) and the cell styles used so far, each looked up once."""

    def __init__(self, ws, columns: list[tuple[str, int]]):
        super().__init__(ws)
        self.columns = columns
        self.styles: dict[tuple, str] = {}

    def body_style(self, wrap: bool, number_format: str | None, quote: bool) -> str:
        """A data cell's style: the few combinations a ledger uses, each registered once."""
        key = (wrap, number_format, quote)
        found = self.styles.get(key)
        if found is None:
            found = self.styles[key] = self.style(
                alignment=WRAP if wrap else TOP, number_format=number_format, quote=quote
            )
        return found


def _row(
    sheet: _Sheet, values: list, wrapped: set[int] = frozenset(), percent: set[int] = frozenset()
) -> None:
    """One row, every string written as text: control characters dropped (openpyxl refuses
    them, and rows stored before the API cleaned them still exist) and never a formula —
    a resident's `=HYPERLINK(...)` stays the words they typed. Text that looks like a
    formula also gets Excel's quote prefix, so editing the cell keeps it text. Dates get a
    date format; columns in `wrapped` (1-based) wrap, numbers in `percent` show as rates."""
    cells = []
    style = sheet.styles.get
    for column, value in enumerate(values, start=1):
        if value == "" or value is None:
            cells.append(None)  # nothing to show: no cell at all (a third of a busy month's)
            continue
        number_format, quote = None, False
        if isinstance(value, str):
            value = text.clean(value)
            quote = value.startswith(FORMULA_STARTS)
        elif isinstance(value, datetime):
            number_format = DATE_FORMAT
        elif column in percent and isinstance(value, float):
            number_format = PERCENT_FORMAT
        key = (column in wrapped, number_format, quote)
        cells.append((value, style(key) or sheet.body_style(*key)))
    sheet.append(cells)


def _steward_names(ids: set) -> dict[int, str]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {
        s.id: s.name for s in Steward.select(Steward.id, Steward.name).where(Steward.id.in_(ids))
    }


def _stream_sheet(wb: Workbook, title: str, columns: list[tuple[str, int]], heading: str) -> _Sheet:
    """A sheet with its title row, its header (frozen, repeated on every printed page) and
    print settings; the caller appends the rows and then calls `_finish`. Widths and the
    frozen pane go before the first row: a write-only sheet writes them at its top."""
    ws = wb.create_sheet(title)
    for index, (_, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    sheet = _Sheet(ws, columns)
    sheet.append([(text.clean(heading), sheet.style(font=TITLE_FONT))])
    header = sheet.style(font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGNMENT)
    sheet.append([(name, header) for name, _ in columns])
    return sheet


def _stream_finish(sheet: _Sheet) -> None:
    """Autofilter over the header and every row written."""
    last = get_column_letter(len(sheet.columns))
    sheet.ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{max(sheet.rows, HEADER_ROW)}"


# --- the helpers the other spreadsheets (bulletin, assessment) build ordinary sheets with -----


def _append(ws, values: list, wrapped: set[int] = frozenset()) -> None:
    """One row, every string written as text: control characters dropped (openpyxl refuses
    them, and rows stored before the API cleaned them still exist) and never a formula —
    a resident's `=HYPERLINK(...)` stays the words they typed. Text that looks like a
    formula also gets Excel's quote prefix, so editing the cell keeps it text. Dates get a
    date format; columns in `wrapped` (1-based) wrap."""
    ws.append([text.clean(v) if isinstance(v, str) else v for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if cell.value.startswith(FORMULA_STARTS):
                cell.quotePrefix = True
        elif isinstance(cell.value, datetime):
            cell.number_format = DATE_FORMAT
        cell.alignment = WRAP if cell.column in wrapped else TOP


def _sheet(wb: Workbook, title: str, columns: list[tuple[str, int]], heading: str, first=False):
    """A sheet with its title row, its header (frozen, repeated on every printed page) and
    print settings; the caller appends the rows and then calls `_finish`."""
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append([heading])
    ws.cell(row=1, column=1).font = TITLE_FONT
    ws.append([name for name, _ in columns])
    for index, (_, width) in enumerate(columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=index)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = HEADER_ALIGNMENT
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def _finish(ws, columns: list[tuple[str, int]]) -> None:
    """Autofilter over the header and every row written."""
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{max(ws.max_row, HEADER_ROW)}"


# --- the ledger's own sheets, streamed -------------------------------------------------------


def _wrapped(columns: list[tuple[str, int]]) -> set[int]:
    return {i for i, (name, _) in enumerate(columns, start=1) if name in WRAPPED}


def _heading(area: Area, first: date, last: date, title: str) -> str:
    exported = f"{to_local(utcnow()):%Y-%m-%d %H:%M}"
    return (
        f"{title}　单位：{area.label_path}　期间：{first:%Y-%m-%d} 至 {last:%Y-%m-%d}"
        f"　导出时间：{exported}"
    )


def _summary(wb: Workbook, area: Area, first: date, last: date) -> None:
    figures = stats.period_stats(area, first, last)
    columns = [("项目", 22), ("数值", 16), ("", 10), ("", 10), ("", 10)]
    ws = _stream_sheet(wb, "汇总", columns, _heading(area, first, last, "台账汇总"))
    c = figures["counts"]

    def pct(value):
        # a rate is a number Excel shows as a percentage; no rate at all is a dash
        return "—" if value is None else value

    rows = [
        ("区域", area.label_path),
        ("期间", f"{first:%Y-%m-%d} 至 {last:%Y-%m-%d}"),
        ("新增诉求", c["new"]),
        ("接单", c["accepted"]),
        ("办结", c["resolved"]),
        ("期末在办", c["open"]),
        ("期末超期", c["overdue"]),
        ("响应率", pct(c["response_rate"])),
        ("解决率", pct(c["resolution_rate"])),
        ("满意率", pct(c["satisfaction_rate"])),
        ("整改率（累计）", pct(figures["rectification_rate"])),
        ("上级转办件（12345）", figures["hotline"]["tickets"]),
        ("上级转办件 办结", figures["hotline"]["closed"]),
        ("上级转办件 按时办结", figures["hotline"]["on_time"]),
        ("按时办结率（上级转办件）", pct(figures["hotline"]["on_time_rate"])),
        ("微心愿 新增", figures["wishes"]["new"]),
        ("微心愿 认领", figures["wishes"]["claimed"]),
        ("微心愿 实现", figures["wishes"]["fulfilled"]),
    ]
    for row in rows:
        _row(ws, list(row), percent={2})
    _row(ws, [])
    _row(ws, ["类别", "新增", "办结", "解决率"])
    for cat in figures["by_category"]:
        values = [cat["category"], cat["new"], cat["resolved"], pct(cat["resolution_rate"])]
        _row(ws, values, percent={4})
    _row(ws, [])
    _row(ws, ["管家", "接单", "办结", "超期", "巡查天数"])
    for s in figures["by_steward"]:
        _row(ws, [s["name"], s["accepted"], s["resolved"], s["overdue"], s["patrol_days"]])


def _issues(wb: Workbook, area: Area, start: datetime, end: datetime, heading: str) -> int:
    ws = _stream_sheet(wb, "诉求台账", ISSUE_COLUMNS, heading)
    wrapped = _wrapped(ISSUE_COLUMNS)
    departments = {d.id: d.name for d in Department.select(Department.id, Department.name)}
    written = 0
    for rows in issue_pages(area, start, end):
        written += len(rows)
        _issue_rows(ws, wrapped, rows, departments, end)
    _stream_finish(ws)
    return written


PAGE = 2_000  # issues read at a time: memory stays flat however long the month

# The columns the ledger and its 打印版 show, read as plain rows (no model instances, and none
# of the issue's other columns: its photos' JSON, location, phone …), named as on `Issue`.
LEDGER_COLUMNS = (
    Issue.id,
    Issue.number,
    Area.name.alias("alley_name"),
    Issue.category,
    Issue.content,
    Issue.visibility,
    Issue.created_at,
    Issue.source,
    Issue.priority,
    Issue.deadline,
    Issue.status,
    Issue.accepted_by.alias("accepted_by_id"),
    Issue.resolved_by.alias("resolved_by_id"),
    Issue.accepted_at,
    Issue.resolved_at,
    Issue.resolution_level,
    Issue.outcome,
    Issue.duplicate_of.alias("duplicate_of_id"),
    Issue.resolution_note,
    Issue.department.alias("department_id"),
    Issue.reopen_count,
    Issue.rating,
    Issue.rating_text,
    Issue.close_reason,
    Issue.closed_at,
)


def issue_pages(area: Area, start: datetime, end: datetime):
    """The issues reported in [start, end) under `area`, in the order reported, a page at a
    time (keyset on (created_at, id): each page one indexed query, never an OFFSET scan), as
    named tuples of `LEDGER_COLUMNS` (`alley_name` their alley's)."""
    base = (
        Issue.select(*LEDGER_COLUMNS)
        .join(Area, on=(Issue.alley == Area.id))
        .where(Issue.alley.in_(Area.alley_ids_under(area)) & (Issue.created_at < end))
        .order_by(Issue.created_at, Issue.id)
        .limit(PAGE)
    )
    after: tuple[datetime, int] | None = None
    while True:
        if after is None:
            query = base.where(Issue.created_at >= start)
        else:
            query = base.where(
                (Issue.created_at > after[0])
                | ((Issue.created_at == after[0]) & (Issue.id > after[1]))
            )
        rows = list(query.namedtuples())
        if not rows:
            return
        yield rows
        if len(rows) < PAGE:
            return
        after = (rows[-1].created_at, rows[-1].id)


def issue_details(rows: list) -> tuple[dict, dict, dict]:
    """For a page of issues: assigned stewards' names by issue, the names of the stewards
    credited (接单 / 办结) by id, and the 12345 intake rows by issue."""
    ids = [i.id for i in rows]
    names: dict[int, list[str]] = {}
    for start_at in range(0, len(ids), 500):
        chunk = ids[start_at : start_at + 500]
        for link in (
            IssueAssignee.select(IssueAssignee.issue, Steward.name)
            .join(Steward)
            .where(IssueAssignee.issue.in_(chunk))
            .order_by(IssueAssignee.id)
        ):
            names.setdefault(link.issue_id, []).append(link.steward.name)
    credited = _steward_names(
        {i.accepted_by_id for i in rows} | {i.resolved_by_id for i in rows} - {None}
    )
    intakes = _intakes([i.id for i in rows if i.source == on_behalf.HOTLINE])
    return names, credited, intakes


def _issue_rows(ws: _Sheet, wrapped, rows: list, departments: dict, end: datetime) -> None:
    names, credited, intakes = issue_details(rows)
    for i in rows:
        intake = intakes.get(i.id)
        on_time = hotline.closed_on_time(i, intake, end) if intake else None
        closed = i.resolved_at or (i.closed_at if i.close_reason == "merged" else None)
        late = (closed or end) > i.deadline and i.status != "cancelled"
        _row(
            ws,
            [
                i.number,
                i.alley_name,
                i.category,
                i.content if i.visibility != "hidden" else "（内容不公开）",
                _when(i.created_at),
                SOURCE_LABELS.get(i.source, i.source),
                issue_flow.PRIORITY_LABELS.get(i.priority, i.priority),
                _when(i.deadline),
                issue_flow.STATUS_LABELS.get(i.status, i.status),
                "、".join(names.get(i.id, [])),
                credited.get(i.accepted_by_id, ""),
                credited.get(i.resolved_by_id, ""),
                _when(i.accepted_at),
                _when(i.resolved_at),
                i.resolution_level or "",
                outcomes.NAMES.get(i.outcome, "")
                if i.outcome != outcomes.DUPLICATE
                else outcomes.plain_words(i.outcome, None, i.duplicate_of_id),
                i.resolution_note or "",
                departments.get(i.department_id, ""),
                "是" if late else "否",
                i.reopen_count,
                i.rating,
                i.rating_text or "",
                CLOSE_LABELS.get(i.close_reason or "", ""),
                on_behalf.SUPERIOR_LABEL if intake else LOCAL_LABEL,
                (intake.ticket_no or "") if intake else "",
                _when(intake.ticket_deadline) if intake else None,
                "" if on_time is None else "是" if on_time else "否",
            ],
            wrapped,
        )


def _intakes(ids: list[int]) -> dict[int, IssueIntake]:
    """The intake rows (12345 ticket number, hotline deadline) of these issues, by issue id."""
    out: dict[int, IssueIntake] = {}
    for start_at in range(0, len(ids), 500):
        chunk = ids[start_at : start_at + 500]
        for row in IssueIntake.select().where(IssueIntake.issue.in_(chunk)):
            out[row.issue_id] = row
    return out


def _wishes(wb: Workbook, area: Area, start: datetime, end: datetime, heading: str) -> int:
    columns = [
        ("编号", 14),
        ("街巷", 12),
        ("对象", 14),
        ("称呼", 10),
        ("心愿", 24),
        ("内容", 36),
        ("提交时间", 17),
        ("状态", 8),
        ("认领身份", 10),
        ("认领时间", 17),
        ("实现时间", 17),
        ("实现管家", 10),
        ("实现说明", 30),
        ("评价", 6),
    ]
    ws = _stream_sheet(wb, "微心愿台账", columns, heading)
    wrapped = _wrapped(columns)
    rows = list(
        Wish.select(Wish, Area)
        .join(Area, on=(Wish.alley == Area.id))
        .where(Wish.alley.in_(Area.alley_ids_under(area)) & (Wish.created_at >= start))
        .where(Wish.created_at < end)
        .order_by(Wish.created_at, Wish.id)
    )
    credited = _steward_names({w.fulfilled_by_id for w in rows} - {None})
    for w in rows:
        _row(
            ws,
            [
                w.number,
                w.alley.name,
                wish_flow.BENEFICIARY_TYPES.get(w.beneficiary_type, w.beneficiary_type),
                w.display_name,
                w.title,
                w.content,
                _when(w.created_at),
                wish_flow.STATUS_LABELS.get(w.status, w.status),
                wish_flow.CLAIMER_ROLES.get(w.claimer_role or "", ""),
                _when(w.claimed_at),
                _when(w.fulfilled_at),
                credited.get(w.fulfilled_by_id, ""),
                w.fulfil_note or "",
                w.rating,
            ],
            wrapped,
        )
    _stream_finish(ws)
    return len(rows)


def _patrols(wb: Workbook, area: Area, start: datetime, end: datetime, heading: str) -> int:
    columns = [("时间", 17), ("管家", 12), ("街巷", 12), ("记录", 50)]
    ws = _stream_sheet(wb, "巡查记录", columns, heading)
    rows = list(
        Patrol.select(Patrol, Steward, Area)
        .join_from(Patrol, Steward)
        .join_from(Patrol, Area)
        .where(Patrol.alley.in_(Area.alley_ids_under(area)) & (Patrol.created_at >= start))
        .where(Patrol.created_at < end)
        .order_by(Patrol.created_at, Patrol.id)
    )
    for p in rows:
        _row(ws, [_when(p.created_at), p.steward.name, p.alley.name, p.note], {4})
    _stream_finish(ws)
    return len(rows)


def workbook(area: Area, first: date, last: date) -> tuple[bytes, dict]:
    """The .xlsx bytes and how many rows each sheet holds."""
    start = local_midnight_utc(first)
    end = local_midnight_utc(last + timedelta(days=1))
    wb = Workbook(write_only=True)
    _summary(wb, area, first, last)
    counts = {
        "issues": _issues(wb, area, start, end, _heading(area, first, last, "诉求台账")),
        "wishes": _wishes(wb, area, start, end, _heading(area, first, last, "微心愿台账")),
        "patrols": _patrols(wb, area, start, end, _heading(area, first, last, "巡查记录")),
    }
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), counts


def export(area: Area, first: date, last: date, actor) -> tuple[bytes, str]:
    """The ledger as handed to a person: the .xlsx bytes and its file name, the export written
    to the audit trail (who took which area's ledger for which period). The API and the console
    both export through here."""
    data, counts = workbook(area, first, last)
    audit.record(
        "ledger.export",
        "area",
        area.id,
        actor=actor,
        area=area,
        data={"from": first.isoformat(), "to": last.isoformat(), **counts},
    )
    return data, f"台账-{area.name}-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"
