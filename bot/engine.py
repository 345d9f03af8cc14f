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
4. The command runs (see `bot.commands`); a workflow refusal becomes `未能办结：<reason>`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from bot import commands
from bot.commands import Context
from core import audit, auth, codes, issues, media
from core.db import write_transaction
from core.errors import ApiError, conflict
from core.permissions import Principal
from core.timeutil import utcnow
from models import BindCode, BotPhoto, ChatGroup, Event, Steward, User

log = logging.getLogger(__name__)

NOT_BOUND = "您好，您还没有绑定身份。请向社区工作人员索取绑定码，然后发送：绑定 绑定码"
WECOM_OPENID_PREFIX = "wecom:"


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


# --- who is asking ------------------------------------------------------------------------------


def wecom_openid(sender: str) -> str:
    """The pseudo-openid of a WeCom user (at most 64 characters, like the column)."""
    if len(sender) <= 64 - len(WECOM_OPENID_PREFIX):
        return WECOM_OPENID_PREFIX + sender
    return WECOM_OPENID_PREFIX + hashlib.sha1(sender.encode()).hexdigest()


def _wecom_user(sender: str, nickname: str | None = None) -> User:
    openid = wecom_openid(sender)
    user = User.get_or_none(User.openid == openid)
    if user is None:
        user = User.create(openid=openid, nickname=nickname)
    return user


def _link_roster_steward(steward: Steward, sender: str) -> None:
    """A steward whose WeCom account came with the roster, writing for the first time."""
    with write_transaction():
        auth.bind_steward(_wecom_user(sender, steward.name), steward, via="wecom_roster")


def identify(sender: str) -> tuple[Principal | None, User | None]:
    """The sender's principal (None when they are nobody to the system yet) and user."""
    if not sender:
        return None, None
    steward = Steward.get_or_none((Steward.wecom_userid == sender) & Steward.active)
    if steward is not None:
        if steward.user_id is None:
            _link_roster_steward(steward, sender)
            steward = Steward.get_by_id(steward.id)
        user = User.get_by_id(steward.user_id)
        principal = Principal.for_user(user)
        if principal.stewards or principal.is_staff:
            return principal, user
    user = User.get_or_none(User.openid == wecom_openid(sender))
    if user is not None:
        principal = Principal.for_user(user)
        if principal.stewards or principal.is_staff:
            return principal, user
    return None, user


def bind_sender(ctx: Context, code: str) -> str:
    """`绑定 CODE`: the code staff issued makes this WeCom account that steward or colleague.

    A steward who already uses the mini program keeps that login: the code is redeemed for
    their existing user and the WeCom account is linked to it (`Steward.wecom_userid`).
    """
    row = BindCode.get_or_none(BindCode.code_hash == codes.digest(code))
    with write_transaction():
        if row is not None and row.steward_id:
            steward = Steward.get_by_id(row.steward_id)
            holder = Steward.get_or_none(Steward.wecom_userid == ctx.sender)
            if holder is not None and holder.id != steward.id:
                raise conflict(
                    "wecom_taken", f"您的企业微信已绑定管家{holder.name}，如需更换请联系社区"
                )
            existing = User.get_or_none(User.id == steward.user_id) if steward.user_id else None
            user = existing if existing and existing.openid else _wecom_user(ctx.sender)
            auth.redeem_bind_code(user, code)
            auth.link_wecom(steward, ctx.sender, actor=user)
            alleys = "、".join(a.name for a in steward.alleys()) or "本社区"
            return f"绑定成功：您是{alleys}的小巷管家{steward.name}。发送“待办”查看要办的事"
        user = _wecom_user(ctx.sender)
        grant = auth.redeem_bind_code(user, code)  # raises the right refusal for a bad code
        account = grant.staff
        return f"绑定成功：您是社区工作人员{account.display_name}。发送“帮助”查看指令"


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
        return f"已收到照片 {len(photos)} 张，请在 2 分钟内发送“办结 编号 说明”，照片将作为办结凭证"
    try:
        issue = issues.comment(ctx.p, last.subject_id, "办结照片", [p.media_id for p in photos])
    except ApiError as err:
        return f"未能补充照片：{err.message}"
    commands.mark_used(photos, ctx.now)
    return f"已把照片 {len(photos)} 张补充到 {commands.issue_title(issue)} 的办结记录"


# --- the engine -------------------------------------------------------------------------------


def handle(msg: Inbound, group: ChatGroup | None = None) -> str:
    """Run one inbound message; returns the reply line."""
    now = utcnow()
    principal, user = identify(msg.sender)
    command, args = commands.parse(msg.text)
    ctx = Context(
        sender=msg.sender,
        channel=msg.channel,
        principal=principal,
        user=user,
        group=group,
        now=now,
    )
    if principal is None and not (command is not None and command.anyone):
        return NOT_BOUND
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
    if not commands.normalize(msg.text):
        if photos:
            return _photo_only(ctx, photos) + note
        if missing:
            return "照片未能保存，请稍后重发或在小程序上传"
        return commands.short_help()
    if command is None:
        word = commands.normalize(msg.text).split(" ")[0][:10]
        return f"没有“{word}”这个指令。{commands.short_help()}"
    try:
        reply = command.handler(ctx, args)
    except ApiError as err:
        reply = f"未能{command.name}：{err.message}"
    return reply + note


def steward_phone(sender: str) -> str | None:
    """For an @-mention when a reply has to go out through the group robot."""
    steward = Steward.get_or_none((Steward.wecom_userid == sender) & Steward.active)
    return steward.phone if steward else None


__all__ = ["Inbound", "handle", "identify", "bind_sender", "steward_phone"]
