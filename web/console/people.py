"""管家 (stewards: bind codes, dismissal; the list and a steward's page: `web.console.stewards`), 工作群 (WeCom groups and their robots), 发送记录
(what was sent to whom — group or person, the text or the card — attempts, errors, retry) and 考核 (quarterly assessments). Each change
is the `core` call the API makes (`core.people.auth`, `core.delivery.groups`,
`core.delivery.outbox`, `core.figures.assessment`), with the API's scope checks."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, flash, redirect, render_template, request, url_for

from core.delivery import group_desk, outbox, outbox_view
from core.delivery import groups as group_service
from core.figures import assessment, assessment_report
from core.people import auth
from core.people import stewards as steward_service
from infra.errors import ApiError
from models import OutboxMessage, Steward
from web.console.common import bp, chosen_area, login_required, managed_areas, principal

NOTE_MAX = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _back_to(steward: Steward) -> str:
    """The steward's page when the form was sent from it, else the list."""
    if request.form.get("from") == "page":
        return url_for("console.steward_page", steward_id=steward.id)
    return url_for("console.stewards")


def _steward_in_scope(steward_id: int) -> Steward:
    steward = Steward.get_or_none(Steward.id == steward_id)
    if steward is None or not principal().can_manage_steward(steward):
        abort(404)
    return steward


@bp.route("/stewards/<int:steward_id>/bind-code", methods=["POST"])
@login_required
def steward_bind_code(steward_id: int):
    steward = _steward_in_scope(steward_id)
    if not steward.active:
        flash(f"{steward.name} 已离任，不能发放绑定码", "error")
        return redirect(_back_to(steward))
    # A new code replaces any earlier unused one (core.people.stewards.new_bind_code).
    code, expires_at = steward_service.new_bind_code(principal(), steward)
    back = _back_to(steward)
    return render_template(
        "console/bind_code.html",
        who=steward.name,
        code=code,
        expires_at=expires_at,
        hint=f"请管家在企业微信工作群里发送：绑定 {code}　或在小程序中输入绑定码。",
        back_url=back,
        back_label="返回" if back != url_for("console.stewards") else "返回管家列表",
    )


@bp.route("/stewards/<int:steward_id>/dismiss", methods=["POST"])
@login_required
def steward_dismiss(steward_id: int):
    steward = _steward_in_scope(steward_id)
    reason = (request.form.get("reason") or "").strip()[:NOTE_MAX]
    if not reason:
        flash("请填写离任原因", "error")
        return redirect(_back_to(steward))
    try:
        still_open = auth.dismiss_steward(steward, actor=principal().user, reason=reason)
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        msg = f"{steward.name} 已离任，权限立即失效，所在街巷的公示牌需要重新打印。"
        if still_open:
            msg += f" 还有 {still_open} 件未办结的诉求派给了他/她，请到“诉求”改派。"
        flash(msg, "ok")
    return redirect(_back_to(steward))


# --- 工作群 -----------------------------------------------------------------------------------


@bp.route("/groups", methods=["GET", "POST"])
@login_required
def groups():
    p = principal()
    if request.method == "POST":
        area = chosen_area()
        try:
            group_service.create(
                area,
                request.form.get("webhook_key", ""),
                chat_id=(request.form.get("chat_id") or "").strip() or None,
                name=(request.form.get("name") or "").strip()[:100],
                audience=request.form.get("audience", "stewards"),
                actor=p.user,
            )
        except ApiError as exc:
            flash(exc.message + "".join(f"（{v}）" for v in exc.fields.values()), "error")
        else:
            flash("已登记该群，机器人会把每日通报和提醒发到群里", "ok")
        return redirect(url_for("console.groups"))
    areas = [a for a in managed_areas() if a.kind in ("community", "grid")]
    rows = list(group_service.visible_query(p))
    return render_template(
        "console/groups.html", rows=rows, areas=areas, last_sent=group_desk.last_sent(rows)
    )


def _group_or_404(group_id: int):
    try:
        return group_service.get_for(group_id, principal())
    except ApiError:
        abort(404)


@bp.route("/groups/<int:group_id>")
@login_required
def group_page(group_id: int):
    group = _group_or_404(group_id)
    return render_template(
        "console/group.html",
        g=group,
        last_sent=group_desk.last_sent([group]).get(group.id),
        members=group_desk.known_members(group),
        audiences=group_service.AUDIENCES,
    )


@bp.route("/groups/<int:group_id>/edit", methods=["POST"])
@login_required
def group_edit(group_id: int):
    """Rename, and 停用 / 启用 (`active`); audited in `groups.update`."""
    group = _group_or_404(group_id)
    changes = {"name": (request.form.get("name") or "").strip()[:100] or None}
    if request.form.get("active") in ("0", "1"):
        changes["active"] = request.form["active"] == "1"
    try:
        group_service.update(group, changes, actor=principal().user)
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        if changes.get("active") is False:
            flash("已停用该群：不再向它推送消息", "ok")
        else:
            flash("已保存", "ok")
    return redirect(url_for("console.group_page", group_id=group.id))


@bp.route("/groups/<int:group_id>/test", methods=["POST"])
@login_required
def group_test(group_id: int):
    group = _group_or_404(group_id)
    try:
        group_desk.send_test(principal(), group)
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        flash("测试消息已排队发送，稍后请在群里查看；发送结果见“发送记录”", "ok")
    return redirect(url_for("console.group_page", group_id=group.id))


@bp.route("/groups/<int:group_id>/repaired", methods=["POST"])
@login_required
def group_repaired(group_id: int):
    p = principal()
    try:
        group = group_service.get_for(group_id, p)
    except ApiError:
        abort(404)
    changes = {"robot_status": "ok"}
    if request.form.get("webhook_key", "").strip():
        changes["webhook_key"] = request.form["webhook_key"]
    try:
        group_service.update(group, changes, actor=p.user)
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        flash(f"“{group.name or group.area.name}”的机器人已标记为正常", "ok")
    return redirect(url_for("console.groups"))


# --- 发送记录 ---------------------------------------------------------------------------------


@bp.route("/outbox")
@login_required
def outbox_page():
    status = request.args.get("status", "")
    query = outbox.query_for(principal(), status=status if status in outbox.STATUS_LABELS else None)
    if status not in outbox.STATUS_LABELS and status != "all":
        status = ""
        query = query.where(OutboxMessage.status.in_(outbox.RETRYABLE_STATUSES))
    return render_template(
        "console/outbox.html",
        rows=outbox_view.describe(list(query.limit(200))),
        labels=outbox.STATUS_LABELS,
        kinds=outbox.KIND_LABELS,
        status=status,
    )


@bp.route("/outbox/<int:message_id>/image")
@login_required
def outbox_image(message_id: int):
    """The card or photo an image message sent (scoped as the list)."""
    try:
        msg = outbox.get_for(message_id, principal())
    except ApiError:
        abort(404)
    found = outbox_view.image_of(msg.payload if isinstance(msg.payload, dict) else {})
    if found is None:
        abort(404)
    data, mime = found
    return Response(data, mimetype=mime, headers={"Cache-Control": "private, max-age=3600"})


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@login_required
def outbox_retry(message_id: int):
    try:
        outbox.retry(message_id, principal())
    except ApiError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
    else:
        flash("已重新排队发送", "ok")
    return redirect(url_for("console.outbox_page"))


# --- 考核 -------------------------------------------------------------------------------------


def _period() -> assessment_report.Period:
    """The `?period=` asked for (a quarter or a year), else the latest with results."""
    text = request.values.get("period", "").strip()
    if text:
        try:
            return assessment_report.Period.parse(text)
        except ValueError as exc:
            flash(f"期间：{exc}", "error")
    return assessment_report.latest_with_data(principal())


@bp.route("/assessments", methods=["GET", "POST"])
@login_required
def assessments():
    p = principal()
    period = _period()
    if request.method == "POST":
        if period.is_year:
            flash("只能按季度考核；年度结果由各季度汇总", "error")
            return redirect(url_for("console.assessments", period=period.text))
        quarter = assessment.Quarter.parse(period.text)
        count = sum(
            len(assessment.run(quarter, area=root, send=False, actor=p.user))
            for root in p.area_roots
        )
        flash(f"已完成 {quarter} 考核，共 {count} 位管家", "ok")
        return redirect(url_for("console.assessments", period=str(quarter)))
    return render_template(
        "console/assessments.html",
        rows=assessment_report.rows(p, period),
        period=period,
        periods=assessment_report.periods(p),
        weights=assessment_report.weights(),
        explanation=assessment_report.explanation(),
        parts=assessment_report.PART_LABELS,
    )


@bp.route("/assessments.<fmt>")
@login_required
def assessments_export(fmt: str):
    if fmt not in ("xlsx", "pdf"):
        abort(404)
    text = request.values.get("period", "").strip()
    period = (
        assessment_report.parse_period(text)
        if text
        else assessment_report.latest_with_data(principal())
    )
    data, name = assessment_report.export(principal(), period, fmt)
    mimetype = "application/pdf" if fmt == "pdf" else XLSX
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": (
                f"attachment; filename=assessment-{period.text}.{fmt};"
                f" filename*=UTF-8''{quote(name)}"
            )
        },
    )
