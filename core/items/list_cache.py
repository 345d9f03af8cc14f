"""Per-worker copies of the lists a mini program's first screen reads: a resident's own reports
(`GET /issues?scope=mine`) and the wish wall (`GET /wishes?scope=wall`).

Building such a list costs a few queries, turning rows into models and serializing them: ten
times what answering from a copy costs. A copy is reused only while its **fingerprint** is
unchanged. Like a board's change counter (`core.boards.public`), the fingerprint is read from
the database (one compiled query over an index) at most once a second per copy
(`CHECK_SECONDS`), so a change made by another worker or host shows within a second; a change
made by this worker shows at once, as every change it makes (`core.boards.changes`) and every
write request it serves (`recheck`, called by the API) makes each copy read its fingerprint
again before it is reused:

* the rows' count, the sum of their ids and their latest `updated_at` — a row entering or
  leaving the list, or any change to one (every workflow step stamps `updated_at`);
* the sum of their alleys' change counters (`core.boards.changes`) — every workflow step and
  every change to a steward's printed details raises its alley's counter, so this catches
  what `updated_at` cannot (a reassigned steward's new phone, a clock set back).

What no fingerprint sees — the clock passing a deadline (the `overdue` flag), a renamed alley
or department — is bounded by `LIST_CACHE_SECONDS` (5 s, as the boards). A copy belongs to one
caller's view: its key holds who is asking (user and roles), so one person's copy, with its
private fields and its buttons, is never another's. Memory is bounded in bytes per worker.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from peewee import JOIN, fn

from core.boards import changes
from core.items import issues as issue_flow
from core.items.wishes import PUBLIC_STATUSES
from core.people.permissions import Principal
from infra.db import Param, Prepared, db
from models import AlleyChange, Issue, Wish

MAX_BYTES = 32 * 1024 * 1024  # per worker, all copies together
MAX_ENTRY_BYTES = 512 * 1024  # a bigger list is built every time rather than crowd others out
CHECK_SECONDS = 1.0  # how often a copy in use reads its fingerprint again (as a board's counter)


@dataclass
class _Entry:
    fingerprint: tuple
    text: str
    database: object
    built_at: float
    checked_at: float
    generation: int  # the cache's `recheck` count when the fingerprint was last read


class ListCache:
    """Serialized lists keyed by (what, who, which page), least recently used dropped first."""

    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._generation = 0

    def get(
        self, key: tuple, fingerprint: Callable[[], tuple], ttl: float
    ) -> tuple[str | None, tuple | None]:
        """(the copy for `key`, None) while it is current; (None, the fingerprint read, or None
        if there was no copy to check) when the list must be built.

        A copy is current while younger than `ttl` and built from what `fingerprint()` reads
        now; that read is made at most once per `CHECK_SECONDS` per copy, and again after
        every `recheck`."""
        entry = self._entries.get(key)
        if entry is None:
            return None, None
        now = time.time()
        if entry.database is not db.obj or not 0 <= now - entry.built_at < ttl:
            return None, None
        recent = 0 <= now - entry.checked_at < CHECK_SECONDS
        if not (recent and entry.generation == self._generation):
            generation = self._generation  # read before the fingerprint: a recheck in between wins
            current = fingerprint()
            if current != entry.fingerprint:
                return None, current
            entry.checked_at, entry.generation = now, generation
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
        return entry.text, None

    def recheck(self) -> None:
        """Make every copy read its fingerprint again before it is next used: this worker has
        just changed something (or is about to commit a change)."""
        self._generation += 1

    def put(self, key: tuple, fingerprint: tuple, text: str) -> None:
        size = len(text)
        if size > MAX_ENTRY_BYTES:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.text)
            now = time.time()
            self._entries[key] = _Entry(fingerprint, text, db.obj, now, now, self._generation)
            self._bytes += size
            while self._bytes > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.text)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


lists = ListCache()
# Every change this process makes to an alley's items: the copies check before their next use.
changes.on_change(lambda _alley_ids: lists.recheck())


def viewer_key(p: Principal) -> tuple | None:
    """Who is asking, as far as a list's content can depend on it: the user and every role
    they hold (a new role or scope is a new key). None for an anonymous caller."""
    if p.user is None:
        return None
    return (
        p.user.id,
        tuple(sorted(p.roles)),
        tuple(sorted(a.id for a in p.area_roots)),
        tuple(sorted(s.id for s in p.stewards)),
        tuple(sorted(p.alley_ids)),
    )


def _fingerprint_of(model, where):
    """count, sum of ids, latest updated_at, sum of the alleys' change counters."""
    return (
        model.select(
            fn.COUNT(model.id),
            fn.COALESCE(fn.SUM(model.id), 0),
            fn.MAX(model.updated_at),
            fn.COALESCE(fn.SUM(AlleyChange.version), 0),
        )
        .join(AlleyChange, JOIN.LEFT_OUTER, on=(AlleyChange.alley == model.alley))
        .where(where)
        .tuples()
    )


_MINE = Prepared(lambda: _fingerprint_of(Issue, issue_flow.reported_or_followed(Param("user"))))

_WALL = Prepared(lambda: _fingerprint_of(Wish, Wish.status.in_(PUBLIC_STATUSES)))

_WALL_OF_ALLEY = Prepared(
    lambda: _fingerprint_of(Wish, Wish.status.in_(PUBLIC_STATUSES) & (Wish.alley == Param("alley")))
)


def _row(prepared: Prepared, **values) -> tuple:
    return tuple(prepared.first(**values))


def mine_fingerprint(user_id: int) -> tuple:
    """What `GET /issues?scope=mine` of this user is built from: the issues they reported and
    the ones they follow."""
    return _row(_MINE, user=user_id)


def wall_fingerprint(alley_id: int | None = None) -> tuple:
    """What the wish wall is built from (of one alley, or of everywhere)."""
    if alley_id is None:
        return _row(_WALL)
    return _row(_WALL_OF_ALLEY, alley=alley_id)
