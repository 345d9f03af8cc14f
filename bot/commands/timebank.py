"""Time bank commands: `积分` (this quarter's points) and `存折` (the passbook)."""

from __future__ import annotations

from bot.commands.registry import STAFF, STEWARD, Context, command
from core.timebank import passbook, postings, rules
from infra.text import shorten
from infra.timeutil import month_day_time
from models import Area

PASSBOOK_LINES = 5  # entries 存折 shows; the mini program's 我的积分 shows them all


def _passbooks(ctx: Context) -> list:
    p = ctx.p
    return postings.accounts_of(p.user, p.stewards)


@command("积分", usage="积分", roles=(STEWARD,))
def score(ctx: Context, args: str) -> str:
    """查看本季度的积分和构成（来自时间银行存折：办结、按时、满意、超期等各项加减分）。"""
    accounts = _passbooks(ctx)
    summary = passbook.quarter_summary(accounts, ctx.now)
    if not accounts:
        return f"您本季度（{summary.period}）积分 0 分：还没有时间银行存折（办结诉求等会自动记分）"
    return (
        f"您本季度（{summary.period}）积分 {summary.total} 分：{summary.breakdown()}；"
        f"存折余额 {summary.balance} 分"
    )


@command("存折", usage="存折", roles=(STEWARD, STAFF))
def savings(ctx: Context, args: str) -> str:
    """查看时间银行存折：最近几笔积分记录和余额。"""
    accounts = _passbooks(ctx)
    if not accounts:
        return "您还没有时间银行存折：办结诉求、志愿服务等经认定后会自动记分"
    parts = []
    for account in accounts:
        entries = passbook.entries_query(account).limit(PASSBOOK_LINES)
        lines = [f"{month_day_time(e.created_at)} {e.points:+d} {_entry_words(e)}" for e in entries]
        community = Area.get_by_id(account.community_id).name
        # the member code is what the counter redeems with: never in a group's hearing
        code = "会员码请在小程序查看" if ctx.in_group else f"会员码 {account.member_code}"
        head = f"{community}存折（{code}）余额 {account.balance} 分"
        parts.append(head + ("：\n" + "\n".join(lines) if lines else "，暂无记录"))
    return "\n".join(parts)


def _entry_words(entry) -> str:
    rule = rules.catalogue().get(entry.rule)
    label = rule.label if rule else entry.rule
    return shorten(f"{label} {entry.reason}".strip(), 24)
