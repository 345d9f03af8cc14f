"""Per-request identity: the request id and the `Principal` behind the bearer token."""

from __future__ import annotations

import re
import uuid

from flask import g, request

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
        principal = auth.principal_for_token(token) if token else None
        g.token_rejected = bool(token) and principal is None
        g.principal = principal or Principal.anonymous()
    return g.principal
