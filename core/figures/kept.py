"""Figures kept per process between changes: the one place the 首页's figures (and the
整改率's counts since the start) are reused instead of counted again on every request.

A copy is keyed on what it was counted for (the figure's name, the area's id and path, the
period) and on the audit trail's tail (`tail`): every state change and staff action writes an
`Event` in its own transaction (`core.audit.record`; a patrol's check-in too), so after any
change — the viewer's own included, on any worker — the key is new and the figure is counted
afresh. Events that only record a read (`models.partial_indexes.READ_ACTIONS`: a household's
card opened, a list of them shown) change nothing counted and do not move it. The tail is the
last change's event id and how many change events lie in the last `TAIL_IDS` ids:
on PostgreSQL ids are handed out before commit, so a change whose id is below the last one can
commit after it was read; the count moves when it does. A request reads the tail once, for
all the figures it shows (a list page keeps three), and again only after it writes an event
itself (`core.audit.record` drops its reading); outside a request every call reads it.

What changes with no event waits out `SECONDS` (60): an item turning overdue as the clock
passes its deadline, a renamed area, a database restored under us, a transaction that stayed
open while `TAIL_IDS` later ones committed. The ceiling is measured on the wall clock
(`utcnow`, so time-machine moves it in the tests); a clock set back counts afresh too.

The copies live in the app's `extensions` (per app, so per configuration), an `LRUCache` of
`KEPT` entries under a lock (cachetools' caches are not thread-safe). A kept value is shared
by every request that reads it: callers must not change it. Of the threads of a worker that
miss the same figures at once one counts and the others wait for its result (`_counting`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cachetools import LRUCache
from flask import current_app, has_request_context, request

from core import audit
from infra.db import db
from infra.timeutil import utcnow
from models import Event
from models.partial_indexes import READ_ACTIONS

KEPT = 256  # figures × areas × periods kept per process
SECONDS = 60.0  # the oldest a copy is served, even with no event since
TAIL_IDS = 1024  # the ids whose events are counted besides the last one's (see above)
# The partial index's own condition, word for word: SQLite uses `event_changes` only for a
# query whose WHERE repeats it.
_CHANGES = '("action" NOT IN ({}))'.format(", ".join(f"'{a}'" for a in READ_ACTIONS))
_LOCK = threading.Lock()
_EXTENSION = "figures.kept"


@dataclass(frozen=True)
class Kept:
    value: Any
    counted_at: datetime  # naive UTC, when the value was counted


def tail() -> tuple:
    """The audit trail's last change's event id and the number of change events among the last
    `TAIL_IDS` ids: one probe of the index of changes, `event_changes` (a fraction of a
    millisecond at any size), once per request until the request writes a change's event."""
    in_request = has_request_context()
    if in_request and audit.TAIL_READ in request.environ:
        return request.environ[audit.TAIL_READ]
    table = Event._meta.table_name
    sql = (
        f'SELECT MAX(id), COUNT(id) FROM "{table}" WHERE {_CHANGES} AND '
        f'id > (SELECT COALESCE(MAX(id), 0) FROM "{table}" WHERE {_CHANGES}) - {TAIL_IDS}'
    )
    last, count = db.execute_sql(sql).fetchone()
    if in_request:
        request.environ[audit.TAIL_READ] = (last, count)
    return last, count


def _fresh(where: tuple, at_tail: tuple, now) -> Kept | None:
    with _LOCK:
        copies = current_app.extensions.setdefault(_EXTENSION, LRUCache(KEPT))
        found = copies.get(where)
    if found is None:
        return None
    copy_tail, copy = found
    if copy_tail == at_tail and 0 <= (now - copy.counted_at).total_seconds() < SECONDS:
        return copy
    return None


def _counting(where: tuple) -> threading.Lock:
    """The lock one thread holds while it counts `where`: the others wait for its result
    instead of counting the same figures beside it (ten staff opening a street's 首页 at once
    after a change would otherwise each count it, on a worker's threads sharing its CPU). Per
    key, so a count that reads another kept figure (the totals inside `period_stats`) never
    waits for a lock held by a thread waiting for its own. Forgotten in bulk past
    `KEPT` × 4 keys: at worst two threads then count the same figures once."""
    with _LOCK:
        locks = current_app.extensions.setdefault(_EXTENSION + ".locks", {})
        if where not in locks and len(locks) >= KEPT * 4:
            locks.clear()
        return locks.setdefault(where, threading.Lock())


def kept(name: str, key: tuple, count: Callable[[], Any]) -> Kept:
    """`count()`'s value for (`name`, `key`), reused while the audit trail's tail is the one it
    was counted at and for at most `SECONDS`. `key` must name everything the value depends
    on besides the database's rows and the clock (the area's id and path, the period). One
    copy per (`name`, `key`): a recount replaces it, so the copies are bounded by the areas
    and periods viewed, not by the changes. `count` may return a `Kept` (a value made from
    other kept figures, with their time): it is kept as that old, not as new."""
    where = (name, *key)
    found = _fresh(where, tail(), utcnow())  # the tail before counting: never newer than it
    if found is not None:
        return found
    with _counting(where):
        at_tail, now = tail(), utcnow()  # another thread may have counted meanwhile
        found = _fresh(where, at_tail, now)
        if found is not None:
            return found
        counted = count()
        # A value made from other kept figures (a page's HTML) is as old as they are.
        fresh = counted if isinstance(counted, Kept) else Kept(counted, now)
        with _LOCK:
            copies = current_app.extensions.setdefault(_EXTENSION, LRUCache(KEPT))
            copies[where] = (at_tail, fresh)
    return fresh
