"""The 整改率's totals for a street, kept per community and recounted only where items changed.

The 整改率 counts every item of the street since the start (a million at a district's scale:
a third of a second on PostgreSQL). Kept whole between changes (`core.figures.kept`), any event
anywhere — an item accepted in one alley, a secretary opening 包联户 (that writes an event too)
— made the street's next 首页 count the million again. Here the street's figures are kept per
community, and a later request recounts only the communities whose items changed since.

What changed is read from the audit trail: every change to an item writes an event about that
item (`subject_type` "issue", its id; `core.items.lifecycle.Kind.record` and the others) in the
change's own transaction, so once the event is visible so is the change. The events of the last
`kept.TAIL_IDS` ids are read by primary key on each request after the trail moved; those not
seen at the last count name the items changed, and their communities are recounted (each one
range of the covering index, `issue_league_*`). Events about anything else are passed over: the
totals depend on items' rows alone. An event on PostgreSQL may commit after a later id was read
(ids are handed out before commit); within `TAIL_IDS` ids it is still found, as in `kept`.

The whole street is counted again when more than half its communities changed (one grouped
statement is then cheaper), when an item of a community not counted before changed (a new
community), when an event names no item, and at the latest after `SECONDS`: a change that
writes no event (a database restored under us, a migration) is seen within ten minutes. The
copies live in the app's `extensions`, one per street and period end, under a lock per copy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from cachetools import LRUCache
from flask import current_app

from core.figures import kept
from infra.db import unindexed
from infra.timeutil import utcnow
from models import Area, Event, Issue

SECONDS = 600.0  # the oldest a street's totals are served without a whole count
KEPT = 32  # streets × period ends kept per process
ITEMS_MAX = 500  # items changed since the last count past which the street is counted whole
_LOCK = threading.Lock()
_EXTENSION = "figures.street_totals"

Pair = tuple[int, int]  # (counted, solved)


@dataclass
class _Copy:
    by_community: dict[int, Pair]
    tail: tuple  # `kept.tail()` when last brought up to date
    seen: frozenset[int]  # the item events among the last TAIL_IDS ids, already counted in
    counted_at: datetime  # naive UTC, when the whole street was last counted


def totals(
    street: Area,
    end: datetime,
    whole: Callable[[], dict[int, Pair]],
    one: Callable[[int], Pair],
) -> Pair:
    """(counted, solved) for `street`'s items up to `end`: `whole()` counts every community's
    at once (a community with no item may be left out), `one(community_id)` one community's."""
    key = (street.id, street.path, end)
    with _lock_of(key):
        with _LOCK:
            copy = _copies().get(key)
        at_tail, now = kept.tail(), utcnow()
        fresh = copy is not None and 0 <= (now - copy.counted_at).total_seconds() < SECONDS
        if not fresh:
            copy = _whole(street, whole, at_tail, now)
        elif copy.tail != at_tail:
            copy = _bring_up_to_date(street, copy, whole, one, at_tail, now)
        with _LOCK:
            _copies()[key] = copy
        return (
            sum(pair[0] for pair in copy.by_community.values()),
            sum(pair[1] for pair in copy.by_community.values()),
        )


def _whole(street: Area, whole, at_tail: tuple, now: datetime) -> _Copy:
    # The events first: a change committed after them is counted and recounted later, never
    # missed (its event is not in `seen`).
    seen = frozenset(event_id for event_id, _ in _item_events_after(_window_start(at_tail)))
    by_community = dict.fromkeys(_communities_of(street), (0, 0))
    by_community.update(whole())
    return _Copy(by_community, at_tail, seen, now)


def _bring_up_to_date(street: Area, copy: _Copy, whole, one, at_tail: tuple, now) -> _Copy:
    events = _item_events_after(_window_start(copy.tail))
    new = [(event_id, item_id) for event_id, item_id in events if event_id not in copy.seen]
    items = {item_id for _, item_id in new}
    if None in items or len(items) > ITEMS_MAX:
        return _whole(street, whole, at_tail, now)
    changed = _communities_of_items(items)
    touched = changed & copy.by_community.keys()
    # Another street's items are passed over; an item of a community of this street that the
    # whole count did not know (created since) means counting the street whole again.
    if len(touched) > len(copy.by_community) // 2 or _any_under(street, changed - touched):
        return _whole(street, whole, at_tail, now)
    by_community = dict(copy.by_community)
    for community_id in touched:
        by_community[community_id] = one(community_id)
    low = _window_start(at_tail)
    seen = frozenset(event_id for event_id, _ in events if event_id > low)
    return _Copy(by_community, at_tail, seen, copy.counted_at)


def _window_start(tail: tuple) -> int:
    return (tail[0] or 0) - kept.TAIL_IDS


def _item_events_after(low: int) -> list[tuple[int, int | None]]:
    """(event id, item id) of the item events with ids above `low`: a short range of the
    primary key (the subject's own index would walk every item event ever written)."""
    query = Event.select(Event.id, Event.subject_id).where(
        (Event.id > low) & (unindexed(Event.subject_type) == "issue")
    )
    return list(query.tuples())


def _communities_of_items(item_ids: Iterable[int]) -> set[int]:
    """The communities of these items (an alley the street runs itself has none: its items
    are not among its communities' and not in these totals)."""
    ids = sorted(item_ids)
    if not ids:
        return set()
    query = Issue.select(Issue.community).where(Issue.id.in_(ids)).distinct()
    return {community_id for (community_id,) in query.tuples() if community_id is not None}


def _any_under(street: Area, area_ids: set[int]) -> bool:
    if not area_ids:
        return False
    query = Area.select(Area.id).where(
        Area.id.in_(sorted(area_ids)) & Area.path.startswith(street.path)
    )
    return query.exists()


def _communities_of(street: Area) -> list[int]:
    query = Area.select(Area.id).where(
        Area.path.startswith(street.path) & (Area.kind == "community")
    )
    return [area_id for (area_id,) in query.tuples()]


def _copies() -> LRUCache:
    """The app's copies; the caller holds `_LOCK` (cachetools' caches are not thread-safe)."""
    return current_app.extensions.setdefault(_EXTENSION, LRUCache(KEPT))


def _lock_of(key: tuple) -> threading.Lock:
    """One thread brings a street's copy up to date at a time; the others wait and read it."""
    with _LOCK:
        locks = current_app.extensions.setdefault(_EXTENSION + ".locks", {})
        if key not in locks and len(locks) >= KEPT * 4:
            locks.clear()
        return locks.setdefault(key, threading.Lock())
