"""关怀提醒 in the chat: a steward answers the care list they received privately, one
household at a time, by its number on that list — `已联系 3`, `已上门 3 一切正常`,
`需帮助 3 说明` (the newest alert that has households of theirs). Each answer is
`core.households.care_alerts.answer`, the mini program's call: a visit record, and for 需帮助
an item for staff. The reply names no household (it may be read in a group), only its number
and how much of the list is answered."""

from __future__ import annotations

import re

from bot.commands.parsing import Needs, cut, typed
from bot.commands.registry import STEWARD, Context, command
from core.households import care_alerts

_SEQ = re.compile(r"^(?:第\s*)?#?\s*(\d{1,4})\s*(?:户|号)?(?=\D|$)")


def _seq(args: str, example: str) -> tuple[int, str]:
    match, rest = cut(_SEQ, args)
    if match is None:
        raise Needs("请写上关怀名单中的序号", example)
    return int(match.group(1)), rest


def _answer(ctx: Context, seq: int, result: str, note: str) -> str:
    target = care_alerts.answer(ctx.p, seq, result, note)
    done, total = care_alerts.answered_count(target.alert_id, target.steward_id)
    head = f"已记录：关怀名单第 {seq} 户 {care_alerts.RESULTS[result]}"
    if target.issue_id is not None and result == "needs_help":
        head += f"，已转社区处理（诉求 #{target.issue_id}），社区工作人员会跟进"
    tail = "，全部已回复，辛苦了" if done == total else f"，还有 {total - done} 户未回复"
    return f"{head}（已回复 {done}/{total} 户{tail}）"


@command("已联系", usage="已联系 N", roles=(STEWARD,))
def contacted(ctx: Context, args: str) -> str:
    """回复关怀提醒：已电话联系名单中的第 N 户。例：已联系 3"""
    seq, note = _seq(args, "已联系 3")
    return _answer(ctx, seq, "contacted", typed(note))


@command("已上门", usage="已上门 N [说明]", roles=(STEWARD,))
def visited(ctx: Context, args: str) -> str:
    """回复关怀提醒：已上门看望名单中的第 N 户，可写明情况。例：已上门 3 一切正常"""
    seq, note = _seq(args, "已上门 3 一切正常")
    return _answer(ctx, seq, "visited", typed(note))


@command("需帮助", usage="需帮助 N 说明", roles=(STEWARD,))
def needs_help(ctx: Context, args: str) -> str:
    """回复关怀提醒：名单中的第 N 户需要社区帮助，写明需要什么（转社区处理）。
    例：需帮助 3 暖气坏了需要维修"""
    seq, note = _seq(args, "需帮助 3 暖气坏了需要维修")
    note = typed(note)
    if not note:
        raise Needs("请写明需要什么帮助", f"需帮助 {seq} 暖气坏了需要维修")
    return _answer(ctx, seq, "needs_help", note)
