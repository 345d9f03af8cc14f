"""回访 (callbacks): staff phone the resident of a closed item who never rated it, and record
what they heard. The one place that reads the callback list and writes a callback.

The list of an area (`waiting`): items of its alleys that the handler closed (办结: status
resolved or closed) at least `CALLBACK_AFTER_DAYS` ago and at most `CALLBACK_WITHIN_DAYS` ago,
that the resident has not rated, that have a resident to ask (not a steward's 随手做, not
anonymous without a phone), and whose current round (`Issue.reopen_count`) has no settled
callback yet. An item closed longer ago than the window simply leaves the list (its round is not
settled: nobody rings a resident about a fix from last year); the street's 回访完成率
(`needs_callback`, `core.figures.league`) still counts it.

Recording (`record`): staff of the item's area, one result of `CALLBACK_RESULTS` and a note;
audited, the trail line naming the staff member. 未接通 leaves the item on the list to be tried
again, up to `CALLBACK_MAX_ATTEMPTS` calls in all, the last of which settles it as 未接通; every
other result settles the round at once. A callback does not change the item's status: the
resident may still rate it (a later rating is their later word). A second settling callback of
the same round, or a callback on an item not closed, is a 409 that names the field and writes
nothing; of two staff recording at once one wins (the item's row is locked, and the unique
(issue, settles) index backs it).

不满意 offers to reopen the item (`reopen`): a separate, explicit staff action, through the
resident's own reopen path (`core.items.issues.reopen_locked`), from resolved or closed, with the
callback's note as the reason.

The sample rule (`rule_for`, `set_rule`, `progress`): a street (or one community) sets "回访 at
least X % of the month's closed items, and at least Y of each steward's"; a community without a
rule of its own follows its street's, else `CALLBACK_SAMPLE_PERCENT` / `..._PER_STEWARD`. An item
the resident rated counts as heard: they have given their word without a call.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from math import ceil

from flask import current_app
from peewee import IntegrityError, fn

from core import audit
from core.items import issues
from core.people.permissions import Principal
from infra.db import db, locked, unindexed, write_transaction
from infra.errors import ApiError, bad_request, forbidden, not_found
from infra.timeutil import local_midnight_utc, month_day_time, to_local, utcnow
from models import Area, Issue, StaffAccount, Steward
from models.callbacks import CALLBACK_RESULTS, Callback, CallbackRule
from models.street import issues_in

CLOSED = ("resolved", "closed")
NOTE_MAX = 500
PERCENT_MAX = 100
PER_STEWARD_MAX = 1000


def after_days() -> int:
    return int(current_app.config["CALLBACK_AFTER_DAYS"])


def within_days() -> int:
    """How long after its closure an item is offered for a callback (`CALLBACK_WITHIN_DAYS`)."""
    return int(current_app.config["CALLBACK_WITHIN_DAYS"])


def max_attempts() -> int:
    return max(1, int(current_app.config["CALLBACK_MAX_ATTEMPTS"]))


# --- the list --------------------------------------------------------------------------------


def _has_resident():
    """An item with someone to ask: not a steward's own 随手做, not anonymous without a phone."""
    no_phone = Issue.contact_phone.is_null() | (Issue.contact_phone == "")
    return (Issue.source != "steward") & ~(Issue.anonymous & no_phone)


def settled_this_round():
    return fn.EXISTS(
        Callback.select(Callback.id).where(
            (Callback.issue == Issue.id) & (Callback.settles == Issue.reopen_count)
        )
    )


def needs_callback(now=None):
    """The items that need a callback (as of `now`): closed by the handler at least
    `CALLBACK_AFTER_DAYS` ago, not rated, with a resident to ask. Those whose current round has
    no settled callback yet (`settled_this_round`) are the list; the street's 回访完成率
    (`core.figures.league`) is the share that has one."""
    limit = (now or utcnow()) - timedelta(days=after_days())
    return (
        # Off SQLite's index: without statistics it took `issue_status_deadline (status)` — four
        # in ten items of all history — over the closures' range by community and date.
        unindexed(Issue.status).in_(CLOSED)
        & Issue.rating.is_null()
        & (Issue.resolved_at <= limit)
        & _has_resident()
    )


def _offered(area: Area, now=None):
    """The list's condition: `needs_callback`, closed within the last `CALLBACK_WITHIN_DAYS`
    (an item closed exactly that long ago is still offered), the round not settled. The window
    bounds `resolved_at` on both sides, so a community's list is one short range of
    `issue_league_resolved (community, resolved_at, …)` whatever the length of its history."""
    now = now or utcnow()
    since = now - timedelta(days=within_days())
    return (
        issues_in(area) & needs_callback(now) & (Issue.resolved_at >= since) & ~settled_this_round()
    )


def due(area: Area, now=None):
    """The items of `area`'s subtree waiting for a callback, the longest waiting first."""
    return Issue.select().where(_offered(area, now)).order_by(Issue.resolved_at, Issue.id)


def due_count(area: Area, now=None) -> int:
    """How many items `due` lists, as one aggregate (the dashboard's 待回访 count): a bare
    `COUNT` over a community's range of `issue_league_resolved` (every column `needs_callback`
    tests is in it; the window bounds the range's both ends) with a `NOT EXISTS` probe of
    `callback (issue, settles)`, not a count wrapped around the ordered list."""
    return Issue.select(fn.COUNT(Issue.id)).where(_offered(area, now)).scalar()


def waiting(p: Principal, area: Area, now=None):
    """`due` for a staff member whose scope covers `area` (else 403)."""
    p.require_manage(area)
    return due(area, now)


@dataclass
class Attempts:
    count: int = 0  # 未接通 calls of the current round so far
    last_at: object = None
    last_by: str = ""


def attempts(items: list[Issue]) -> dict[int, Attempts]:
    """Each item's 未接通 calls of its current round (the list shows them)."""
    rounds = {i.id: i.reopen_count for i in items}
    out: dict[int, Attempts] = {i: Attempts() for i in rounds}
    if not rounds:
        return out
    query = (
        Callback.select(Callback.issue, Callback.round, Callback.created_at, Callback.actor_label)
        .where(Callback.issue.in_(list(rounds)) & Callback.settles.is_null())
        .order_by(Callback.id)
    )
    for c in query:
        if c.round == rounds[c.issue_id]:
            a = out[c.issue_id]
            a.count, a.last_at, a.last_by = a.count + 1, c.created_at, c.actor_label
    return out


def describe(items: list[Issue]) -> list[dict]:
    """The list's rows as the API and the console show them (times as naive UTC)."""
    tries = attempts(items)
    area_ids = {i.alley_id for i in items} | {i.community_id for i in items if i.community_id}
    areas = {a.id: a for a in Area.select(Area.id, Area.name).where(Area.id.in_(area_ids))}
    names = {
        s.id: s.name
        for s in Steward.select(Steward.id, Steward.name).where(
            Steward.id.in_({i.resolved_by_id for i in items if i.resolved_by_id})
        )
    }
    now = utcnow()
    out = []
    for i in items:
        t = tries[i.id]
        community = areas.get(i.community_id)
        out.append(
            {
                "id": i.id,
                "number": i.number,
                "community": {"id": community.id, "name": community.name} if community else None,
                "alley": {"id": i.alley_id, "name": areas[i.alley_id].name},
                "category": i.category,
                "content": i.content,
                "status": i.status,
                "status_label": issues.STATUS_LABELS[i.status],
                "resolved_at": i.resolved_at,
                "resolved_by": names.get(i.resolved_by_id),
                "resolution_note": i.resolution_note,
                "contact_phone": i.contact_phone or None,
                "anonymous": i.anonymous,
                "waiting_days": (now - i.resolved_at).days,
                "attempts": t.count,
                "last_attempt_at": t.last_at,
                "last_attempt_by": t.last_by or None,
            }
        )
    return out


def recent(area: Area, since, limit: int = 50) -> list[tuple[Callback, Issue]]:
    """The callbacks recorded in `area` since `since`, newest first, each with its item (the
    console lists them, with a reopen button where the round's answer was 不满意)."""
    query = (
        Callback.select(Callback, Issue)
        .join(Issue, on=(Callback.issue == Issue.id))
        .where(Issue.alley.in_(Area.alley_ids_under(area)) & (Callback.created_at >= since))
        .order_by(Callback.id.desc())
        .limit(limit)
    )
    return [(c, c.issue) for c in query]


def may_reopen(callback: Callback, issue: Issue) -> bool:
    """Staff may reopen the item from this callback: it settled the item's current round as
    不满意 and the item is still closed."""
    return (
        callback.result == "unsatisfied"
        and callback.settles == issue.reopen_count
        and issue.status in CLOSED
    )


def settled(issue: Issue) -> Callback | None:
    """The callback that settled the item's current round, if any."""
    return (
        Callback.select()
        .where((Callback.issue == issue.id) & (Callback.settles == issue.reopen_count))
        .first()
    )


# --- recording ---------------------------------------------------------------------------------


def staff_label(p: Principal) -> str:
    """How the trail names the staff member who called: their console name."""
    account = p.staff_accounts[0] if p.staff_accounts else None
    if account is not None:
        return account.display_name or account.username
    return audit.actor_label(p.user)


def _staff_account(p: Principal, issue: Issue) -> StaffAccount | None:
    return next((a for a in p.staff_accounts if a.area.covers(issue.alley)), None)


def _check_input(result: str, note: str | None) -> str:
    if result not in CALLBACK_RESULTS:
        choices = "、".join(f"{k}（{v}）" for k, v in CALLBACK_RESULTS.items())
        raise bad_request("请选择回访结果", {"result": f"可选：{choices}"})
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise bad_request(f"回访说明最多 {NOTE_MAX} 字", {"note": f"最多 {NOTE_MAX} 字"})
    return note


def _refuse(code: str, message: str, field: str, detail: str):
    return ApiError(409, code, message, {field: detail})


def _check_callable(issue: Issue) -> None:
    """409 naming the field unless the item can be called back now."""
    if issue.status not in CLOSED:
        label = issues.STATUS_LABELS[issue.status]
        raise _refuse(
            "invalid_transition",
            f"该诉求当前为“{label}”，尚未办结，不能回访",
            "status",
            f"当前为“{label}”，办结后才能回访",
        )
    if issue.rating is not None:
        raise _refuse(
            "already_rated",
            f"居民已评价（{issue.rating} 星），无需回访",
            "rating",
            f"居民已评价 {issue.rating} 星",
        )
    if issue.source == "steward":
        raise _refuse(
            "no_resident", "这是管家随手做的事项，没有反映人，无需回访", "source", "管家随手做"
        )
    if issue.anonymous and not issue.contact_phone:
        raise _refuse(
            "no_contact", "居民匿名反映且未留电话，无法回访", "contact_phone", "匿名且未留电话"
        )


def _already(done: Callback):
    when = month_day_time(done.created_at)
    word = CALLBACK_RESULTS[done.result]
    return _refuse(
        "already_called_back",
        f"该诉求本轮已回访：{word}（{done.actor_label}，{when}），不能重复记录",
        "result",
        f"已记录“{word}”",
    )


def _load(p: Principal, issue_id: int) -> Issue:
    """The item locked for the transaction, if `p` is staff of its area (404 / 403)."""
    issues.get_visible(p, issue_id)
    issue = locked(Issue.select().where(Issue.id == issue_id)).first()
    if issue is None:  # deleted a moment ago
        raise not_found("找不到该诉求", code="issue_not_found")
    if not p.can_manage(issue.alley):
        raise forbidden("只有该社区的工作人员可以回访", code="out_of_scope")
    return issue


def record(p: Principal, issue_id: int, result: str, note: str | None = None) -> Callback:
    """Record one callback (see the module's docstring for what it settles and refuses)."""
    note = _check_input(result, note)
    with write_transaction():
        issue = _load(p, issue_id)
        _check_callable(issue)
        this_round = list(
            Callback.select()
            .where((Callback.issue == issue.id) & (Callback.round == issue.reopen_count))
            .order_by(Callback.id)
        )
        done = next((c for c in this_round if c.settles is not None), None)
        if done is not None:
            raise _already(done)
        attempt = 1 + sum(1 for c in this_round if c.result == "unreached")
        last_try = attempt >= max_attempts()
        settles = None if result == "unreached" and not last_try else issue.reopen_count
        label = staff_label(p)
        try:
            with db.atomic():  # a savepoint: PostgreSQL's transaction survives the refusal
                callback = Callback.create(
                    issue=issue.id,
                    community=issue.community_id,
                    round=issue.reopen_count,
                    result=result,
                    note=note,
                    settles=settles,
                    staff=_staff_account(p, issue),
                    actor=p.user,
                    actor_label=label,
                )
        except IntegrityError:
            winner = settled(issue)
            if winner is None:  # the other writer's row is not visible yet
                raise _refuse(
                    "already_called_back",
                    "另一位工作人员正在记录该诉求的回访，请刷新后再看",
                    "result",
                    "正在由他人记录",
                ) from None
            raise _already(winner) from None
        audit.record(
            "issue.callback",
            "issue",
            issue.id,
            actor=p.user,
            label=label,
            area=issue.alley_id,
            data={
                "result": result,
                "result_label": CALLBACK_RESULTS[result],
                "note": f"{CALLBACK_RESULTS[result]}" + (f"：{note}" if note else ""),
                "round": issue.reopen_count,
                "attempt": attempt,
                "settled": settles is not None,
            },
        )
    return callback


def reopen(p: Principal, issue_id: int, note: str | None = None) -> Issue:
    """不满意 → reopen: staff send the item back to 待接单 for another round, the callback's
    note (or `note`) as the reason. Only when the current round's callback was 不满意."""
    extra = (note or "").strip()
    if len(extra) > NOTE_MAX:
        raise bad_request(f"说明最多 {NOTE_MAX} 字", {"note": f"最多 {NOTE_MAX} 字"})
    with write_transaction():
        issue = _load(p, issue_id)
        if issue.status not in CLOSED:
            label = issues.STATUS_LABELS[issue.status]
            raise _refuse(
                "invalid_transition",
                f"该诉求当前为“{label}”，不能重新打开",
                "status",
                f"当前为“{label}”",
            )
        done = settled(issue)
        if done is None or done.result != "unsatisfied":
            word = CALLBACK_RESULTS[done.result] if done else "尚未回访"
            raise _refuse(
                "not_unsatisfied",
                f"只有回访结果为“不满意”的诉求可以由工作人员重新打开（本轮：{word}）",
                "result",
                f"本轮回访：{word}",
            )
        reason = "回访不满意：" + (extra or done.note or "居民表示问题未解决")
        return issues.reopen_locked(
            p, issue, reason, label=staff_label(p), extra={"callback_id": done.id}
        )


# --- the sample rule and how far along each community is -------------------------------------


def rule_for(community: Area) -> dict:
    """The rule a community follows: its own, else its street's, else the configured one."""
    ids = community.ancestor_ids()
    rows = {r.area_id: r for r in CallbackRule.select().where(CallbackRule.area.in_(ids))}
    for area_id, source in ((community.id, "community"), (ids[0] if ids else None, "street")):
        row = rows.get(area_id)
        if row is not None:
            return {
                "min_percent": row.min_percent,
                "min_per_steward": row.min_per_steward,
                "source": source,
                "updated_by": row.updated_by,
                "updated_at": row.updated_at,
            }
    return {
        "min_percent": int(current_app.config["CALLBACK_SAMPLE_PERCENT"]),
        "min_per_steward": int(current_app.config["CALLBACK_SAMPLE_PER_STEWARD"]),
        "source": "default",
        "updated_by": "",
        "updated_at": None,
    }


RULE_SOURCES = {"community": "本社区设定", "street": "街道设定", "default": "系统默认"}


def _whole(value, field: str, top: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise bad_request("请填写整数", {field: f"请填写 0–{top} 的整数"}) from None
    if not 0 <= number <= top:
        raise bad_request(f"应在 0–{top} 之间", {field: f"请填写 0–{top} 的整数"})
    return number


def set_rule(p: Principal, area: Area, min_percent, min_per_steward) -> CallbackRule:
    """A street administrator sets the rule of their street or of one of its communities
    (community staff may not lower their own bar). Audited."""
    if "admin" not in p.roles or not p.can_manage(area):
        raise forbidden("只有街道管理员可以设定回访抽样要求", code="forbidden")
    if area.kind not in ("street", "community"):
        raise bad_request("请选择街道或社区", {"area_id": "只能为街道或社区设定"})
    percent = _whole(min_percent, "min_percent", PERCENT_MAX)
    per_steward = _whole(min_per_steward, "min_per_steward", PER_STEWARD_MAX)
    label = staff_label(p)
    with write_transaction():
        CallbackRule.insert(
            area=area.id,
            min_percent=percent,
            min_per_steward=per_steward,
            updated_by=label,
            updated_at=utcnow(),
        ).on_conflict(
            conflict_target=[CallbackRule.area],
            preserve=[
                CallbackRule.min_percent,
                CallbackRule.min_per_steward,
                CallbackRule.updated_by,
                CallbackRule.updated_at,
            ],
        ).execute()
        audit.record(
            "callback_rule.set",
            "area",
            area.id,
            actor=p.user,
            label=label,
            area=area,
            data={"min_percent": percent, "min_per_steward": per_steward},
        )
    return CallbackRule.get(CallbackRule.area == area.id)


def month_bounds(day: date):
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, local_midnight_utc(first), local_midnight_utc(following)


def communities_of(area: Area) -> list[Area]:
    """The communities an area's progress is shown for: those under it, or its own."""
    if area.kind in ("street",):
        return list(
            Area.select()
            .where(Area.path.startswith(area.path) & (Area.kind == "community"))
            .order_by(Area.id)
        )
    ids = area.ancestor_ids()
    return list(Area.select().where(Area.id.in_(ids) & (Area.kind == "community")))


def progress(area: Area, now=None) -> list[dict]:
    """This month, per community of `area`: the items closed (办结, with a resident to ask),
    how many the resident has been heard on (rated, or a settled callback of the current
    round), the rule's target, and the stewards still short of their share."""
    now = now or utcnow()
    _, start, end = month_bounds(to_local(now).date())
    communities = communities_of(area)
    if not communities:
        return []
    rows = list(
        Issue.select(Issue.id, Issue.community, Issue.resolved_by, Issue.rating, Issue.reopen_count)
        .where(
            Issue.community.in_([c.id for c in communities])
            & Issue.status.in_(CLOSED)
            & (Issue.resolved_at >= start)
            & (Issue.resolved_at < end)
            & _has_resident()
        )
        .namedtuples()
    )
    called = set()
    if rows:
        ids = [r.id for r in rows]
        for chunk in range(0, len(ids), 500):
            for issue_id, settles in (
                Callback.select(Callback.issue, Callback.settles)
                .where(
                    Callback.issue.in_(ids[chunk : chunk + 500]) & Callback.settles.is_null(False)
                )
                .tuples()
            ):
                called.add((issue_id, settles))
    names = {
        s.id: s.name
        for s in Steward.select(Steward.id, Steward.name).where(
            Steward.id.in_({r.resolved_by for r in rows if r.resolved_by})
        )
    }
    out = []
    for community in communities:
        mine = [r for r in rows if r.community == community.id]
        rule = rule_for(community)
        heard = 0
        by_steward: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # closed, heard
        callbacks_done = 0
        for r in mine:
            was_called = (r.id, r.reopen_count) in called
            callbacks_done += was_called
            ok = r.rating is not None or was_called
            heard += ok
            if r.resolved_by:
                by_steward[r.resolved_by][0] += 1
                by_steward[r.resolved_by][1] += ok
        target = ceil(rule["min_percent"] * len(mine) / 100)
        short = []
        for steward_id, (closed, done) in sorted(by_steward.items()):
            needed = min(rule["min_per_steward"], closed) - done
            if needed > 0:
                short.append(
                    {
                        "steward_id": steward_id,
                        "name": names.get(steward_id, ""),
                        "closed": closed,
                        "heard": done,
                        "needed": needed,
                    }
                )
        out.append(
            {
                "community_id": community.id,
                "name": community.name,
                "closed": len(mine),
                "heard": heard,
                "rated": sum(1 for r in mine if r.rating is not None),
                "callbacks_done": callbacks_done,
                "target": target,
                "needed": max(0, target - heard),
                "met": heard >= target and not short,
                "rule": rule,
                "stewards_short": short,
                "waiting": due_count(community, now),
            }
        )
    return out
