"""Per-alley change counters: what lets every web worker, on any host, cache an alley's public
board view and still show a change promptly.

Every core function that changes what a board's public view shows (an issue or wish of the
alley, its stewards, the board itself) calls `alley_changed` inside its own transaction. That
raises the alley's counter in the database (so other workers see the new number on their next
check, once the change is committed) and tells this process's listeners at once (so the worker
that made the change drops its copy immediately).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from infra.db import Param, Prepared
from models import AlleyChange

log = logging.getLogger(__name__)

_listeners: list[Callable[[set[int]], None]] = []


def on_change(listener: Callable[[set[int]], None]) -> None:
    """Call `listener(alley_ids)` in this process whenever alleys change."""
    _listeners.append(listener)


def _bump(insert):
    """An insert of counter rows that raises the counter of an alley already there."""
    return insert.on_conflict(
        conflict_target=[AlleyChange.alley],
        update={AlleyChange.version: AlleyChange.version + 1},
    )


_BUMP_ONE = Prepared(
    lambda: _bump(AlleyChange.insert(alley=Param("alley", field=AlleyChange.alley), version=1))
)


def alley_changed(alley_ids: Iterable[int | None]) -> None:
    """Raise the change counter of these alleys (inside the caller's transaction)."""
    ids = sorted({int(i) for i in alley_ids if i is not None})
    if not ids:
        return
    if len(ids) == 1:  # most changes touch one alley: that upsert is compiled once
        _BUMP_ONE.execute(alley=ids[0])
    else:
        # Sorted ids: two transactions bumping overlapping alleys lock the rows in one order.
        _bump(AlleyChange.insert_many([{"alley": i, "version": 1} for i in ids])).execute()
    for listener in _listeners:
        listener(set(ids))


def version_of(alley_id: int) -> int:
    """The alley's change counter (0 before its first change): one indexed read."""
    version = AlleyChange.select(AlleyChange.version).where(AlleyChange.alley == alley_id).scalar()
    return version or 0
