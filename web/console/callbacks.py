"""回访 /console/callbacks: the closed items of the viewer's area that wait for a callback, with
the resident's phone (a private page: staff only, never printed or sent anywhere), a form per
item to record the result and a note, this month's callbacks with a 重新打开 button where the
answer was 不满意, each community's progress against the sample rule, and — for the street's
administrator — the rule itself. Every change is a call of `core.items.callbacks`."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from core.items import callbacks
from infra.errors import ApiError
from models import CALLBACK_RESULTS, Area
from web.console.common import (
    bp,
    chosen_area,
    login_required,
    managed_areas,
    number_arg,
    page_arg,
    principal,
    today,
)

PER_PAGE = 30


@bp.route("/callbacks")
@login_required
def callbacks_page():
    p = principal()
    area = chosen_area()
    page = page_arg()
    query = callbacks.waiting(p, area)
    total = query.count()
    rows = callbacks.describe(list(query.paginate(page, PER_PAGE)))
    _, month_start, _ = callbacks.month_bounds(today())
    done = [
        (c, issue, callbacks.may_reopen(c, issue))
        for c, issue in callbacks.recent(area, month_start)
    ]
    rule_areas = [a for a in managed_areas() if a.kind in ("street", "community")]
    return render_template(
        "console/callbacks.html",
        area=area,
        areas=managed_areas(),
        rows=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        args={"area": area.id},
        results=CALLBACK_RESULTS,
        after_days=callbacks.after_days(),
        within_days=callbacks.within_days(),
        max_attempts=callbacks.max_attempts(),
        progress=callbacks.progress(area),
        sources=callbacks.RULE_SOURCES,
        done=done,
        rule_areas=rule_areas,
        month=today().strftime("%Y年%m月").replace("年0", "年"),
    )


def _back(area_id=None):
    area = number_arg("area", request.form) or area_id
    return redirect(url_for("console.callbacks_page", **({"area": area} if area else {})))


def _run(fn, *args) -> bool:
    """A refusal (409, 400, 403) is a message on the page, never an error page."""
    try:
        fn(principal(), *args)
    except ApiError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
        return False
    return True


@bp.route("/callbacks/<int:issue_id>", methods=["POST"])
@login_required
def callback_record(issue_id: int):
    result = request.form.get("result", "")
    if _run(callbacks.record, issue_id, result, request.form.get("note")):
        flash(f"已记录回访：{CALLBACK_RESULTS[result]}", "ok")
    return _back()


@bp.route("/callbacks/<int:issue_id>/reopen", methods=["POST"])
@login_required
def callback_reopen(issue_id: int):
    if _run(callbacks.reopen, issue_id, request.form.get("note")):
        flash("已重新打开，诉求回到“待接单”，管家将收到通知", "ok")
    return _back()


@bp.route("/callbacks/rule", methods=["POST"])
@login_required
def callback_rule():
    area_id = number_arg("rule_area", request.form)
    area = Area.get_or_none(Area.id == area_id) if area_id is not None else None
    if area is None:
        abort(404)
    if _run(
        callbacks.set_rule,
        area,
        request.form.get("min_percent"),
        request.form.get("min_per_steward"),
    ):
        flash(f"已设定{area.name}的回访抽样要求", "ok")
    return _back()
