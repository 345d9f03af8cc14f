"""管家 (stewards: bind codes, dismissal), 工作群 (WeCom groups and their robots), 发送记录
(failed and uncertain outbound messages, retry) and 考核 (quarterly assessments). Each change
is the `core` call the API makes (`core.people.auth`, `core.delivery.groups`,
`core.delivery.outbox`, `core.figures.assessment`), with the API's scope checks."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from core.delivery import groups as group_service
from core.delivery import outbox
from core.figures import assessment
from core.people import auth
from infra.errors import ApiError
from models import Area, Assessment, OutboxMessage, Steward, StewardAlley
from web.console.common import bp, chosen_area, login_required, managed_areas, principal

NOTE_MAX = 500


def _steward_in_scope(steward_id: int) -> Steward:
    steward = Steward.get_or_none(Steward.id == steward_id)
    if steward is None or not principal().can_manage_steward(steward):
        abort(404)
    return steward


@bp.route("/stewards")
@login_required
def stewards():
    p = principal()
    links = list(
        StewardAlley.select(StewardAlley, Area, Steward)
        .join(Area, on=(StewardAlley.alley == Area.id))
        .switch(StewardAlley)
        .join(Steward)
        .where(p.area_condition(Area))
        .order_by(Steward.active.desc(), Area.path, Steward.name)
    )
    rows: dict[int, dict] = {}
    for link in links:
        row = rows.setdefault(link.steward.id, {"s": link.steward, "alleys": []})
        row["alleys"].append(link.alley.name)
    return render_template("console/stewards.html", rows=list(rows.values()))


@bp.route("/stewards/<int:steward_id>/bind-code", methods=["POST"])
@login_required
def steward_bind_code(steward_id: int):
    steward = _steward_in_scope(steward_id)
    if not steward.active:
        flash(f"{steward.name} 已离任，不能发放绑定码", "error")
        return redirect(url_for("console.stewards"))
    p = principal()
    code, expires_at = auth.issue_bind_code(
        steward=steward, issued_by=f"{p.user.nickname or '工作人员'}(用户{p.user.id})", actor=p.user
    )
    return render_template(
        "console/bind_code.html", steward=steward, code=code, expires_at=expires_at
    )


@bp.route("/stewards/<int:steward_id>/dismiss", methods=["POST"])
@login_required
def steward_dismiss(steward_id: int):
    steward = _steward_in_scope(steward_id)
    reason = (request.form.get("reason") or "").strip()[:NOTE_MAX]
    if not reason:
        flash("请填写离任原因", "error")
        return redirect(url_for("console.stewards"))
    try:
        still_open = auth.dismiss_steward(steward, actor=principal().user, reason=reason)
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        msg = f"{steward.name} 已离任，权限立即失效，所在街巷的公示牌需要重新打印。"
        if still_open:
            msg += f" 还有 {still_open} 件未办结的诉求派给了他/她，请到“诉求”改派。"
        flash(msg, "ok")
    return redirect(url_for("console.stewards"))


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
    return render_template(
        "console/groups.html", rows=list(group_service.visible_query(p)), areas=areas
    )


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
    if not status:
        query = query.where(OutboxMessage.status.in_(outbox.RETRYABLE_STATUSES))
    return render_template(
        "console/outbox.html",
        rows=list(query.limit(200)),
        labels=outbox.STATUS_LABELS,
        kinds=outbox.KIND_LABELS,
        status=status,
    )


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


def _quarter() -> assessment.Quarter:
    text = request.values.get("period", "").strip()
    if text:
        try:
            return assessment.Quarter.parse(text)
        except ValueError as exc:
            flash(str(exc), "error")
    return assessment.Quarter.last_finished()


@bp.route("/assessments", methods=["GET", "POST"])
@login_required
def assessments():
    p = principal()
    quarter = _quarter()
    if request.method == "POST":
        count = sum(
            len(assessment.run(quarter, area=root, send=False, actor=p.user))
            for root in p.area_roots
        )
        flash(f"已完成 {quarter} 考核，共 {count} 位管家", "ok")
        return redirect(url_for("console.assessments", period=str(quarter)))
    in_scope = (
        StewardAlley.select(StewardAlley.steward)
        .join(Area, on=(StewardAlley.alley == Area.id))
        .where(p.area_condition(Area))
    )
    rows = list(
        Assessment.select(Assessment, Steward)
        .join(Steward)
        .where((Assessment.period == str(quarter)) & Assessment.steward.in_(in_scope))
        .order_by(Assessment.total.desc(), Assessment.id)
    )
    return render_template("console/assessments.html", rows=rows, quarter=quarter)
