"""Setting up a district: the schema, demo data, the roster, staff accounts, bind codes,
the area tree, and a steward leaving office."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app

from cli.common import CLI_LABEL, fail, run_import, upgrade_schema
from core import demo, schema
from core.people import areas, auth, departments, roster
from core.units import members
from infra import config
from infra.errors import ApiError
from infra.timeutil import to_local
from models import Area, Department, StaffAccount, Steward


@click.command("init-db")
def init_db_command():
    """Create or upgrade the database schema (safe to run again)."""
    before, after = upgrade_schema()
    if before == after:
        click.echo(f"数据库已是最新（版本 {after}）")
    elif before == 0:
        click.echo(f"已创建数据库（版本 {after}）")
    else:
        click.echo(f"已升级数据库：版本 {before} → {after}")
        copy = schema.safety_copy_path()
        if copy:
            click.echo(f"升级前的数据库副本：{copy}")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the database holds no areas yet.")
@click.option(
    "--port",
    type=int,
    default=config.DEFAULT_PORT,
    show_default=True,
    help="The port `serve` will listen on: the printed links use it unless PUBLIC_BASE_URL is set.",
)
def seed_demo_command(if_empty: bool, port: int):
    """Load a small demo district and print its board codes and logins."""

    config.listening_at(current_app, config.DEFAULT_HOST, port)
    upgrade_schema()
    if if_empty and Area.select().exists():
        click.echo("数据库中已有数据，跳过演示数据。")
        return
    for line in demo.seed():
        click.echo(line)


@click.command("import-roster")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change.")
def import_roster_command(file: str, dry_run: bool):
    """Load areas, alleys and stewards from a .csv or .xlsx roster."""

    upgrade_schema()
    run_import(roster.import_file, roster.RosterError, file, dry_run)


@click.command("create-staff")
@click.option("--username", required=True)
@click.option(
    "--area", "area_id", type=int, help="Community (staff) or street (admin) id; not for unit."
)
@click.option(
    "--role", type=click.Choice(["staff", "admin", "unit"]), default="staff", show_default=True
)
@click.option("--unit", "unit_id", type=int, help="The handling unit (role unit), see `units`.")
@click.option("--wecom", "wecom_userid", default=None, help="A unit member's WeCom user id.")
@click.option("--name", "display_name", default="", help="Name shown to colleagues.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_staff_command(
    username, area_id, role, unit_id, wecom_userid, display_name, password_stdin
):
    """Make a staff (community), admin (street) or unit member's console account."""
    unit = area = None
    if role == "unit":
        unit = Department.get_or_none(Department.id == unit_id) if unit_id is not None else None
        if unit is None:
            fail("请用 --unit ID 指定单位，可用 `flask --app app units list` 查看")
    else:
        area = Area.get_or_none(Area.id == area_id) if area_id is not None else None
        if area is None:
            fail(f"找不到区域 {area_id}，可用 `flask --app app areas` 查看")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
    try:
        if unit is not None:
            member = members.create_member(
                unit, username, password, display_name, wecom_userid, label=CLI_LABEL
            )
            click.echo(f"已创建单位成员账号 {member.account.username}（{unit.name}）")
            return
        account = auth.create_staff(username, password, area, role, display_name, label=CLI_LABEL)
    except ApiError as exc:
        fail(exc.message)
    click.echo(f"已创建{role}账号 {account.username}（{area.label_path}）")


@click.command("areas")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def areas_command(as_json: bool):
    """Print the area tree with board codes and stewards."""
    nodes = areas.tree()
    if as_json:
        click.echo(json.dumps(nodes, ensure_ascii=False, indent=2))
        return
    if not nodes:
        click.echo("还没有任何区域。可先运行 import-roster 或 seed-demo。")
    for line in areas.format_tree(nodes):
        click.echo(line)


@click.command("bind-code")
@click.option("--steward", "steward_id", type=int, help="Steward id (see `areas`).")
@click.option("--staff", "staff_username", help="Staff account username.")
@click.option("--unit-member", "member_username", help="A unit member's username.")
def bind_code_command(steward_id, staff_username, member_username):
    """Print a one-time code binding a WeChat user to a steward, staff or unit member account."""
    if member_username is not None:
        if staff_username is not None:
            fail("请指定 --steward ID、--staff USERNAME 或 --unit-member USERNAME 之一")
        staff_username = member_username  # a unit member's login is a console account
    if (steward_id is None) == (staff_username is None):
        fail("请指定 --steward ID 或 --staff USERNAME 之一")
    if steward_id is not None:
        steward = Steward.get_or_none(Steward.id == steward_id)
        if steward is None or not steward.active:
            fail(f"找不到在任的管家 {steward_id}")
        code, expires_at = auth.issue_bind_code(steward=steward, issued_by=CLI_LABEL)
        who = f"管家 {steward.name}"
    else:
        account = StaffAccount.get_or_none(StaffAccount.username == staff_username)
        if account is None or not account.active:
            fail(f"找不到工作人员账号 {staff_username}")
        code, expires_at = auth.issue_bind_code(staff=account, issued_by=CLI_LABEL)
        who = f"工作人员 {account.username}"
    hours = current_app.config["BIND_CODE_TTL_HOURS"]
    click.echo(code)
    click.echo(
        f"{who} 的绑定码，{hours} 小时内有效（至 {to_local(expires_at):%Y-%m-%d %H:%M}）。"
        f"在小程序“我的→绑定”输入，或在群里发送：绑定 {code}",
        err=True,
    )


@click.command("dismiss-steward")
@click.argument("steward_id", type=int)
@click.option("--reason", required=True, help="Why they leave office (kept in the audit trail).")
def dismiss_steward_command(steward_id: int, reason: str):
    """A steward leaves office: access ends at once, their boards are marked for reprint."""
    steward = Steward.get_or_none(Steward.id == steward_id)
    if steward is None:
        fail(f"找不到管家 {steward_id}")
    try:
        still_open = auth.dismiss_steward(steward, label=CLI_LABEL, reason=reason)
    except ApiError as exc:
        fail(exc.message)
    click.echo(f"管家 {steward.name} 已离任，其登录已失效。")
    if still_open:
        click.echo(f"仍有 {still_open} 件未办结诉求派给该管家，请在后台改派。")


@click.group("departments")
def departments_command():
    """The departments a whistle (吹哨) can go to: add one, list them."""


@departments_command.command("add")
@click.option("--area", "area_id", required=True, type=int, help="Street or community id.")
@click.option("--name", required=True, help="The department's name, e.g. 城管执法中队.")
@click.option("--phone", default="", help="Its contact phone.")
def departments_add_command(area_id: int, name: str, phone: str):
    """Register a department of a street or community."""
    area = Area.get_or_none(Area.id == area_id) if -(2**63) <= area_id < 2**63 else None
    if area is None:
        fail(f"找不到区域 {area_id}，可用 `flask --app app areas` 查看")
    try:
        department = departments.create(area, name, phone, label=CLI_LABEL)
    except ApiError as exc:
        fail(exc.message)
    click.echo(f"已登记部门 {department.id}：{department.name}（{area.label_path}）")


@departments_command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def departments_list_command(as_json: bool):
    """Show every department with its area."""
    rows = [departments.as_dict(d) for d in departments.all_departments()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("还没有登记任何部门。可用 departments add --area ID --name 名称 登记。")
    for row in rows:
        click.echo(
            f"{row['id']}\t{row['name']}\t{row['area_name']}\t{row['phone'] or '-'}"
            + ("" if row["active"] else "\t已停用")
        )
