"""The monthly bulletin (`core.figures.bulletin`) as a spreadsheet, beside its PDF.

Made like the ledger (`core.figures.ledger`: its title row, red header, frozen panes,
autofilter, A4 landscape print settings and text-only cells), so a secretary can sort, filter
and re-use the figures: every rate is a real number shown as a percentage, with the two counts
it is computed from in the columns after it; a rate with nothing to count is a dash.

Sheets: 汇总 (the month at a glance, how items were solved, the weights and definitions),
社区排名, 部门与物业排名, 重点事项 (longest overdue, most followed).
"""

from __future__ import annotations

import io

from openpyxl import Workbook

from core.figures import bulletin as figures
from core.figures import ledger
from core.figures.bulletin import Bulletin, Line, Notable
from infra.timeutil import to_local

RATE_COLUMNS = [
    ("响应率", 9),
    ("按时响应", 8),
    ("应响应", 8),
    ("按期办结率", 10),
    ("按期办结", 8),
    ("期限已定", 8),
    ("解决率", 9),
    ("已解决", 8),
    ("应解决", 8),
    ("满意率", 9),
    ("满意", 6),
    ("评价", 6),
]
LEVEL_COLUMNS = [(label, 9) for label in figures.LEVEL_LABELS.values()]
COMMUNITY_COLUMNS = [
    ("排名", 6),
    ("社区", 16),
    ("件数", 7),
    *RATE_COLUMNS,
    ("超期", 8),
    *LEVEL_COLUMNS,
    ("得分", 7),
    ("榜单", 12),
]
UNIT_COLUMNS = [
    ("排名", 6),
    ("单位", 18),
    ("类型", 6),
    ("所属社区", 12),
    ("件数", 7),
    *RATE_COLUMNS,
    ("超期", 8),
    *LEVEL_COLUMNS,
    ("得分", 7),
    ("榜单", 12),
]
NOTABLE_COLUMNS = [
    ("事项", 10),
    ("编号", 14),
    ("社区", 12),
    ("街巷", 12),
    ("类别", 14),
    ("内容", 44),
    ("办理期限", 17),
    ("超期天数", 9),
    ("关注人数", 9),
    ("办理单位", 14),
]


def _heading(b: Bulletin, title: str) -> str:
    made = to_local(b.made_at)
    return f"{b.title}·{title}　统计期间：{b.period_text}　生成时间：{made:%Y-%m-%d %H:%M}"


def _rate_values(line: Line) -> list:
    out = []
    for name in figures.RATE_NAMES:
        part, whole = line.row.counts.get(name, (0, 0))
        value = line.row.rate(name)
        out += ["—" if value is None else value, part, whole]
    return out


def _percent(ws, columns: list[tuple[str, int]]) -> None:
    """The rate columns of the row just written shown as percentages."""
    names = {n for n, _ in RATE_COLUMNS[::3]}
    for index, (name, _) in enumerate(columns, start=1):
        cell = ws.cell(row=ws.max_row, column=index)
        if name in names and isinstance(cell.value, float):
            cell.number_format = ledger.PERCENT_FORMAT


def _board(b: Bulletin, lines: list[Line], line: Line) -> str:
    if not line.ranked:
        return f"不参与排名（少于 {b.min_volume} 件）"
    if line in b.honour(lines):
        return "红榜"
    if line in b.to_improve(lines):
        return "待改进"
    return ""


def _ranking(wb: Workbook, b: Bulletin, title: str, lines: list[Line], units: bool) -> None:
    columns = UNIT_COLUMNS if units else COMMUNITY_COLUMNS
    ws = ledger._sheet(wb, title, columns, _heading(b, title))
    for line in lines:
        lead = [line.rank if line.ranked else "—", line.name]
        if units:
            lead += [line.kind_label, line.community]
        ledger._append(
            ws,
            [
                *lead,
                line.volume,
                *_rate_values(line),
                line.overdue,
                *(line.levels.get(label, 0) for label, _ in LEVEL_COLUMNS),
                "—" if line.score is None else line.score,
                _board(b, lines, line),
            ],
        )
        _percent(ws, columns)
    ledger._finish(ws, columns)


def _summary(wb: Workbook, b: Bulletin) -> None:
    columns = [("项目", 24), ("数值", 14), ("分子", 10), ("分母", 10)]
    ws = ledger._sheet(wb, "汇总", columns, _heading(b, "汇总"), first=True)
    t = b.total
    rows: list[list] = [
        ["街道", b.street.name],
        ["月份", b.month.label],
        ["统计期间", b.period_text],
        ["社区数", len(b.communities)],
        ["诉求件数", t.volume],
        ["当月办结", b.resolved],
        ["超期（生成时）", t.overdue],
        ["吹哨交办部门与物业", sum(u.volume for u in b.units)],
    ]
    for row in rows:
        ledger._append(ws, row)
    for name in figures.RATE_NAMES:
        part, whole = t.row.counts.get(name, (0, 0))
        value = t.row.rate(name)
        ledger._append(
            ws, [figures.RATE_LABELS[name], "—" if value is None else value, part, whole]
        )
        if value is not None:
            ws.cell(row=ws.max_row, column=2).number_format = ledger.PERCENT_FORMAT
    ws.append([])
    ledger._append(ws, ["办结方式", "件数"])
    for label, n in b.levels.items():
        ledger._append(ws, [label, n])
    ws.append([])
    ledger._append(ws, ["得分权重", "权重"])
    for name, weight in b.weights.items():
        ledger._append(ws, [figures.RATE_LABELS[name], weight])
    ledger._append(ws, ["参与排名的最少件数", b.min_volume])
    ws.append([])
    ledger._append(ws, ["统计口径"])
    for text in figures.definitions(b):
        ledger._append(ws, [text])


def _notables(wb: Workbook, b: Bulletin) -> None:
    ws = ledger._sheet(wb, "重点事项", NOTABLE_COLUMNS, _heading(b, "重点事项"))

    def row(kind: str, n: Notable, overdue, followers) -> None:
        ledger._append(
            ws,
            [
                kind,
                n.number,
                n.community,
                n.alley,
                n.category,
                n.content,
                ledger._when(n.deadline),
                overdue,
                followers,
                n.unit,
            ],
            {6},
        )

    for n in b.longest_overdue:
        row("超期最久", n, n.overdue_days, None)
    for n in b.most_followed:
        row("关注最多", n, None, n.followers)
    ledger._finish(ws, NOTABLE_COLUMNS)


def render(b: Bulletin) -> bytes:
    """The .xlsx bytes."""
    wb = Workbook()
    _summary(wb, b)
    _ranking(wb, b, "社区排名", b.communities, units=False)
    _ranking(wb, b, "部门与物业排名", b.units, units=True)
    _notables(wb, b)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
