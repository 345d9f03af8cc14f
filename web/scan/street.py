"""The street's public figures page `/s/<code>` (公示): this month's 三率 and counts of every
community of the street, for anyone, while the street's admin keeps it public
(`core.figures.street_page`); a 404 otherwise, the same as an unknown code. Counts and rates
only: no resident, no steward, no item."""

from __future__ import annotations

from flask import render_template

from core.figures import league, street_page
from infra.timeutil import to_local, utcnow
from web.scan.common import bp, message_page


@bp.get("/s/<code>", endpoint="street_page")
def street_page_view(code: str):
    page = street_page.published(code) if len(code) <= 16 else None
    if page is None:
        return message_page(404, "找不到该页面", "该街道的公开数据不存在或暂未公开。")
    today = to_local(utcnow()).date()
    table = street_page.month_figures(page.street, today)
    totals = {
        "volume": sum(r.volume for r in table.communities),
        "overdue": sum(r.overdue for r in table.communities),
        "resolved": sum(r.closed for r in table.communities),  # 办结, not the resident's word
    }
    return render_template(
        "scan/street.html",
        street=page.street,
        t=table,
        totals=totals,
        first=table.first,
        last=table.last,
        labels=league.RATE_LABELS,
    )
