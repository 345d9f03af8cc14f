"""The command engine: one inbound chat message in, one short Chinese reply out.

Every channel adapter (`bot.aibot`, `bot.wecom_app`, `bot.bridge`) checks its signature,
timestamp window and message id first, then hands an `Inbound` to `handle`:

1. The sender is mapped to a person: a steward by `Steward.wecom_userid` (acting as
   `Principal.for_user(steward.user)`), or a staff member who bound this WeCom account with a
   code. WeCom identities are users whose openid is ``wecom:<userid>`` (like offline mode's
   ``dev:<name>``): they never collide with WeChat openids and never receive subscribe
   messages. A steward listed with a WeCom account in the roster but never logged in gets
   such a user on first contact.
2. Unknown senders may only ask for `帮助` or `绑定 CODE`; anything else gets one polite line
   on how to bind. Their photos are not kept.
3. Photos are saved (`core.media.save_image`) and remembered as `BotPhoto`s for two minutes:
   a `办结 N` (or `巡查`) in the same message or sent within two minutes after the photo takes
   them as proof; a photo sent within two minutes after the sender's `办结 N` is added to that
   issue's trail (a comment with the photo, `办结照片`).
4. The command runs (see `bot.commands`); a workflow refusal becomes one line that says what
   could not be done in words that read as Chinese (`未能查看详情：…`, not `未能详情`), and
   an example in it is written as it is sent here (`@小巷管家 办结 16 …` in a group).
5. A message is for the bot when it starts with a command word, or an everyday phrasing of
   one (`完成 16 已清理`, `收到 16`: `bot.commands.understanding`), or when it is addressed
   to the bot: @-mentioned, or sent on a channel that hears only what is said to the bot (the
   smart bot hears a group only when @-mentioned; the app only hears private chats). The relay
   hears the whole group: there, chatter (`收到`, `你好`, `1`) gets no answer at all (`None`).
   An addressed greeting or thanks gets one friendly line; a typo of a command gets the
   nearest command back as a question (`您是要“办结 16 已处理”吗？`) and never runs — a
   workflow action must not run on a guess, and a read-only one (`带办`) is not run either: one
   rule, so people learn the word; an addressed unknown word gets the sender's help.
6. Addressed words with no command from a steward that name a record (or come with photos) are
   proposed as a 随手做, patrol or visit, recorded only on `是` (`bot.commands.ledger`); photos
   alone just after such words join that proposal, and a bare number answers its question.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot import commands, identity
from bot.commands import Context, ledger
from bot.commands.registry import Command
from core import audit, media
from core.boards import health as board_health
from core.items import issues
from infra import text
from infra.errors import ApiError
from infra.timeutil import utcnow
from models import BotPhoto, ChatGroup, Event, User

log = logging.getLogger(__name__)

_NOT_BOUND = "您好，您还没有绑定身份。请向社区工作人员索取绑定码，然后发送：{}"
NOT_BOUND = _NOT_BOUND.format("绑定 绑定码")  # in a single chat; in a group with the @

# Channels that only hear what is said to the bot (see 5. above).
ADDRESSED_CHANNELS = ("aibot", "app")

# How a refusal starts, per command, where `未能` + the command's name would not read as
# Chinese (a noun: 未能详情; or a verb that means something else: 未能实现 "did not come true",
# 未能通过 "did not pass"). Every other command: `未能<name>` (未能接单, 未能办结).
REFUSED = {
    "帮助": "未能显示帮助",
    "待办": "未能查看待办",
    "详情": "未能查看详情",
    "巡查": "未能登记巡查",
    "心愿": "未能查看心愿",
    "实现": "未能登记心愿实现",
    "放弃": "未能放弃认领",
    "通过": "未能审核通过",
    "不公开": "未能设为不公开",
    "积分": "未能查看积分",
    "存折": "未能查看存折",
    "已联系": "未能登记已联系",
    "已上门": "未能登记已上门",
    "需帮助": "未能登记需帮助",
    "牌子": "未能记下公示牌情况",
}


@dataclass
class Inbound:
    """A chat message as every adapter hands it over."""

    channel: str  # aibot | app | bridge
    msg_id: str
    sender: str
    text: str | None = None
    chat_id: str | None = None
    images: list[bytes] = field(default_factory=list)
    images_unavailable: int = 0  # photos the channel announced that could not be fetched
    unavailable_reason: str | None = None


# --- photos ---------------------------------------------------------------------------------


def _save_photos(msg: Inbound, user: User, now) -> tuple[list[BotPhoto], int]:
    """Save the message's photos; returns the BotPhoto rows and how many were unusable."""
    saved, failed = [], 0
    for data in msg.images:
        try:
            stored = media.save_image(data, user)
        except ApiError as err:
            log.info("bot: photo from %s refused: %s", msg.sender, err.message)
            failed += 1
            continue
        saved.append(BotPhoto.create(sender=msg.sender, media=stored, received_at=now))
    return saved, failed


def _photo_only(ctx: Context, photos: list[BotPhoto]) -> str:
    """Photos without a command: proof for a 办结 just sent, or kept for the next one."""
    since = ctx.now - commands.photo_window()
    last = (
        Event.select()
        .where(
            (Event.action == "issue.resolve")
            & (Event.actor == ctx.user)
            & (Event.at >= since)
            & (Event.subject_type == "issue")
        )
        .order_by(Event.at.desc(), Event.id.desc())
        .first()
    )
    if last is None:
        how = ctx.call("办结 编号 说明")
        if board_health.open_checks(ctx.p.alley_ids):  # asked to look at a board
            return (
                f"已收到照片 {len(photos)} 张，公示牌坏了请在 2 分钟内发送“{ctx.call('牌子坏了')}”，"
                f"照片将随牌子列入待重印；办结诉求请发送“{how}”"
            )
        return f"已收到照片 {len(photos)} 张，请在 2 分钟内发送“{how}”，照片将作为办结凭证"
    try:
        issue = issues.comment(ctx.p, last.subject_id, "办结照片", [p.media_id for p in photos])
    except ApiError as err:
        return f"未能补充照片：{err.message}"
    commands.mark_used(photos, ctx.now)
    return f"已把照片 {len(photos)} 张补充到 {commands.issue_title(issue)} 的办结记录"


# --- the engine -------------------------------------------------------------------------------


def refusal(command: Command, err: ApiError, ctx: Context) -> str:
    """`未能办结：请写明办理情况，例如：@小巷管家 办结 16 垃圾已清运`."""
    if isinstance(err, commands.Needs):  # the example with the number the person typed
        said = err.said(ctx.call)
    else:
        # A refusal written as plain text (`…，例如：派单 12 王秀英`): its example, which runs
        # to the end, is still written as it is sent here.
        head, example, tail = err.message.partition("例如：")
        said = f"{head}{example}{ctx.call(tail)}" if example and tail else err.message
    return f"{REFUSED.get(command.name, '未能' + command.name)}：{said}"


def _worth_a_question(guess) -> bool:
    """Said to nobody in particular (the relay hears the whole group), a word that sounds
    like a command is asked about only when a number follows it or nothing does
    (`办洁 16 已处理`, `带办`), not in someone's sentence (`代办 社保的事`)."""
    rest = commands.normalize(guess.rest)
    return not rest or rest[0].isdigit() or rest[0] == "#" or rest.startswith("心愿")


def _numbered_guess(guess) -> bool:
    rest = commands.normalize(guess.rest)
    return bool(rest) and (rest[0].isdigit() or rest[0] == "#")


def handle(msg: Inbound, group: ChatGroup | None = None) -> str | None:
    """Run one inbound message; returns the reply, or None when it was not for the bot."""
    now = utcnow()
    # The one normalisation of typed text (infra.text), as the API and the scan page use it:
    # controls dropped, invisible characters trimmed, so "\u200b接单 1" is "接单 1"; the
    # punctuation people typed stays as typed.
    parsed = commands.split(text.normalise(msg.text or ""))
    addressed = parsed.mentioned or msg.channel in ADDRESSED_CHANNELS
    command, args = parsed.command, parsed.args
    opening = guess = None
    if parsed.text:
        meant = commands.phrase(parsed.text, addressed, parsed.word or None)
        if meant is not None:
            command, args = meant.command, meant.args
        elif command is None:
            opening = commands.greeted(parsed.text) if addressed else None
            if opening is None:
                guess = commands.closest(parsed.text)
                if guess is not None and not addressed and not _worth_a_question(guess):
                    guess = None
                if guess is None and not addressed:
                    return None  # chatter in the group: not for the bot
    principal, user = identity.identify(msg.sender)
    ctx = Context(
        sender=msg.sender,
        channel=msg.channel,
        principal=principal,
        user=user,
        group=group,
        now=now,
        in_group=bool(msg.chat_id) or group is not None,
        addressed=addressed,
    )
    if principal is None and command is not None and not command.listed and not addressed:
        return None  # `是` said in the relayed group by someone the bot does not know
    if principal is None and not (command is not None and command.anyone):
        return _NOT_BOUND.format(ctx.call("绑定 绑定码"))
    photos, refused = [], 0
    if principal is not None and msg.images:
        photos, refused = _save_photos(msg, user, now)
    missing = msg.images_unavailable + refused
    if missing:
        audit.record(
            "bot.photo_unavailable",
            "bot",
            None,
            actor=user,
            data={
                "channel": msg.channel,
                "msg_id": msg.msg_id,
                "count": missing,
                "reason": msg.unavailable_reason or "图片无法识别",
            },
        )
    note = "（有照片未能保存，请在小程序补充）" if missing else ""
    if not parsed.text:
        if photos:
            joined = ledger.photos_came(ctx, photos)  # the photo of words just proposed
            return (joined if joined is not None else _photo_only(ctx, photos)) + note
        if missing:
            return "照片未能保存，请稍后重发或在小程序上传"
        return commands.short_help(ctx)
    if opening is not None:
        return commands.greet(ctx, opening) + note
    if command is None:
        chosen = ledger.numbered(ctx, parsed.text)  # `2`: answering the bot's question
        if chosen is not None:
            return chosen + note
        # the nearest among the commands this sender may use
        guess = commands.closest(parsed.text, commands.allowed(ctx)) if guess else None
        if addressed and not (guess is not None and _numbered_guess(guess)):
            # words with no command (and photos): a record to propose (bot.commands.ledger);
            # a typo followed by an item's number stays a question about the command
            proposed = ledger.propose(ctx, parsed.text, typo=guess is not None)
            if proposed is not None:
                return proposed + note
        if guess is not None:
            wanted = f"{guess.command.name} {guess.rest}".strip()
            return f"您是要“{ctx.call(wanted)}”吗？" + note
        word = commands.normalize(msg.text).split(" ")[0][:10]
        return f"没有“{word}”这个指令。{commands.short_help(ctx)}" + note
    try:
        reply = command.handler(ctx, args)
    except ApiError as err:
        reply = refusal(command, err, ctx)
    if reply is None:
        return None  # an answer word said to nobody in particular, with nothing to answer
    return reply + note
