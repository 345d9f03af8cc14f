"""Whose work it was: the steward credited with accepting, resolving or fulfilling an item.

An issue is assigned to every steward of its alley, but only the one who acts did the work:
the workflows (`core.items.issues`, `core.items.wishes`) store that steward on the item
(`Issue.accepted_by`, `Issue.resolved_by`, `Wish.fulfilled_by`) and every figure — the daily
通报 and its card, 积分, /stats, the ledger, the assessment — credits those columns. Staff
acting in their staff role earn no steward credit; overdue items still count against all
their assignees (the work was theirs to do) in /stats, the ledger and the assessment, while
the daily 通报 counts each overdue item once, in the row of whoever holds it, so that its rows
add up to its headline (`core.figures.reports.holder`).

`backfill` fills the columns of items acted on before they existed, from the audit trail.
"""

from __future__ import annotations

from collections import defaultdict

from core.people.permissions import Principal
from models import Event, Issue, IssueAssignee, Steward, StewardAlley, Wish


def _pick(stewards: list[Steward], issue_id: int | None, alley_id: int) -> Steward | None:
    """Of one person's steward records: the one the item is assigned to, else the one serving
    its alley, else None (they acted as staff, not as this item's steward)."""
    if not stewards:
        return None
    ids = [s.id for s in stewards]
    if issue_id is not None:
        link = (
            IssueAssignee.select(IssueAssignee.steward)
            .where((IssueAssignee.issue == issue_id) & IssueAssignee.steward.in_(ids))
            .first()
        )
        if link is not None:
            return next(s for s in stewards if s.id == link.steward_id)
    link = (
        StewardAlley.select(StewardAlley.steward)
        .where((StewardAlley.alley == alley_id) & StewardAlley.steward.in_(ids))
        .first()
    )
    if link is not None:
        return next(s for s in stewards if s.id == link.steward_id)
    return None


def issue_actor(p: Principal, issue: Issue) -> Steward | None:
    """The steward credited when `p` acts on `issue` (None for staff or a resident)."""
    return _pick(p.stewards, issue.id, issue.alley_id)


def wish_actor(p: Principal, wish: Wish) -> Steward | None:
    """The steward credited with fulfilling `wish` when `p` marks it: the claimer themselves,
    or — when staff mark it for the claimer — the claimer's steward record, if any."""
    if p.user is not None and wish.claimer_id == p.user.id:
        mine = _pick(p.stewards, None, wish.alley_id)
        return mine or (p.stewards[0] if p.stewards else None)
    if wish.claimer_id is None:
        return None
    return _claimer_steward(wish.claimer_id, wish.alley_id)


def _claimer_steward(user_id: int, alley_id: int) -> Steward | None:
    records = list(Steward.select().where((Steward.user == user_id) & Steward.active))
    return _pick(records, None, alley_id) or (records[0] if records else None)


# --- filling the columns from the audit trail (the schema migration) ---------------------------

_ISSUE_ACTIONS = (
    "issue.accept",
    "issue.resolve",
    "issue.escalate",
    "issue.whistle",
    "issue.on_the_spot",
    "issue.reopen",
)


def backfill() -> dict[str, int]:
    """Set `accepted_by` / `resolved_by` / `fulfilled_by` of items acted on before the columns
    existed: the steward record of the user who did it according to the trail (the latest
    acceptance and resolution since the last reopening). Safe to re-run."""
    by_user: dict[int, list[Steward]] = defaultdict(list)
    for s in Steward.select().where(Steward.user.is_null(False)).order_by(Steward.id):
        by_user[s.user_id].append(s)
    filled = {"accepted": 0, "resolved": 0, "fulfilled": 0}

    trail: dict[int, list[Event]] = defaultdict(list)
    for event in (
        Event.select(Event.subject_id, Event.action, Event.actor)
        .where((Event.subject_type == "issue") & Event.action.in_(_ISSUE_ACTIONS))
        .order_by(Event.at, Event.id)
    ):
        trail[event.subject_id].append(event)
    acted = Issue.select(Issue.id, Issue.alley, Issue.accepted_at, Issue.resolved_at).where(
        (Issue.accepted_at.is_null(False) | Issue.resolved_at.is_null(False))
        & Issue.accepted_by.is_null()
        & Issue.resolved_by.is_null()
    )
    for issue in acted:
        accepted = resolved = None
        for event in trail.get(issue.id, []):
            who = _pick(by_user.get(event.actor_id, []), issue.id, issue.alley_id)
            if event.action == "issue.reopen":
                accepted = resolved = None
            elif event.action in ("issue.accept", "issue.on_the_spot"):
                accepted = who
                if event.action == "issue.on_the_spot":
                    resolved = who
            elif event.action == "issue.resolve":
                accepted = accepted or who
                resolved = who
            else:  # escalate / whistle: the first to take it up
                accepted = accepted or who
        changes = {}
        if accepted is not None and issue.accepted_at is not None:
            changes["accepted_by"] = accepted.id
            filled["accepted"] += 1
        if resolved is not None and issue.resolved_at is not None:
            changes["resolved_by"] = resolved.id
            filled["resolved"] += 1
        if changes:
            Issue.update(**changes).where(Issue.id == issue.id).execute()

    last_fulfil = {
        e.subject_id: e.actor_id
        for e in Event.select(Event.subject_id, Event.actor)
        .where((Event.subject_type == "wish") & (Event.action == "wish.fulfil"))
        .order_by(Event.at, Event.id)
    }
    for wish in Wish.select(Wish.id, Wish.alley, Wish.claimer).where(
        Wish.fulfilled_at.is_null(False) & Wish.fulfilled_by.is_null()
    ):
        actor = last_fulfil.get(wish.id)
        who = _pick(by_user.get(actor, []), None, wish.alley_id) if actor else None
        if who is None and wish.claimer_id is not None:
            who = _claimer_steward(wish.claimer_id, wish.alley_id)
        if who is not None:
            Wish.update(fulfilled_by=who.id).where(Wish.id == wish.id).execute()
            filled["fulfilled"] += 1
    return filled
