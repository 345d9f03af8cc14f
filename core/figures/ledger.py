"""The ledger (台账) of an area and period as a spreadsheet: the record communities review
monthly and hand over. Sheets: 汇总 (the period's figures), 诉求台账 (every issue reported
in the period with its whole trail), 微心愿台账, 巡查记录.

管家 lists the stewards an item was assigned to; 接单管家 / 办结管家 / 实现管家 name the one
who did the work (`core.items.credit`), and the summary's per-steward figures credit them.

Residents' phone numbers and names are left out: the ledger circulates on office PCs and USB
sticks; who reported what stays in the system.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core import text
from core.figures import stats
from core.items import issues as issue_flow
from core.items import wishes as wish_flow
from core.timeutil import local_midnight_utc, to_local
from models import Area, Department, Issue, IssueAssignee, Patrol, Steward, Wish

HEADER_FILL = PatternFill("solid", fgColor="C42B1C")
HEADER_FONT = Font(bold=True, color="FFFFFF")
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
    ("办结说明", 30),
    ("吹哨部门", 14),
    ("是否超期", 8),
    ("重开次数", 8),
    ("评价", 6),
    ("评价内容", 20),
    ("完结方式", 10),
]
SOURCE_LABELS = {"resident": "小程序", "web": "扫码网页", "steward": "管家随手做"}
CLOSE_LABELS = {
    "rated": "已评价",
    "unrated": "未评价",
    "on_the_spot": "现场解决",
    "cancelled": "撤销",
}


def _when(dt: datetime | None) -> str:
    return f"{to_local(dt):%Y-%m-%d %H:%M}" if dt else ""


# A cell Excel (or LibreOffice) would read as a formula when it starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _append(ws, values: list) -> None:
    """One row, every string written as text: control characters dropped (openpyxl refuses
    them, and rows stored before the API cleaned them still exist) and never a formula —
    a resident's `=HYPERLINK(...)` stays the words they typed. Text that looks like a
    formula also gets Excel's quote prefix, so editing the cell keeps it text."""
    ws.append([text.clean(v) if isinstance(v, str) else v for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if cell.value.startswith(FORMULA_STARTS):
                cell.quotePrefix = True


def _steward_names(ids: set) -> dict[int, str]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {
        s.id: s.name for s in Steward.select(Steward.id, Steward.name).where(Steward.id.in_(ids))
    }


def _sheet(wb: Workbook, title: str, columns: list[tuple[str, int]], first: bool = False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append([name for name, _ in columns])
    for index, (_, width) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=index)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    return ws


def _summary(wb: Workbook, area: Area, first: date, last: date) -> None:
    figures = stats.period_stats(area, first, last)
    ws = _sheet(wb, "汇总", [("项目", 22), ("数值", 16)], first=True)
    c = figures["counts"]

    def pct(value):
        return "—" if value is None else f"{value:.1%}"

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
        ("微心愿 新增/认领/实现", "{new}/{claimed}/{fulfilled}".format(**figures["wishes"])),
    ]
    for row in rows:
        _append(ws, list(row))
    ws.append([])
    _append(ws, ["类别", "新增", "办结", "解决率"])
    for cat in figures["by_category"]:
        _append(ws, [cat["category"], cat["new"], cat["resolved"], pct(cat["resolution_rate"])])
    ws.append([])
    _append(ws, ["管家", "接单", "办结", "超期", "巡查天数"])
    for s in figures["by_steward"]:
        _append(ws, [s["name"], s["accepted"], s["resolved"], s["overdue"], s["patrol_days"]])


def _issues(wb: Workbook, area: Area, start: datetime, end: datetime) -> int:
    ws = _sheet(wb, "诉求台账", ISSUE_COLUMNS)
    rows = list(
        Issue.select(Issue, Area)
        .join(Area, on=(Issue.alley == Area.id))
        .where(Issue.alley.in_(Area.alley_ids_under(area)) & (Issue.created_at >= start))
        .where(Issue.created_at < end)
        .order_by(Issue.created_at, Issue.id)
    )
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
    departments = {d.id: d.name for d in Department.select(Department.id, Department.name)}
    credited = _steward_names(
        {i.accepted_by_id for i in rows} | {i.resolved_by_id for i in rows} - {None}
    )
    for i in rows:
        late = (i.resolved_at or end) > i.deadline and i.status != "cancelled"
        _append(
            ws,
            [
                i.number,
                i.alley.name,
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
                i.resolution_note or "",
                departments.get(i.department_id, ""),
                "是" if late else "否",
                i.reopen_count,
                i.rating if i.rating is not None else "",
                i.rating_text or "",
                CLOSE_LABELS.get(i.close_reason or "", ""),
            ],
        )
    return len(rows)


def _wishes(wb: Workbook, area: Area, start: datetime, end: datetime) -> int:
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
    ws = _sheet(wb, "微心愿台账", columns)
    rows = list(
        Wish.select(Wish, Area)
        .join(Area, on=(Wish.alley == Area.id))
        .where(Wish.alley.in_(Area.alley_ids_under(area)) & (Wish.created_at >= start))
        .where(Wish.created_at < end)
        .order_by(Wish.created_at, Wish.id)
    )
    credited = _steward_names({w.fulfilled_by_id for w in rows} - {None})
    for w in rows:
        _append(
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
                w.rating if w.rating is not None else "",
            ],
        )
    return len(rows)


def _patrols(wb: Workbook, area: Area, start: datetime, end: datetime) -> int:
    columns = [("时间", 17), ("管家", 12), ("街巷", 12), ("记录", 50)]
    ws = _sheet(wb, "巡查记录", columns)
    rows = list(
        Patrol.select(Patrol, Steward, Area)
        .join_from(Patrol, Steward)
        .join_from(Patrol, Area)
        .where(Patrol.alley.in_(Area.alley_ids_under(area)) & (Patrol.created_at >= start))
        .where(Patrol.created_at < end)
        .order_by(Patrol.created_at, Patrol.id)
    )
    for p in rows:
        _append(ws, [_when(p.created_at), p.steward.name, p.alley.name, p.note])
    return len(rows)


def workbook(area: Area, first: date, last: date) -> tuple[bytes, dict]:
    """The .xlsx bytes and how many rows each sheet holds."""
    start = local_midnight_utc(first)
    end = local_midnight_utc(last + timedelta(days=1))
    wb = Workbook()
    _summary(wb, area, first, last)
    counts = {
        "issues": _issues(wb, area, start, end),
        "wishes": _wishes(wb, area, start, end),
        "patrols": _patrols(wb, area, start, end),
    }
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), counts


# The monthly review happens in the first days of the next month: until the 5th, the ledger
# people want is last month's; from the 6th on, this month's so far.
LAST_MONTH_UNTIL_DAY = 5


def default_period(today: date) -> tuple[date, date]:
    """The period a ledger export proposes: last month during the first five days of a month,
    otherwise this month up to `today`."""
    if today.day <= LAST_MONTH_UNTIL_DAY:
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    return today.replace(day=1), today
