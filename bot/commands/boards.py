"""`牌子好的` / `牌子坏了`: a steward's answer when the board check (core.boards.health) asks
them to look at a board nobody scans any more; a photo sent with it (or within two minutes
before) goes to the print page's 待重印 list with the board."""

from __future__ import annotations

import re

from bot.commands.parsing import Needs
from bot.commands.registry import STEWARD, Context, command
from bot.commands.replies import mark_used, recent_photos
from core.boards import health

_SAID = re.compile(r"^\s*(?P<word>好的|好|完好|没坏|坏了|坏|破了|破损|掉了|没了)\s*[，,。.!！]*\s*")
_BROKEN_WORDS = ("坏了", "坏", "破了", "破损", "掉了", "没了")


@command("牌子", usage="牌子好的 / 牌子坏了", roles=(STEWARD,))
def board_answer(ctx: Context, args: str) -> str:
    """回复公示牌巡检：近期没人扫码的公示牌，路过看一眼后回复“牌子好的”，或“牌子坏了”并拍照（照片随消息或 2 分钟内先发），坏了的会列入待重印。负责多条巷时写上巷名。例：牌子坏了 南门巷"""
    match = _SAID.match(args)
    if match is None:
        raise Needs("请说明牌子好不好", "牌子好的")
    said = health.BROKEN if match.group("word") in _BROKEN_WORDS else health.OK
    hint = args[match.end() :]
    photos = recent_photos(ctx) if said == health.BROKEN else []
    check = health.answer(ctx.p, said, hint, [ph.media_id for ph in photos], ctx.now)
    alley = check.board.alley.name
    if said == health.OK:
        days = health.Thresholds.from_config().ok_days
        return f"谢谢！已记下{alley}的公示牌完好，{days} 天内不再提醒"
    mark_used(photos[:1], ctx.now)
    got = "，照片已收到" if photos else ""
    return f"谢谢！{alley}的公示牌已列入待重印{got}，社区会尽快换新"
