"""`待办`: what waits for the steward, and for the staff member — the queues of
`core.items.queues`, as the console and the mini program count them."""

from __future__ import annotations

from decimal import Decimal

from bot.commands.registry import Context, command
from bot.commands.replies import issue_title, more_than_shown, wish_title
from core.items import issues, queues
from core.timebank import adjustments
from core.volunteering import records
from infra.timeutil import month_day_time
from models import Area

SHOWN = 5  # items named per queue; the count says how many there are in all

# Each staff queue: how one of its items is named, and the command that moves it on.
STAFF_SECTIONS = {
    # a wish waiting for review was never shown to anyone: in a group, its number only
    "review": (lambda w, ctx: wish_title(w, ctx), "通过 心愿N"),
    "held": (lambda i, ctx: f"#{i.id} {i.category}", "公开 N"),
    "overdue": (lambda i, ctx: f"#{i.id} {Area.get_by_id(i.alley_id).name}", "派单 N 管家姓名"),
    "escalated": (lambda i, ctx: f"#{i.id} {Area.get_by_id(i.alley_id).name}", "吹哨 N 部门 说明"),
    "whistled": (lambda i, ctx: f"#{i.id} {Area.get_by_id(i.alley_id).name}", None),
}


@command("待办", usage="待办", aliases=("我的待办",))
def todo(ctx: Context, args: str) -> str:
    """管家：列出交给您、尚未办结的诉求。工作人员：列出等您处理的事（待审核心愿、待审核公开的诉求、超期、上报、吹哨、待您审核的积分调整、待您认证的服务记录）。"""
    p = ctx.p
    parts = []
    if p.stewards:
        parts.append(_steward_todo(ctx))
    if p.is_staff:
        parts.append(_staff_todo(ctx))
    if not parts:
        return "您不是管家或社区工作人员，没有待办"
    return "\n".join(parts)


def _steward_todo(ctx: Context) -> str:
    section = queues.steward_todo(ctx.p, limit=SHOWN)
    if not section.count:
        return "暂无待办，辛苦了！"
    shown = []
    for issue in section.rows:
        late = "，已超期" if issues.is_overdue(issue, ctx.now) else ""
        shown.append(f"{issue_title(issue)}（{month_day_time(issue.deadline)} 前{late}）")
    return f"待办 {section.count} 件：" + "；".join(shown) + more_than_shown(section.count)


def _staff_todo(ctx: Context) -> str:
    todo = queues.staff_todo(ctx.p, ctx.now, limit=SHOWN)
    lines = []
    for name, (name_of, hint) in STAFF_SECTIONS.items():
        section = todo[name]
        if section.count:
            entries = "、".join(name_of(row, ctx) for row in section.rows)
            more = f" 等 {section.count} 件" if section.count > SHOWN else ""
            tip = f"（{ctx.call(hint)}）" if hint else ""
            lines.append(f"{section.label} {section.count}：{entries}{more}{tip}")
    for label, entries, count in _second_pair_of_eyes(ctx):
        if count:
            more = f" 等 {count} 件" if count > SHOWN else ""
            lines.append(f"{label} {count}：{'、'.join(entries)}{more}")
    if not lines:
        return "社区暂无待办，辛苦了！"
    return "社区待办：\n" + "\n".join(lines)


def _second_pair_of_eyes(ctx: Context) -> list[tuple[str, list[str], int]]:
    """(label, the first few, how many) of what waits for this staff member's second pair of
    eyes. No chat command decides them: approving and certifying are done in the console or
    the mini program, where the whole entry is in front of the approver. A passbook's member
    code is what the counter redeems with, so a group line never shows it."""
    to_approve = adjustments.awaiting(ctx.p)
    to_certify = records.visible(ctx.p, awaiting=True)
    return [
        (
            "待您审核的积分调整",
            [f"调整{a.id} {a.points:+d} 分" for a in to_approve.limit(5)],
            to_approve.count(),
        ),
        (
            "待您认证的服务记录",
            [f"{r.person_name} {Decimal(str(r.hours)):.1f} 小时" for r in to_certify.limit(5)],
            to_certify.count(),
        ),
    ]
