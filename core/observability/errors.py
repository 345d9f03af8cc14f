"""Error reports to Sentry (or a self-hosted Sentry, or anything speaking its protocol) through
sentry-sdk's Flask integration — off unless `SENTRY_DSN` is set.

The API answers an unexpected error with its own 500 envelope (an error handler), so Flask's
`got_request_exception` never fires for it; the report is made from the ERROR log line written
there, by sentry-sdk's logging integration, with the request's context attached by the Flask
integration.

What a report may hold is cut down before it leaves (`_before_send`): no request body, query
string, cookies or headers (a bearer token), no local variables, no user; the URL is the route
template (a tracking link's token never leaves); anything shaped like a mobile number is masked
wherever it appears (an exception's message, a log breadcrumb). The request id is a tag, so a
report leads to the request's log lines.
"""

from __future__ import annotations

import sentry_sdk
from flask import has_request_context, request
from sentry_sdk.integrations.flask import FlaskIntegration

from core.observability import logs, requestid

_state: dict[str, str | None] = {"dsn": None}


def init_app(app) -> None:
    dsn = app.config.get("SENTRY_DSN") or None
    if dsn == _state["dsn"]:
        return
    if _state["dsn"]:
        # Only the tests build a second app in one process: the earlier one's reports stop.
        sentry_sdk.get_client().close(timeout=2)
        sentry_sdk.get_global_scope().set_client(None)
        _state["dsn"] = None
    if not dsn:
        return
    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration(transaction_style="url")],
        # Collect no personal data to begin with; `_before_send` is the second line.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "off"}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "stack_frame_variables": False,
        },
        max_request_body_size="never",
        before_send=_before_send,
        traces_sample_rate=None,  # error reports only, no performance tracing
    )
    _state["dsn"] = dsn


def _scrubbed(value):
    if isinstance(value, str):
        return logs.scrub(value)
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(item) for item in value]
    return value


def _before_send(event: dict, hint: dict) -> dict:
    req = event.get("request")
    if req is not None:
        route = request.url_rule.rule if has_request_context() and request.url_rule else None
        event["request"] = {"method": req.get("method"), "url": route or "<unmatched>"}
    event.pop("user", None)
    request_id = requestid.current()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return _scrubbed(event)
