"""For street administrators: 部门 (the department directory 吹哨 uses), 账号 (console
accounts: create, disable, enable) and 系统状态 (is the scheduler working, is the database
current, is anything stuck in the outbox). Changes go through `core.people.departments` and
`core.people.auth`, which audit them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from core.delivery import outbox
from core.observability import health
from core.people import auth, departments
from infra.errors import ApiError
from infra.timeutil import utcnow
from models import Area, Department, StaffAccount
from web.console.common import admin_required, bp, chosen_area, managed_areas, principal


def _fields_text(exc: ApiError) -> str:
    return exc.message + "".join(f"（{v}）" for v in exc.fields.values() if v not in exc.message)


@bp.route("/departments", methods=["GET", "POST"])
@admin_required
def departments_page():
    p = principal()
    if request.method == "POST":
        area = chosen_area()
        try:
            dept = departments.create(
                area,
                request.form.get("name", ""),
                phone=request.form.get("phone", ""),
                contact_name=request.form.get("contact_name", ""),
                actor=p.user,
            )
        except ApiError as exc:
            flash(_fields_text(exc), "error")
        else:
            flash(f"已添加部门“{dept.name}”，吹哨时可以选择", "ok")
        return redirect(url_for("console.departments_page"))
    rows = list(
        Department.select(Department, Area)
        .join(Area, on=(Department.area == Area.id))
        .where(p.area_condition(Area))
        .order_by(Department.active.desc(), Area.path, Department.name)
    )
    areas = [a for a in managed_areas() if a.kind in ("street", "community")]
    return render_template("console/departments.html", rows=rows, areas=areas)


@bp.route("/departments/<int:dept_id>/active", methods=["POST"])
@admin_required
def department_active(dept_id: int):
    dept = Department.get_or_none(Department.id == dept_id)
    if dept is None or not principal().can_manage(dept.area):
        abort(404)
    active = request.form.get("active") == "1"
    departments.set_active(dept, active, actor=principal().user)
    flash(f"“{dept.name}”已{'恢复' if active else '停用'}", "ok")
    return redirect(url_for("console.departments_page"))


@bp.route("/accounts", methods=["GET", "POST"])
@admin_required
def accounts():
    p = principal()
    if request.method == "POST":
        area = chosen_area()
        role = "admin" if area.kind == "street" else "staff"
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if not username or len(username) > 64 or not username.isascii() or " " in username:
            flash("用户名须为 64 位以内的英文字母、数字或符号，不含空格", "error")
            return redirect(url_for("console.accounts"))
        try:
            account = auth.create_staff(
                username,
                password,
                area,
                role,
                request.form.get("display_name", "").strip()[:50],
                label=f"工作台:{p.user.nickname}",
            )
        except ApiError as exc:
            flash(_fields_text(exc), "error")
        else:
            flash(
                f"已创建账号 {account.username}（{area.name}），请把用户名和密码当面告知本人", "ok"
            )
        return redirect(url_for("console.accounts"))
    rows = list(
        StaffAccount.select(StaffAccount, Area)
        .join(Area, on=(StaffAccount.area == Area.id))
        .where(p.area_condition(Area))
        .order_by(StaffAccount.active.desc(), Area.path, StaffAccount.username)
    )
    # Communities first: most new accounts are a community's staff, not another administrator.
    areas = sorted(
        (a for a in managed_areas() if a.kind in ("street", "community")),
        key=lambda a: (a.kind == "street", a.path),
    )
    return render_template("console/accounts.html", rows=rows, areas=areas)


@bp.route("/accounts/<int:account_id>/active", methods=["POST"])
@admin_required
def account_active(account_id: int):
    p = principal()
    account = StaffAccount.get_or_none(StaffAccount.id == account_id)
    if account is None or not p.can_manage(account.area):
        abort(404)
    active = request.form.get("active") == "1"
    if not active and account.user_id == p.user.id:
        flash("不能停用自己正在使用的账号", "error")
        return redirect(url_for("console.accounts"))
    auth.set_staff_active(account, active, actor=p.user)
    flash(f"账号 {account.username} 已{'恢复' if active else '停用，立即无法登录'}", "ok")
    return redirect(url_for("console.accounts"))


@bp.route("/system")
@admin_required
def system_page():
    """What an operator checks first: the scheduler (its lease and each job's last run), the
    database (reachable, schema current) and the outbox's backlog — the same answers
    `/readyz` and `/metrics` give, for someone without Grafana."""
    now = utcnow()
    ready, readiness = health.readiness()
    backlog: dict[str, int] = {}
    for (_kind, status), n in health.outbox_backlog().items():
        backlog[status] = backlog.get(status, 0) + n
    oldest = health.oldest_due(now)
    return render_template(
        "console/system.html",
        ready=ready,
        checks=readiness["checks"],
        scheduler=health.scheduler(now),
        backlog=[(outbox.STATUS_LABELS[s], backlog.get(s, 0)) for s in health.BACKLOG_STATUSES],
        waiting=_waited(now - oldest) if oldest else None,
    )


def _waited(delta) -> str | None:
    """How long the oldest due message has waited, in the unit a person reads it in (None
    under a minute: nothing to worry about)."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return None
    if minutes < 120:
        return f"{minutes} 分钟"
    if minutes < 48 * 60:
        return f"{minutes // 60} 小时"
    return f"{minutes // (24 * 60)} 天"
