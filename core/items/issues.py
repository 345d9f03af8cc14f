"""The 诉求 (issue) lifecycle — the one place that changes an issue's state.

The API, the group bot and the scheduled jobs all call these functions. Each transition
checks the actor's permission and the current state (409 `invalid_transition` otherwise),
writes its event in the same transaction, and queues the notifications it causes.

    submitted ─accept→ accepted ─resolve→ resolved ─rate→ closed
        │  └──────escalate──┘ │      ↑        └─reopen (reporter, 7 days)→ submitted
        └─whistle (staff)→ whistled ─┘     (whistle: core.units.handling)
    any open state ─cancel→ cancelled   (reporter before acceptance; staff with a reason)

Why one long file: it is the one place that changes an issue's state, so every transition,
its checks and its notifications stay together where a reviewer can see them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from peewee import IntegrityError, fn

from core import audit
from core.boards import changes
from core.boards.boards import resolve_alley  # noqa: F401  (callers use issues.resolve_alley)
from core.items import (
    content_check,
    credit,
    handling,
    handoffs,
    lifecycle,
    notify,
    outcomes,
    privacy,
)
from core.items.categories import categories, category_list, check_category  # noqa: F401
from core.items.similar import similar_open, similar_to  # noqa: F401  (callers use issues.*)
from core.people import identity
from core.people.areas import community_of
from core.people.permissions import Principal
from core.timebank import awards
from infra.db import Param, Prepared, PreparedInsert, db, locked, write_transaction
from infra.errors import ApiError, bad_request, conflict, forbidden, not_found
from infra.timeutil import iso, month_day_time, utcnow
from models import (
    ISSUE_OPEN,
    ISSUE_STATUS_LABELS,
    RESOLUTION_LEVELS,
    Area,
    Board,
    Issue,
    IssueAssignee,
    IssueFollower,
    Media,
    Patrol,
    Steward,
    StewardAlley,
)

STATUS_LABELS = ISSUE_STATUS_LABELS
PRIORITY_LABELS = handoffs.PRIORITY_WORDS
ACTION_LABELS = {
    "create": "提交",
    "accept": "接单",
    "resolve": "办结",
    "escalate": "上报社区",
    "whistle": "吹哨",
    "tier": "紧急程度与期限",  # core.units.handling: every tier or deadline change
    "assign": "派单",
    "comment": "留言",
    "rate": "评价",
    "reopen": "重新打开",
    "cancel": "撤销",
    "on_the_spot": "随手做",
    "close": "未评价，自动完结",
    "publish": "公开",
    "hide": "不公开",
    "follow": "又有居民反映同一问题",
    "on_behalf": "代居民登记",  # core.items.on_behalf
    "merge": "合并为重复",  # core.items.merge: on the duplicate, and on the original
    "merge_in": "合并重复诉求",
    "callback": "回访",  # core.items.callbacks
}
# Who the trail names when the web page's anonymous submitter acts with their tracking link.
WEB_REPORTER_LABEL = "反映人"

# action → states it may start from. Where it leads is decided by the action itself.
ALLOWED_FROM = {
    "accept": {"submitted"},
    "resolve": {"submitted", "accepted", "escalated", "whistled"},
    "escalate": {"submitted", "accepted"},
    "whistle": {"submitted", "accepted", "escalated"},
    "assign": set(ISSUE_OPEN),
    "comment": set(ISSUE_OPEN) | {"resolved", "closed"},
    "rate": {"resolved"},
    "close": {"resolved"},
    "reopen": {"resolved"},
    "cancel": set(ISSUE_OPEN),
}


KIND = lifecycle.Kind(Issue, "issue", "诉求", ALLOWED_FROM, STATUS_LABELS, ACTION_LABELS)


# --- reading ---------------------------------------------------------------------------------


is_private_category = privacy.is_private_category


def deadline_for(priority: str, start: datetime) -> datetime:
    return start + timedelta(days=int(current_app.config["DEADLINE_DAYS"][priority]))


def is_overdue(issue: Issue, now: datetime | None = None) -> bool:
    return issue.status in ISSUE_OPEN and issue.deadline < (now or utcnow())


def is_handler(p: Principal, issue: Issue) -> bool:
    """One of the stewards the issue is with right now."""
    if not p.stewards:
        return False
    return (
        IssueAssignee.select()
        .where(
            (IssueAssignee.issue == issue) & IssueAssignee.steward.in_([s.id for s in p.stewards])
        )
        .exists()
    )


def is_reporter(p: Principal, issue: Issue) -> bool:
    return p.user is not None and issue.reporter_id == p.user.id


def is_follower(p: Principal, issue: Issue) -> bool:
    return p.user is not None and _FOLLOWING.first(issue=issue.id, user=p.user.id) is not None


def can_view(p: Principal, issue: Issue) -> bool:
    alley = issue.alley
    return (
        is_reporter(p, issue)
        or p.can_see(alley)
        or is_handler(p, issue)
        or is_follower(p, issue)
        or issue.department_id in p.unit_ids  # whistled to the caller's unit (core.units)
    )


def get_visible(p: Principal, issue_id: int) -> Issue:
    issue = Issue.get_or_none(Issue.id == issue_id)
    if issue is None or not can_view(p, issue):
        raise not_found("找不到该诉求", code="issue_not_found")
    return issue


_FOLLOWERS = Prepared(
    lambda: IssueFollower.select(fn.COUNT(IssueFollower.id)).where(
        IssueFollower.issue == Param("issue")
    )
)
_FOLLOWING = Prepared(
    lambda: (
        IssueFollower.select(IssueFollower.id)
        .where((IssueFollower.issue == Param("issue")) & (IssueFollower.user == Param("user")))
        .limit(1)
    )
)


def reported_or_followed(user):
    """The condition of a resident's 我的: the issues `user` (a user or a `Param`) reported or
    follows, as `id IN (reported UNION followed)`. Written as an OR of the two, PostgreSQL
    could use no index for it and read every issue on each request."""
    reported = Issue.select(Issue.id).where(Issue.reporter == user)
    followed = IssueFollower.select(IssueFollower.issue).where(IssueFollower.user == user)
    return Issue.id.in_(reported | followed)


def follower_count(issue: Issue) -> int:
    return _FOLLOWERS.scalar(issue=issue.id) or 0


def follow(p: Principal, issue_id: int) -> Issue:
    """跟进这一件: a resident with the same problem joins an open issue instead of reporting it
    again. They see it among their own from then on; its handlers see how many are affected.
    Only an issue the public may see can be followed (a held or private one is not offered),
    by anyone: those who may read it anyway (its steward, staff) get 409 `not_followable`,
    others 404. Following twice changes nothing."""
    if p.user is None:
        raise forbidden("请先登录", code="login_required")
    with write_transaction():
        issue = Issue.get_or_none(Issue.id == issue_id)
        if issue is None:
            raise not_found("找不到该诉求", code="issue_not_found")
        # Whoever asks — the alley's steward and staff included — only what the public may
        # see can be followed: a held report or a private category's never is. (Someone who
        # followed it before it was held still follows it: asking again changes nothing.)
        followable = privacy.issue_words_shown(issue)
        if not followable and not is_reporter(p, issue) and not is_follower(p, issue):
            if can_view(p, issue):  # its steward, staff: they know it is there
                raise conflict("not_followable", "该诉求尚未公开或内容不公开，不能跟进")
            raise not_found("找不到该诉求", code="issue_not_found")
        if is_reporter(p, issue):
            raise conflict("own_issue", "这是您自己反映的诉求，不用再跟进")
        if issue.status not in ISSUE_OPEN:
            raise conflict(
                "invalid_transition",
                f"该诉求当前为“{STATUS_LABELS[issue.status]}”，不能再跟进，如仍有问题请重新反映",
            )
        if is_follower(p, issue):
            return issue
        try:
            with db.atomic():
                IssueFollower.create(issue=issue.id, user=p.user.id)
        except IntegrityError:
            return issue  # the same person's second tap, a moment earlier
        # The trail names a follower only as 居民: the reporter and the handlers read it.
        audit.record(
            "issue.follow",
            "issue",
            issue.id,
            actor=p.user,
            label="居民",
            area=issue.alley_id,
            data={"followers": follower_count(issue)},
        )
    return issue


# --- creating ----------------------------------------------------------------------------------


# Run for every new report: compiled once (infra.db.Prepared).
_ALLEY_STEWARDS = Prepared(
    lambda: (
        Steward.select()
        .join(StewardAlley)
        .where((StewardAlley.alley == Param("alley")) & Steward.active)
        .order_by(StewardAlley.id)
    )
)
_ASSIGN = PreparedInsert(IssueAssignee)


@dataclass(frozen=True)
class Created:
    """What `create` made and read: the issue; the open ones like it (offered to the resident:
    none for a steward's 随手做); its stewards and its photos' rows by id, which whoever shows the
    new issue can reuse instead of reading them again."""

    issue: Issue
    similar: list[Issue]
    stewards: list[Steward] = field(default_factory=list)
    photos: dict[int, Media] = field(default_factory=dict)


def create(
    p: Principal,
    *,
    alley: Area,
    board: Board | None,
    category: str,
    content: str,
    photo_ids: list[int] | None = None,
    location: dict | None = None,
    contact_phone: str | None = None,
    anonymous: bool = False,
    source: str = "resident",
    fixed_on_spot: dict | None = None,
    tracking_token: str | None = None,
    on_behalf=None,
    hidden: bool = False,
) -> Created:
    """A new 诉求, assigned to the alley's stewards: the issue, the similar open ones, and what
    was read on the way (`Created`).

    `fixed_on_spot` ({note, photo_ids}) is the steward's 随手做: found on patrol and fixed at
    once, recorded already closed and logged as a patrol. `tracking_token` (web submissions,
    no login) is the secret of the submitter's private link; only its hash is stored.
    `hidden` files an item kept back from the public from the start (its words only for
    the people involved). `on_behalf(issue)` (core.items.on_behalf: staff registering for a resident) runs in the
    same transaction before anyone is told, so what it refuses leaves nothing behind; such an
    issue has no reporter (the resident has no login; the staff member is on the trail).
    """
    check_category(category)
    tiers = categories()
    photo_ids = lifecycle.check_photos(p, photo_ids, "photo_ids")
    steward = None
    if fixed_on_spot is not None:
        steward = _own_steward_for(p, alley)
        fix_photos = lifecycle.check_photos(
            p, fixed_on_spot.get("photo_ids"), "fixed_on_spot.photo_ids"
        )
        source = "steward"
    if hidden:
        # Kept back from the start (a care alert's 需帮助, core.households.care_alerts): never
        # public, so the words need no check, and nothing is asked of WeChat.
        verdict, visibility = "skipped", "hidden"
    else:
        # The content check talks to WeChat: do it before taking the write lock.
        verdict = content_check.check_text(content, p.user, content_check.SCENE_FORUM)
        visibility = "public" if content_check.is_publishable(verdict) else "held"
    now = utcnow()
    priority = tiers[category]
    # Read before the write lock, which is then held only for the writes.
    community = community_of(alley)
    push = notify.read_new_issue_push(alley, photo_ids) if steward is None else None
    # The alley's stewards as of now (on PostgreSQL a read inside the transaction would see
    # no more than this either: a steward appointed a moment later is not assigned).
    stewards = [steward] if steward is not None else list(_ALLEY_STEWARDS.rows(alley=alley.id))
    with write_transaction():
        issue = lifecycle.insert_numbered(
            "S",
            Issue,
            alley=alley,
            community=community,
            board=board,
            category=category,
            content=content,
            photo_ids=photo_ids,
            location=location,
            contact_phone=contact_phone,
            anonymous=anonymous,
            source=source,
            reporter=None if on_behalf else p.user,
            tracking_token_hash=lifecycle.tracking_hash(tracking_token) if tracking_token else None,
            priority=priority,
            deadline=deadline_for(priority, now),
            visibility=visibility,
            hold_reason=None if visibility != "held" else f"内容检查：{verdict}",
            created_at=now,
            updated_at=now,
        )
        _ASSIGN.insert_many([{"issue": issue.id, "steward": s.id} for s in stewards])
        changes.alley_changed([alley.id])
        event = audit.record(
            "issue.create",
            "issue",
            issue.id,
            actor=p.user,
            label=WEB_REPORTER_LABEL if p.user is None and tracking_token else None,
            area=alley,
            data={
                "category": category,
                "priority": priority,
                "stewards": [s.id for s in stewards],
                "content_check": verdict,
            },
        )
        if steward is not None:
            issue.status = "closed"
            issue.accepted_at = issue.resolved_at = issue.closed_at = now
            issue.accepted_by = issue.resolved_by = steward
            issue.resolution_level = "现场解决"
            issue.resolution_note = fixed_on_spot.get("note") or content
            issue.resolution_photo_ids = fix_photos
            issue.close_reason, issue.outcome = "on_the_spot", outcomes.SOLVED
            issue.save()
            awards.issue_on_the_spot(issue)
            Patrol.create(
                steward=steward,
                alley=alley,
                note=f"随手做：{issue.resolution_note}",
                photo_ids=fix_photos,
                location=location,
                issue=issue,
            )
            audit.record(
                "issue.on_the_spot",
                "issue",
                issue.id,
                actor=p.user,
                area=alley,
                data={"note": issue.resolution_note, "photo_ids": fix_photos},
            )
        else:
            if on_behalf is not None:
                on_behalf(issue)
            notify.issue_created(issue, event, push, stewards)
    return Created(
        issue=issue,
        similar=similar_open(issue) if steward is None else [],
        stewards=stewards,
        photos=push.media if push is not None else {},
    )


def _own_steward_for(p: Principal, alley: Area) -> Steward:
    if alley.id in p.alley_ids:
        for s in p.stewards:
            if StewardAlley.get_or_none(steward=s, alley=alley):
                return s
    raise forbidden("只能为自己负责的街巷记录随手做", code="not_your_alley")


# --- transitions -------------------------------------------------------------------------------


def _load_for_change(issue_id: int, action: str, p: Principal | None = None) -> Issue:
    try:
        return KIND.load_for_change(issue_id, action)
    except ApiError as err:
        if p is None or err.code != "invalid_transition":
            raise
        raise handling.why(p, issue_id, action) or err from None


def _may_handle(p: Principal, issue: Issue) -> bool:
    return is_handler(p, issue) or p.can_manage(issue.alley)


def _require(allowed: bool, message: str) -> None:
    """403 with the caller's own reason (each transition names who may do it)."""
    if not allowed:
        raise forbidden(message)


def _finish(
    p: Principal, issue: Issue, action: str, data: dict, note: str | None = None, label=None
):
    event = KIND.record(p.user, issue, action, data, label)
    notify.issue_changed(issue, action, event, note)
    return issue


def _visible_or_404(p: Principal, issue_id: int, tracking_token: str | None = None) -> None:
    if tracking_token is not None:
        issue = Issue.get_or_none(Issue.id == issue_id)
        if issue is None or not lifecycle.holds_token(issue, tracking_token):
            raise not_found("找不到该诉求", code="issue_not_found")
        return
    get_visible(p, issue_id)


def _by_token_label(p: Principal, issue: Issue, tracking_token: str | None) -> str | None:
    return (
        WEB_REPORTER_LABEL
        if p.user is None and lifecycle.holds_token(issue, tracking_token)
        else None
    )


def accept(p: Principal, issue_id: int) -> Issue:
    _visible_or_404(p, issue_id)
    with write_transaction():
        issue = _load_for_change(issue_id, "accept", p)
        _require(_may_handle(p, issue), "只有负责该街巷的管家或社区工作人员可以接单")
        issue.status = "accepted"
        issue.accepted_at = utcnow()
        issue.accepted_by = credit.issue_actor(p, issue)
        return _finish(p, issue, "accept", {})


def resolve(
    p: Principal,
    issue_id: int,
    note: str,
    photo_ids: list[int] | None = None,
    level=None,
    label: str | None = None,
    outcome: str | None = None,
) -> Issue:
    """`level` as the closer names it; None: inferred (core.items.handling). `label`: how
    the trail names the closer (a unit member: `住建办 李工`, core.units.actions). `outcome`
    (core.items.outcomes; None: solved): a duplicate is merged (core.items.merge) instead."""
    outcome = outcomes.check(outcome, note)
    _visible_or_404(p, issue_id)
    photo_ids = lifecycle.check_photos(p, photo_ids, "photo_ids")
    with write_transaction():
        issue = _load_for_change(issue_id, "resolve", p)
        unit = issue.status == "whistled" and issue.department_id in p.unit_ids
        _require(_may_handle(p, issue) or unit, "只有负责该街巷的管家或社区工作人员可以办结")
        if issue.status == "whistled" and not (p.can_manage(issue.alley) or unit):
            raise handling.steward_may_not_close(issue)  # as they may not accept it
        level = (
            handling.LEVEL_NAMES.get(level, level) if level else handling.infer_level(issue, note)
        )
        if level not in RESOLUTION_LEVELS:
            raise bad_request("办结方式有误", {"level": "可选：" + "、".join(RESOLUTION_LEVELS)})
        now = utcnow()
        actor = credit.issue_actor(p, issue)
        if issue.accepted_at is None:
            issue.accepted_at, issue.accepted_by = now, actor
        issue.status = "resolved"
        issue.resolved_at = now
        issue.resolved_by = actor
        issue.resolution_level = level
        issue.resolution_note = note
        issue.resolution_photo_ids = photo_ids
        issue.outcome = outcome
        awards.issue_resolved(issue)
        data = {"note": note, "photo_ids": photo_ids, "level": level, "outcome": outcome}
        return _finish(p, issue, "resolve", data, note, label)


def escalate(p: Principal, issue_id: int, reason: str) -> Issue:
    _visible_or_404(p, issue_id)
    with write_transaction():
        issue = _load_for_change(issue_id, "escalate", p)
        _require(_may_handle(p, issue), "只有负责该街巷的管家可以上报")
        issue.status = "escalated"
        if issue.accepted_at is None:
            issue.accepted_at, issue.accepted_by = utcnow(), credit.issue_actor(p, issue)
        return _finish(p, issue, "escalate", {"note": reason}, reason)


def assign(
    p: Principal,
    issue_id: int,
    steward_ids: list[int] | None = None,
    priority: str | None = None,
    note: str | None = None,
) -> Issue:
    """Staff (re)assign the issue and/or change its tier; the deadline follows the tier. The
    stewards it goes to and those taken off are told (`notify.issue_assigned`)."""
    _visible_or_404(p, issue_id)
    with write_transaction():
        issue = _load_for_change(issue_id, "assign")
        _require(p.can_manage(issue.alley), "只有社区工作人员可以派单")
        if steward_ids is None and priority is None:
            raise bad_request("请选择管家或紧急程度", {"steward_ids": "请选择管家或紧急程度"})
        data: dict = {"note": note}
        handoff = None
        if steward_ids is not None:
            handoff = handoffs.reassign(p, issue, steward_ids)
            if issue.status == "accepted":
                issue.status = "submitted"  # the new steward accepts it afresh
            data.update(handoff.data())
        if priority is not None:
            if priority not in current_app.config["DEADLINE_DAYS"]:
                raise bad_request("紧急程度有误", {"priority": "可选：ordinary、important、major"})
            data.update(priority=priority, priority_from=issue.priority)
            issue.priority = priority
            issue.deadline = deadline_for(priority, issue.created_at)
            data["deadline"] = iso(issue.deadline)
        event = KIND.record(p.user, issue, "assign", data)
        notify.issue_assigned(issue, event, handoff, priority_changed=priority is not None)
        return issue


def comment(p: Principal, issue_id: int, text: str, photo_ids: list[int] | None = None) -> Issue:
    issue = get_visible(p, issue_id)
    photo_ids = lifecycle.check_photos(p, photo_ids, "photo_ids")
    _require(
        is_reporter(p, issue) or _may_handle(p, issue) or p.can_see(issue.alley),
        "您不能在该诉求下留言",
    )
    with write_transaction():
        issue = _load_for_change(issue_id, "comment")
        changes.alley_changed([issue.alley_id])
        audit.record(
            "issue.comment",
            "issue",
            issue.id,
            actor=p.user,
            area=issue.alley_id,
            data={"note": text, "photo_ids": photo_ids},
        )
    return issue


def rate(
    p: Principal,
    issue_id: int,
    score: int,
    text: str | None = None,
    tracking_token: str | None = None,
) -> Issue:
    """The reporter rates a resolved issue; `tracking_token` stands in for the reporter's
    login when the issue was filed from the web page."""
    _visible_or_404(p, issue_id, tracking_token)
    with write_transaction():
        issue = _load_for_change(issue_id, "rate")
        _require(
            is_reporter(p, issue) or lifecycle.holds_token(issue, tracking_token),
            "只有反映人可以评价",
        )
        if issue.resolved_by_id is not None and identity.person_of(p).holds(
            steward_id=issue.resolved_by_id
        ):
            # A steward who reported an issue and resolved it would rate their own work, and
            # the 群众满意 point (and the satisfaction rate) would be theirs to give themselves.
            raise forbidden("不能评价自己办结的诉求", code="own_work")
        now = utcnow()
        issue.rating, issue.rating_text, issue.rated_at = score, text, now
        issue.status, issue.closed_at, issue.close_reason = "closed", now, "rated"
        awards.issue_rated(issue)
        label = _by_token_label(p, issue, tracking_token)
        return _finish(p, issue, "rate", {"score": score, "note": text}, label=label)


def close_unrated(issue_id: int) -> Issue:
    """Resolved and not rated within `AUTOCLOSE_DAYS`: closed as 未评价 by the system.

    Such items count neither as satisfied nor as unsatisfied in any rate.
    """
    with write_transaction():
        issue = _load_for_change(issue_id, "close")
        now = utcnow()
        issue.status, issue.closed_at, issue.close_reason = "closed", now, "unrated"
        return _finish(Principal.anonymous(), issue, "close", {}, "未评价，已自动完结")


def due_for_autoclose(now=None):
    """Resolved issues whose reporter had `AUTOCLOSE_DAYS` to rate and did not."""
    days = int(current_app.config["AUTOCLOSE_DAYS"])
    limit = (now or utcnow()) - timedelta(days=days)
    return Issue.select(Issue.id).where((Issue.status == "resolved") & (Issue.resolved_at <= limit))


def reopen(p: Principal, issue_id: int, reason: str, tracking_token: str | None = None) -> Issue:
    _visible_or_404(p, issue_id, tracking_token)
    with write_transaction():
        issue = _load_for_change(issue_id, "reopen")
        _require(
            is_reporter(p, issue) or lifecycle.holds_token(issue, tracking_token),
            "只有反映人可以重新打开",
        )
        window = timedelta(days=int(current_app.config["REOPEN_WINDOW_DAYS"]))
        if utcnow() - issue.resolved_at > window:
            raise conflict("reopen_window_passed", "办结已超过 7 天，不能重新打开，请重新反映")
        label = _by_token_label(p, issue, tracking_token)
        return reopen_locked(p, issue, reason, label=label)


def reopen_locked(
    p: Principal, issue: Issue, reason: str, label: str | None = None, extra: dict | None = None
) -> Issue:
    """Back to 待接单 for another round, inside the caller's write transaction with `issue`
    locked and its checks done: the resident's reopen above, and staff's after a 不满意 callback
    (`core.items.callbacks.reopen`), which may start from a closed item."""
    awards.issue_reopened(issue)  # before the resolver and the round change
    now = utcnow()
    issue.status = "submitted"
    issue.reopen_count += 1
    issue.accepted_at = issue.accepted_by = None
    issue.resolved_at = issue.resolved_by = issue.outcome = None
    issue.closed_at = issue.close_reason = None
    issue.deadline = deadline_for(issue.priority, now)
    data = {"note": reason, "count": issue.reopen_count, **(extra or {})}
    return _finish(p, issue, "reopen", data, reason, label=label)


def cancel(p: Principal, issue_id: int, reason: str | None = None) -> Issue:
    _visible_or_404(p, issue_id)
    with write_transaction():
        issue = _load_for_change(issue_id, "cancel")
        if is_reporter(p, issue):
            if issue.status != "submitted":
                raise conflict("invalid_transition", "管家已接单，不能撤销；如有需要请留言")
        elif p.can_manage(issue.alley):
            if not reason:
                raise bad_request("请填写撤销原因", {"reason": "请填写撤销原因"})
        else:
            raise forbidden("您不能撤销该诉求")
        now = utcnow()
        issue.status, issue.closed_at, issue.close_reason = "cancelled", now, "cancelled"
        return _finish(p, issue, "cancel", {"note": reason}, reason)


def moderate(p: Principal, issue_id: int, publish: bool, note: str | None = None) -> Issue:
    """Staff decide whether a held issue may appear on the public board page."""
    issue = get_visible(p, issue_id)
    _require(p.can_manage(issue.alley), "只有社区工作人员可以审核公开内容")
    with write_transaction():
        issue = locked(Issue.select().where(Issue.id == issue_id)).first()
        issue.visibility = "public" if publish else "hidden"
        issue.hold_reason = None if publish else (note or issue.hold_reason)
        issue.updated_at = utcnow()
        issue.save()
        changes.alley_changed([issue.alley_id])
        action = "publish" if publish else "hide"
        audit.record(
            f"issue.{action}",
            "issue",
            issue.id,
            actor=p.user,
            area=issue.alley_id,
            data={"note": note},
        )
    return issue


def local_deadline_text(issue: Issue) -> str:
    return month_day_time(issue.deadline)
