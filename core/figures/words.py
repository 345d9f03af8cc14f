"""The resident's word on an item (居民的话), what 解决率 and 满意率 count (`reports.Tally`):
a rating, or a 回访 (callback, `core.items.callbacks`) whose result is 满意, 基本满意 or 不满意.

- An item counts once in a period: by its last word given within it.
- 居民确认解决: 3 stars or more, or 满意 / 基本满意, on an item not closed as other than
  solved (answered, not ours, unsolvable); satisfied: 4–5 stars, or 满意 (3 stars and
  基本满意 are solved, not satisfied). 未评价, 未接通 and 拒绝回访 count neither way.
- 解决率 = confirmed solved / answered; 满意率 = satisfied / answered; 办结率 = closed by the
  handler (`closed_as_solved`) / reported. 回访数: callbacks that settled a round in the period.
"""

from __future__ import annotations

from datetime import datetime

from core.items.outcomes import DUPLICATE
from models import CALLBACK_SOLVED, CALLBACK_VERDICTS, Area, Callback, Issue

# (when, result, settled) of each callback, by issue id: what `reports.tally` reads the
# residents' words and the callbacks done from.
Calls = dict[int, list[tuple[datetime, str, bool]]]


def called_back_since(since):
    """The ids of the items with a callback recorded since `since` (closed long before, they
    are in no other branch of `reports.moved`, and the period counts the resident's word)."""
    return Issue.id.in_(Callback.select(Callback.issue).where(Callback.created_at >= since))


def callbacks_since(area: Area, since: datetime) -> Calls:
    """The callbacks of the items of `area`'s alleys recorded since `since` (an index range
    scan on the callbacks' time: they are few beside the items)."""
    query = (
        Callback.select(Callback.issue, Callback.created_at, Callback.result, Callback.settles)
        .join(Issue, on=(Callback.issue == Issue.id))
        .where((Callback.created_at >= since) & Issue.alley.in_(Area.alley_ids_under(area)))
        .tuples()
    )
    return calls_from(query)


def calls_from(rows) -> Calls:
    calls: Calls = {}
    for issue_id, at, result, settles in rows:
        calls.setdefault(issue_id, []).append((at, result, settles is not None))
    return calls


def counted(i) -> bool:
    """Whether a reported item counts in the figures at all: not cancelled, and not a duplicate
    merged into another (its original counts). `i` needs `status` and `outcome`."""
    return i.status != "cancelled" and i.outcome != DUPLICATE


def counted_sql():
    """`counted` as a condition on `Issue`, for figures that add up in SQL (the same rule)."""
    return (Issue.status != "cancelled") & (Issue.outcome.is_null() | (Issue.outcome != DUPLICATE))


def may_be_solved_sql():
    """`may_be_solved` as a condition on `Issue` (the same rule)."""
    return Issue.outcome.is_null() | (Issue.outcome == "solved")


def closed_as_solved(i) -> bool:
    """The handler closed the item (办结), whatever the outcome: what 办结率 counts. A duplicate
    merged into another is not closed by a handler (it has no `resolved_at`)."""
    return i.resolved_at is not None


def may_be_solved(i) -> bool:
    """Whether the resident's word can confirm the item solved: not when it was closed as
    answered, not ours or unsolvable (`Issue.outcome`; only 已解决 is solved)."""
    return i.outcome in (None, "solved")


def resident_word(i, calls, start: datetime, end: datetime) -> tuple[bool, bool] | None:
    """(confirmed solved, satisfied) from the resident's last word on the item given within
    [start, end) — a rating or a callback with a verdict — or None if they gave none then."""
    last = None
    if i.rated_at is not None and start <= i.rated_at < end:
        score = i.rating or 0
        last = (i.rated_at, score >= 3, score >= 4)
    for at, result, _ in calls:
        if result in CALLBACK_VERDICTS and start <= at < end and (last is None or at > last[0]):
            last = (at, result in CALLBACK_SOLVED, result == "satisfied")
    if last is None:
        return None
    return last[1] and may_be_solved(i), last[2]


def tally_by(key, scope, start: datetime, end: datetime) -> dict[int, list[int]]:
    """Per value of `key` (an `Issue` column, e.g. the steward who resolved it): [confirmed
    solved, satisfied, answered] over the items in `scope` (a condition on `Issue`) whose
    resident gave a word in [start, end) — each item by its last word (`resident_word`). Two
    queries: the items rated in the period, and the period's callbacks with their items."""
    columns = (Issue.id, key.alias("key"), Issue.rating, Issue.rated_at, Issue.outcome)
    rated = (Issue.rated_at >= start) & (Issue.rated_at < end) & Issue.rating.is_null(False)
    items = {i.id: i for i in Issue.select(*columns).where(scope & rated).namedtuples()}
    called = []
    for r in (
        Callback.select(
            Callback.issue, Callback.created_at, Callback.result, Callback.settles, *columns
        )
        .join(Issue, on=(Callback.issue == Issue.id))
        .where(scope & (Callback.created_at >= start) & (Callback.created_at < end))
        .namedtuples()
    ):
        called.append((r.issue, r.created_at, r.result, r.settles))
        items.setdefault(r.id, r)
    calls = calls_from(called)
    out: dict[int, list[int]] = {}
    for i in items.values():
        word = resident_word(i, calls.get(i.id, ()), start, end)
        if word is not None and i.key is not None:
            found = out.setdefault(i.key, [0, 0, 0])
            found[0] += word[0]
            found[1] += word[1]
            found[2] += 1
    return out
