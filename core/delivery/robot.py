"""Pushing to a WeCom group through its group robot (the webhook), by way of the outbox.

This is the interface the rest of the system uses (`core.items.notify`, the daily report job)::

    for group in groups_for_area(issue.alley)[:1]:
        push_text(group, "新诉求 #12 …", key="robot:issue:12:create:34", mentions=[phone])

Every function only *queues*: it writes `outbox_message` rows (kind ``robot``, target the
webhook key, payload the exact webhook JSON body) in the caller's transaction; the dispatcher
delivers them, at most 20 a minute per robot (`core.delivery.outbox.RATE_LIMITS`), bursts waiting
their turn instead of failing. The robot's limits (developer.work.weixin.qq.com, 群机器人配置说明,
path/91770 and path/99398) are honoured here before anything is queued:

* ``text``: content at most 2,048 bytes of UTF-8; ``mentioned_list`` @-mentions group
  members by WeCom user id, ``mentioned_mobile_list`` by phone (a steward's own phone, never
  a resident's: the robot shows the member's name, not the number).
* ``markdown``: content at most 4,096 bytes (markdown cannot @ by phone).
* ``image``: the raw JPEG/PNG at most 2 MB before base64, with the MD5 of the raw bytes
  (`core.delivery.images`; an uploaded photo's row names the file, read when it is sent).

Longer texts are split on line boundaries into parts keyed ``<key>:part1``, ``<key>:part2`` …
(a single line longer than the limit is cut between characters); a larger image is
re-compressed until it fits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app

from core.delivery import images, outbox
from core.media import media_path
from infra.db import Param, Prepared
from models import Area, ChatGroup, Media, OutboxMessage

log = logging.getLogger(__name__)

TEXT_MAX_BYTES = 2048
MARKDOWN_MAX_BYTES = 4096


# Asked on every new issue, inside its transaction: compiled once (infra.db.Prepared).
_GROUPS_OVER = Prepared(
    lambda: (
        ChatGroup.select(ChatGroup, Area)
        .join(Area, on=(ChatGroup.area == Area.id))
        .where(
            ChatGroup.active
            & ChatGroup.unit.is_null()  # a handling unit's own group hears only its items
            & ChatGroup.area.in_(Param("areas", many=True))
            & (ChatGroup.audience == Param("audience"))
        )
    ),
    many=("areas",),
)


def groups_for_area(area: Area, audience: str = "stewards") -> list[ChatGroup]:
    """Active groups of `audience` ("stewards" or "staff") whose area covers `area` (itself
    included), most specific first."""
    ancestor_ids = area.ancestor_ids() or [area.id]
    groups = list(_GROUPS_OVER.rows(areas=ancestor_ids, audience=audience))
    groups.sort(key=lambda g: (-len(g.area.path), g.id))
    return groups


def bot_call(command: str) -> str:
    """How a group member sends `command` to the smart bot, which in a group only hears
    messages that @ it: ``@小巷管家 接单 12``."""
    return f"@{current_app.config['BOT_NAME']} {command}"


# --- splitting --------------------------------------------------------------------------------


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut_line(line: str, limit: int) -> list[str]:
    """A line longer than `limit` bytes, cut between characters."""
    if _utf8_len(line) <= limit:
        return [line]
    pieces, current, size = [], [], 0
    for ch in line:
        n = _utf8_len(ch)
        if size + n > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += n
    if current:
        pieces.append("".join(current))
    return pieces


def split_text(text: str, limit: int) -> list[str]:
    """Split `text` into parts of at most `limit` UTF-8 bytes, on line boundaries."""
    parts: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        for piece in _cut_line(line, limit):
            candidate = piece if current is None else f"{current}\n{piece}"
            if _utf8_len(candidate) <= limit:
                current = candidate
            else:
                parts.append(current)
                current = piece
    if current is not None:
        parts.append(current)
    parts = [p.strip("\n") for p in parts]
    return [p for p in parts if p.strip()]


def _enqueue(
    group: ChatGroup, bodies: list[dict], key: str, fetch: bool = True
) -> list[OutboxMessage]:
    """The queued rows (see `outbox.enqueue`); an empty list with `fetch=False`."""
    messages = list(zip(bodies, part_keys(key, len(bodies)), strict=True))
    if not fetch:
        push_all(group, messages)
        return []
    return [
        outbox.enqueue("robot", group.webhook_key, body, key=part_key, area=group.area_id)
        for body, part_key in messages
    ]


def push_all(group: ChatGroup, messages: list[tuple[dict, str]]) -> None:
    """Queue message bodies made beforehand (`text_bodies`, `photo_body`), each with its key,
    in one statement; the rows are not read back."""
    outbox.enqueue_all("robot", group.webhook_key, messages, area=group.area_id)


# --- the three message types ------------------------------------------------------------------


def push_text(
    group: ChatGroup,
    text: str,
    key: str,
    mentions: Iterable[str] = (),
    fetch: bool = True,
    users: Iterable[str] = (),
) -> list[OutboxMessage]:
    """Queue a text message; `mentions` are phone numbers and `users` WeCom user ids to @
    (on the first part)."""
    return _enqueue(group, text_bodies(text, mentions, users), key, fetch)


def _distinct(values: Iterable[str | None]) -> list[str]:
    return [v.strip() for v in dict.fromkeys(values) if v and v.strip()]


def text_bodies(text: str, mentions: Iterable[str] = (), users: Iterable[str] = ()) -> list[dict]:
    """A text message's bodies: one per part of at most `TEXT_MAX_BYTES`, the @-mentions (by
    phone: `mentions`, by WeCom user id: `users`) on the first."""
    phones, ids = _distinct(mentions), _distinct(users)
    bodies = []
    for i, part in enumerate(split_text(text, TEXT_MAX_BYTES)):
        content: dict = {"content": part}
        if ids and i == 0:
            content["mentioned_list"] = ids
        if phones and i == 0:
            content["mentioned_mobile_list"] = phones
        bodies.append({"msgtype": "text", "text": content})
    return bodies


def part_keys(key: str, count: int) -> list[str]:
    """The keys of a message's parts: `key` itself when it has one part."""
    return [key] if count == 1 else [f"{key}:part{i}" for i in range(1, count + 1)]


def push_markdown(group: ChatGroup, text: str, key: str) -> list[OutboxMessage]:
    bodies = [
        {"msgtype": "markdown", "markdown": {"content": part}}
        for part in split_text(text, MARKDOWN_MAX_BYTES)
    ]
    return _enqueue(group, bodies, key)


def push_image(
    group: ChatGroup, png_bytes: bytes, key: str, fetch: bool = True
) -> list[OutboxMessage]:
    """Queue an image (PNG or JPEG bytes), re-compressed if it is over 2 MB."""
    return _enqueue(group, [images.body(png_bytes)], key, fetch)


def push_photo(group: ChatGroup, media: Media, key: str, fetch: bool = True) -> bool:
    """Queue an uploaded photo as an image message; False when its file is missing (the
    change that pushes it must not fail over a lost file)."""
    body = photo_body(media)
    if body is None:
        return False
    _enqueue(group, [body], key, fetch)
    return True


def photo_body(media: Media) -> dict | None:
    """The outbox body of an uploaded photo as an image message, None when its file is
    missing. The body names the photo and the dispatcher reads it when it sends
    (`images.expand`); a photo that cannot go as it is (over 2 MB, not JPEG/PNG) is queued as
    bytes. It reads the disk: a workflow asks for it before taking its write lock."""
    path = media_path(media)
    ref = images.reference(media)
    try:
        if ref is None:
            return images.body(path.read_bytes())
        if not path.is_file():
            raise FileNotFoundError(path)
    except OSError as exc:
        log.warning("photo %s missing: %s", media.id, exc)
        return None
    return ref
