"""Per-request identity: the request id and the `Principal` behind the bearer token; after a
write, this worker's copies of principals and lists are made to look again."""

from __future__ import annotations

import re
import uuid

from flask import g, request

from core.items.list_cache import lists
from core.people import auth
from core.people.permissions import Principal

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def assign_request_id() -> None:
    # An app context may outlive one request (tests, CLI): never reuse a previous caller.
    g.pop("principal", None)
    g.pop("token_rejected", None)
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_principal() -> Principal:
    """The caller, resolved once per request. A bad token counts as no login."""
    if "principal" not in g:
        token = bearer_token()
        # A read may reuse this worker's copy of a resident's principal (core.people.auth).
        reuse = request.method in ("GET", "HEAD")
        principal = auth.principal_for_token(token, reuse=reuse) if token else None
        g.token_rejected = bool(token) and principal is None
        g.principal = principal or Principal.anonymous()
    return g.principal


def after_write(response):
    """After a request that may have changed something (any method but GET, HEAD, OPTIONS),
    committed by now: this worker's copies of residents' principals are dropped and its
    first-screen lists read their fingerprints again before they are reused, so the person
    who just acted sees the result on their next read, whichever thread serves it."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        auth.forget_principals()
        lists.recheck()
    return response
