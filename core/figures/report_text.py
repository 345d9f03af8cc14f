"""The daily 通报 in words: the markdown a group receives and the plain text `flask --app app
report --dry-run` prints, and the overdue reminder; the figures are `core.figures.reports`, the
image card `core.figures.report_card`."""

from __future__ import annotations

from core.figures import steward_day
from core.figures.reports import CLOSED_SINCE, ELSEWHERE, Report, StewardLine
from infra.text import shorten
from infra.timeutil import month_day_time


def quiet_line(report: Report) -> str:
    line = f"**{report.title}**：昨日无新增、无办结、无超期，平稳无事；在办 {report.counts['open']} 件。"
    days = day_lines(report)
    return "\n".join([line, "**管家记录**", *days]) if days else line


def day_lines(report: Report) -> list[str]:
    """Each steward's day: `王秀英：随手做 2，巡查 1，走访 1` (those who recorded anything)."""
    return [t for s in report.stewards if s.is_steward and (t := steward_day.line_text(s))]


def row_name(line: StewardLine) -> str:
    """A row's name as the report shows it."""
    if line.kind == ELSEWHERE:
        return f"{line.name}（已离任或非本区管家）"
    return line.name


def markdown(report: Report) -> str:
    """The WeCom markdown message (headings, bold, quotes and <font color> only)."""
    if report.quiet:
        return quiet_line(report)
    c, m = report.counts, report.month
    overdue = f'<font color="warning">**{c["overdue"]}**</font>' if c["overdue"] else "0"
    lines = [
        f"## {report.title}",
        f"> 新增 **{c['new']}** · 接单 **{c['accepted']}** · 办结 **{c['resolved']}**"
        f" · 超期 {overdue} · 在办 **{c['open']}**",
        f"> 响应率 {report.rate_text('response')} · 解决率 {report.rate_text('resolution')}"
        f" · 满意率 {report.rate_text('satisfaction')}"
        f" · 整改率 {report.rate_text('rectification')}",
        f"本月累计：新增 {m['new']} · 接单 {m['accepted']} · 办结 {m['resolved']}"
        f" · 响应率 {report.rate_text('response', True)}"
        f" · 解决率 {report.rate_text('resolution', True)}"
        f" · 满意率 {report.rate_text('satisfaction', True)}",
    ]
    if report.stewards:
        lines.append("**管家**")
        for s in report.stewards:
            late = f'<font color="warning">超期 {s.overdue}</font>' if s.overdue else "超期 0"
            if not s.is_steward:
                lines.append(f"{row_name(s)}：{late}")
                continue
            patrol = "已巡查" if s.patrolled else '<font color="comment">未巡查</font>'
            lines.append(f"{s.name}：接单 {s.taken} · 办结 {s.resolved} · {late} · {patrol}")
    days = day_lines(report)
    if days:
        lines.append("**管家记录**")
        lines.extend(days)
    if report.overdue_items:
        lines.append("**超期诉求**")
        for item in report.overdue_items:
            who = "、".join(name for name, _ in item.stewards) or "未派单"
            since = f"，{CLOSED_SINCE.get(item.status, '')}" if not item.still_open else ""
            lines.append(
                f"#{item.id} {item.alley} {item.category}：{shorten(item.content, 16)}"
                f"（{who}，{month_day_time(item.deadline)} 到期{since}）"
            )
        if report.overdue_total > len(report.overdue_items):
            lines.append(f"……等共 {report.overdue_total} 件")
    w = report.wishes
    lines.append(f"**微心愿** 新增 {w['new']} · 认领 {w['claimed']} · 实现 {w['fulfilled']}")
    return "\n".join(lines)


def overdue_reminder(report: Report, skip: set[int] = frozenset()) -> tuple[str, list[str]] | None:
    """A plain text that @-mentions the stewards of overdue items (markdown cannot), leaving
    out `skip` (items the reminder scan already escalated or reminded about today)."""
    items = [i for i in report.overdue_items if i.id not in skip and i.still_open]
    if not items:
        return None
    phones: list[str] = []
    parts = []
    for item in items:
        for _, phone in item.stewards:
            if phone not in phones:
                phones.append(phone)
        parts.append(f"#{item.id}（{item.alley}）")
    text = f"以下诉求已超期，请尽快办理：{'、'.join(parts)}"
    return text, phones


def plain_text(report: Report) -> str:
    """What `flask --app app report --dry-run` prints: the markdown without its markup."""
    import re

    text = markdown(report)
    text = re.sub(r"</?font[^>]*>", "", text)
    return text.replace("**", "").replace("## ", "").replace("> ", "")
