"""Who hears about a change: called by the workflow inside its transaction.

Everything goes through the outbox, so a notification is written together with the change
that caused it and delivered (or retried) later.

Residents hear about their own items by subscribe message. The stewards' WeCom group (the
most specific active group above the alley, see `core.delivery.robot.groups_for_area`)
hears about: a new issue and a reopened one (@ the alley's stewards by phone), an escalation
(@ the group's leaders), a wish approved and waiting for a claimer, a wish fulfilled.
Idempotency keys come from the event: `robot:issue:12:create:34`.

The workflows (`issues`, `wishes`) call this module, never the reverse: what it needs of an
item (status labels, assignees) comes from `models`.
"""

from __future__ import annotations

from core.delivery import groups, robot, subscriptions
from core.text import shorten
from core.timeutil import month_day_time
from models import ISSUE_STATUS_LABELS, WISH_STATUS_LABELS, Event, Issue, Wish

# Changes pushed to the stewards' group.
ISSUE_GROUP_PUSHES = {"create", "reopen", "escalate"}
WISH_GROUP_PUSHES = {"approve", "fulfil"}

# Changes of an issue the reporter is told about (their own actions excepted).
ISSUE_STATUS_NOTICES = {"accept", "resolve", "escalate", "whistle", "cancel", "close"}
WISH_STATUS_NOTICES = {"approve", "reject", "claim", "fulfil"}


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
    targets = robot.groups_for_area(issue.alley)[:1]
    if not targets:
        return
    group = targets[0]
    alley = issue.alley.name
    content = (
        shorten(issue.content, 60)
        if issue.visibility == "public"
        else "（内容待审核，请在小程序查看）"
    )
    head = f"#{issue.id} {alley}·{issue.category}：{content}"
    if action == "create":
        text = f"【新诉求】{head}\n请在 {month_day_time(issue.deadline)} 前办结，回复“接单 {issue.id}”接单"
        mentions = [s.phone for s in issue.assigned_stewards() if s.active]
    elif action == "reopen":
        text = (
            f"【重新打开】{head}\n反映人认为尚未解决：{shorten(note, 60)}；"
            f"请在 {month_day_time(issue.deadline)} 前再次处理"
        )
        mentions = [s.phone for s in issue.assigned_stewards() if s.active]
    else:  # escalate
        text = f"【上报社区】{head}\n管家上报原因：{shorten(note, 60)}；请队长和社区协调处理"
        mentions = [s.phone for s in groups.leaders(group)]
    robot.push_text(
        group, text, key=f"robot:issue:{issue.id}:{action}:{event.id}", mentions=mentions
    )


def _push_wish(wish: Wish, action: str, event: Event, note: str | None) -> None:
    targets = robot.groups_for_area(wish.alley)[:1]
    if not targets:
        return
    head = f"心愿{wish.id} {wish.alley.name} {wish.display_name}：{shorten(wish.title, 30)}"
    if action == "approve":
        text = f"【心愿待认领】{head}\n回复“认领 心愿{wish.id}”认领"
    else:  # fulfil
        text = f"【心愿已实现】{head}\n{shorten(note, 60)}，感谢认领人的付出！"
    robot.push_text(targets[0], text, key=f"robot:wish:{wish.id}:{action}:{event.id}")
