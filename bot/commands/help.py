"""`帮助`: the commands this sender may use, or one command's docstring; and the one line a
greeting or thanks gets (the two commands the sender's role uses most, not the full list)."""

from __future__ import annotations

from bot.commands.parsing import parse
from bot.commands.registry import ANYONE, STAFF, STEWARD, Context, allowed, command, short_help

# What a greeting offers each role: the two commands it uses most — a steward's day is the
# to-do list and closing items; a staff member's is the to-do list and dispatching.
MOST_USED = {
    STEWARD: (("待办", "查看要办的事"), ("办结 12 说明", "办结一件诉求")),
    STAFF: (("待办", "查看等您处理的事"), ("派单 12 管家姓名", "把诉求派给管家")),
}


@command("帮助", usage="帮助", aliases=("help", "菜单"), roles=(ANYONE,))
def help_command(ctx: Context, args: str) -> str:
    """查看可用的指令；发送“帮助 接单”查看某条指令的说明。"""
    if args:
        wanted, _ = parse(args)
        if wanted is not None and wanted in allowed(ctx):
            return f"{ctx.call(wanted.usage)}：{wanted.help}"
    return short_help(ctx)


def greet(ctx: Context, opening: str) -> str:
    """`您好！常用：“待办”查看要办的事，“办结 12 说明”办结一件诉求`."""
    role = next((r for r in (STEWARD, STAFF) if r in ctx.roles), None)
    if role is None:
        return f"{opening}{short_help(ctx)}"
    tips = "，".join(f"“{ctx.call(usage)}”{what}" for usage, what in MOST_USED[role])
    return f"{opening}常用：{tips}"
