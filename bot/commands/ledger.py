"""The group writes the ledger (issue 32): a steward's words and photos to the bot, without a
command, proposed as a record in one line; `是` records it, `改 巡查` / `改 走访` / `改 随手做`
proposes it as another kind, a number answers the bot's question (which alley, which
household). The state is `core.items.proposals`; this module only reads the chat and words
the replies.

The engine calls `propose` for an addressed message with no command (words, words and photos),
`photos_came` for photos alone, and `numbered` for a bare number. Privacy: a visit's household
is never named where a group reads the reply — not in the proposal, not in the question (the
numbered list goes to the steward privately), not in the confirmation.
"""

from __future__ import annotations

import re
import unicodedata

from bot.commands.parsing import typed
from bot.commands.registry import STEWARD, Context, command
from bot.commands.replies import issue_title, mark_used, photo_window, recent_photos, tell_privately
from core.items import privacy, proposals
from core.items.ledger_rules import FIX, KIND_BY_NAME, KIND_NAMES, PATROL, VISIT
from infra.errors import ApiError
from infra.text import shorten
from infra.timeutil import month_day_time
from models import Area, BotPhoto, Household, LedgerProposal

_NUMBER = re.compile(r"^[#＃]?\s*(\d{1,2})\s*[号。.!！]?$")


def _kind_named(rest: str) -> str | None:
    word = unicodedata.normalize("NFKC", rest).strip(" 。.!！,，")
    return KIND_BY_NAME.get(word)


# --- the words of the replies ----------------------------------------------------------------


def _answers(ctx: Context, kind: str) -> str:
    """`回复 是 记下，回复 改 巡查 / 改 走访 换一种` (with the @ where a group reads it)."""
    others = [f"改 {KIND_NAMES[k]}" for k in (FIX, PATROL, VISIT) if k != kind]
    return f"回复 {ctx.call('是')} 记下，回复 {ctx.call(others[0])} / {others[1]} 换一种"


def proposal_line(ctx: Context, proposal: LedgerProposal) -> str:
    """The one line a proposal is shown as, or its question when one is open."""
    head = f"记一笔{KIND_NAMES[proposal.kind]}："
    if proposal.asking:
        return head + _question(ctx, proposal)
    parts = [Area.get_by_id(proposal.alley_id).name]
    words = shorten(proposal.text, 40)
    if proposal.kind == VISIT:
        if ctx.in_group:  # the steward's words may name the household: not here
            parts.append("包联住户 1 户")
            words = ""
        else:
            parts.append(f"{Household.get_by_id(proposal.household_id).head_name}家")
    elif proposal.kind == FIX:
        parts.append(proposal.category)
        if ctx.in_group and privacy.is_private_category(proposal.category):
            words = "（内容不在群里显示）"
    if words:
        parts.append(words)
    count = len(proposal.photo_ids or [])
    photos = f"（{count} 张照片）" if count else ""
    return f"{head}{' · '.join(parts)}{photos}？{_answers(ctx, proposal.kind)}"


def _question(ctx: Context, proposal: LedgerProposal) -> str:
    labels = proposals.choice_labels(proposal)
    numbered = "；".join(f"{n} {label}" for n, label in enumerate(labels, 1))
    how = f"回复序号（如 {ctx.call('1')}）"
    if proposal.asking == "alley":
        return f"记在哪条街巷？{how}：{numbered}"
    if not ctx.in_group:
        return f"符合的包联户有 {len(labels)} 户，是哪一户？{how}：{numbered}"
    # households are private: the list goes to the steward alone
    sent = tell_privately(
        ctx, f"【记一笔走访】是哪一户？{how}：{numbered}", f"ledger:{proposal.id}", None
    )
    if sent:
        return f"符合的包联户有 {len(labels)} 户，名单已私信发给您，请{how}"
    proposals.cancel(proposal)
    return f"符合的包联户有 {len(labels)} 户，请写上户主全名或门牌后重发"


def _photos(count: int) -> str:
    return f"，附照片 {count} 张" if count else ""


def recorded_line(ctx: Context, done: proposals.Recorded) -> str:
    proposal, record = done.proposal, done.record
    count = len(proposal.photo_ids or [])
    alley = Area.get_by_id(proposal.alley_id).name
    if proposal.kind == FIX:
        if privacy.issue_words_shown(record):
            what = f"{issue_title(record)}（{record.category}）"
        elif record.visibility == "held":  # the content check holds it for staff, as any
            what = f"{issue_title(record)}（文字待社区审核后公示）"
        else:
            what = issue_title(record)  # a private category: its words never in a group
        return f"已记随手做 {what}{_photos(count)}，谢谢！"
    if proposal.kind == PATROL:
        return f"已登记巡查：{alley} {month_day_time(record.created_at)}{_photos(count)}"
    if ctx.in_group:
        return f"已记走访：{alley} 包联住户 1 户{_photos(count)}"
    head = Household.get_by_id(proposal.household_id).head_name
    return f"已记走访：{head}家（{alley}）{_photos(count)}"


def _none_waiting(ctx: Context) -> str | None:
    if not ctx.addressed:
        return None  # a "是" in the relayed group, to nobody: chatter
    if proposals.expired_lately(ctx.sender, ctx.now):
        minutes = int(proposals.lifetime().total_seconds() // 60)
        return f"这条记录 {minutes} 分钟内未确认，已作废，没有记下。请重新发送文字和照片"
    return "没有等您确认的记录。发文字（可带照片）给我，我会先列出要记的内容请您确认"


# --- the answers, registered like every command ----------------------------------------------


@command(
    "是",
    usage="是",
    aliases=("是的", "确认", "对的", "记下"),
    roles=(STEWARD,),
    listed=False,
    takes=lambda rest: not typed(rest),
)
def yes(ctx: Context, args: str) -> str | None:
    """确认机器人提出的记录（随手做、巡查或走访），确认后才记下；30 分钟内未确认的作废。"""
    proposal = proposals.pending(ctx.sender, ctx.now)
    if proposal is None:
        return _none_waiting(ctx)
    if proposal.asking:
        return proposal_line(ctx, proposal)
    try:
        done = proposals.confirm(ctx.p, proposal)
    except ApiError as err:
        return f"未能记下：{err.message}"
    return recorded_line(ctx, done)


@command(
    "改",
    usage="改 巡查/走访/随手做",
    aliases=("改成", "改为", "换成"),
    roles=(STEWARD,),
    listed=False,
    takes=lambda rest: _kind_named(rest) is not None,
)
def change(ctx: Context, args: str) -> str | None:
    """把机器人提出的记录换一种：改 巡查、改 走访（按文字找您包联的住户）或 改 随手做。"""
    proposal = proposals.pending(ctx.sender, ctx.now)
    if proposal is None:
        return _none_waiting(ctx)
    try:
        proposal = proposals.change(ctx.p, proposal, _kind_named(args))
    except ApiError as err:
        return f"未能更换：{err.message}"
    return proposal_line(ctx, proposal)


# --- what the engine hands over ---------------------------------------------------------------


def propose(ctx: Context, text: str, typo: bool = False) -> str | None:
    """Words with no command from a steward: a proposal, when they name something the rule
    table knows, or come with photos (this message's or the last two minutes') and do not
    start with a command's typo (`巡察 一切正常` + a photo is still asked about as 巡查); None
    otherwise (the engine answers as before)."""
    if ctx.principal is None or not ctx.p.stewards:
        return None
    recent = recent_photos(ctx)
    if not proposals.recognised(text) and (typo or not recent):
        return None
    try:
        proposal = proposals.propose(
            ctx.p,
            proposals.Said(ctx.sender, ctx.channel, ctx.group.chat_id if ctx.group else None),
            text,
            [ph.media_id for ph in recent[-proposals.MAX_PHOTOS :]],
        )
    except ApiError as err:
        return f"未能记一笔：{err.message}"
    mark_used(recent, ctx.now)
    return proposal_line(ctx, proposal)


def photos_came(ctx: Context, photos: list[BotPhoto]) -> str | None:
    """Photos alone within the photo window after the steward's words: they join that
    proposal, shown again with its photo count. None when there is no such proposal."""
    if ctx.principal is None or not ctx.p.stewards:
        return None
    proposal = proposals.pending(ctx.sender, ctx.now)
    if proposal is None or proposal.created_at < ctx.now - photo_window():
        return None
    proposal = proposals.add_photos(proposal, [ph.media_id for ph in photos])
    mark_used(photos, ctx.now)
    return proposal_line(ctx, proposal)


def numbered(ctx: Context, text: str) -> str | None:
    """A bare number answering the proposal's question; None when nothing asked one."""
    match = _NUMBER.match(unicodedata.normalize("NFKC", text).strip())
    if match is None or ctx.principal is None:
        return None
    proposal = proposals.pending(ctx.sender, ctx.now)
    if proposal is None or not proposal.asking:
        return None
    try:
        proposal = proposals.choose(ctx.p, proposal, int(match.group(1)))
    except ApiError as err:
        return f"未能选择：{err.message}"
    return proposal_line(ctx, proposal)
