"""Outbound delivery and chat groups: `outbox [--once]`, `groups add|list`."""

from __future__ import annotations

import json
import time

import click
from flask import current_app

from cli.common import CLI_LABEL, fail
from core.delivery import groups, outbox
from infra.db import db
from infra.errors import ApiError
from models import Area

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
        # What an operator runs after fixing something: retries waiting out their backoff go too.
        click.echo(_outbox_summary(outbox.deliver_due(retries_now=True)))
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
        fail(f"找不到区域 {area_id}，可用 `flask --app app areas` 查看")
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
        fail(exc.message)
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
