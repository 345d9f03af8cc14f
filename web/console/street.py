"""街道总览 /console/street: the street admin's landing page — every community and every
handling unit of the street side by side (`core.figures.league`), sortable by a query
parameter, with the rule that a row under `RANKING_MIN_VOLUME` items is listed but not ranked;
and the switch of the street's public figures page (`core.figures.street_page`)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from core.figures import league, street_page
from web.console.common import (
    admin_required,
    bp,
    chosen_area,
    login_required,
    parse_period,
    principal,
    today,
)


def streets_in_scope() -> list:
    """The streets the viewer manages (an admin's roots are streets)."""
    return [a for a in principal().area_roots if a.kind == "street"]


def _street():
    """The `?area=` street (403 outside the viewer's scope, 404 not a street), else the
    viewer's first street; a viewer who manages no street (community staff) gets 403."""
    if not streets_in_scope():
        abort(403)
    area = chosen_area() if request.values.get("area", "").strip() else streets_in_scope()[0]
    if area.kind != "street":
        abort(404)
    return area


def landing_for(p) -> str:
    """Where a console login lands without a `next=`: a street admin on the street's
    overview, everyone else on the dashboard."""
    if any(a.kind == "street" for a in p.area_roots):
        return url_for("console.street")
    return url_for("console.dashboard")


@bp.route("/street")
@login_required
def street():
    area = _street()
    day = today()
    first, last, error = parse_period((day.replace(day=1), day))
    sort = request.args.get("sort", league.DEFAULT_SORT)
    if sort not in league.SORT_KEYS:
        sort = league.DEFAULT_SORT
    # Rates and volume read best highest first; overdue and names lowest first.
    default_order = "asc" if sort in ("overdue", "name") else "desc"
    order = request.args.get("order", default_order)
    if order not in ("asc", "desc"):
        order = default_order
    table = league.league(area, first, last, sort=sort, descending=order == "desc")
    page = street_page.page_of(area)
    return render_template(
        "console/street.html",
        area=area,
        areas=streets_in_scope(),
        first=first,
        last=last,
        error=error,
        t=table,
        labels=league.RATE_LABELS,
        rates=league.RATES,
        page=page,
    )


@bp.route("/street/public", methods=["POST"])
@admin_required
def street_public():
    area = _street()
    on = request.form.get("public") == "1"
    page = street_page.set_public(principal(), area, on)
    if on:
        flash(f"已公开本月数据：{street_page.public_url(page)}", "ok")
    else:
        flash("已停止公开，公开页面和公示牌上的链接随即失效", "ok")
    return redirect(url_for("console.street", area=area.id))
