"""Handling units in the chat: a unit member's `报到 N`, `进展 N 说明`, `退回 N 原因` (their
`办结 N 说明` is the issue command's, which names their unit), and staff's `催办 N [说明]`.
Each calls `core.units.actions`, so the checks (their unit's whistled item only, 报到 once)
are the workflow's own."""

from __future__ import annotations

from bot.commands.parsing import Needs, issue_ref, typed
from bot.commands.registry import STAFF, UNIT, Context, command
from bot.commands.replies import issue_title
from core.units import actions
from infra.timeutil import month_day_time


@command("报到", usage="报到 N", roles=(UNIT,))
def check_in(ctx: Context, args: str) -> str:
    """（承办单位）确认已接到吹哨交办的诉求。例：报到 12"""
    issue_id, _ = issue_ref(args, "报到 12")
    issue = actions.check_in(ctx.p, issue_id)
    return f"已报到 {issue_title(issue)}，请在 {month_day_time(issue.deadline)} 前办结"


@command("进展", usage="进展 N 说明", roles=(UNIT,))
def progress(ctx: Context, args: str) -> str:
    """（承办单位）登记办理进展。例：进展 12 已到现场勘察，下周施工"""
    issue_id, note = issue_ref(args, "进展 12 已到现场勘察")
    note = typed(note)
    if not note:
        raise Needs("请写明进展", f"进展 {issue_id} 已到现场勘察")
    issue = actions.progress(ctx.p, issue_id, note)
    return f"已登记进展 {issue_title(issue)}"


@command("退回", usage="退回 N 原因", roles=(UNIT,))
def return_item(ctx: Context, args: str) -> str:
    """（承办单位）不属本单位职责的，退回社区并写明原因。例：退回 12 属于物业维修范围"""
    issue_id, reason = issue_ref(args, "退回 12 属于物业维修范围")
    reason = typed(reason)
    if not reason:
        raise Needs("请写明退回原因", f"退回 {issue_id} 属于物业维修范围")
    issue = actions.return_to_community(ctx.p, issue_id, reason)
    return f"已退回社区 #{issue.id}，社区会重新安排"


@command("催办", usage="催办 N [说明]", roles=(STAFF,))
def urge(ctx: Context, args: str) -> str:
    """（社区工作人员）提醒承办单位尽快办理（发到单位的群）。例：催办 12 居民多次反映"""
    issue_id, note = issue_ref(args, "催办 12")
    issue = actions.urge(ctx.p, issue_id, typed(note) or "请尽快办理")
    return f"已催办 {issue_title(issue)}，期限 {month_day_time(issue.deadline)}"
