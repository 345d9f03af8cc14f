"""志愿服务 in the console: 志愿者 (the directory, confirming in-service party members, 双报到
units and volunteer teams), 活动 (publish, the sign-up list, checking people in and out),
服务记录 (certify one or many, change a pending record, correct a certified one) and 年度评定
(the proposal from certified hours, confirming or changing it, the workbook per unit).

Every change calls the same `core.volunteering` function the API and the bot call (which scopes and
audits it); a certified record has no edit form — only 更正, which adds a reversing record.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from flask import Response, abort, flash, redirect, render_template, request, url_for

from core.people import identity
from core.volunteering import activities, grading, records, volunteers
from infra import text, timeutil
from infra.errors import ApiError
from models import Activity, Area, ServiceRecord, ServiceUnit, Volunteer, VolunteerTeam
from web.console.common import (
    bp,
    login_required,
    managed_areas,
    number_arg,
    page_arg,
    principal,
    today,
)

PER_PAGE = 50
TABS = (
    ("console.volunteers_page", "志愿者"),
    ("console.activities_page", "活动"),
    ("console.service_records", "服务记录"),
    ("console.gradings", "年度评定"),
)


def _message(exc: ApiError) -> str:
    return exc.message + "".join(f"（{v}）" for v in exc.fields.values() if v not in exc.message)


def _communities() -> list[Area]:
    return [a for a in managed_areas() if a.kind == "community"]


def _community() -> Area:
    """The community the page is about: `?community=` (in scope) or the viewer's first."""
    choices = _communities()
    if not choices:
        abort(404)
    raw = request.values.get("community", "").strip()
    if not raw:
        return choices[0]
    community_id = text.whole_number(raw)
    if community_id is None:
        abort(404)
    for area in choices:
        if area.id == community_id:
            return area
    abort(403)


def _page(template: str, **context):
    return render_template(
        f"console/{template}",
        tabs=TABS,
        communities=_communities(),
        **context,
    )


def _back(endpoint: str, community: Area, **extra):
    return redirect(url_for(endpoint, community=community.id, **extra))


def _local_input(value: str) -> datetime:
    """A `datetime-local` field ("2026-12-05T09:00"), read as local time."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ApiError(400, "validation_error", "时间格式应为 年-月-日 时:分") from None
    return moment.replace(tzinfo=timeutil.LOCAL_TZ) if moment.tzinfo is None else moment


# --- 志愿者 ---------------------------------------------------------------------------------


@bp.route("/service/volunteers", methods=["GET", "POST"])
@login_required
def volunteers_page():
    p = principal()
    community = _community()
    if request.method == "POST":
        kind = request.form.get("kind")
        try:
            if kind == "unit":
                unit = volunteers.add_unit(
                    p,
                    community.id,
                    request.form.get("name", ""),
                    request.form.get("contact_name", ""),
                    request.form.get("phone", ""),
                )
                flash(f"已登记双报到单位“{unit.name}”", "ok")
            elif kind == "team":
                team = volunteers.add_team(
                    p, community.id, request.form.get("name", ""), request.form.get("leader", "")
                )
                flash(f"已建立志愿服务队“{team.name}”", "ok")
            elif kind in ("unit_active", "team_active"):
                model = ServiceUnit if kind == "unit_active" else VolunteerTeam
                row_id = number_arg("id", request.form)
                if row_id is None:
                    abort(404)
                active = request.form.get("active") == "1"
                row = volunteers.set_active(p, model, row_id, active)
                flash(f"“{row.name}”已{'恢复' if active else '停用'}", "ok")
            else:
                abort(400)
        except ApiError as exc:
            flash(_message(exc), "error")
        return _back("console.volunteers_page", community)
    status = request.args.get("party_status") or None
    if status not in (None, "pending", "confirmed", "rejected"):
        status = None
    keyword = (request.args.get("q") or "").strip()[:20] or None
    rows = list(
        volunteers.directory(
            p, community_id=community.id, party_status=status, keyword=keyword
        ).limit(500)
    )
    return _page(
        "service_volunteers.html",
        community=community,
        rows=rows,
        status=status,
        keyword=keyword or "",
        units=list(volunteers.units_of(community.id, include_inactive=True)),
        teams=list(volunteers.teams_of(community.id, include_inactive=True)),
        pending=Volunteer.select()
        .where((Volunteer.community == community.id) & (Volunteer.party_status == "pending"))
        .count(),
        labels=volunteers.PARTY_STATUS_LABELS,
    )


@bp.route("/service/volunteers/<int:volunteer_id>/party", methods=["POST"])
@login_required
def volunteer_party(volunteer_id: int):
    p = principal()
    volunteer = Volunteer.get_or_none(Volunteer.id == volunteer_id)
    if volunteer is None or not p.can_manage(volunteer.community):
        abort(404)
    approve = request.form.get("approve") == "1"
    try:
        volunteers.review_party_member(p, volunteer_id, approve, request.form.get("note", ""))
    except ApiError as exc:
        flash(_message(exc), "error")
    else:
        flash(f"{volunteer.name}的在职党员报到已{'确认' if approve else '退回'}", "ok")
    return _back("console.volunteers_page", volunteer.community)


# --- 活动 ------------------------------------------------------------------------------------


@bp.route("/service/activities", methods=["GET", "POST"])
@login_required
def activities_page():
    p = principal()
    community = _community()
    if request.method == "POST":
        try:
            capacity = number_arg("capacity", request.form)
            if capacity is None:
                raise ApiError(400, "validation_error", "名额：须为整数")
            activity = activities.publish(
                p,
                community.id,
                request.form.get("title", ""),
                request.form.get("place", ""),
                _local_input(request.form.get("starts_at", "")),
                _local_input(request.form.get("ends_at", "")),
                capacity,
                request.form.get("description", ""),
            )
        except ApiError as exc:
            flash(_message(exc), "error")
            return _back("console.activities_page", community)
        flash(f"已发布活动“{activity.title}”（活动{activity.id}），志愿者可以报名了", "ok")
        return redirect(url_for("console.activity_page", activity_id=activity.id))
    rows = list(
        Activity.select()
        .where(Activity.community == community.id)
        .order_by(Activity.starts_at.desc())
        .limit(200)
    )
    return _page("service_activities.html", community=community, rows=rows)


def _activity_in_scope(activity_id: int) -> Activity:
    activity = Activity.get_or_none(Activity.id == activity_id)
    if activity is None or not principal().can_manage(activity.community):
        abort(404)
    return activity


@bp.route("/service/activities/<int:activity_id>", methods=["GET", "POST"])
@login_required
def activity_page(activity_id: int):
    p = principal()
    activity = _activity_in_scope(activity_id)
    if request.method == "POST":
        action = request.form.get("action")
        if action == "cancel":
            try:
                activities.cancel_activity(p, activity.id, request.form.get("reason", ""))
            except ApiError as exc:
                flash(_message(exc), "error")
            else:
                flash("活动已取消", "ok")
            return redirect(url_for("console.activity_page", activity_id=activity.id))
        volunteer_id = number_arg("volunteer_id", request.form)
        at_text = request.form.get("at", "").strip()
        try:
            if volunteer_id is None:
                raise ApiError(400, "validation_error", "请选择志愿者")
            at = _local_input(at_text) if at_text else None
            if action == "check_in":
                activities.check_in(p, activity.id, volunteer_id, at)
                flash("已签到", "ok")
            elif action == "check_out":
                _, record = activities.check_out(p, activity.id, volunteer_id, at)
                flash(
                    f"已签退，服务时长 {record.hours} 小时（待认证）"
                    if record
                    else "已签退（不足 15 分钟，未生成服务记录）",
                    "ok",
                )
            else:
                abort(400)
        except ApiError as exc:
            flash(_message(exc), "error")
        return redirect(url_for("console.activity_page", activity_id=activity.id))
    signups = list(activities.signups_of(activity))
    return _page(
        "service_activity.html",
        community=activity.community,
        activity=activity,
        signups=signups,
    )


# --- 服务记录 --------------------------------------------------------------------------------


@bp.route("/service/records")
@login_required
def service_records():
    p = principal()
    community = _community()
    status = request.args.get("status") or None
    if status not in (None, "pending", "certified"):
        status = None
    source = request.args.get("source") or None
    if source not in (None, *records.SOURCE_LABELS):
        source = None
    page = page_arg()
    awaiting = request.args.get("awaiting") == "1"
    query = records.visible(
        p, community_id=community.id, status=status, source_type=source, awaiting=awaiting
    )
    total = query.count()
    rows = list(query.paginate(page, PER_PAGE))
    person = identity.person_of(p)
    corrected = {
        r.reverses_id
        for r in ServiceRecord.select(ServiceRecord.reverses).where(
            ServiceRecord.reverses.in_([row.id for row in rows] or [0])
        )
    }
    return _page(
        "service_records.html",
        community=community,
        rows=rows,
        corrected=corrected,
        status=status,
        source=source,
        total=total,
        page=page,
        per_page=PER_PAGE,
        args={
            "community": community.id,
            "status": status or "",
            "source": source or "",
            "awaiting": "1" if awaiting else "",
        },
        awaiting=awaiting,
        own={r.id for r in rows if records.is_own(person, r)},
        total_hours=records.total_hours(query.order_by()),
        sources=records.SOURCE_LABELS,
        status_labels=records.STATUS_LABELS,
    )


def _record_in_scope(record_id: int) -> ServiceRecord:
    record = ServiceRecord.get_or_none(ServiceRecord.id == record_id)
    if record is None or not principal().can_manage(record.community):
        abort(404)
    return record


@bp.route("/service/records/certify", methods=["POST"])
@login_required
def records_certify():
    p = principal()
    community = _community()
    ids = [i for i in map(text.whole_number, request.form.getlist("ids")) if i is not None]
    if not ids:
        flash("请先勾选要认证的服务记录", "error")
        return _back("console.service_records", community, status="pending")
    try:
        result = records.certify_many(p, ids)
    except ApiError as exc:
        flash(_message(exc), "error")
    else:
        skipped = f"，{len(result['skipped'])} 条此前已认证" if result["skipped"] else ""
        flash(f"已认证 {len(result['certified'])} 条服务记录{skipped}，时长已记入时间银行", "ok")
    return _back("console.service_records", community, status="pending")


@bp.route("/service/records/<int:record_id>", methods=["GET", "POST"])
@login_required
def service_record(record_id: int):
    p = principal()
    record = _record_in_scope(record_id)
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "certify":
                records.certify(p, record.id)
                flash("已认证，时长已记入时间银行", "ok")
            elif action == "edit":
                records.update_pending(
                    p,
                    record.id,
                    hours=request.form.get("hours") or None,
                    title=request.form.get("title") or None,
                )
                flash("已修改", "ok")
            elif action == "correct":
                hours = request.form.get("hours", "").strip() or None
                result = records.correct(p, record.id, request.form.get("reason", ""), hours)
                extra = "，并生成了一条待认证的新记录" if result["replacement"] else ""
                flash(f"已更正：生成冲销记录，积分已冲正{extra}", "ok")
            else:
                abort(400)
        except ApiError as exc:
            flash(_message(exc), "error")
        return redirect(url_for("console.service_record", record_id=record.id))
    reversal = ServiceRecord.get_or_none(ServiceRecord.reverses == record.id)
    replacement = ServiceRecord.get_or_none(ServiceRecord.source_key == f"replacement:{record.id}")
    return _page(
        "service_record.html",
        community=record.community,
        record=record,
        own=records.is_own(identity.person_of(p), record),
        reversal=reversal,
        replacement=replacement,
        sources=records.SOURCE_LABELS,
        status_labels=records.STATUS_LABELS,
    )


# --- 年度评定 --------------------------------------------------------------------------------


def _year() -> int:
    year = text.whole_number(request.values.get("year"))
    return year if year is not None and 2000 <= year <= 2100 else today().year


@bp.route("/service/gradings", methods=["GET", "POST"])
@login_required
def gradings():
    p = principal()
    community = _community()
    year = _year()
    if request.method == "POST":
        try:
            rows = grading.propose(p, community.id, year)
        except ApiError as exc:
            flash(_message(exc), "error")
        else:
            flash(f"已按 {year} 年已认证时长为 {len(rows)} 名在职党员生成建议等次", "ok")
        return _back("console.gradings", community, year=year)
    rows = grading.listing(p, community.id, year)
    return _page(
        "service_gradings.html",
        community=community,
        year=year,
        rows=rows,
        grades=("好", "较好", "一般", "差"),
        thresholds=grading.thresholds(),
        units=list(ServiceUnit.select().where(ServiceUnit.community == community.id)),
    )


@bp.route("/service/gradings/<int:grading_id>", methods=["POST"])
@login_required
def grading_confirm(grading_id: int):
    p = principal()
    try:
        row = grading.confirm(
            p, grading_id, request.form.get("grade", ""), request.form.get("reason", "")
        )
    except ApiError as exc:
        flash(_message(exc), "error")
        community = _community()
        return _back("console.gradings", community, year=_year())
    flash(f"{row.volunteer.name}：评定为“{row.grade}”", "ok")
    return _back("console.gradings", row.volunteer.community, year=row.year)


@bp.route("/service/gradings.xlsx")
@login_required
def gradings_export():
    p = principal()
    community = _community()
    data, name = grading.export(p, community.id, _year(), number_arg("unit"))
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=gradings.xlsx; filename*=UTF-8''{quote(name)}"
        },
    )
