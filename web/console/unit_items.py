"""Staff's hand-offs to handling units on an issue's page: 吹哨 (a unit and a tier, both
chosen explicitly — the form has no default tier, and an item's tier is never changed
silently), 催办 (a message to the unit's group), 督办 (the street leader is told) and the
answer to a unit's 申请延期. Each is a call of `core.units` with the viewer's `Principal`,
which checks, audits and writes the outbox row; a refusal draws the page again with the
reason and its status (400 for a bad field, 409 for an item no longer in that state).
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for

from core.units import actions, handling
from infra.errors import ApiError
from infra.text import whole_number
from web.console.common import bp, login_required, principal
from web.console.items import _issue_in_scope, issue_html

NOTE_MAX = 500


def _text(name: str, what: str, required: bool = True) -> str:
    value = (request.form.get(name) or "").strip()
    if required and not value:
        raise ApiError(400, "bad_request", f"请填写{what}", {name: "不能为空"})
    if len(value) > NOTE_MAX:
        raise ApiError(
            400, "bad_request", f"{what}最多 {NOTE_MAX} 字", {name: f"最多 {NOTE_MAX} 字"}
        )
    return value


def _run(issue_id: int, fn, done):
    """Run `fn()`; its refusal redraws the page with the reason and status, else a flash
    (`done`, or `done(result)`) and back to the page."""
    issue = _issue_in_scope(issue_id)
    form = {k: request.form.get(k, "") for k in ("unit_id", "tier", "note", "approve")}
    try:
        result = fn()
    except ApiError as exc:
        if exc.status == 404:
            abort(404)
        fields = "".join(f"（{v}）" for v in exc.fields.values() if v not in exc.message)
        return issue_html(
            type(issue).get_by_id(issue.id),
            status=exc.status,
            error=exc.message + fields,
            form=form,
        )
    flash(done(result) if callable(done) else done, "ok")
    return redirect(url_for("console.issue_page", issue_id=issue_id))


@bp.route("/issues/<int:issue_id>/whistle", methods=["POST"])
@login_required
def issue_whistle(issue_id: int):
    def go():
        unit_id = whole_number(request.form.get("unit_id"))
        if unit_id is None:
            raise ApiError(400, "bad_request", "请选择承办单位", {"unit_id": "必选"})
        tier = request.form.get("tier") or ""
        if tier not in handling.tier_days():
            raise ApiError(
                400, "bad_request", "请选择紧急程度（一般、重要或重大）", {"tier": "必选"}
            )
        return handling.whistle(principal(), issue_id, unit_id, _text("note", "吹哨说明"), tier)

    def done(issue):
        return (
            f"已吹哨，交 {issue.department.name} 办理"
            f"（{handling.TIER_LABELS[issue.priority]}，已通知该单位）"
        )

    return _run(issue_id, go, done)


@bp.route("/issues/<int:issue_id>/urge", methods=["POST"])
@login_required
def issue_urge(issue_id: int):
    def go():
        return actions.urge(principal(), issue_id, _text("note", "催办内容"))

    return _run(issue_id, go, lambda issue: f"已催办 {issue.department.name}")


@bp.route("/issues/<int:issue_id>/supervise", methods=["POST"])
@login_required
def issue_supervise(issue_id: int):
    def go():
        return actions.supervise(principal(), issue_id, _text("note", "督办说明", False))

    def done(result):
        _, told = result
        if told:
            return "已提请街道督办，已发到街道（或社区）工作群"
        return "已标记为街道督办；街道和社区都没有登记工作人员群，消息未能发出，请电话告知街道"

    return _run(issue_id, go, done)


@bp.route("/issues/<int:issue_id>/extension", methods=["POST"])
@login_required
def issue_extension_decide(issue_id: int):
    approve = request.form.get("approve")

    def go():
        if approve not in ("1", "0"):
            raise ApiError(400, "bad_request", "请选择同意或不同意", {"approve": "必选"})
        note = _text("note", "审批说明", False)
        return actions.decide_extension(principal(), issue_id, approve == "1", note)

    return _run(issue_id, go, "已同意延期，期限已顺延" if approve == "1" else "已不同意延期")
