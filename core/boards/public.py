"""The public view of a signboard: what scanning its QR code shows to anyone, as a plain dict
that the API (`GET /api/v1/boards/{code}`) returns and the scan page (`/b/{code}`) renders.

Only public fields: the stewards' names and phones are printed on the board anyway; nothing
about residents (who reported, their phone, their openid) ever appears here.

A board is scanned in bursts (a meeting, a notice in the group): the view is built once and
reused for up to `BOARD_CACHE_SECONDS` (5 s) per worker. It is still current at once after a
change: every change to an alley raises its counter (`core.boards.changes`); the worker that
made it drops its copy on the spot, and every other worker, on any host, compares the counter
at most once a second (`VERSION_CHECK_SECONDS`) before reusing its copy. The time limit
covers what no counter can see: the 30-day figures sliding with the clock.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from flask import current_app

from core.boards import boards, changes
from core.figures.alley import alley_figures
from core.items.presenters import issue_public, wish_public
from core.media import media_url
from core.people.areas import community_of
from infra import codes
from infra.db import db
from infra.errors import ApiError, not_found
from models import Issue, Media, Steward, StewardAlley, Wish

RECENT_ITEMS = 10
VERSION_CHECK_SECONDS = 1.0
MAX_CACHED_BOARDS = 512  # a worker's memory stays bounded however many boards are scanned


@dataclass
class CachedBoard:
    """One board as a worker last saw it. `memo` holds what front ends derive from the view
    (the rendered page), dropped together with it."""

    board: object  # the Board row (with its alley loaded)
    view: dict | None  # None for a retired board
    version: int
    database: object
    built_at: float
    checked_at: float
    memo: dict = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.view is not None


_cache: OrderedDict[str, CachedBoard] = OrderedDict()
_lock = threading.Lock()
# Rebuild locks, a board's chosen by its code: a fixed number, however many boards are scanned.
_BUILDING = tuple(threading.Lock() for _ in range(64))


def _forget_alleys(alley_ids: set[int]) -> None:
    with _lock:
        for key in [k for k, e in _cache.items() if e.board.alley_id in alley_ids]:
            del _cache[key]


changes.on_change(_forget_alleys)


def _fresh(entry: CachedBoard | None, now: float, ttl: float) -> bool:
    if entry is None or entry.database is not db.obj or not 0 <= now - entry.built_at < ttl:
        return False
    if 0 <= now - entry.checked_at < VERSION_CHECK_SECONDS:
        return True
    if changes.version_of(entry.board.alley_id) != entry.version:
        return False
    entry.checked_at = now
    return True


def current(code: str) -> CachedBoard | None:
    """The board behind `code` with its public view (None for an unknown code), reused while
    it is current."""
    key = codes.normalize(code)
    ttl = float(current_app.config["BOARD_CACHE_SECONDS"])
    entry = _cache.get(key)
    if _fresh(entry, time.time(), ttl):
        return entry
    if ttl <= 0:
        return _build(key, ttl)
    # One rebuild per board at a time in this worker. While it runs, the worker's other
    # threads answer from the copy it replaces (older by the few milliseconds a rebuild
    # takes) instead of all rebuilding it at once, which on every expiry of a busy board had
    # stalled the burst; a thread with no copy to give (first scan, or the copy dropped by
    # this worker's own change) waits for the rebuild.
    building = _BUILDING[hash(key) % len(_BUILDING)]
    usable = entry is not None and entry.database is db.obj
    if not building.acquire(blocking=not usable):
        return entry
    try:
        again = _cache.get(key)
        if again is not entry and _fresh(again, time.time(), ttl):
            return again  # rebuilt by the thread this one waited for
        return _build(key, ttl)
    finally:
        building.release()


def _build(key: str, ttl: float) -> CachedBoard | None:
    now = time.time()
    board = boards.by_code(key)
    if board is None:
        return None
    # The counter is read before the rows: a change committed in between only makes the copy
    # newer than its number, and the next check rebuilds it.
    version = changes.version_of(board.alley_id)
    entry = CachedBoard(
        board=board,
        view=build_view(board) if board.active else None,
        version=version,
        database=db.obj,
        built_at=now,
        checked_at=now,
    )
    if ttl > 0:
        with _lock:
            _cache[key] = entry
            _cache.move_to_end(key)
            while len(_cache) > MAX_CACHED_BOARDS:
                _cache.popitem(last=False)
    return entry


def board_view(code: str) -> dict:
    """The board's alley, stewards, live figures, recent public items and wish wall.

    404 `board_not_found` for an unknown code; 410 `board_retired` (with the community's phone)
    for a board taken out of use.
    """
    return active(code).view


def active(code: str) -> CachedBoard:
    """The cached entry of an active board; the errors of `board_view` otherwise."""
    entry = current(code)
    if entry is None:
        raise not_found("找不到该公示牌，请核对二维码", code="board_not_found")
    if not entry.active:
        community = community_of(entry.board.alley)
        phone = community.phone if community and community.phone else None
        message = "该公示牌已停用" + (f"，请联系社区：{phone}" if phone else "，请联系所在社区")
        raise ApiError(410, "board_retired", message)
    return entry


def build_view(board) -> dict:
    """The public view of an active board, built afresh."""
    alley = board.alley
    community = community_of(alley)
    stewards = alley_stewards(alley)
    recent = (
        Issue.select()
        .where((Issue.alley == alley) & (Issue.visibility == "public"))
        .order_by(Issue.created_at.desc(), Issue.id.desc())
        .limit(RECENT_ITEMS)
    )
    wishes = (
        Wish.select()
        .where((Wish.alley == alley) & (Wish.status == "published"))
        .order_by(Wish.published_at.desc())
        .limit(RECENT_ITEMS)
    )
    cache: dict = {}
    return {
        "code": board.code,
        "alley": {"id": alley.id, "name": alley.name},
        "path_label": alley.label_path,
        "community": {"id": community.id, "name": community.name, "phone": community.phone}
        if community
        else None,
        "stewards": stewards,
        "figures": alley_figures(alley.id),
        "recent_issues": [issue_public(i, alley, cache) for i in recent],
        "wishes": [wish_public(_in_alley(w, alley), cache) for w in wishes],
    }


def _in_alley(item, alley):
    """`item` with its alley set to the one already loaded (no query per wish for its name)."""
    item.alley = alley
    return item


def alley_stewards(alley) -> list[dict]:
    """The alley's serving stewards as the board shows them (leader first): names, phones,
    duties and photos are printed on the board anyway, so they are public."""
    links = (
        StewardAlley.select(StewardAlley, Steward)
        .join(Steward)
        .where((StewardAlley.alley == alley) & Steward.active)
        .order_by(StewardAlley.is_leader.desc(), StewardAlley.id)
    )
    photo_ids = [link.steward.photo_id for link in links if link.steward.photo_id]
    photos = {m.id: m for m in Media.select().where(Media.id.in_(photo_ids))} if photo_ids else {}
    return [
        {
            "id": link.steward.id,
            "name": link.steward.name,
            "phone": link.steward.phone,
            "duties": link.steward.duties,
            "posts": link.steward.posts or [],
            "households": link.steward.households,
            "photo_url": media_url(photos[link.steward.photo_id])
            if link.steward.photo_id in photos
            else None,
            "is_leader": link.is_leader,
        }
        for link in links
    ]
