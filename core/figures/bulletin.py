"""The street's monthly bulletin (月度通报): its figures, ranked.

For one street and one calendar month: every community and every handling unit (the street's
departments and its communities' property companies, `core.units`) with the figures behind its
place — volume, 响应率, 按期办结率, 解决率, 满意率, overdue at the month's end — a rank, the
红榜 (top) and 待改进 (bottom), the month's notable items (the longest overdue, the most
followed) and how the month's closed items were solved (现场解决 / 上报社区 / 吹哨联合).
`core.figures.bulletin_pdf` and `bulletin_xlsx` print it; `jobs.bulletin` sends it on the 1st.

Definitions (also in docs/bulletin.md):

- A community's figures are the daily 通报's (`core.figures.reports.Tally`) over the month:
  volume = items reported in the month (cancelled left out); 响应率 = of those (stewards'
  on-the-spot fixes left out), accepted within `RESPONSE_HOURS`; 解决率 = of those, resolved
  since; 满意率 = of ratings given in the month, 4 or 5 stars. 按期办结率 = of items resolved
  in the month, resolved by their deadline.
- A unit's: volume = items whistled to it in the month; 响应率 = of those, 报到 within
  `UNIT_CHECKIN_HOURS`; 解决率 = of those (cancelled left out), resolved since; 按期办结率 and
  满意率 over the month's resolutions and ratings of items it holds.
- Score = the weighted mean of the rates that have something to measure
  (`BULLETIN_WEIGHTS`), × 100; a rate with nothing to count is left out and the others carry
  its weight. A line with a volume under `BULLETIN_MIN_VOLUME` is listed but not ranked — a
  unit with two items is not first or last on a league table for one of them. Ties share a
  rank (1, 1, 3). 红榜 and 待改进 are the first and last `BULLETIN_HONOUR_SIZE` ranked lines,
  at most half the ranked lines each, so nobody is on both.

Queries are a fixed handful whatever the number of communities: the street's communities and
units, one UNION of index range scans for every item that moved in the month or was open at
its end (`reports.moved`'s branches, scoped by community), the followers' counts and the
notable items' words; the counting happens in Python.

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
from core.items import handling, privacy
from core.people.permissions import Principal
from infra.errors import ApiError, bad_request
from infra.timeutil import MAX_DATE, MIN_DATE, local_midnight_utc, to_local, utcnow
from models import Area, Department, Event, Issue, IssueFollower

RATE_NAMES = ("response", "on_time", "resolution", "satisfaction")
RATE_LABELS = {
    "response": "响应率",
    "on_time": "按期办结率",
    "resolution": "解决率",
    "satisfaction": "满意率",
}
# How items were solved, in the bulletin's words (the stored level 联合处置 is 吹哨联合 here,
# the name the street uses for "难事联办").
LEVEL_LABELS = {
    handling.ON_THE_SPOT: "现场解决",
    handling.COMMUNITY: "上报社区",
    handling.JOINT: "吹哨联合",
}
UNIT_KIND_LABELS = {"department": "部门", "property": "物业"}
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
    """One community or unit of the bulletin (or the street's total: kind "street")."""

    id: int
    name: str
    kind: str  # community | department | property | street
    community: str = ""  # a property company's community
    volume: int = 0
    answerable: int = 0
    responded: int = 0
    counted: int = 0
    solved: int = 0
    resolved: int = 0
    on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    overdue: int = 0  # open at the month's end and past its deadline
    levels: dict[str, int] = field(default_factory=dict)
    score: float | None = None
    rank: int | None = None

    @property
    def rate_counts(self) -> dict[str, tuple[int, int]]:
        return {
            "response": (self.responded, self.answerable),
            "on_time": (self.on_time, self.resolved),
            "resolution": (self.solved, self.counted),
            "satisfaction": (self.satisfied, self.rated),
        }

    @property
    def rates(self) -> dict[str, float | None]:
        return {k: reports.rate(part, whole) for k, (part, whole) in self.rate_counts.items()}

    @property
    def kind_label(self) -> str:
        return UNIT_KIND_LABELS.get(self.kind, "社区")

    @property
    def ranked(self) -> bool:
        return self.rank is not None


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
    levels: dict[str, int]
    longest_overdue: list[Notable]
    most_followed: list[Notable]
    honour_size: int = 3

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
    Issue.category,
    Issue.status,
    Issue.source,
    Issue.created_at,
    Issue.accepted_at,
    Issue.resolved_at,
    Issue.rated_at,
    Issue.rating,
    Issue.closed_at,
    Issue.outcome,
    Issue.deadline,
    Issue.whistled_at,
    Issue.checked_in_at,
    Issue.resolution_level,
    Issue.accepted_by.alias("accepted_by_id"),
    Issue.resolved_by.alias("resolved_by_id"),
)


def _rows(street: Area, start: datetime, end: datetime) -> list:
    """Every item of the street that moved since `start` or is open, reported before `end`:
    the branches of `reports.moved`, each an index range scan on (community, …)."""
    scope = Issue.community.in_(_communities_query(street)) & (Issue.created_at < end)
    branches = (
        Issue.created_at >= start,
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


def _count_levels(line: Line, rows, levels: dict[int, str]) -> None:
    for i in rows:
        level = levels.get(i.id)
        if level is not None:
            label = LEVEL_LABELS[level]
            line.levels[label] = line.levels.get(label, 0) + 1


def _community_line(area: Area, rows: list, start, end, as_of, levels) -> Line:
    t = reports.tally(rows, start, end)
    line = Line(area.id, area.name, "community")
    line.volume = t.counted
    line.answerable, line.responded = t.answerable, t.responded
    line.counted, line.solved = t.counted, t.solved
    line.rated, line.satisfied = t.rated, t.satisfied
    _resolutions(line, rows, start, end)
    line.overdue = len(reports.overdue_rows(rows, as_of))
    _count_levels(line, rows, levels)
    return line


def _resolutions(line: Line, rows, start, end) -> None:
    for i in rows:
        if _within(i.resolved_at, start, end):
            line.resolved += 1
            line.on_time += i.resolved_at <= i.deadline


def _unit_line(unit: Department, community: str, rows: list, start, end, as_of, levels) -> Line:
    line = Line(unit.id, unit.name, unit.kind, community=community)
    check_in = timedelta(hours=int(current_app.config["UNIT_CHECKIN_HOURS"]))
    for i in rows:
        if _within(i.whistled_at, start, end):
            line.volume += 1
            line.answerable += 1
            line.responded += (
                i.checked_in_at is not None and i.checked_in_at <= i.whistled_at + check_in
            )
            if i.status != "cancelled":
                line.counted += 1
                line.solved += i.resolved_at is not None
        if _within(i.rated_at, start, end):
            line.rated += 1
            line.satisfied += (i.rating or 0) >= 4
    _resolutions(line, rows, start, end)
    line.overdue = len(reports.overdue_rows(rows, as_of))
    _count_levels(line, rows, levels)
    return line


def score(line: Line, weights: dict[str, float]) -> float | None:
    """The weighted mean × 100 of the rates that have something to measure."""
    rates = line.rates
    measured = {k: w for k, w in weights.items() if rates.get(k) is not None and w}
    if not measured:
        return None
    total = sum(measured.values())
    return round(100 * sum(w * rates[k] for k, w in measured.items()) / total, 1)


def rank(lines: list[Line], weights: dict[str, float], min_volume: int) -> list[Line]:
    """Score every line, rank those with enough volume (ties share a rank), and return them
    ranked first (best first), then the unranked by volume."""
    for line in lines:
        line.score = score(line, weights)
        line.rank = None
    ranked = sorted(
        (x for x in lines if x.volume >= min_volume and x.score is not None),
        key=lambda x: (-x.score, -x.volume, x.name, x.id),
    )
    for n, line in enumerate(ranked, start=1):
        same = n > 1 and ranked[n - 2].score == line.score
        line.rank = ranked[n - 2].rank if same else n
    rest = sorted((x for x in lines if x.rank is None), key=lambda x: (-x.volume, x.name, x.id))
    return ranked + rest


def _notables(rows: list, street: Area, as_of: datetime, start, end, units) -> tuple[list, list]:
    late = reports.overdue_rows(rows, as_of)[:NOTABLE_LISTED]
    reported = [i.id for i in rows if _within(i.created_at, start, end)]
    followed: list[tuple[int, int]] = []
    if reported:
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
    min_volume = int(config["BULLETIN_MIN_VOLUME"])
    now = utcnow()
    start = local_midnight_utc(month.first)
    end = local_midnight_utc(month.end)
    as_of = min(end, now)
    communities = list(
        Area.select(Area.id, Area.name, Area.path)
        .where(Area.path.startswith(street.path) & (Area.kind == "community") & Area.active)
        .order_by(Area.path)
    )
    community_names = {c.id: c.name for c in communities}
    units = {
        u.id: u
        for u in Department.select().where(
            Department.area.in_([street.id, *community_names]) & Department.active
        )
    }
    rows = _rows(street, start, end)
    levels = _levels(rows, start, end)
    by_community, by_unit = defaultdict(list), defaultdict(list)
    for i in rows:
        by_community[i.community_id].append(i)
        if i.department_id is not None:
            by_unit[i.department_id].append(i)

    community_lines = [
        _community_line(c, by_community.get(c.id, []), start, end, as_of, levels)
        for c in communities
    ]
    unit_lines = [
        _unit_line(
            u, community_names.get(u.area_id, ""), by_unit.get(u.id, []), start, end, as_of, levels
        )
        for u in units.values()
    ]
    total = _community_line(street, rows, start, end, as_of, levels)
    total.kind = "street"
    total.score = score(total, weights)
    late, followed = _notables(rows, street, as_of, start, end, units)
    return Bulletin(
        street=street,
        month=month,
        made_at=now,
        as_of=as_of,
        weights=weights,
        min_volume=min_volume,
        total=total,
        communities=rank(community_lines, weights, min_volume),
        units=rank(unit_lines, weights, min_volume),
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
    part, whole = line.rate_counts[name]
    return f"{pct(line.rates[name])}（{part}/{whole}）"


def weights_text(b: Bulletin) -> str:
    parts = "、".join(f"{RATE_LABELS[k]} {round(w * 100)}%" for k, w in b.weights.items() if w)
    return (
        f"综合得分 = {parts} 的加权平均 × 100；某项没有可计的件时不计该项，其余按权重折算。"
        f"当月件数少于 {b.min_volume} 件的只列出、不参与排名。"
    )


def definitions(b: Bulletin) -> list[str]:
    hours = int(current_app.config["RESPONSE_HOURS"])
    unit_hours = int(current_app.config["UNIT_CHECKIN_HOURS"])
    return [
        f"社区件数：当月反映的诉求（撤销的不计）。响应率：其中 {hours} 小时内接单的比例"
        "（管家随手办结的不计）；解决率：其中已办结的比例。",
        f"部门/物业件数：当月吹哨交办的诉求。响应率：其中 {unit_hours} 小时内报到的比例；"
        "解决率：其中已办结的比例。",
        "按期办结率：当月办结的诉求中，在办理期限内办结的比例。"
        "满意率：当月收到的评价中 4–5 星的比例。超期：月末仍未办结且已过期限的件数。",
        weights_text(b),
    ]


def card_markdown(b: Bulletin, link: str) -> str:
    """The group message beside the image card: the headline and where to download it."""
    t = b.total
    lines = [
        f"## {b.title}",
        f"> 诉求 {t.volume} 件 · 办结 {t.resolved} 件 · 月末超期 {t.overdue} 件",
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
        f"诉求 {t.volume} 件，办结 {t.resolved} 件，月末超期 {t.overdue} 件",
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
