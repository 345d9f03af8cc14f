"""`绑定 CODE`: binding a WeCom sender to a steward or staff account."""

from __future__ import annotations

from bot import identity
from bot.commands.parsing import Needs, nfkc
from bot.commands.registry import ANYONE, Context, command


@command("绑定", usage="绑定 CODE", roles=(ANYONE,))
def bind(ctx: Context, args: str) -> str:
    """用社区发给您的绑定码绑定身份。例：绑定 ABCD2345"""
    code = nfkc(args)[0].replace(" ", "")
    if not code and ctx.principal is not None:
        return identity.already_bound(ctx.principal)
    if not code:
        raise Needs("请写上绑定码", "绑定 ABCD2345", "（绑定码请向社区工作人员索取）")
    return identity.bind_sender(ctx.sender, code)
