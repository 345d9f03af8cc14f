"""`帮助`: the commands this sender may use, or one command's docstring."""

from __future__ import annotations

from bot.commands.parsing import parse
from bot.commands.registry import ANYONE, Context, allowed, command, short_help


@command("帮助", usage="帮助", aliases=("help", "菜单"), roles=(ANYONE,))
def help_command(ctx: Context, args: str) -> str:
    """查看可用的指令；发送“帮助 接单”查看某条指令的说明。"""
    if args:
        wanted, _ = parse(args)
        if wanted is not None and wanted in allowed(ctx):
            return f"{ctx.call(wanted.usage)}：{wanted.help}"
    return short_help(ctx)
