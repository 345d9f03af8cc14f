"""Running it for years: request ids, metrics, health, log lines and error reports.

`init_app(app)` (from `app.py`, before any front end registers its hooks, so its
`before_request` runs first and its `after_request` last, seeing the final response):

* every request gets a request id (`requestid`), echoed in `X-Request-Id`;
* every response is counted by route template and status, its latency observed (`metrics`),
  and — with `LOG_FORMAT=json` — logged as one JSON line (`logs`);
* the database pool reports its connections in use (`infra.db.pool_observer`);
* `SENTRY_DSN` turns error reports on (`errors`).

`/metrics` and `/readyz` are served by `web.home` from `metrics.render`, `collector` and
`health`; the scheduler records its runs through `jobruns`.
"""

from __future__ import annotations

import time

from flask import Flask, g, request

from core.observability import errors, logs, metrics, requestid
from infra import db as database


def init_app(app: Flask) -> None:
    logs.configure(app.config["LOG_FORMAT"])
    metrics.parse_allow(app.config.get("METRICS_ALLOW"))  # a bad entry stops the start here
    errors.init_app(app)
    database.pool_observer = metrics.pool_changed
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    requestid.assign()
    # An app context may outlive one request (tests, the CLI): the previous request's console
    # caller is not this one's (the API forgets its own, `miniprogram_api.context`).
    g.pop("console_principal", None)
    g.observed_since = time.perf_counter()


def _user_id():
    """The signed-in caller's user id, if the request looked it up (never looked up here)."""
    for key in ("principal", "console_principal"):
        principal = g.get(key)
        user = getattr(principal, "user", None)
        if user is not None:
            return user.id
    return None


def _finish(response):
    response.headers[requestid.HEADER] = g.get("request_id") or requestid.assign()
    since = g.pop("observed_since", None)
    if since is None:  # the request failed before `_start` ran
        return response
    seconds = time.perf_counter() - since
    route = request.url_rule.rule if request.url_rule is not None else None
    metrics.observe_request(route, request.method, response.status_code, seconds)
    logs.log_request(
        method=request.method,
        route=route or metrics.UNMATCHED,
        status=response.status_code,
        duration_ms=seconds * 1000,
        user_id=_user_id(),
    )
    return response
