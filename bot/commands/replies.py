"""Pieces of replies shared by the commands: how an issue and a wish are named, the
sender's recent photos, the refusal that names whose item it is, and telling the sender
something privately (what a group may not read)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import current_app

from bot.commands.registry import Context
from core.delivery import private
from core.items import issues, privacy
from infra.db import write_transaction
from infra.errors import ApiError, not_found
from infra.text import shorten
from models import Area, BotPhoto, Issue, Wish


def issue_title(issue: Issue) -> str:
    """`#12 南门巷：垃圾堆放`: what a steward recognises an issue by (its category while
    its words may not be shown, `core.items.privacy`)."""
    alley = Area.get_by_id(issue.alley_id)
    content = issue.content if privacy.issue_words_shown(issue) else issue.category
    return f"#{issue.id} {alley.name}：{shorten(content, 16)}"


def wish_title(wish: Wish, ctx: Context | None = None) -> str:
    """`心愿3 王奶奶：想要一台收音机`; in a group only once the wish was published (a wish
    waiting for review, or refused, was never shown to anyone)."""
    if not privacy.wish_shown(wish) and (ctx is None or ctx.in_group):
        return f"心愿{wish.id}"
    return f"心愿{wish.id} {wish.display_name}：{shorten(wish.title, 20)}"


def sender_key(sender: str) -> str:
    """The sender in an outbox key: as is when short, else its digest (keys are bounded)."""
    return sender if len(sender) <= 64 else hashlib.sha1(sender.encode()).hexdigest()


def tell_privately(ctx: Context, text: str, what: str, area: int | None) -> bool:
    """Send `text` to the sender alone (the WeCom app's private message, through the
    outbox); False when it cannot be (no app configured), and the reply must say where to
    look instead. `what` names it in the key (one per sender and second)."""
    key = f"private:{what}:{sender_key(ctx.sender)}:{ctx.now:%Y%m%d%H%M%S}"
    with write_transaction():
        return private.send_text(ctx.sender, text, key, area=area)


def photo_window() -> timedelta:
    return timedelta(seconds=int(current_app.config["BOT_PHOTO_WINDOW_SECONDS"]))


def recent_photos(ctx: Context) -> list[BotPhoto]:
    """The sender's unused photos from the last two minutes (this message's included)."""
    return list(
        BotPhoto.select()
        .where(
            (BotPhoto.sender == ctx.sender)
            & BotPhoto.used_at.is_null()
            & (BotPhoto.received_at >= ctx.now - photo_window())
        )
        .order_by(BotPhoto.received_at, BotPhoto.id)
    )


def mark_used(photos: list[BotPhoto], now: datetime) -> None:
    if photos:
        BotPhoto.update(used_at=now).where(BotPhoto.id.in_([p.id for p in photos])).execute()


def not_yours(ctx: Context, issue_id: int) -> None:
    """Before the workflow's own 404: tell a bound steward whose item it is instead."""
    issue = Issue.get_or_none(Issue.id == issue_id)
    if issue is None:
        raise not_found("找不到该诉求", code="issue_not_found")
    if issues.can_view(ctx.p, issue):
        return
    alley = Area.get_by_id(issue.alley_id)
    names = "、".join(s.name for s in issue.assigned_stewards()) or "社区"
    raise ApiError(
        403, "not_your_alley", f"#{issue.id} 是{alley.name}的诉求，由{names}负责，您不能处理"
    )


def more_than_shown(n: int) -> str:
    return f" 等 {n} 件" if n > 5 else ""
