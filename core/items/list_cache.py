"""Per-worker copies of the lists a mini program's first screen reads: a resident's own reports
(`GET /issues?scope=mine`) and the wish wall (`GET /wishes?scope=wall`).

Building such a list costs a few queries, turning rows into models and serializing them: ten
times what answering from a copy costs. A copy is reused only while its **fingerprint** is
unchanged, and the fingerprint is read from the database on every request (one compiled
query over an index), so a change made by any worker on any host shows at once:

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
from dataclasses import dataclass

from peewee import JOIN, fn

from core.db import Param, Prepared, db
from core.items import issues as issue_flow
from core.items.wishes import PUBLIC_STATUSES
from core.people.permissions import Principal
from models import AlleyChange, Issue, Wish

MAX_BYTES = 32 * 1024 * 1024  # per worker, all copies together
MAX_ENTRY_BYTES = 512 * 1024  # a bigger list is built every time rather than crowd others out


@dataclass
class _Entry:
    fingerprint: tuple
    text: str
    database: object
    built_at: float


class ListCache:
    """Serialized lists keyed by (what, who, which page), least recently used dropped first."""

    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple, fingerprint: tuple, ttl: float) -> str | None:
        """The copy for `key` if it was built from the same fingerprint less than `ttl` ago."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        age = time.time() - entry.built_at
        if entry.database is not db.obj or entry.fingerprint != fingerprint or not 0 <= age < ttl:
            return None
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
        return entry.text

    def put(self, key: tuple, fingerprint: tuple, text: str) -> None:
        size = len(text)
        if size > MAX_ENTRY_BYTES:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.text)
            self._entries[key] = _Entry(fingerprint, text, db.obj, time.time())
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
