"""首页: an area's figures for a period (the same `core.figures.stats` as `GET /api/v1/stats`
and the daily 通报), a 30-day trend drawn here as inline SVG, the per-steward table, and what
waits for the viewer."""

from __future__ import annotations

import heapq
from datetime import timedelta

from flask import render_template, url_for
from markupsafe import Markup, escape

from core.delivery import groups, outbox
from core.figures import kept, stats
from core.households import access as household_access
from core.households import plans as household_plans
from core.items import callbacks, queues
from core.people import identity
from core.timebank import adjustments
from core.volunteering import records
from infra import text
from infra.timeutil import to_local, utcnow
from models import Area, Wish
from web.console.common import (
    bp,
    chosen_area,
    login_required,
    managed_areas,
    parse_period,
    principal,
    scope_key,
    today,
)

TREND_DAYS = 30
TOP = 5  # the items listed under each of 等您处理's chips
STEWARDS_SHOWN = 100  # rows of the steward table (a street has thousands of stewards)

# One line each, shown under the figure: the same definitions as the API's /stats.
DEFINITIONS = {
    "response": "响应率：期间反映的诉求中，按时接单的比例（撤销与管家随手做不计）",
    "handled": "办结率：期间反映的诉求中，办理人已办结的比例（撤销不计）",
    "resolution": "解决率：以居民的话为准——期间居民作答（评价，或回访满意/基本满意/不满意；"
    "每件按期间内最后一次）中，确认解决（3 星及以上、回访满意或基本满意）的比例",
    "satisfaction": "满意率：期间居民作答中，满意（4–5 星或回访满意）的比例；"
    "未评价、回访未接通或拒绝回访的不计",
    "rectification": "整改率：截至期末累计反映的诉求中，已办结的比例",
    "hotline": "按时办结率：期间登记的 12345 转办件中，在转办期限前办结的占已办结的比例",
}


# Each staff queue of `core.items.queues` as the dashboard names it, and the page listing it.
QUEUE_LINKS = {
    "review": ("待审核的微心愿", "console.review", {}),
    "held": ("待决定是否公开的诉求", "console.review", {}),
    "unaccepted": ("待接单的诉求", "console.issues", {"status": "submitted"}),
    "overdue": ("超期未办结的诉求", "console.issues", {"overdue": "1"}),
    "escalated": ("管家上报社区的诉求", "console.issues", {"status": "escalated"}),
    "whistled": ("已吹哨、待部门办结的诉求", "console.issues", {"status": "whistled"}),
}


def waiting_for(area: Area) -> list[dict]:
    """What waits for the viewer in `area`, each with its count and the page that lists it:
    the staff queues (`core.items.queues`, as the bot's 待办 counts them), then the robots and
    messages that failed."""
    p = principal()
    # The item queues and the overdue visits depend on the viewer only through their scopes:
    # kept between changes as the figures are (`core.figures.kept`; any action on an item, a
    # wish or a visit writes an event), so every viewer of one scope shares one copy. What the
    # clock alone changes (an item turning overdue) waits out the minute.
    scopes = (_frozen(p.scope_values()), _frozen(household_access.scope_values(p)))
    key = (p.scope_key(), household_access.scope_key(p), scopes, area.id, area.path)
    out = kept.kept("dashboard.queues", key, lambda: _queues(p, area, utcnow())).value
    # Separation of duties: what a second staff member (this viewer) must approve or certify.
    person = identity.person_of(p)  # who they are, under every login: read once for both
    to_approve, first_adjustment = adjustments.awaiting_within(p, area, person)
    to_certify, first_record = _records_awaiting(p, area, person)
    return [
        *out,
        {
            "label": "待回访的诉求",
            # Kept between changes as the figures are (`core.figures.kept`): a callback, a
            # rating or a closure writes an event; an item entering or leaving the window as
            # the days pass waits out the minute.
            "count": kept.kept(
                "callbacks.due_count", (area.id, area.path), lambda: callbacks.due_count(area)
            ).value,
            "endpoint": "console.callbacks_page",
            "args": {"area": area.id},
        },
        {
            "label": "待您审核的积分调整",
            "count": to_approve,
            "endpoint": "console.timebank",
            "args": {
                "community": first_adjustment.account.community_id,
                "_anchor": "pending-adjustments",
            }
            if first_adjustment
            else {},
        },
        {
            "label": "待您认证的服务记录",
            "count": to_certify,
            "endpoint": "console.service_records",
            "args": {"community": first_record.community_id, "status": "pending", "awaiting": "1"}
            if first_record
            else {},
        },
        {
            "label": "失效的群机器人",
            "count": groups.broken_count(p, area),
            "endpoint": "console.groups",
            "args": {},
        },
        {
            "label": "发送失败的消息",
            "count": outbox.count_within(p, area, "dead"),
            "endpoint": "console.outbox_page",
            "args": {},
        },
    ]


def _frozen(values: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items()))


def _queues(p, area: Area, now) -> list[dict]:
    """The item queues' and the overdue visits' entries of `waiting_for` (see there)."""
    todo = queues.staff_todo(p, now=now, within=area, limit=TOP)
    todo["unaccepted"] = queues.staff_section("unaccepted", p, now, area, TOP)
    out = []
    for name, (label, endpoint, args) in QUEUE_LINKS.items():
        if endpoint == "console.issues":
            args = {**args, "area": area.id}
        section = todo[name]
        out.append(
            {
                "label": label,
                "count": section.count,
                "endpoint": endpoint,
                "args": args,
                "top": [_item_link(row) for row in section.rows],
            }
        )
    # 走访超期: households whose visit is overdue. Private: the dashboard names the alley, the
    # steward and how late, never the address or the family (the card is opened, audited,
    # on its own page).
    late_count, late_rows = household_plans.overdue_section(p, now, area, TOP)
    late_top = [
        {
            "url": url_for("console.household_page", household_id=h.id),
            "text": f"{h.alley.name} · {h.steward.name}",
            "note": f"超期 {max((now - h.visit_due_at).days, 0)} 天",
        }
        for h in late_rows
    ]
    out.append(
        {
            "label": "走访超期的包联户",
            "count": late_count,
            "endpoint": "console.households",
            "args": {"overdue": "1"},
            "top": late_top,
        }
    )
    return out


def _records_awaiting(p, area: Area, person) -> tuple[int, object]:
    """`records.awaiting_within`. A street's administrator's share (the records no one on a
    community's own staff can certify) is a plain query built from who staffs each of its
    forty communities — a quarter of their 首页 — so it is kept per worker between changes
    (`core.figures.kept`: a record, a certification or a change of staff writes an event; at
    most a minute otherwise). Everyone else's is compiled once and read every time."""
    if not any(root.kind == "street" for root in p.area_roots):
        return records.awaiting_within(p, area, person)
    key = (p.user.id, *scope_key(p), area.id, area.path)
    return kept.kept(
        "records.awaiting_within", key, lambda: records.awaiting_within(p, area, person)
    ).value


def _item_link(row) -> dict:
    """One row of a queue as the dashboard lists it: its number, where, and a few words."""
    if isinstance(row, Wish):
        return {
            "url": url_for("console.wish_page", wish_id=row.id),
            "text": row.number,
            "note": text.shorten(row.title, 16),
        }
    return {
        "url": url_for("console.issue_page", issue_id=row.id),
        "text": row.number,
        "note": f"{row.category} · {text.shorten(row.content, 16)}",
    }


def trend_svg(days: list[dict]) -> Markup:
    """A two-line chart (reported, resolved per day), sized by its viewBox to any width."""
    w, h, left, bottom, top = 720, 200, 34, 26, 12
    top_value = max([d["new"] for d in days] + [d["resolved"] for d in days] + [1])
    step = max(1, -(-top_value // 4))  # four gridlines, whole numbers
    y_max = step * 4
    inner_w, inner_h = w - left - 10, h - top - bottom
    x_step = inner_w / max(1, len(days) - 1)

    def xy(i, v):
        return left + i * x_step, top + inner_h - v / y_max * inner_h

    parts = [
        f'<svg class="trend" viewBox="0 0 {w} {h}" role="img" '
        f'aria-label="近{len(days)}天诉求趋势：每日新增与办结">'
    ]
    for k in range(5):
        y = top + inner_h - k * inner_h / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{w - 10}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="ylab">{k * step}</text>')
    for i, d in enumerate(days):
        if i % 5 == 0 or i == len(days) - 1:
            x, _ = xy(i, 0)
            label = f"{d['day'].month}/{d['day'].day}"
            parts.append(f'<text x="{x:.1f}" y="{h - 6}" class="xlab">{label}</text>')
    for key, cls in (("new", "l-new"), ("resolved", "l-res")):
        points = " ".join(
            f"{x:.1f},{y:.1f}" for x, y in (xy(i, d[key]) for i, d in enumerate(days))
        )
        parts.append(f'<polyline points="{points}" class="{cls}"/>')
        for i, d in enumerate(days):
            x, y = xy(i, d[key])
            tip = escape(f"{d['day']:%m-%d} {'新增' if key == 'new' else '办结'} {d[key]}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" class="{cls}"><title>{tip}</title></circle>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


@bp.route("/")
@login_required
def dashboard():
    area = chosen_area()
    day = today()
    first, last, error = parse_period((day.replace(day=1), day))
    figures = _figures_html(area, first, last, min(last, day))
    return render_template(
        "console/dashboard.html",
        area=area,
        areas=managed_areas(),
        first=first,
        last=last,
        error=error,
        figures_html=figures.value,
        counted_at=to_local(figures.counted_at),
        waiting=waiting_for(area),
    )


def _figures_html(area: Area, first, last, trend_last) -> kept.Kept:
    """The figures' sections of the page (counts, rates, the trend, the stewards, the wishes)
    as HTML, with when they were counted. Kept per worker between changes as the figures are
    (`core.figures.kept`), and rendered once per copy: the same for every viewer of the area
    and period (a street's hundred-row steward table was a fifth of a warm page). The page
    says when they were counted, since they may be up to a minute old where nothing changed."""

    def render() -> kept.Kept:
        kept_figures = stats.kept_period_stats(area, first, last)
        kept_trend = stats.kept_daily_trend(area, trend_last, TREND_DAYS)
        figures, trend = kept_figures.value, kept_trend.value
        html = render_template(
            "console/_dashboard_figures.html",
            area=area,
            f=figures,
            definitions=DEFINITIONS,
            trend=trend_svg(trend),
            trend_totals={
                "new": sum(d["new"] for d in trend),
                "resolved": sum(d["resolved"] for d in trend),
                "from": trend_last - timedelta(days=TREND_DAYS - 1),
            },
            stewards_shown=_stewards_shown(figures["by_steward"]),
        )
        return kept.Kept(Markup(html), min(kept_figures.counted_at, kept_trend.counted_at))

    key = (area.id, area.path, first, last, trend_last)
    return kept.kept("dashboard.figures_html", key, render)


def _stewards_shown(rows: list[dict]) -> list[dict]:
    """The steward table's rows: all of a community's; for a street of thousands the
    STEWARDS_SHOWN most overdue, then the busiest (the 管家 page lists everyone). Picked
    without sorting all five thousand: `nsmallest` keeps only the hundred best so far."""
    if len(rows) <= STEWARDS_SHOWN:
        return rows
    return heapq.nsmallest(
        STEWARDS_SHOWN, rows, key=lambda r: (-r["overdue"], -r["new"], r["name"])
    )
