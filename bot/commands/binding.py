"""`绑定 CODE`: binding a WeCom sender to a steward or staff account."""

from __future__ import annotations

from bot import identity
from bot.commands.parsing import nfkc
from bot.commands.registry import ANYONE, Context, command
from core.errors import bad_request


@command("绑定", usage="绑定 CODE", roles=(ANYONE,))
def bind(ctx: Context, args: str) -> str:
    """用社区发给您的绑定码绑定身份。例：绑定 ABCD2345"""
    code = nfkc(args)[0].replace(" ", "")
    if not code:
        raise bad_request("请写上绑定码，例如：绑定 ABCD2345（绑定码请向社区工作人员索取）")
    return identity.bind_sender(ctx.sender, code)
