"""The daily 通报, street edition: one message for the street leaders' group (a staff group on
the street, `core.delivery.groups`) with the overdue and whistled items first, then every
community's line. `jobs/daily_report.py` sends it with the community reports;
`flask --app app report --street ID --dry-run` prints it.

The figures are the communities' own reports (`report_batch.build_all`, the same numbers each
community's group reads), added up; the whistled items are those with a unit now (status
`whistled`) and handed to it before the end of the day. The month's 回访 (done / due) and 12345
tickets (received, closed on time / closed, overdue) are the street's league's
(`core.figures.league`, one definition: the 街道总览 and the bulletin show the same) over the
month up to the report's day. Queries are a fixed handful whatever the number of communities. What the group reads of an item is what any group may
(`core.items.privacy`): no resident's phone or name, and held or private words replaced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from core.figures import league, report_batch, reports
from core.figures.reports import WEEKDAYS, OverdueItem, Report, pct, rate
from core.items import privacy
from infra.timeutil import local_midnight_utc, month_day_time
from models import Area, Department, Issue

MAX_LISTED = 8  # overdue items, and whistled ones, named in the message (the rest counted)


@dataclass
class WhistledItem:
    id: int
    community: str
    alley: str
    category: str
    content: str
    unit: str
    whistled_at: datetime
    deadline: datetime
    checked_in: bool


@dataclass
class CommunityLine:
    id: int
    name: str
    report: Report
    whistled: int = 0
    month: league.Row | None = None  # the league's row of the month so far: 回访, 12345

    def part(self, name: str) -> tuple[int, int]:
        """(part, whole) of the league's rate `name` (callbacks, ticket_on_time)."""
        return self.month.counts.get(name, (0, 0)) if self.month else (0, 0)

    @property
    def tickets(self) -> int:
        return self.month.tickets if self.month else 0

    @property
    def tickets_overdue(self) -> int:
        return self.month.tickets_overdue if self.month else 0

    @property
    def overdue(self) -> int:
        return self.report.counts["overdue"]


@dataclass
class StreetReport:
    street: Area
    day: date
    lines: list[CommunityLine]
    overdue_items: list[tuple[str, OverdueItem]] = field(default_factory=list)  # (community, item)
    overdue_total: int = 0
    whistled_items: list[WhistledItem] = field(default_factory=list)
    whistled_total: int = 0

    @property
    def title(self) -> str:
        d = self.day
        return f"{self.street.name} 每日通报（街道版）{d.month}月{d.day}日（周{WEEKDAYS[d.weekday()]}）"

    def total(self, key: str) -> int:
        return sum(line.report.counts[key] for line in self.lines)

    def month_total(self, key: str) -> int:
        return sum(line.report.month[key] for line in self.lines)

    def league_text(self, name: str) -> str:
        """The month's 回访 or 12345 按时办结 over every community: "25.0%（1/4）"."""
        part = sum(line.part(name)[0] for line in self.lines)
        whole = sum(line.part(name)[1] for line in self.lines)
        return f"{pct(rate(part, whole))}（{part}/{whole}）"

    def month_rate_text(self, name: str) -> str:
        part = sum(line.report.month_rate_counts.get(name, (0, 0))[0] for line in self.lines)
        whole = sum(line.report.month_rate_counts.get(name, (0, 0))[1] for line in self.lines)
        return f"{pct(rate(part, whole))}（{part}/{whole}）"


def build(street: Area, day: date) -> StreetReport:
    """The street edition of the report of `day` (a local day)."""
    communities = league.communities_of(street)
    built = report_batch.build_all(communities, day)
    end = local_midnight_utc(day + timedelta(days=1))
    whistled = _whistled(street, end)
    per_community: dict[int, int] = {}
    for community_id, _ in whistled:
        per_community[community_id] = per_community.get(community_id, 0) + 1
    month = league.league(street, day.replace(day=1), day, sort=None, units=False)
    rows = {r.id: r for r in month.communities}
    lines = [
        CommunityLine(c.id, c.name, r, per_community.get(c.id, 0), rows.get(c.id))
        for c, r in zip(communities, built, strict=True)
    ]
    overdue = sorted(
        ((line.name, item) for line in lines for item in line.report.overdue_items),
        key=lambda pair: (pair[1].deadline, pair[1].id),
    )
    return StreetReport(
        street=street,
        day=day,
        lines=lines,
        overdue_items=overdue[:MAX_LISTED],
        overdue_total=sum(line.report.overdue_total for line in lines),
        whistled_items=[item for _, item in whistled[:MAX_LISTED]],
        whistled_total=len(whistled),
    )


def _whistled(street: Area, end: datetime) -> list[tuple[int, WhistledItem]]:
    """(community id, item) of every item with a unit now and handed to it before `end`,
    longest with the unit first: one query."""
    community = Area.alias()
    query = (
        Issue.select(
            Issue.id,
            Issue.community,
            Issue.category,
            Issue.content,
            Issue.visibility,
            Issue.whistled_at,
            Issue.deadline,
            Issue.checked_in_at,
            Area.name.alias("alley_name"),
            community.name.alias("community_name"),
            Department.name.alias("unit_name"),
        )
        .join(Area, on=(Issue.alley == Area.id))
        .join_from(Issue, community, on=(Issue.community == community.id))
        .join_from(Issue, Department, on=(Issue.department == Department.id))
        .where(
            (Issue.status == "whistled")
            & community.path.startswith(street.path)
            & (Issue.whistled_at < end)
        )
        .order_by(Issue.whistled_at, Issue.id)
        .dicts()
    )
    return [
        (
            r["community"],
            WhistledItem(
                id=r["id"],
                community=r["community_name"],
                alley=r["alley_name"],
                category=r["category"],
                # the group reads only what any group may (core.items.privacy)
                content=privacy.words(r["content"], r["visibility"], r["category"], 16),
                unit=r["unit_name"],
                whistled_at=r["whistled_at"],
                deadline=r["deadline"],
                checked_in=r["checked_in_at"] is not None,
            ),
        )
        for r in query
    ]


def markdown(report: StreetReport) -> str:
    """One WeCom markdown message: the street's totals, the overdue and whistled items, then
    every community's line (those with overdue or whistled items first)."""
    overdue = report.total("overdue")
    late = f'<font color="warning">**{overdue}**</font>' if overdue else "0"
    lines = [
        f"## {report.title}",
        f"> 昨日新增 **{report.total('new')}** · 办结 **{report.total('resolved')}**"
        f" · 超期 {late} · 吹哨在办 **{report.whistled_total}** · 在办 **{report.total('open')}**",
        f"本月累计：新增 {report.month_total('new')} · 办结 {report.month_total('resolved')}"
        f" · 响应率 {report.month_rate_text('response')}"
        f" · 解决率 {report.month_rate_text('resolution')}"
        f" · 满意率 {report.month_rate_text('satisfaction')}",
        f"本月回访 {report.league_text('callbacks')}"
        f" · 12345 工单 {sum(line.tickets for line in report.lines)} 件"
        f"，按时办结率 {report.league_text('ticket_on_time')}"
        f"，超期 {sum(line.tickets_overdue for line in report.lines)} 件",
    ]
    if report.overdue_items:
        lines.append(f"**超期诉求**（共 {report.overdue_total} 件）")
        for community, item in report.overdue_items:
            who = "、".join(name for name, _ in item.stewards) or "未派单"
            since = "" if item.still_open else f"，{reports.CLOSED_SINCE.get(item.status, '')}"
            lines.append(
                f"#{item.id} {community}·{item.alley} {item.category}：{item.content}"
                f"（{who}，{month_day_time(item.deadline)} 到期{since}）"
            )
        if report.overdue_total > len(report.overdue_items):
            lines.append(f"……等共 {report.overdue_total} 件")
    if report.whistled_items:
        lines.append(f"**吹哨在办**（共 {report.whistled_total} 件）")
        for w in report.whistled_items:
            state = "已报到" if w.checked_in else '<font color="warning">未报到</font>'
            lines.append(
                f"#{w.id} {w.community}·{w.alley} {w.category}：{w.content}"
                f"（{w.unit}，{state}，{month_day_time(w.deadline)} 到期）"
            )
        if report.whistled_total > len(report.whistled_items):
            lines.append(f"……等共 {report.whistled_total} 件")
    lines.append("**各社区**")
    ordered = sorted(report.lines, key=lambda line: (-line.overdue, -line.whistled))
    for line in ordered:
        c = line.report.counts
        late = f'<font color="warning">超期 {c["overdue"]}</font>' if c["overdue"] else "超期 0"
        done, due = line.part("callbacks")
        tickets = ""
        if line.tickets:
            on_time, closed = line.part("ticket_on_time")
            tickets = (
                f" · 12345 {line.tickets} 件（按时 {on_time}/{closed}"
                f"，超期 {line.tickets_overdue}）"
            )
        lines.append(
            f"{line.name}：新增 {c['new']} · 办结 {c['resolved']} · {late}"
            f" · 吹哨 {line.whistled} · 在办 {c['open']}"
            f" · 本月解决率 {line.report.rate_text('resolution', True)}"
            f" · 回访 {done}/{due}{tickets}"
        )
    if not report.lines:
        lines.append("本街道还没有社区。")
    return "\n".join(lines)


def plain_text(report: StreetReport) -> str:
    """What `report --street ID --dry-run` prints: the markdown without its markup."""
    text = markdown(report)
    text = re.sub(r"</?font[^>]*>", "", text)
    return text.replace("**", "").replace("## ", "").replace("> ", "")
