"""Request ids: one per HTTP request and one per scheduled job run, so that a log line, an
audit event and an outbox row can be traced back to what caused them.

A request's id is the `X-Request-Id` header when a trusted proxy set it (`TRUST_PROXY_HEADERS`:
nginx's `proxy_set_header X-Request-ID $request_id` overwrites whatever the client sent), else a
fresh one; it is echoed in the response's `X-Request-Id`. Without a trusted proxy a client's own
header is ignored: a client must not be able to make its request look like another's.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

from flask import current_app, g, has_request_context, request

HEADER = "X-Request-Id"
# What is taken from the proxy: short, and nothing that could break a log line or a header.
_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# Outside a request (a job run, a CLI command): the id bound by `bound`.
_current: ContextVar[str | None] = ContextVar("xiaoxiang_request_id", default=None)


def new_id() -> str:
    return uuid.uuid4().hex


def assign() -> str:
    """The current request's id (a `before_request` hook): the trusted proxy's, or a new one."""
    given = ""
    if current_app.config.get("TRUST_PROXY_HEADERS"):
        given = request.headers.get(HEADER, "")
    g.request_id = given if _SAFE.match(given) else new_id()
    return g.request_id


def current() -> str | None:
    """The id of the request or job run this code is working for, if any."""
    if has_request_context():
        return g.get("request_id")
    return _current.get()


def for_job(name: str) -> str:
    """A job run's id: says which job at a glance (`job-outbox-1f3a…`)."""
    return f"job-{name}-{uuid.uuid4().hex[:16]}"[:64]


@contextlib.contextmanager
def bound(request_id: str) -> Iterator[str]:
    """Work done inside (outside any request) carries `request_id`."""
    token = _current.set(request_id)
    try:
        yield request_id
    finally:
        _current.reset(token)
