"""Who hears about a change: called by the workflow inside its transaction.

Everything goes through the outbox, so a notification is written together with the change
that caused it and delivered (or retried) later.

Residents hear about their own items by subscribe message. The stewards' WeCom group (the
most specific active group above the alley, see `core.delivery.robot.groups_for_area`)
hears about: a new issue and a reopened one (@ the alley's stewards by phone), an escalation
(@ the group's leaders), a 派单 / 改派 (@ the stewards it goes to, naming those taken off), a
wish approved and waiting for a claimer, a wish fulfilled.
A new public issue's text is followed by the resident's photos (image messages, in order,
counted against the robot's 20 a minute by the outbox like everything else it sends).
Idempotency keys come from the event: `robot:issue:12:create:34`, `…:photo1`.
Commands suggested in a push are written as the smart bot needs them in a group
(`@小巷管家 接单 12`).

Nothing private reaches the group (`core.items.privacy`): held or private words and photos
are replaced by where to look, and what one steward needs to read alone — a reopened item's
reason, "you are taken off this item" — goes to them by private message from the WeCom app
(`core.delivery.private`), or the group line says to look in the mini program.

The workflows (`issues`, `wishes`) call this module, never the reverse: what it needs of an
item (status labels, assignees) comes from `models`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core import media
from core.delivery import groups, private, robot, subscriptions
from core.items import handoffs, outcomes, privacy, trail_names
from infra.text import shorten
from infra.timeutil import month_day_time
from models import (
    ISSUE_STATUS_LABELS,
    WISH_STATUS_LABELS,
    Area,
    ChatGroup,
    Event,
    Issue,
    Steward,
    Wish,
)

log = logging.getLogger(__name__)

# Changes pushed to the stewards' group.
ISSUE_GROUP_PUSHES = {"reopen", "escalate"}  # a new issue: `issue_created`
WISH_GROUP_PUSHES = {"approve", "fulfil"}

# Changes of an issue the reporter is told about (their own actions excepted).
ISSUE_STATUS_NOTICES = {"accept", "resolve", "escalate", "whistle", "cancel", "close"}
WISH_STATUS_NOTICES = {"approve", "reject", "claim", "fulfil", "withdraw"}


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
        status = ISSUE_STATUS_LABELS[issue.status]
        if action == "resolve" and issue.outcome:
            # how it was closed, in the resident's words: 已答复（政策解释）…, 无法解决：原因
            status = outcomes.SHORT[issue.outcome]
            if issue.outcome != outcomes.SOLVED:
                words = outcomes.plain_words(issue.outcome, note)
                note = words if issue.outcome == outcomes.UNSOLVABLE else f"{words}：{note}"
        subscriptions.queue_status_message(
            reporter,
            number=issue.number,
            title=shorten(f"{issue.category}：{issue.content}", 20),
            status_label=status,
            note=shorten(note or status, 20),
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
    if action == "reopen":
        stewards = [s for s in issue.assigned_stewards() if s.active]
        mentions = [s.phone for s in stewards]
        # The resident's reason is their own words, never moderated: to the stewards alone.
        told = _tell_privately(
            stewards,
            f"【重新打开】{_head(issue)}\n反映人认为尚未解决：{note}",
            f"private:issue:{issue.id}:reopen:{event.id}",
            issue,
        )
        note = _where_to_read("原因", told, stewards)
    if not targets:
        return
    group = targets[0]
    if action == "escalate":
        mentions = [s.phone for s in groups.leaders(group)]
    key = f"robot:issue:{issue.id}:{action}:{event.id}"
    # The rows are not looked at here: not read back while the write lock is held.
    robot.push_text(group, _issue_text(issue, action, note), key, mentions, fetch=False)


def _tell_privately(stewards: list[Steward], text: str, key: str, issue: Issue) -> list[Steward]:
    """A private message to each steward with a WeCom id; returns those it was queued for."""
    return [
        s
        for s in stewards
        if private.send_text(s.wecom_userid, text, f"{key}:{s.id}", area=issue.alley_id)
    ]


def _where_to_read(what: str, told: list[Steward], stewards: list[Steward]) -> str:
    """`原因已私信发给王秀英` / `原因请在小程序查看`: what the group reads instead of `what`."""
    if told and len(told) == len(stewards):
        return f"{what}已私信发给{_names(told)}"
    if told:
        return f"{what}已私信发给{_names(told)}，其他管家请在小程序查看"
    return f"{what}请在小程序查看"


def _names(stewards: list[Steward]) -> str:
    return "、".join(s.name for s in stewards)


def _head(issue: Issue) -> str:
    """`#12 南门巷·环境卫生：垃圾堆放` with only what a group may read."""
    return f"#{issue.id} {issue.alley.name}·{issue.category}：{privacy.issue_words(issue, 60)}"


def _mention(stewards: list[Steward]) -> tuple[list[str], list[str]]:
    """(phones, user ids) to @ the stewards: by WeCom user id when known, else by phone."""
    users = [s.wecom_userid for s in stewards if s.wecom_userid]
    phones = [s.phone for s in stewards if not s.wecom_userid]
    return phones, users


def issue_assigned(
    issue: Issue, event: Event, handoff: handoffs.Handoff | None, priority_changed: bool
) -> None:
    """派单 / 改派 (`handoff`: None when only the tier changed) and a changed tier.

    The group @-mentions the stewards it goes to (by WeCom id, else phone) and names those
    taken off; the new stewards get a subscribe message where they left a consent; a steward
    taken off is also told privately. Without a group the new stewards are told privately."""
    by = trail_names.person_name(event.actor_id, event.actor_label)  # 张主任, not a login
    due = month_day_time(issue.deadline)
    accept = robot.bot_call(f"接单 {issue.id}")
    tier = f"紧急程度改为“{handoffs.PRIORITY_WORDS[issue.priority]}”" if priority_changed else ""
    if handoff is None:
        stewards = [s for s in issue.assigned_stewards() if s.active]
        text = f"【期限调整】{_head(issue)}\n{tier}（{by}），请在 {due} 前办结"
        new, gone = stewards, []
    else:
        new, gone = handoff.added or handoff.after, handoff.removed
        to = _names(handoff.after)
        if gone:
            moved = f"{_names(handoff.before)} → {to}（{by}）"
            text = f"【改派】{_head(issue)}\n{moved}，{_names(gone)}无需再办理"
        else:
            text = f"【派单】{_head(issue)}\n派给{to}（{by}）"
        text += f"，{tier}" if tier else ""
        text += f"。请{_names(new)}在 {due} 前办结，接单请发送“{accept}”"
    key = f"issue:{issue.id}:assign:{event.id}"
    targets = robot.groups_for_area(issue.alley)[:1]
    if targets:
        phones, users = _mention(new)
        robot.push_text(targets[0], text, f"robot:{key}", phones, fetch=False, users=users)
    else:
        _tell_privately(new, text, f"private:{key}:to", issue)
    for s in new:
        user = s.user if s.user_id else None
        subscriptions.queue_status_message(
            user,
            number=issue.number,
            title=shorten(f"{issue.category}：{issue.content}", 20),
            status_label="新派单",
            note=f"请在{due}前办结",
            when=event.at,
            item_key=f"{key}:{s.id}",
            area=issue.alley_id,
            page_query=f"type=issue&id={issue.id}",
        )
    # to the steward taken off: which item, not its words (no longer theirs to read)
    item = f"#{issue.id} {issue.alley.name}·{issue.category}"
    off = f"【改派】{item}\n已改派给{_names(handoff.after)}（{by}），您无需再办理。" if gone else ""
    _tell_privately(gone, off, f"private:{key}:off", issue)


def issue_created(issue: Issue, event: Event, push: NewIssuePush, stewards: list) -> None:
    """A new issue to the stewards' group (@ the stewards assigned), its photos after it if
    public, with what `read_new_issue_push` read."""
    if push.group is None:
        return
    key = f"robot:issue:{issue.id}:create:{event.id}"
    mentions = [s.phone for s in stewards if s.active]
    texts = robot.text_bodies(_issue_text(issue, "create", None), mentions)
    messages = list(zip(texts, robot.part_keys(key, len(texts)), strict=True))
    if privacy.issue_words_shown(issue):
        messages += [(body, f"{key}:photo{n}") for n, body in enumerate(push.photos, start=1)]
    # one INSERT for the text and its photos, under the write lock
    robot.push_all(push.group, messages)


def _issue_text(issue: Issue, action: str, note: str | None) -> str:
    head = _head(issue)
    if action == "create":
        extras = []
        if issue.location and issue.location.get("address"):
            extras.append(f"位置：{shorten(issue.location['address'], 40)}")
        if issue.photo_ids and privacy.issue_words_shown(issue):
            extras.append(f"照片 {len(issue.photo_ids)} 张见下")
        extra = ("\n" + "；".join(extras)) if extras else ""
        return (
            f"【新诉求】{head}{extra}\n请在 {month_day_time(issue.deadline)} 前办结。"
            f"接单请发送“{robot.bot_call(f'接单 {issue.id}')}”，"
            f"位置、照片和电话请发送“{robot.bot_call(f'详情 {issue.id}')}”"
        )
    if action == "reopen":
        return (
            f"【重新打开】{head}\n反映人认为尚未解决，{note}；"
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
