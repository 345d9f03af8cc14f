"""Who hears about a change: called by the workflow inside its transaction.

Everything goes through the outbox, so a notification is written together with the change
that caused it and delivered (or retried) later.

Residents hear about their own items by subscribe message. The stewards' WeCom group (the
most specific active group above the alley, see `core.delivery.robot.groups_for_area`)
hears about: a new issue and a reopened one (@ the alley's stewards by phone), an escalation
(@ the group's leaders), a wish approved and waiting for a claimer, a wish fulfilled.
A new public issue's text is followed by the resident's photos (image messages, in order,
counted against the robot's 20 a minute by the outbox like everything else it sends).
Idempotency keys come from the event: `robot:issue:12:create:34`, `…:photo1`.
Commands suggested in a push are written as the smart bot needs them in a group
(`@小巷管家 接单 12`).

The workflows (`issues`, `wishes`) call this module, never the reverse: what it needs of an
item (status labels, assignees) comes from `models`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core import media
from core.delivery import groups, robot, subscriptions
from core.text import shorten
from core.timeutil import month_day_time
from models import ISSUE_STATUS_LABELS, WISH_STATUS_LABELS, Area, ChatGroup, Event, Issue, Wish

log = logging.getLogger(__name__)

# Changes pushed to the stewards' group.
ISSUE_GROUP_PUSHES = {"reopen", "escalate"}  # a new issue: `issue_created`
WISH_GROUP_PUSHES = {"approve", "fulfil"}

# Changes of an issue the reporter is told about (their own actions excepted).
ISSUE_STATUS_NOTICES = {"accept", "resolve", "escalate", "whistle", "cancel", "close"}
WISH_STATUS_NOTICES = {"approve", "reject", "claim", "fulfil"}


@dataclass
class NewIssuePush:
    """What the group push of a new issue reads, read before its write transaction so that
    the write lock is held only for the writes: the group and the photos' message bodies
    (each one touches the disk)."""

    group: ChatGroup | None
    photos: list[dict]
    media: dict = field(default_factory=dict)  # the photos' rows by id, for the answer too


def read_new_issue_push(alley: Area, photo_ids: list[int]) -> NewIssuePush:
    groups_over = robot.groups_for_area(alley)
    if not groups_over:
        return NewIssuePush(None, [])
    rows = media.media_by_id(photo_ids or [])
    bodies = [robot.photo_body(rows[i]) if i in rows else None for i in photo_ids or []]
    return NewIssuePush(groups_over[0], [b for b in bodies if b is not None], rows)


def issue_changed(issue: Issue, action: str, event: Event, note: str | None = None) -> None:
    if action in ISSUE_GROUP_PUSHES:
        _push_issue(issue, action, event, note)

    reporter = issue.reporter
    if action in ISSUE_STATUS_NOTICES and reporter is not None and event.actor_id != reporter.id:
        subscriptions.queue_status_message(
            reporter,
            number=issue.number,
            title=shorten(f"{issue.category}：{issue.content}", 20),
            status_label=ISSUE_STATUS_LABELS[issue.status],
            note=shorten(note or ISSUE_STATUS_LABELS[issue.status], 20),
            when=event.at,
            item_key=f"issue:{issue.id}:{action}:{event.id}",
            area=issue.alley_id,
            page_query=f"type=issue&id={issue.id}",
        )


def wish_changed(wish: Wish, action: str, event: Event, note: str | None = None) -> None:
    if action in WISH_GROUP_PUSHES:
        _push_wish(wish, action, event, note)

    author = wish.author
    if action in WISH_STATUS_NOTICES and author is not None and event.actor_id != author.id:
        subscriptions.queue_status_message(
            author,
            number=wish.number,
            title=shorten(wish.title, 20),
            status_label=WISH_STATUS_LABELS[wish.status],
            note=shorten(note or WISH_STATUS_LABELS[wish.status], 20),
            when=event.at,
            item_key=f"wish:{wish.id}:{action}:{event.id}",
            area=wish.alley_id,
            page_query=f"type=wish&id={wish.id}",
        )


# --- the stewards' group ----------------------------------------------------------------------


def _push_issue(issue: Issue, action: str, event: Event, note: str | None) -> None:
    """A reopened or escalated issue."""
    targets = robot.groups_for_area(issue.alley)[:1]
    if not targets:
        return
    group = targets[0]
    if action == "reopen":
        mentions = [s.phone for s in issue.assigned_stewards() if s.active]
    else:  # escalate
        mentions = [s.phone for s in groups.leaders(group)]
    key = f"robot:issue:{issue.id}:{action}:{event.id}"
    # The rows are not looked at here: not read back while the write lock is held.
    robot.push_text(group, _issue_text(issue, action, note), key, mentions, fetch=False)


def issue_created(issue: Issue, event: Event, push: NewIssuePush, stewards: list) -> None:
    """A new issue to the stewards' group (@ the stewards assigned), its photos after it if
    public, with what `read_new_issue_push` read."""
    if push.group is None:
        return
    key = f"robot:issue:{issue.id}:create:{event.id}"
    mentions = [s.phone for s in stewards if s.active]
    texts = robot.text_bodies(_issue_text(issue, "create", None), mentions)
    messages = list(zip(texts, robot.part_keys(key, len(texts)), strict=True))
    if issue.visibility == "public":
        messages += [(body, f"{key}:photo{n}") for n, body in enumerate(push.photos, start=1)]
    # one INSERT for the text and its photos, under the write lock
    robot.push_all(push.group, messages)


def _issue_text(issue: Issue, action: str, note: str | None) -> str:
    content = (
        shorten(issue.content, 60)
        if issue.visibility == "public"
        else "（内容待审核，请在小程序查看）"
    )
    head = f"#{issue.id} {issue.alley.name}·{issue.category}：{content}"
    if action == "create":
        extras = []
        if issue.location and issue.location.get("address"):
            extras.append(f"位置：{shorten(issue.location['address'], 40)}")
        if issue.photo_ids and issue.visibility == "public":
            extras.append(f"照片 {len(issue.photo_ids)} 张见下")
        extra = ("\n" + "；".join(extras)) if extras else ""
        return (
            f"【新诉求】{head}{extra}\n请在 {month_day_time(issue.deadline)} 前办结。"
            f"接单请发送“{robot.bot_call(f'接单 {issue.id}')}”，"
            f"位置、照片和电话请发送“{robot.bot_call(f'详情 {issue.id}')}”"
        )
    if action == "reopen":
        return (
            f"【重新打开】{head}\n反映人认为尚未解决：{shorten(note, 60)}；"
            f"请在 {month_day_time(issue.deadline)} 前再次处理，"
            f"接单请发送“{robot.bot_call(f'接单 {issue.id}')}”"
        )
    return (  # escalate
        f"【上报社区】{head}\n管家上报原因：{shorten(note, 60)}；请队长和社区协调处理"
        f"（派单：“{robot.bot_call(f'派单 {issue.id} 管家姓名')}”，"
        f"吹哨：“{robot.bot_call(f'吹哨 {issue.id} 部门 说明')}”）"
    )


def push_photos(group, photo_ids: list[int], key: str) -> int:
    """Queue the photos as image messages after a text keyed `key`; returns how many."""
    rows = media.media_by_id(photo_ids or [])
    sent = 0
    for n, photo_id in enumerate(photo_ids or [], start=1):
        row = rows.get(photo_id)
        if row is not None and robot.push_photo(group, row, key=f"{key}:photo{n}", fetch=False):
            sent += 1
    return sent


def _push_wish(wish: Wish, action: str, event: Event, note: str | None) -> None:
    targets = robot.groups_for_area(wish.alley)[:1]
    if not targets:
        return
    head = f"心愿{wish.id} {wish.alley.name} {wish.display_name}：{shorten(wish.title, 30)}"
    if action == "approve":
        text = f"【心愿待认领】{head}\n认领请发送“{robot.bot_call(f'认领 心愿{wish.id}')}”"
    else:  # fulfil
        text = f"【心愿已实现】{head}\n{shorten(note, 60)}，感谢认领人的付出！"
    robot.push_text(targets[0], text, key=f"robot:wish:{wish.id}:{action}:{event.id}", fetch=False)
