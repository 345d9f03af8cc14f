"""Per-request identity: the `Principal` behind the bearer token; after a
write, this worker's copies of principals and lists are made to look again."""

from __future__ import annotations

from flask import g, request

from core.items.list_cache import lists
from core.people import auth
from core.people.permissions import Principal


def forget_previous_caller() -> None:
    """An app context may outlive one request (tests, CLI): never reuse a previous caller.
    (The request id is `core.observability.requestid`'s.)"""
    g.pop("principal", None)
    g.pop("token_rejected", None)


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
