"""Merging a duplicate report into the item it repeats (staff: 合并重复诉求).

The duplicate closes at once with outcome `duplicate` and a pointer to the original
(`Issue.duplicate_of`); it is not resolved (no `resolved_at`, nobody's 办结), so no figure
counts it a second time (core.figures.reports). Its reporter — and anyone who followed it —
becomes a follower of the original (as with 跟进这一件, `core.items.issues.follow`): they see
the original among their own items and follow its progress. The reporter is told by
subscribe message like every other change of their item; both trails say what happened and
who did it.

Refused, with nothing written: merging into itself, into an item that is closed, held for
review or not public, or in another community (400 naming `into`); merging an item that is
no longer open (409); by anyone but staff of both items (403).
"""

from __future__ import annotations

from peewee import IntegrityError

from core import audit
from core.boards import changes
from core.delivery import subscriptions
from core.items import issues as flow
from core.items import outcomes
from core.people.permissions import Principal
from infra.db import db, locked, write_transaction
from infra.errors import ApiError, bad_request, conflict, forbidden
from infra.text import shorten
from infra.timeutil import utcnow
from models import ISSUE_OPEN, Issue, IssueFollower

NOTE_MAX = 500


def _into_error(message: str, status: int = 400, code: str = "validation_error") -> ApiError:
    return ApiError(status, code, message, {"into": message})


def merge(p: Principal, issue_id: int, into_id: int, note: str | None = None) -> Issue:
    """Close `issue_id` as a duplicate of `into_id`; returns the duplicate."""
    if not isinstance(into_id, int) or isinstance(into_id, bool):
        raise bad_request("请填写原诉求编号", {"into": "请填写原诉求编号"})
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise bad_request(f"说明不能超过 {NOTE_MAX} 字", {"note": f"最多 {NOTE_MAX} 字"})
    flow.get_visible(p, issue_id)
    if into_id == issue_id:
        raise _into_error("不能把诉求合并到它自己，请填写另一件诉求的编号")
    with write_transaction():
        # Both rows locked, in id order: two merges of the same pair never wait on each other.
        rows = {
            i.id: i
            for i in locked(
                Issue.select().where(Issue.id.in_([issue_id, into_id])).order_by(Issue.id)
            )
        }
        dup, original = rows[issue_id], rows.get(into_id)
        if not p.can_manage(dup.alley):
            raise forbidden("只有社区工作人员可以合并重复诉求")
        if original is None or not flow.can_view(p, original):
            raise _into_error(f"找不到诉求 #{into_id}", 404, "issue_not_found")
        if dup.status not in ISSUE_OPEN:
            raise conflict(
                "invalid_transition",
                f"该诉求当前为“{flow.STATUS_LABELS[dup.status]}”，不能再合并",
            )
        _check_original(p, dup, original)
        now = utcnow()
        dup.status, dup.closed_at, dup.close_reason = "closed", now, "merged"
        dup.outcome, dup.duplicate_of = outcomes.DUPLICATE, original.id
        data = {"into": original.id, "into_number": original.number, "note": note}
        event = flow.KIND.record(p.user, dup, "merge", data)
        moved = _follow_original(dup, original)
        changes.alley_changed([original.alley_id])
        audit.record(
            "issue.merge_in",
            "issue",
            original.id,
            actor=p.user,
            area=original.alley_id,
            # how many now follow it, not who: the trail's data reaches the original's reporter
            data={"from": dup.id, "from_number": dup.number, "note": note, "followers": len(moved)},
        )
        _tell(dup, original, event)
    return dup


def _check_original(p: Principal, dup: Issue, original: Issue) -> None:
    if original.status not in ISSUE_OPEN:
        label = flow.STATUS_LABELS[original.status]
        raise _into_error(f"诉求 #{original.id} 已是“{label}”，只能合并到未办结的诉求")
    if original.visibility != "public":
        raise _into_error(f"诉求 #{original.id} 的内容待审核或不公开，不能合并到它")
    if original.community_id != dup.community_id:
        raise _into_error(f"诉求 #{original.id} 不在同一社区，只能合并同一社区的诉求")
    if not p.can_manage(original.alley):
        raise _into_error(f"您不能处理诉求 #{original.id}", 403, "forbidden")


def _follow_original(dup: Issue, original: Issue) -> list[int]:
    """The duplicate's reporter and followers now follow the original (its own reporter
    excepted: they have it already). Returns the users added."""
    people = [dup.reporter_id] if dup.reporter_id else []
    people += [
        f.user_id
        for f in IssueFollower.select(IssueFollower.user).where(IssueFollower.issue == dup)
    ]
    added = []
    for user_id in dict.fromkeys(people):
        if user_id == original.reporter_id:
            continue
        try:
            with db.atomic():
                IssueFollower.create(issue=original.id, user=user_id)
        except IntegrityError:
            continue  # already following it
        added.append(user_id)
    return added


def _tell(dup: Issue, original: Issue, event) -> None:
    """The duplicate's reporter and followers, each by subscribe message where they left a
    consent: which item theirs was merged into, where to follow it."""
    words = outcomes.plain_words(outcomes.DUPLICATE, duplicate_of=original.id)
    people = [dup.reporter] if dup.reporter_id else []
    people += [f.user for f in IssueFollower.select().where(IssueFollower.issue == dup)]
    for user in people:
        subscriptions.queue_status_message(
            user,
            number=dup.number,
            title=shorten(f"{dup.category}：{dup.content}", 20),
            status_label=outcomes.SHORT[outcomes.DUPLICATE],
            note=shorten(f"{words}，请看原诉求进展", 20),
            when=event.at,
            item_key=f"issue:{dup.id}:merge:{event.id}:{user.id}",
            area=dup.alley_id,
            page_query=f"type=issue&id={original.id}",
        )
