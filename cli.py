"""Operator commands (`flask --app app …`): schema, demo data, roster, accounts, bind codes."""

from __future__ import annotations

import json
import sys
import time

import click
from flask import Flask, current_app

from core import demo, schema
from core.boards import boards as board_service
from core.boards import render as board_render
from core.db import db
from core.delivery import groups, outbox
from core.errors import ApiError
from core.people import areas, auth, roster
from core.timeutil import local_midnight_utc, to_local, utcnow
from jobs import lease
from jobs.commands import COMMANDS as JOB_COMMANDS
from jobs.scheduler import configure
from models import Area, StaffAccount, Steward

CLI_LABEL = "命令行"


def _fail(message: str) -> None:
    raise click.ClickException(message)


@click.command("init-db")
def init_db_command():
    """Create or upgrade the database schema (safe to run again)."""
    before, after = schema.upgrade()
    if before == after:
        click.echo(f"数据库已是最新（版本 {after}）")
    elif before == 0:
        click.echo(f"已创建数据库（版本 {after}）")
    else:
        click.echo(f"已升级数据库：版本 {before} → {after}")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only when the database holds no areas yet.")
def seed_demo_command(if_empty: bool):
    """Load a small demo district and print its board codes and logins."""

    schema.upgrade()
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

    schema.upgrade()
    try:
        result = roster.import_file(file, label=CLI_LABEL, dry_run=dry_run)
    except roster.RosterError as exc:
        click.echo(f"导入失败，数据库未做任何修改。共 {len(exc.problems)} 处问题：", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("（试运行，未写入数据库）")
    click.echo(result.summary())


@click.command("create-staff")
@click.option("--username", required=True)
@click.option(
    "--area", "area_id", required=True, type=int, help="Community (staff) or street (admin) id."
)
@click.option("--role", type=click.Choice(["staff", "admin"]), default="staff", show_default=True)
@click.option("--name", "display_name", default="", help="Name shown to colleagues.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_staff_command(username, area_id, role, display_name, password_stdin):
    """Make a staff (community) or admin (street) console account."""
    area = Area.get_or_none(Area.id == area_id)
    if area is None:
        _fail(f"找不到区域 {area_id}，可用 `flask --app app areas` 查看")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
    try:
        account = auth.create_staff(username, password, area, role, display_name, label=CLI_LABEL)
    except ApiError as exc:
        _fail(exc.message)
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
def bind_code_command(steward_id, staff_username):
    """Print a one-time code binding a WeChat user to a steward or staff account."""
    if (steward_id is None) == (staff_username is None):
        _fail("请指定 --steward ID 或 --staff USERNAME 之一")
    if steward_id is not None:
        steward = Steward.get_or_none(Steward.id == steward_id)
        if steward is None or not steward.active:
            _fail(f"找不到在任的管家 {steward_id}")
        code, expires_at = auth.issue_bind_code(steward=steward, issued_by=CLI_LABEL)
        who = f"管家 {steward.name}"
    else:
        account = StaffAccount.get_or_none(StaffAccount.username == staff_username)
        if account is None or not account.active:
            _fail(f"找不到工作人员账号 {staff_username}")
        code, expires_at = auth.issue_bind_code(staff=account, issued_by=CLI_LABEL)
        who = f"工作人员 {account.username}"
    hours = current_app.config["BIND_CODE_TTL_HOURS"]
    click.echo(code)
    click.echo(
        f"{who} 的绑定码，{hours} 小时内有效（至 {to_local(expires_at):%Y-%m-%d %H:%M}）。"
        f"在小程序“我的→绑定”输入，或在群里发送：绑定 {code}",
        err=True,
    )


OUTBOX_INTERVAL_SECONDS = 5


def _outbox_summary(counts: dict) -> str:
    return (
        f"已发送 {counts['sent']} 条，稍后重试 {counts['retry']} 条，"
        f"发送失败 {counts['dead']} 条，结果不明 {counts['uncertain']} 条，"
        f"限流推迟 {counts['deferred']} 条"
    )


@click.command("outbox")
@click.option("--once", is_flag=True, help="Make one delivery pass and exit.")
def outbox_command(once: bool):
    """Deliver due outbound messages (subscribe messages, group pushes), retries included."""

    if current_app.config["OFFLINE"]:
        click.echo("离线模式：消息不会发给微信，只标记为已发送，可在 /dev/outbox 查看。", err=True)
    if once:
        click.echo(_outbox_summary(outbox.deliver_due()))
        return
    click.echo(f"每 {OUTBOX_INTERVAL_SECONDS} 秒投递一次，按 Ctrl-C 结束。", err=True)
    try:
        while True:
            try:
                counts = outbox.deliver_due()
            except Exception:  # a database hiccup must not end the loop
                current_app.logger.exception("outbox pass failed")
                db.close()
            else:
                if any(counts.values()):
                    click.echo(_outbox_summary(counts))
            time.sleep(OUTBOX_INTERVAL_SECONDS)
    except KeyboardInterrupt:
        click.echo("已停止。", err=True)


@click.command("dismiss-steward")
@click.argument("steward_id", type=int)
@click.option("--reason", required=True, help="Why they leave office (kept in the audit trail).")
def dismiss_steward_command(steward_id: int, reason: str):
    """A steward leaves office: access ends at once, their boards are marked for reprint."""
    steward = Steward.get_or_none(Steward.id == steward_id)
    if steward is None:
        _fail(f"找不到管家 {steward_id}")
    try:
        still_open = auth.dismiss_steward(steward, label=CLI_LABEL, reason=reason)
    except ApiError as exc:
        _fail(exc.message)
    click.echo(f"管家 {steward.name} 已离任，其登录已失效。")
    if still_open:
        click.echo(f"仍有 {still_open} 件未办结诉求派给该管家，请在后台改派。")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve_command(host: str, port: int):
    """Serve the app with its scheduler in one process, for a single-machine demo (`make run`)."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()
    scheduler = configure(app, BackgroundScheduler())
    scheduler.start()
    click.echo(f"小巷管家已启动：http://{host}:{port}/", err=True)
    try:
        # Flask refuses app.run() inside its own CLI; werkzeug's server is what it would use.
        run_simple(host, port, app, use_reloader=False, threaded=True)
    finally:
        scheduler.shutdown(wait=False)


@click.command("jobs")
def jobs_command():
    """Run the scheduler in the foreground: the one production scheduler process."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = configure(current_app._get_current_object(), BlockingScheduler())
    for job in scheduler.get_jobs():
        click.echo(f"任务 {job.id}（{job.name}）：{job.trigger}", err=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("调度已停止。", err=True)
    finally:
        # a clean stop hands over at once instead of after the lease runs out
        lease.release(scheduler.worker.holder)


@click.group("groups")
def groups_command():
    """Chat groups: a community's (or grid's) WeCom group robot and smart-bot chat id."""


@groups_command.command("add")
@click.option("--area", "area_id", required=True, type=int, help="Community or grid id.")
@click.option("--webhook", required=True, help="The group robot's webhook key (or its URL).")
@click.option("--chat-id", default=None, help="The smart bot's chat id of the group.")
@click.option("--leader", "leader_ids", multiple=True, type=int, help="Leader steward id.")
@click.option("--name", default="", help="A name staff recognise the group by.")
@click.option(
    "--audience",
    type=click.Choice(["stewards", "staff"]),
    default="stewards",
    show_default=True,
    help="staff: a staff-only group for assessments and escalations.",
)
def groups_add_command(area_id, webhook, chat_id, leader_ids, name, audience):
    """Register a chat group."""

    area = Area.get_or_none(Area.id == area_id)
    if area is None:
        _fail(f"找不到区域 {area_id}，可用 `flask --app app areas` 查看")
    try:
        group = groups.create(
            area,
            webhook,
            chat_id=chat_id,
            leader_ids=list(leader_ids),
            name=name,
            audience=audience,
            label=CLI_LABEL,
        )
    except ApiError as exc:
        _fail(exc.message)
    click.echo(f"已登记群 {group.id}：{group.name}（{area.label_path}）")


@groups_command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def groups_list_command(as_json: bool):
    """Show the registered chat groups and their robots' status."""

    rows = [
        {
            "id": g.id,
            "name": g.name,
            "area_id": g.area_id,
            "area": g.area.label_path,
            "webhook_key": g.webhook_key[:4] + "…",
            "chat_id": g.chat_id,
            "leader_ids": g.leader_ids,
            "audience": g.audience,
            "active": g.active,
            "robot_status": g.robot_status,
            "broken_reason": g.broken_reason,
        }
        for g in groups.all_groups()
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("还没有登记任何群。可用 groups add --area ID --webhook KEY 登记。")
    for row in rows:
        status = groups.ROBOT_STATUS_LABELS.get(row["robot_status"], row["robot_status"])
        if row["broken_reason"]:
            status += f"（{row['broken_reason']}）"
        leaders = ",".join(map(str, row["leader_ids"])) or "-"
        click.echo(
            f"{row['id']}\t{row['name']}\t{row['area']}\t机器人 {row['webhook_key']} {status}"
            f"\tchat_id {row['chat_id'] or '-'}\t队长 {leaders}"
            + ("" if row["active"] else "\t已停用")
        )


@click.command("boards")
@click.option("--area", "area_id", required=True, type=int, help="Any area id (see `areas`).")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Output folder."
)
@click.option("--pdf", "with_pdf", is_flag=True, help="Also write one multi-page PDF.")
@click.option("--size", type=click.Choice(["A4", "A3"]), default="A4", show_default=True)
@click.option(
    "--changed-since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only boards whose content changed on or after this local date (reprints).",
)
@click.option("--jobs", type=int, default=0, help="Worker processes (default: one per core).")
def boards_command(area_id, out_dir, with_pdf, size, changed_since, jobs):
    """Render the signboards of an area: one PNG per board (300 dpi) and, with --pdf, one PDF."""
    from pathlib import Path

    area = Area.get_or_none(Area.id == area_id)
    if area is None:
        _fail(f"找不到区域 {area_id}，可用 `flask --app app areas` 查看")
    since = local_midnight_utc(changed_since.date()) if changed_since else None
    rows = list(board_service.boards_in(area, since))
    scope = f"{area.label_path}" + (f"（{changed_since:%Y-%m-%d} 以来有变化的）" if since else "")
    if not rows:
        click.echo(f"{scope}：没有需要打印的公示牌。")
        return
    try:
        data = board_render.collect(rows)
        board_render.font_source("regular"), board_render.font_source("bold")
    except board_render.FontMissing as exc:
        _fail(str(exc))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pdf_path = out / board_render.pdf_name(area.id, to_local(utcnow()).date())
    started = time.perf_counter()
    warnings = []
    pdf = board_render.PdfWriter(pdf_path) if with_pdf else None
    try:
        with click.progressbar(
            length=len(data),
            label=f"正在生成 {len(data)} 块公示牌（{size}）",
            file=sys.stderr,
        ) as bar:
            for result in board_render.render_many(data, out, size, jobs):
                if pdf is not None:
                    pdf.add_png(result.path.read_bytes())
                warnings += [f"  {result.code}：{p}" for p in result.problems]
                bar.update(1)
    except BaseException:
        if pdf is not None:
            pdf.abort()  # never leave half a PDF to be printed
        raise
    if pdf is not None:
        pdf.close()
    seconds = time.perf_counter() - started
    click.echo(
        f"已生成 {len(data)} 块公示牌（{size}，300 dpi，用时 {seconds:.1f} 秒）：{out}/"
        "{编号}-v{版本}.png"
    )
    if pdf is not None:
        click.echo(f"打印文件（PDF，{pdf.page_count} 页，每块一页）：{pdf_path}")
    if warnings:
        click.echo(f"请检查以下 {len(warnings)} 处：", err=True)
        for line in warnings:
            click.echo(line, err=True)


@click.command("retire-board")
@click.argument("code")
@click.option("--replace", is_flag=True, help="Also create a new board for the same alley.")
def retire_board_command(code: str, replace: bool):
    """Take a board out of use: its QR then says it is no longer in use, with the community phone."""

    board = board_service.by_code(code)
    if board is None:
        _fail(f"找不到编号为 {code} 的公示牌")
    alley = board.alley
    if board_service.retire_board(board, label=CLI_LABEL):
        click.echo(
            f"已停用公示牌 {board.code}（{alley.label_path}）；扫码将提示该牌已停用及社区电话。"
        )
    else:
        click.echo(f"公示牌 {board.code} 早已停用（{to_local(board.retired_at):%Y-%m-%d}）。")
    if replace:
        new = board_service.create_board(alley)
        base = current_app.config["PUBLIC_BASE_URL"]
        click.echo(f"已为 {alley.name} 新建公示牌 {new.code}：{base}/b/{new.code}")
        click.echo(f"打印：flask --app app boards --area {alley.id} --out DIR --pdf")


COMMANDS = (
    init_db_command,
    seed_demo_command,
    import_roster_command,
    create_staff_command,
    areas_command,
    bind_code_command,
    outbox_command,
    dismiss_steward_command,
    serve_command,
    jobs_command,
    groups_command,
    boards_command,
    retire_board_command,
)


def init_app(app: Flask) -> None:

    for command in (*COMMANDS, *JOB_COMMANDS):
        app.cli.add_command(command)
