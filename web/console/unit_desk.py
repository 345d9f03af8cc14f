"""本单位待办: what a handling unit's member (core.units) sees in the console, and nothing else.

Their login lands here (`common.login_required` sends them from the home page and refuses
them every staff page). The list is the items whistled to their units
(`core.items.lists`, scope `unit`); an item's page shows its photos and the resident's phone
(a private page: only the unit it is handed to reaches it) and the unit's actions — 报到,
进展 (note and photos), 申请延期 (reason, days), 退回 (reason), 办结 (result and photos) —
each a call of `core.units.actions`. An item of another unit answers 404, and a refused action
(done already by a colleague, a bad field) draws the page again with the reason and the
refusal's status (409, 400).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from core import media
from core.items import issues as issue_flow
from core.items import lists
from core.items.lists import IssueFilters
from core.items.presenters import issue_out
from core.units import actions
from infra.errors import ApiError
from infra.text import whole_number
from models import Department, Issue
from web.console.common import bp, page_arg, principal, unit_required

PER_PAGE = 30
NOTE_MAX = 500
MAX_PHOTOS = 9
TABS = {"open": "办理中", "done": "已办结"}


def _my_units() -> list[Department]:
    ids = sorted(principal().unit_ids)
    return list(Department.select().where(Department.id.in_(ids)).order_by(Department.name))


@bp.route("/unit/")
@unit_required
def unit_queue():
    p = principal()
    tab = request.args.get("tab") if request.args.get("tab") in TABS else "open"
    status = "whistled" if tab == "open" else None
    q = lists.issue_list(p, IssueFilters(scope="unit", status=status))
    if tab == "done":
        q = q.where(Issue.status != "whistled")
    page = page_arg()
    total = q.count()
    rows = list(q.paginate(page, PER_PAGE))
    return render_template(
        "console/unit_queue.html",
        units=_my_units(),
        rows=rows,
        statuses=issue_flow.STATUS_LABELS,
        tiers=issue_flow.PRIORITY_LABELS,
        is_overdue=issue_flow.is_overdue,
        tab=tab,
        tabs=TABS,
        total=total,
        page=page,
        per_page=PER_PAGE,
        args=request.args,
    )


def _my_issue(issue_id: int) -> Issue:
    """An item whistled to one of the caller's units (now or before): anything else is 404."""
    issue = Issue.get_or_none(Issue.id == issue_id)
    if issue is None or issue.department_id not in principal().unit_ids:
        abort(404)
    return issue


def _item_html(
    issue: Issue, *, status: int = 200, error: str | None = None, form=None, posted=None
):
    p = principal()
    html = render_template(
        "console/unit_issue.html",
        issue=issue,
        i=issue_out(p, issue, timeline=True),
        alley=issue.alley,
        unit=Department.get_or_none(Department.id == issue.department_id),
        pending=actions.pending_extension(issue) if issue.status == "whistled" else None,
        max_days=int(current_app.config["UNIT_EXTENSION_MAX_DAYS"]),
        error=error,
        form=form or {},
        posted=posted,
    )
    return html, status


@bp.route("/unit/issues/<int:issue_id>")
@unit_required
def unit_issue(issue_id: int):
    return _item_html(_my_issue(issue_id))


def _text(name: str, what: str) -> str:
    value = (request.form.get(name) or "").strip()
    if len(value) > NOTE_MAX:
        raise ApiError(
            400, "bad_request", f"{what}最多 {NOTE_MAX} 字", {name: f"最多 {NOTE_MAX} 字"}
        )
    return value


def _photos() -> list[int]:
    """The photos chosen in the form, stored as the member's own uploads (so core accepts
    them on their progress or result)."""
    uploads = [f for f in request.files.getlist("photos") if f and f.filename]
    if len(uploads) > MAX_PHOTOS:
        raise ApiError(400, "bad_request", f"最多 {MAX_PHOTOS} 张照片", {"photos": "太多"})
    limit = int(current_app.config["MAX_UPLOAD_BYTES"])
    ids = []
    for upload in uploads:
        data = upload.stream.read(limit + 1)
        if data:
            ids.append(media.save_image(data, principal().user).id)
    return ids


def _days() -> int:
    days = whole_number(request.form.get("days"))
    if days is None:
        raise ApiError(400, "bad_request", "请填写延期天数（整数）", {"days": "须为整数"})
    return days


DONE = {
    "check-in": "已报到，请在期限内办结",
    "progress": "已登记进展",
    "extension": "已申请延期，等待社区审批",
    "return": "已退回社区，社区会重新安排",
    "resolve": "已办结，社区和反映人会收到通知",
}


@bp.route("/unit/issues/<int:issue_id>/<action>", methods=["POST"])
@unit_required
def unit_issue_action(issue_id: int, action: str):
    if action not in DONE:
        abort(404)
    issue = _my_issue(issue_id)
    p = principal()
    form = {k: request.form.get(k, "") for k in ("note", "reason", "days")}
    try:
        if action == "check-in":
            actions.check_in(p, issue_id)
        elif action == "progress":
            note = _text("note", "进展说明")
            actions.progress(p, issue_id, note, _photos())
        elif action == "extension":
            actions.request_extension(p, issue_id, _days(), _text("reason", "延期原因"))
        elif action == "return":
            actions.return_to_community(p, issue_id, _text("reason", "退回原因"))
        else:
            note = _text("note", "办结说明")
            if not note:
                raise ApiError(400, "bad_request", "请填写办结说明", {"note": "不能为空"})
            actions.resolve(p, issue_id, note, _photos())
    except ApiError as exc:
        if exc.status == 404:
            abort(404)
        fields = "".join(f"（{v}）" for v in exc.fields.values() if v not in exc.message)
        return _item_html(
            Issue.get_by_id(issue.id),
            status=exc.status,
            error=exc.message + fields,
            form=form,
            posted=action,
        )
    flash(DONE[action], "ok")
    if action == "return":  # no longer the unit's: back to the queue
        return redirect(url_for("console.unit_queue"))
    return redirect(url_for("console.unit_issue", issue_id=issue_id))
