"""Operator commands of the scheduled work: `report` (the daily 通报) and `assess`."""

from __future__ import annotations

from datetime import date, timedelta

import click
from flask import current_app

from core.figures import assessment, reports
from infra.timeutil import to_local, utcnow
from jobs import daily_report
from models import Area, ChatGroup


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
@click.option("--dry-run", is_flag=True, help="Print the report instead of sending it.")
def report_command(day, community_id, dry_run):
    """Build the daily 通报 now; --dry-run prints it instead of sending."""

    the_day = _day(day)
    if community_id is not None:
        areas = list(Area.select().where((Area.id == community_id) & (Area.kind == "community")))
        if not areas:
            raise click.ClickException(f"找不到社区 {community_id}")
    else:
        areas = list(Area.select().where(Area.kind == "community").order_by(Area.path))
    if dry_run:
        for area in areas:
            click.echo(reports.plain_text(reports.build(area, the_day)))
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


COMMANDS = (report_command, assess_command)
