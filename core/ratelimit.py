"""Rate limits: fixed-window counters in the database, shared by every worker and host.

    allowed = ratelimit.hit(ratelimit.client_key("scan_submit"), limit=5, window=600)

A window is `window` seconds long and aligned to the epoch, so every worker agrees on which
window a moment falls in. `hit` counts one attempt with a single INSERT … ON CONFLICT DO UPDATE
(an atomic upsert-increment on SQLite and PostgreSQL alike): of any number of simultaneous
attempts exactly `limit` are allowed. Attempts over the limit are counted too, so hammering
does not reopen the window early.

Clients are keyed by an HMAC of their IP address under SECRET_KEY: the table never holds an
address, and unlike a plain hash the IPv4 space cannot be brute-forced back from it.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from flask import current_app, request

from infra.timeutil import utcnow
from models import RateCounter

# Rows older than this are of no use to any window a caller would reasonably configure.
KEEP_SECONDS = 24 * 3600


def window_start(now: datetime, window: int) -> datetime:
    """The start (naive UTC) of the `window`-second window `now` (naive UTC) falls in."""
    epoch = int(now.replace(tzinfo=UTC).timestamp())
    start = epoch - epoch % window
    return datetime.fromtimestamp(start, UTC).replace(tzinfo=None)


def hit(key: str, limit: int, window: int) -> bool:
    """Count one attempt for `key`; True while the window's count is within `limit`."""
    window = max(1, int(window))
    start = window_start(utcnow(), window)
    count = (
        RateCounter.insert(key=key[:191], window_start=start, count=1)
        .on_conflict(
            conflict_target=[RateCounter.key, RateCounter.window_start],
            update={RateCounter.count: RateCounter.count + 1},
        )
        .returning(RateCounter.count)
        .tuples()
        .execute()
    )
    current = next(iter(count))[0]
    if current == 1:
        # First attempt of a new window: this key's earlier windows are finished.
        RateCounter.delete().where(
            (RateCounter.key == key[:191]) & (RateCounter.window_start < start)
        ).execute()
    return current <= int(limit)


def retry_after(window: int) -> int:
    """Seconds until the current window of length `window` ends (for Retry-After)."""
    window = max(1, int(window))
    now = utcnow()
    end = window_start(now, window) + timedelta(seconds=window)
    return max(1, int((end - now).total_seconds()))


def prune(older_than_seconds: int = KEEP_SECONDS) -> int:
    """Delete counters of windows that started long ago (a job may call this daily)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return RateCounter.delete().where(RateCounter.window_start < cutoff).execute()


def client_ip() -> str:
    """The caller's address: the socket peer, or behind `TRUSTED_PROXY_HOPS` trusted proxies
    the X-Forwarded-For entry the outermost of them wrote, counted from the right (as
    Werkzeug's ProxyFix does). Each proxy appends the address it saw, so everything to the
    left of that entry was written by the client and may be anything; the first entry is
    the one a client forges. With fewer entries than hops the header did not come through
    the proxies as configured and the socket peer is used."""
    config = current_app.config
    if config.get("TRUST_PROXY_HEADERS"):
        hops = max(1, int(config.get("TRUSTED_PROXY_HOPS") or 1))
        entries = [
            e.strip()
            for header in request.headers.getlist("X-Forwarded-For")
            for e in header.split(",")
        ]
        if len(entries) >= hops and entries[-hops]:
            return entries[-hops][:64]
    return request.remote_addr or "unknown"


def client_key(action: str) -> str:
    """`action:<hmac of the client IP>` — one counter per action and client."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, client_ip().encode(), hashlib.sha256).hexdigest()[:32]
    return f"{action}:{digest}"
