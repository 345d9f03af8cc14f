"""承办单位 (handling units: departments and property companies) in the console: the list with
what each holds, a unit's page (edit, 停用), and its members (a console login, a bind code
for the mini program, 停用).

Staff see the units they may whistle to (their street's and their own area's,
`core.people.departments.visible_query`); they change only those of an area they manage —
the street's administrators the street's, a community's staff their community's. Every change
is a call of `core.units` (which audits it). A refused form is drawn again with what was typed
and the reason, answered with the refusal's status (400 / 409), never a 500.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from core.items import issues as issue_flow
from core.items import lists
from core.items.lists import IssueFilters
from core.people import departments
from core.units import members as unit_members
from core.units import units as unit_core
from infra.errors import ApiError
from infra.timeutil import utcnow
from models import Area, Department
from models.units import UnitMember
from web.console.common import bp, login_required, managed_areas, number_arg, principal

HELD_SHOWN = 50


def _fields_text(exc: ApiError) -> str:
    return exc.message + "".join(f"（{v}）" for v in exc.fields.values() if v not in exc.message)


def _visible_unit(unit_id: int) -> Department:
    """A unit the viewer may see (404 otherwise: its existence is not theirs to know)."""
    unit = departments.visible_query(principal()).where(Department.id == unit_id).first()
    if unit is None:
        abort(404)
    return unit


def _managed_unit(unit_id: int) -> Department:
    """A unit of an area the viewer manages: 404 when they cannot see it, 403 when they see
    it (their street's) but it is not theirs to change."""
    unit = _visible_unit(unit_id)
    if not principal().can_manage(unit.area):
        abort(403)
    return unit


def _unit_areas() -> list[Area]:
    return [a for a in managed_areas() if a.kind in unit_core.AREA_KINDS]


@bp.route("/units", methods=["GET", "POST"])
@login_required
def units_page():
    p = principal()
    form: dict = {}
    error, status = None, 200
    if request.method == "POST":
        keys = ("area", "kind", "name", "phone", "contact_name")
        form = {k: request.form.get(k, "") for k in keys}
        area_id = number_arg("area", request.form)
        area = Area.get_or_none(Area.id == area_id) if area_id is not None else None
        try:
            if area is None:
                raise ApiError(400, "bad_request", "请选择所属街道或社区", {"area": "必选"})
            p.require_manage(area)
            unit = unit_core.create(
                area,
                form["name"],
                form["phone"],
                form["contact_name"],
                kind=form["kind"],
                actor=p.user,
            )
        except ApiError as exc:
            error, status = _fields_text(exc), exc.status
        else:
            flash(
                f"已登记{unit_core.KIND_LABELS[unit.kind]}“{unit.name}”。"
                "请为它添加成员，吹哨时即可选择",
                "ok",
            )
            return redirect(url_for("console.unit_page", unit_id=unit.id))
    rows = list(
        departments.visible_query(p).order_by(
            Department.active.desc(), Area.path, Department.kind, Department.name
        )
    )
    counts = unit_core.workload([u.id for u in rows], utcnow())
    html = render_template(
        "console/units.html",
        rows=rows,
        counts=counts,
        kinds=unit_core.KIND_LABELS,
        areas=_unit_areas(),
        form=form,
        error=error,
        can_manage=lambda u: p.can_manage(u.area),
    )
    return html, status


def _unit_html(unit: Department, *, status: int = 200, **extra):
    p = principal()
    # what it holds now, of the viewer's area (a street's unit serves other communities too)
    held = lists.issue_list(p, IssueFilters(scope="area", status="whistled", unit_id=unit.id))
    html = render_template(
        "console/unit.html",
        unit=unit,
        held=list(held.limit(HELD_SHOWN)),
        tiers=issue_flow.PRIORITY_LABELS,
        is_overdue=issue_flow.is_overdue,
        kinds=unit_core.KIND_LABELS,
        members=unit_core.members_of(unit, include_inactive=True),
        counts=unit_core.workload([unit.id], utcnow())[unit.id],
        group=unit_core.group_of(unit),
        manage=p.can_manage(unit.area),
        **{"form": {}, "member_form": {}, "error": None, **extra},
    )
    return html, status


@bp.route("/units/<int:unit_id>")
@login_required
def unit_page(unit_id: int):
    return _unit_html(_visible_unit(unit_id))


@bp.route("/units/<int:unit_id>/edit", methods=["POST"])
@login_required
def unit_edit(unit_id: int):
    unit = _managed_unit(unit_id)
    form = {k: request.form.get(k, "") for k in ("kind", "name", "phone", "contact_name")}
    try:
        unit_core.update(
            unit,
            form["name"],
            form["phone"],
            form["contact_name"],
            kind=form["kind"],
            actor=principal().user,
        )
    except ApiError as exc:
        return _unit_html(unit, status=exc.status, form=form, error=_fields_text(exc))
    flash("已保存", "ok")
    return redirect(url_for("console.unit_page", unit_id=unit_id))


@bp.route("/units/<int:unit_id>/active", methods=["POST"])
@login_required
def unit_active(unit_id: int):
    unit = _managed_unit(unit_id)
    active = request.form.get("active") == "1"
    departments.set_active(unit, active, actor=principal().user)
    if active:
        flash(f"“{unit.name}”已恢复，吹哨时可以选择", "ok")
    else:
        flash(f"“{unit.name}”已停用：吹哨时不再出现，成员不能再办理本单位的诉求", "ok")
    return redirect(url_for("console.unit_page", unit_id=unit_id))


# --- members ----------------------------------------------------------------------------------


def _member_of(unit: Department, member_id: int) -> UnitMember:
    member = UnitMember.get_or_none((UnitMember.id == member_id) & (UnitMember.unit == unit.id))
    if member is None:
        abort(404)
    return member


@bp.route("/units/<int:unit_id>/members", methods=["POST"])
@login_required
def unit_member_create(unit_id: int):
    unit = _managed_unit(unit_id)
    keys = ("username", "display_name", "wecom_userid")
    form = {k: (request.form.get(k) or "").strip() for k in keys}
    password = request.form.get("password", "")
    try:
        if form["username"] and (not form["username"].isascii() or " " in form["username"]):
            raise ApiError(
                400,
                "bad_request",
                "用户名须为英文字母、数字或符号，不含空格",
                {"username": "英文字母、数字或符号"},
            )
        if len(form["wecom_userid"]) > 64:
            raise ApiError(
                400, "bad_request", "企业微信账号最多 64 位", {"wecom_userid": "最多 64 位"}
            )
        member = unit_members.create_member(
            unit,
            form["username"],
            password,
            form["display_name"],
            form["wecom_userid"] or None,
            actor=principal().user,
        )
    except ApiError as exc:
        return _unit_html(unit, status=exc.status, member_form=form, error=_fields_text(exc))
    flash(
        f"已为{unit.name}添加成员 {member.account.display_name}（用户名 {member.account.username}），"
        "请把用户名和密码当面告知本人；也可以生成小程序绑定码",
        "ok",
    )
    return redirect(url_for("console.unit_page", unit_id=unit_id))


@bp.route("/units/<int:unit_id>/members/<int:member_id>/active", methods=["POST"])
@login_required
def unit_member_active(unit_id: int, member_id: int):
    unit = _managed_unit(unit_id)
    member = _member_of(unit, member_id)
    active = request.form.get("active") == "1"
    try:
        unit_members.set_active(member, active, actor=principal().user)
    except ApiError as exc:
        return _unit_html(unit, status=exc.status, error=exc.message)
    name = member.account.display_name
    flash(f"{name} 已{'恢复' if active else '停用，立即无法登录和办理'}", "ok")
    return redirect(url_for("console.unit_page", unit_id=unit_id))


@bp.route("/units/<int:unit_id>/members/<int:member_id>/bind-code", methods=["POST"])
@login_required
def unit_member_bind_code(unit_id: int, member_id: int):
    unit = _managed_unit(unit_id)
    member = _member_of(unit, member_id)
    p = principal()
    try:
        code, expires_at = unit_members.bind_code(
            member, actor=p.user, issued_by=f"{p.user.nickname or '工作人员'}(用户{p.user.id})"
        )
    except ApiError as exc:
        return _unit_html(unit, status=exc.status, error=exc.message)
    return render_template(
        "console/bind_code.html",
        who=f"{unit.name} {member.account.display_name}",
        code=code,
        expires_at=expires_at,
        hint="请成员在小程序“我的 → 绑定”中输入绑定码，绑定后在小程序里看到本单位待办。",
        back_url=url_for("console.unit_page", unit_id=unit.id),
        back_label=f"返回{unit.name}",
    )
