"""管家 /console/stewards: the list with search, filters (grid, alley, bound or not, post,
serving or dismissed) and paging; a steward's page /console/stewards/<id> (alleys, items,
patrols, households, points, bind status, history) with 解绑 here and 重新生成绑定码 / 离任
in `web.console.people`. The queries and changes are `core.people.stewards`'s."""

from __future__ import annotations

import dataclasses

from flask import abort, flash, redirect, render_template, request, url_for

from core.figures import kept
from core.people import stewards as steward_service
from infra.errors import ApiError
from models import STEWARD_POSTS
from web.console.common import (
    areas_in_scope,
    bp,
    login_required,
    managed_areas,
    number_arg,
    page_arg,
    principal,
    scope_key,
)


@bp.route("/stewards")
@login_required
def stewards():
    p = principal()
    args = request.args
    status = args.get("status", "active")
    filters = steward_service.Filters(
        text=(args.get("q") or "").strip()[:20] or None,
        grid_id=number_arg("grid"),
        alley_id=number_arg("alley"),
        bound=args.get("bound") if args.get("bound") in steward_service.BIND_FILTERS else None,
        post=args.get("post") if args.get("post") in STEWARD_POSTS else None,
        active={"active": True, "dismissed": False}.get(status),
    )
    page = page_arg()
    per_page = steward_service.PER_PAGE
    total, found = _page(p, filters, page, per_page)
    alleys = steward_service.alley_names_of([s.id for s in found])
    rows = [{"s": s, "alleys": alleys.get(s.id, [])} for s in found]
    return render_template(
        "console/stewards.html",
        rows=rows,
        total=total,
        page=page,
        per_page=per_page,
        args={k: v for k, v in args.items() if k != "page"},
        grids=[a for a in managed_areas() if a.kind == "grid"],
        alleys=areas_in_scope(("alley",)),
        posts=STEWARD_POSTS,
        status=status,
    )


def _page(p, filters: steward_service.Filters, page: int, per_page: int):
    """The list's page and how many match. Browsing (no search words), the order of every match
    is kept per scope and filters between changes (`core.figures.kept`: adding, editing,
    binding or dismissing a steward writes an event, and at most a minute old otherwise), so
    paging a street's 5,000 stewards reads fifty rows by id instead of sorting them all on
    every request. A search is narrow and read afresh."""
    if filters.text:
        return steward_service.directory_page(p, filters, page, per_page)
    key = (*scope_key(p), dataclasses.astuple(filters))
    order = kept.kept(
        "console.steward_order", key, lambda: steward_service.directory_ids(p, filters)
    ).value
    start = (page - 1) * per_page
    return len(order), steward_service.in_order(order[start : start + per_page])


def _in_scope(steward_id: int):
    try:
        return steward_service.in_scope(principal(), steward_id)
    except ApiError:
        abort(404)


@bp.route("/stewards/<int:steward_id>")
@login_required
def steward_page(steward_id: int):
    steward = _in_scope(steward_id)
    return render_template(
        "console/steward.html",
        s=steward,
        info=steward_service.profile(principal(), steward),
    )


@bp.route("/stewards/<int:steward_id>/unbind", methods=["POST"])
@login_required
def steward_unbind(steward_id: int):
    steward = _in_scope(steward_id)
    try:
        steward_service.unbind(principal(), steward, request.form.get("reason", ""))
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        flash(f"已解绑 {steward.name}：原微信/企业微信立即失效，请重新生成绑定码让其再次绑定", "ok")
    return redirect(url_for("console.steward_page", steward_id=steward.id))
