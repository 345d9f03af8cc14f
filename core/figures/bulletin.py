"""The street's monthly bulletin (月度通报): its figures, ranked.

For one street and one calendar month: every community and every handling unit (the street's
departments and its communities' property companies, `core.units`) with the figures behind its
place, a rank, the 红榜 (top) and 待改进 (bottom), the month's notable items (the longest
overdue, the most followed) and how the month's resolved items were solved (现场解决 / 上报社区 /
吹哨联合). `core.figures.bulletin_pdf` and `bulletin_xlsx` print it; `jobs.bulletin` sends it
on the 1st.

The lines are the street dashboard's: `core.figures.league.league` over the month gives every
community's and unit's volume, 响应率, 按期办结率, 解决率, 满意率 and overdue — one definition
of each, written in league.py and docs/street.md — and the minimum volume for a rank
(`RANKING_MIN_VOLUME`). What only the bulletin adds:

- Score = the weighted mean of the league's rates that have something to measure
  (`BULLETIN_WEIGHTS`), × 100; a rate with nothing to count is left out and the others carry
  its weight. The bulletin ranks by this score, not by one column as the dashboard does: the
  issue's reference practice (接诉即办) ranks streets and departments monthly on 响应率,
  解决率 and 满意率 together. The ranking itself is `league.rank` with the score as its key:
  the same minimum volume, ties sharing a place (1, 2, 2, 4), listed by name.
- 红榜 and 待改进 are the first and last `BULLETIN_HONOUR_SIZE` ranked lines, at most half the
  ranked lines each, so nobody is on both.
- The street's total: the communities' counts added up (they partition the street's items).
- How the items resolved in the month were solved, per line and in total; the notable items.

Queries are a fixed handful whatever the number of communities: the league's (six), the
street's units with their communities, one UNION of index range scans for every item resolved or
closed since the month began or open now (branches of `reports.moved`, scoped by community)
for the levels and the longest overdue, the followers' counts and the notable items' words.

Who may read it: `require_reader` — the one check every front end calls.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from peewee import fn

from core.figures import reports
from core.figures.league import RATE_LABELS, RATES, Row, league, rank
from core.items import handling, privacy
from core.people.permissions import Principal
from infra.errors import ApiError, bad_request
from infra.timeutil import MAX_DATE, MIN_DATE, local_midnight_utc, to_local, utcnow
from models import Area, Department, Event, Issue, IssueFollower

RATE_NAMES = RATES  # the league's rates, in its order
# How items were solved, in the bulletin's words (the stored level 联合处置 is 吹哨联合 here,
# the name the street uses for "难事联办").
LEVEL_LABELS = {
    handling.ON_THE_SPOT: "现场解决",
    handling.COMMUNITY: "上报社区",
    handling.JOINT: "吹哨联合",
}
NOTABLE_LISTED = 5
CONTENT_WIDTH = 40


# --- the month --------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """`2026-11` (also `2026-1`); ValueError with a Chinese message otherwise."""
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", (text or "").strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError("月份格式须为 YYYY-MM，如 2026-11")
        year = int(m.group(1))
        if not MIN_DATE.year <= year <= MAX_DATE.year:
            raise ValueError(f"月份的年份须在 {MIN_DATE.year} 至 {MAX_DATE.year} 之间")
        return cls(year, int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """The first day after the month."""
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    def previous(self) -> Month:
        return Month.of(self.first - timedelta(days=1))

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def today() -> date:
    return to_local(utcnow()).date()


def parse_month(text: str | None) -> Month:
    """The month a client typed; 400 naming the field `month` when it is not one."""
    try:
        return Month.parse(text or "")
    except ValueError as exc:
        raise bad_request(f"月份：{exc}", {"month": str(exc)}) from exc


def street_started(street: Area) -> date:
    """The first local day the street has anything for: the earlier of its creation and its
    first item (a district whose history was imported after it was set up)."""
    first = (
        Issue.select(fn.MIN(Issue.created_at))
        .where(Issue.community.in_(_communities_query(street)))
        .scalar()
    )
    created = street.created_at
    moments = [m for m in (created, first) if m is not None]
    return to_local(min(moments)).date() if moments else today()


def check_month(street: Area, month: Month) -> None:
    """400 naming `month` for a month that has not begun, or that ended before the street
    existed. The running month is allowed: its bulletin says it is figures so far."""
    if month.first > today():
        raise bad_request(f"月份：{month.label}还没有到，不能生成通报", {"month": "不能晚于本月"})
    started = street_started(street)
    if month.last < started:
        raise bad_request(
            f"月份：{street.name}自 {started.year}年{started.month}月 起才有数据，"
            f"没有{month.label}的通报",
            {"month": f"不能早于 {started:%Y-%m}"},
        )


# --- the street and who may read it ------------------------------------------------------------


def get_street(street_id: int) -> Area:
    """The street (街道/镇) of that id; 404 naming `street_id` when there is none."""
    street = Area.get_or_none((Area.id == street_id) & (Area.kind == "street"))
    if street is None:
        raise ApiError(404, "street_not_found", f"找不到街道 {street_id}", {"street_id": "不存在"})
    return street


def may_read(p: Principal, street: Area) -> bool:
    """Whether `p` may read the street's bulletin: staff or admin whose scope covers the whole
    street. The one place to widen when the street-admin role arrives."""
    return p.is_staff and p.can_manage(street)


def require_reader(p: Principal, street: Area) -> None:
    if not may_read(p, street):
        raise ApiError(
            403,
            "out_of_scope",
            f"街道：您无权查看{street.name}的月度通报（须为该街道的管理员）",
            {"street_id": "不在您的管辖范围内"},
        )


def for_reader(p: Principal, street_id: int, month_text: str | None) -> Bulletin:
    """What the HTTP route and the console call: street (404), scope (403), month (400)."""
    street = get_street(street_id)
    require_reader(p, street)
    month = parse_month(month_text)
    check_month(street, month)
    return build(street, month)


# --- the figures ------------------------------------------------------------------------------


@dataclass
class Line:
    """One community or unit of the bulletin (or the street's total: kind "street"): the
    league's row, and what only the bulletin adds to it."""

    row: Row
    community: str = ""  # a property company's community
    levels: dict[str, int] = field(default_factory=dict)
    score: float | None = None

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def name(self) -> str:
        return self.row.name

    @property
    def kind(self) -> str:
        return self.row.kind

    @property
    def kind_label(self) -> str:
        return self.row.kind_label

    @property
    def volume(self) -> int:
        return self.row.volume

    @property
    def overdue(self) -> int:
        return self.row.overdue

    @property
    def rank(self) -> int | None:
        return self.row.rank

    @property
    def ranked(self) -> bool:
        return self.row.ranked


@dataclass
class Notable:
    id: int
    number: str
    community: str
    alley: str
    category: str
    content: str  # as a group may read it (core.items.privacy)
    status: str
    deadline: datetime
    overdue_days: int = 0
    followers: int = 0
    unit: str = ""


@dataclass
class Bulletin:
    street: Area
    month: Month
    made_at: datetime  # naive UTC
    as_of: datetime  # the month's end, or now for the running month (naive UTC)
    weights: dict[str, float]
    min_volume: int
    total: Line
    communities: list[Line]
    units: list[Line]
    levels: dict[str, int]  # how the items resolved in the month were solved
    longest_overdue: list[Notable]
    most_followed: list[Notable]
    honour_size: int = 3

    @property
    def resolved(self) -> int:
        """Items resolved in the month (whenever reported): what `levels` counts."""
        return sum(self.levels.values())

    @property
    def partial(self) -> bool:
        """The running month: figures so far."""
        return self.as_of < local_midnight_utc(self.month.end)

    @property
    def title(self) -> str:
        return f"{self.street.name}小巷管家工作{self.month.label}通报"

    @property
    def period_text(self) -> str:
        last = to_local(self.as_of - timedelta(seconds=1)).date() if self.partial else None
        end = last or self.month.last
        return f"{self.month.first:%Y年%m月%d日} 至 {end:%Y年%m月%d日}" + (
            "（本月尚未结束，为截至目前的数据）" if self.partial else ""
        )

    def honour(self, lines: list[Line]) -> list[Line]:
        ranked = [x for x in lines if x.ranked]
        return ranked[: min(self.honour_size, len(ranked) // 2)]

    def to_improve(self, lines: list[Line]) -> list[Line]:
        ranked = [x for x in lines if x.ranked]
        n = min(self.honour_size, len(ranked) // 2)
        return list(reversed(ranked[len(ranked) - n :])) if n else []

    @property
    def file_stem(self) -> str:
        return f"bulletin-{self.street.id}-{self.month}"


def _communities_query(street: Area):
    return Area.select(Area.id).where(
        Area.path.startswith(street.path) & (Area.kind == "community")
    )


_COLUMNS = (
    Issue.id,
    Issue.community.alias("community_id"),
    Issue.department.alias("department_id"),
    Issue.status,
    Issue.created_at,
    Issue.resolved_at,
    Issue.closed_at,
    Issue.outcome,
    Issue.deadline,
    Issue.resolution_level,
)


def _rows(street: Area, start: datetime, end: datetime) -> list:
    """Every item of the street resolved or closed since `start` or open now, reported before
    `end` — what the levels (resolved in the month) and the longest overdue (open at `end`)
    need; the league counts the rest. Each branch of `reports.moved` kept here is an index
    range scan on (community, …)."""
    scope = Issue.community.in_(_communities_query(street)) & (Issue.created_at < end)
    branches = (
        Issue.resolved_at >= start,
        Issue.closed_at >= start,
        Issue.status.in_(reports.OPEN),
    )
    query = None
    for cond in branches:
        part = Issue.select(*_COLUMNS).where(scope & cond)
        query = part if query is None else (query | part)
    return list(query.namedtuples())


def _within(value, start, end) -> bool:
    return value is not None and start <= value < end


def _levels(rows: list, start, end) -> dict[int, str]:
    """How each item resolved in the month was solved: the stored level, else (items closed
    before levels were stored) the trail's — whistled: 吹哨联合, escalated: 上报社区 — read
    in one query per 500 items."""
    done = [i for i in rows if _within(i.resolved_at, start, end)]
    out = {i.id: i.resolution_level for i in done if i.resolution_level}
    missing = [i.id for i in done if not i.resolution_level]
    for chunk in range(0, len(missing), 500):
        ids = missing[chunk : chunk + 500]
        for e in Event.select(Event.subject_id, Event.action).where(
            (Event.subject_type == "issue")
            & Event.subject_id.in_(ids)
            & Event.action.in_(("issue.escalate", "issue.whistle"))
        ):
            step = handling.JOINT if e.action == "issue.whistle" else handling.COMMUNITY
            out[e.subject_id] = handling.higher(out.get(e.subject_id), step)
    for i in missing:
        out.setdefault(i, handling.ON_THE_SPOT)
    return out


def _count_levels(rows, levels: dict[int, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in rows:
        level = levels.get(i.id)
        if level is not None:
            label = LEVEL_LABELS[level]
            out[label] = out.get(label, 0) + 1
    return out


def score(row: Row, weights: dict[str, float]) -> float | None:
    """The weighted mean × 100 of the league row's rates that have something to measure."""
    rates = row.rates
    measured = {k: w for k, w in weights.items() if rates.get(k) is not None and w}
    if not measured:
        return None
    total = sum(measured.values())
    return round(100 * sum(w * rates[k] for k, w in measured.items()) / total, 1)


def ranked_lines(lines: list[Line], weights: dict[str, float], min_volume: int) -> list[Line]:
    """Score every line and rank them by it with the league's rule (`league.rank`): those with
    at least `min_volume` items and a score first, best first, ties sharing a place and listed
    by name; then the others."""
    by_row = {id(x.row): x for x in lines}
    for x in lines:
        x.score = score(x.row, weights)
    order = rank(
        [x.row for x in lines], "score", True, min_volume, key=lambda r: by_row[id(r)].score
    )
    return [by_row[id(r)] for r in order]


def _total(street: Area, lines: list[Line]) -> Row:
    """The street's row: its communities' counts added up."""
    total = Row(street.id, street.name, "street")
    total.volume = sum(x.row.volume for x in lines)
    total.overdue = sum(x.row.overdue for x in lines)
    for name in RATE_NAMES:
        pairs = [x.row.counts.get(name, (0, 0)) for x in lines]
        total.counts[name] = (sum(p for p, _ in pairs), sum(w for _, w in pairs))
    return total


def _notables(rows: list, street: Area, as_of: datetime, start, end, units) -> tuple[list, list]:
    late = reports.overdue_rows(rows, as_of)[:NOTABLE_LISTED]
    in_month = (
        Issue.community.in_(_communities_query(street))
        & (Issue.created_at >= start)
        & (Issue.created_at < end)
    )
    count = fn.COUNT(IssueFollower.id)
    followed = [
        (r.issue_id, int(r.n))
        for r in IssueFollower.select(IssueFollower.issue, count.alias("n"))
        .join(Issue)
        .where(in_month)
        .group_by(IssueFollower.issue)
        .order_by(count.desc(), IssueFollower.issue)
        .limit(NOTABLE_LISTED)
    ]
    ids = {i.id for i in late} | {i for i, _ in followed}
    if not ids:
        return [], []
    Community = Area.alias()
    details = {
        i.id: i
        for i in Issue.select(
            Issue.id,
            Issue.number,
            Issue.category,
            Issue.content,
            Issue.visibility,
            Issue.status,
            Issue.deadline,
            Issue.department.alias("department_id"),
            Area.name.alias("alley_name"),
            Community.name.alias("community_name"),
        )
        .join_from(Issue, Area, on=(Issue.alley == Area.id))
        .join_from(Issue, Community, on=(Issue.community == Community.id))
        .where(Issue.id.in_(sorted(ids)))
        .namedtuples()
    }

    def notable(issue_id: int, followers: int = 0) -> Notable:
        d = details[issue_id]
        unit = units.get(d.department_id)
        return Notable(
            id=d.id,
            number=d.number,
            community=d.community_name,
            alley=d.alley_name,
            category=d.category,
            content=privacy.words(d.content, d.visibility, d.category, CONTENT_WIDTH),
            status=d.status,
            deadline=d.deadline,
            overdue_days=max((as_of - d.deadline).days, 0),
            followers=followers,
            unit=unit.name if unit else "",
        )

    return [notable(i.id) for i in late], [notable(i, n) for i, n in followed]


def build(street: Area, month: Month) -> Bulletin:
    """The bulletin's figures (no check of who asks: see `for_reader`)."""
    config = current_app.config
    weights = {k: float(config["BULLETIN_WEIGHTS"].get(k, 0)) for k in RATE_NAMES}
    now = utcnow()
    start = local_midnight_utc(month.first)
    end = local_midnight_utc(month.end)
    as_of = min(end, now)
    table = league(street, month.first, month.last, sort=None)
    Community = Area.alias()
    units = {
        u.id: u
        for u in Department.select(Department.id, Department.name, Community.name.alias("at"))
        .join(Community, on=(Department.area == Community.id))
        .where(Community.path.startswith(street.path))
        .objects()
    }
    rows = _rows(street, start, end)
    levels = _levels(rows, start, end)
    by_community, by_unit = defaultdict(list), defaultdict(list)
    for i in rows:
        by_community[i.community_id].append(i)
        if i.department_id is not None:
            by_unit[i.department_id].append(i)

    community_lines = [
        Line(r, levels=_count_levels(by_community.get(r.id, []), levels)) for r in table.communities
    ]
    unit_lines = [
        Line(
            r,
            community=units[r.id].at if r.kind == "property" else "",
            levels=_count_levels(by_unit.get(r.id, []), levels),
        )
        for r in table.units
    ]
    total = Line(_total(street, community_lines), levels=_count_levels(rows, levels))
    total.score = score(total.row, weights)
    late, followed = _notables(rows, street, as_of, start, end, units)
    return Bulletin(
        street=street,
        month=month,
        made_at=now,
        as_of=as_of,
        weights=weights,
        min_volume=table.min_volume,
        total=total,
        communities=ranked_lines(community_lines, weights, table.min_volume),
        units=ranked_lines(unit_lines, weights, table.min_volume),
        levels={label: total.levels.get(label, 0) for label in LEVEL_LABELS.values()},
        longest_overdue=late,
        most_followed=followed,
        honour_size=int(config["BULLETIN_HONOUR_SIZE"]),
    )


# --- words shared by the PDF, the spreadsheet, the console and the card ------------------------


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def rate_text(line: Line, name: str) -> str:
    """`95.0%（19/20）`, or `—（0/0）`."""
    part, whole = line.row.counts.get(name, (0, 0))
    return f"{pct(line.row.rate(name))}（{part}/{whole}）"


def weights_text(b: Bulletin) -> str:
    parts = "、".join(f"{RATE_LABELS[k]} {round(w * 100)}%" for k, w in b.weights.items() if w)
    return (
        f"排名按综合得分（不按单项）：综合得分 = {parts} 的加权平均 × 100；"
        "某项没有可计的件时不计该项，其余按权重折算；得分相同的名次并列，按名称排列。"
        f"当月件数少于 {b.min_volume} 件的只列出、不参与排名（与街道总览同一标准）。"
    )


def definitions(b: Bulletin) -> list[str]:
    """The 统计口径: the league's definitions (`core.figures.league`), then the score's."""
    hours = int(current_app.config["RESPONSE_HOURS"])
    unit_hours = int(current_app.config["UNIT_CHECKIN_HOURS"])
    return [
        "各项指标与街道总览同一口径。",
        f"社区件数：当月反映的诉求（撤销的、作为重复件合并的不计）。响应率：其中 {hours} 小时内"
        "接单的比例（管家随手办结的不计）。",
        f"部门/物业件数：当月吹哨交办的诉求（同上不计）。响应率：其中 {unit_hours} 小时内"
        "报到的比例。",
        "按期办结率：当月的件中期限已定的（已办结，或月末已过办理期限）在期限内办结的比例，"
        "未到期限的未结件不计。",
        "解决率、满意率以居民的话为准：当月居民的评价和回访结论（每件按当月最后一次）。"
        "解决率 = 居民确认解决的件数（3 星及以上，或回访满意、基本满意；以已答复、不属于职责、"
        "无法解决办结的不算解决）÷ 有评价或回访结论的件数；满意率 = 满意的件数（4–5 星或回访满意）"
        "÷ 同一件数。未评价、回访未接通或拒绝回访的不计。",
        "超期：生成通报时仍未办结且已过期限的件数（不论何时反映）；“超期最久”列出月末超期的件。"
        "办结方式：当月办结的件（不论何时反映）按现场解决、上报社区、吹哨联合计数。",
        weights_text(b),
    ]


def card_markdown(b: Bulletin, link: str) -> str:
    """The group message beside the image card: the headline and where to download it."""
    t = b.total
    lines = [
        f"## {b.title}",
        f"> 诉求 {t.volume} 件 · 办结 {b.resolved} 件 · 超期 {t.overdue} 件",
        f"> 响应率 {rate_text(t, 'response')} · 解决率 {rate_text(t, 'resolution')}"
        f" · 满意率 {rate_text(t, 'satisfaction')}",
    ]
    top = b.honour(b.communities)
    if top:
        lines.append("红榜：" + "、".join(x.name for x in top))
    low = b.to_improve(b.communities)
    if low:
        lines.append("待改进：" + "、".join(x.name for x in low))
    lines.append(f"[下载通报 PDF]({link}.pdf) · [下载 Excel]({link}.xlsx)")
    return "\n".join(lines)


def plain_text(b: Bulletin) -> str:
    """The bulletin for a terminal (`bulletin --dry-run`)."""
    t = b.total
    out = [
        b.title,
        f"统计期间：{b.period_text}",
        f"诉求 {t.volume} 件，办结 {b.resolved} 件，超期 {t.overdue} 件",
        "，".join(f"{RATE_LABELS[k]} {rate_text(t, k)}" for k in RATE_NAMES),
        "办结方式：" + "，".join(f"{k} {v} 件" for k, v in b.levels.items()),
    ]
    for title, lines in (("社区排名", b.communities), ("部门与物业排名", b.units)):
        out += ["", title]
        if not lines:
            out.append("  （无）")
        for x in lines:
            place = f"{x.rank:>3}" if x.ranked else "  —"
            score_text = "—" if x.score is None else f"{x.score:.1f}"
            rates = " ".join(f"{RATE_LABELS[k]}{rate_text(x, k)}" for k in RATE_NAMES)
            out.append(
                f"{place} {x.name}  件数 {x.volume}  {rates}  超期 {x.overdue}  得分 {score_text}"
            )
        top, low = b.honour(lines), b.to_improve(lines)
        if top:
            out.append("  红榜：" + "、".join(x.name for x in top))
        if low:
            out.append("  待改进：" + "、".join(x.name for x in low))
    out += ["", "超期最久："]
    out += [
        f"  {n.number} {n.community}{n.alley} 超期 {n.overdue_days} 天" for n in b.longest_overdue
    ]
    out += ["关注最多："]
    out += [f"  {n.number} {n.community}{n.alley} {n.followers} 人关注" for n in b.most_followed]
    out += ["", weights_text(b)]
    return "\n".join(out)
