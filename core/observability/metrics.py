"""The Prometheus metrics this process counts, and the `/metrics` page that shows them.

Counted in process (prometheus_client): HTTP requests by route template and status, their
latency, outbox deliveries by outcome, board scans, audited actions (a report created is
`action="issue.create"`), the database pool in use, and faults. Read from the database at
scrape time (`collector.DatabaseCollector`): the outbox backlog, the scheduler's lease and jobs,
the schema version — what is the same whichever process or host answers the scrape.

Under gunicorn every worker is its own process: with `PROMETHEUS_MULTIPROC_DIR` set (before
the process starts: prometheus_client reads it on import) each process writes its values to
files there and a scrape, whichever worker answers it, adds them all up. The directory's
clean-up is `gunicorn.conf.py`'s. Without it (`make run`, the tests) the values are this
process's own.

Every label value comes from a short fixed set (route templates, never raw paths): a scanner
trying random URLs adds one series, `route="<unmatched>"`, not one per URL.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import logging
import os
import time

from flask import request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from core import ratelimit

log = logging.getLogger(__name__)

PREFIX = "xiaoxiang_"
UNMATCHED = "<unmatched>"
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


# In multiprocess mode a metric without labels opens its file when it is defined, just below:
# the directory must exist by then (gunicorn's on_starting makes it, but `flask --app app jobs`
# may start first).
if multiprocess_dir():
    os.makedirs(multiprocess_dir(), exist_ok=True)

HTTP_REQUESTS = Counter(
    "xiaoxiang_http_requests",
    "HTTP requests answered, by route template, method and status code",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "xiaoxiang_http_request_duration_seconds",
    "Time from the start of a request to its response, by route template and method",
    ["route", "method"],
    # A cached board page takes a few ms, a report with photos a second, a ledger export more.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
OUTBOX_DELIVERIES = Counter(
    "xiaoxiang_outbox_deliveries",
    "Outbox delivery attempts by message kind and outcome "
    "(sent; retry, dead, uncertain: failed; deferred: waited for a rate-limit slot)",
    ["kind", "outcome"],
)
BOARD_SCANS = Counter("xiaoxiang_board_scans", "Board QR code scans (the alley page opened)")
ACTIONS = Counter(
    "xiaoxiang_actions",
    "Audited actions by name (issue.create: a report created; wish.create: a wish posted)",
    ["action"],
)
FAULTS = Counter(
    "xiaoxiang_faults",
    "The server's own faults answered with a 503 (storage, a read-only database, a stuck pool)",
    ["kind"],
)
DB_POOL = Gauge(
    "xiaoxiang_db_pool_connections",
    "Pooled database connections by state (in_use: checked out; idle: open, waiting)",
    ["state"],
    multiprocess_mode="livesum",  # the sum over the processes alive now
)


# --- counting, never at the cost of the work counted ------------------------------------------

WARN_INTERVAL_SECONDS = 60.0
_last_warning = [float("-inf")]


@contextlib.contextmanager
def _safely():
    """A metric that cannot be written (in multiprocess mode: a full or vanished directory) is
    logged — at most once a minute — and skipped: a report, a scan or a delivery never fails
    because it could not be counted."""
    try:
        yield
    except Exception:
        now = time.monotonic()
        if now - _last_warning[0] >= WARN_INTERVAL_SECONDS:
            _last_warning[0] = now
            log.warning("metrics: could not record a value", exc_info=True)


def inc(metric, **labels) -> None:
    """Add one to a counter (with these labels)."""
    with _safely():
        (metric.labels(**labels) if labels else metric).inc()


def fault(kind: str) -> None:
    """Count one server fault of `kind` (called by the fault handling)."""
    inc(FAULTS, kind=kind)


def pool_changed(pool) -> None:
    """`infra.db`'s hook: a connection was checked out or given back in this process."""
    with _safely():
        DB_POOL.labels(state="in_use").set(len(pool._in_use))
        DB_POOL.labels(state="idle").set(len(pool._connections))


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    route = route or UNMATCHED
    method = method if method in METHODS else "OTHER"
    with _safely():
        HTTP_REQUESTS.labels(route=route, method=method, status=str(status)).inc()
        HTTP_LATENCY.labels(route=route, method=method).observe(seconds)


# --- the page ---------------------------------------------------------------------------------


class _ThisProcess:
    """The default registry's metrics (ours, and Python's process and GC collectors)."""

    def collect(self):
        return REGISTRY.collect()


def render(extra_collectors=()) -> tuple[bytes, str]:
    """The exposition text and its content type: every process's values (multiprocess mode)
    or this one's, then `extra_collectors` (read at this moment)."""
    registry = CollectorRegistry()
    path = multiprocess_dir()
    if path:
        multiprocess.MultiProcessCollector(registry, path=path)
    else:
        registry.register(_ThisProcess())
    for collector in extra_collectors:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


# --- who may read it ----------------------------------------------------------------------------


def parse_allow(value: str | None) -> list:
    """`METRICS_ALLOW` ("127.0.0.1, 10.0.0.0/8") as networks; a bad entry is a ValueError that
    names it, raised when the app starts rather than at the first scrape."""
    networks = []
    for entry in (value or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(
                f"METRICS_ALLOW: “{entry}” is not an IP address or network (CIDR)"
            ) from exc
    return networks


def access(config) -> int | None:
    """None when the caller may read `/metrics`; else the status to answer: 404 when no reader
    is configured (the page does not exist), 403 when this caller is not one of them."""
    token = config.get("METRICS_TOKEN") or ""
    networks = parse_allow(config.get("METRICS_ALLOW"))
    if not token and not networks:
        return 404
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), str(token).encode()
        ):
            return None
    if networks and _address_allowed(config, networks):
        return None
    return 403


def _address_allowed(config, networks) -> bool:
    # Behind a proxy whose headers are not trusted, every request seems to come from the
    # proxy's own address (127.0.0.1): an allowed loopback would let the whole internet in.
    # Such a request has an X-Forwarded-For, and is refused by address (a token still works).
    if not config.get("TRUST_PROXY_HEADERS") and request.headers.get("X-Forwarded-For"):
        return False
    try:
        address = ipaddress.ip_address(ratelimit.client_ip())
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:  # ::ffff:10.1.2.3
        address = address.ipv4_mapped
    return any(address in network for network in networks)
