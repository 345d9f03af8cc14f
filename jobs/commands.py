"""Operator commands of the scheduled work: `report` (the daily 通报), `assess` and `bulletin`
(the street's monthly 通报)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import click
from flask import current_app

from core.figures import assessment, bulletin, bulletin_export, report_text, reports, street_report
from infra.errors import ApiError
from infra.timeutil import to_local, utcnow
from jobs import daily_report
from models import AREA_KIND_LABELS, Area, ChatGroup


def _day(value: str | None) -> date:
    if value is None:
        return to_local(utcnow()).date() - timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("日期格式须为 YYYY-MM-DD") from exc


@click.command("report")
@click.option("--date", "day", help="The day to report on (default: yesterday).")
@click.option("--community", "community_id", type=int, help="Only this community.")
@click.option(
    "--street", "street_id", type=int, help="The street edition, for the street's leaders' group."
)
@click.option("--dry-run", is_flag=True, help="Print the report instead of sending it.")
def report_command(day, community_id, street_id, dry_run):
    """Build the daily 通报 now; --dry-run prints it instead of sending."""

    the_day = _day(day)
    if street_id is not None:
        if community_id is not None:
            raise click.ClickException("--street 与 --community 只能选一个")
        _street_report(_area_of_kind(street_id, "street"), the_day, dry_run)
        return
    if community_id is not None:
        areas = [_area_of_kind(community_id, "community")]
    else:
        areas = list(Area.select().where(Area.kind == "community").order_by(Area.path))
    if dry_run:
        for area in areas:
            click.echo(report_text.plain_text(reports.build(area, the_day)))
            click.echo()
        return
    groups = daily_report.report_groups().where(ChatGroup.area.in_([a.id for a in areas]))
    sent = skipped = 0
    for group in groups:
        if daily_report.send_for_group(group, the_day):
            sent += 1
        else:
            skipped += 1
    click.echo(f"{the_day} 通报：已排队发送 {sent} 个群，{skipped} 个群此前已发送。")
    if not current_app.config["OFFLINE"]:
        click.echo("消息由调度进程（flask --app app jobs）或 outbox 命令投递。")


def _area_of_kind(area_id: int, kind: str) -> Area:
    """The area `area_id` when it is a `kind`; else an error that says what to use instead."""
    area = Area.get_or_none(Area.id == area_id)
    wanted = "社区" if kind == "community" else "街道"
    if area is None:
        raise click.ClickException(
            f"找不到{wanted} {area_id}。可用 `flask --app app areas` 查看各区域的 id"
        )
    if area.kind == kind:
        return area
    if area.kind == "street":
        hint = f"街道版通报请用 --street {area.id}"
    elif area.kind == "community":
        hint = f"社区的通报请用 --community {area.id}"
    else:
        hint = "请用它所在社区的 id（--community）或街道的 id（--street）"
    label = AREA_KIND_LABELS.get(area.kind, area.kind)
    raise click.ClickException(
        f"区域 {area.id}（{area.name}）是{label}，不是{wanted}：{hint}。"
        "可用 `flask --app app areas` 查看各区域的 id"
    )


def _street_report(street: Area, day: date, dry_run: bool) -> None:
    if dry_run:
        click.echo(street_report.plain_text(street_report.build(street, day)))
        return
    found = [g for g in daily_report.street_groups() if g.area_id == street.id]
    if not found:
        raise click.ClickException(
            f"{street.name}还没有登记街道领导群。可用 `flask --app app groups add --area "
            f"{street.id} --webhook KEY` 登记，或加 --dry-run 只打印"
        )
    sent = sum(1 for g in found if daily_report.send_street(g, day))
    click.echo(
        f"{day} {street.name} 街道版通报：已排队发送 {sent} 个群，{len(found) - sent} 个群此前已发送。"
    )


@click.command("assess")
@click.option("--period", help="Quarter like 2026Q3 (default: the last finished quarter).")
@click.option("--area", "area_id", type=int, help="Only stewards under this area.")
@click.option("--send/--no-send", default=True, help="Send the summary to staff groups.")
def assess_command(period, area_id, send):
    """Run the quarterly assessment now (it informs; it never dismisses anyone)."""

    try:
        quarter = assessment.Quarter.parse(period) if period else assessment.Quarter.last_finished()
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    area = Area.get_or_none(Area.id == area_id) if area_id else None
    rows = assessment.run(quarter, area=area, send=send)
    click.echo(assessment.summary_text(quarter, rows))


@click.command("bulletin")
@click.option("--street", "street_id", type=int, required=True, help="The street's area id.")
@click.option("--month", required=True, help="The month, YYYY-MM.")
@click.option(
    "--out",
    "out_dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where to write bulletin-{street}-{YYYY-MM}.pdf and .xlsx.",
)
@click.option("--dry-run", is_flag=True, help="Print the bulletin; write and send nothing.")
def bulletin_command(street_id, month, out_dir, dry_run):
    """Make a street's monthly 通报: write its PDF and xlsx, and send the card and link to the
    street's groups (once per group and month); --dry-run prints it instead."""

    try:
        street = bulletin.get_street(street_id)
        the_month = bulletin.parse_month(month)
        bulletin.check_month(street, the_month)
    except ApiError as exc:
        raise click.ClickException(exc.message) from exc
    if dry_run:
        b = bulletin.build(street, the_month)
        click.echo(bulletin.plain_text(b))
        click.echo()
        names = "、".join(bulletin_export.file_name(b, f) for f in bulletin_export.FORMATS)
        click.echo(f"（试运行：未写入 {names}，未发送）")
        return
    b, paths = bulletin_export.write_files(street, the_month, Path(out_dir), label="命令行")
    for path in paths:
        click.echo(f"已写入 {path}")
    groups = bulletin_export.street_groups(street)
    sent = bulletin_export.send(street, the_month)
    if not groups:
        click.echo(f"{street.name}还没有街道一级的工作群，未发送。")
    else:
        click.echo(f"已排队发送 {sent} 个群，{len(groups) - sent} 个群此前已发送。")


COMMANDS = (report_command, assess_command, bulletin_command)
