"""小巷管家 — the Flask application factory (`flask --app app …`, `gunicorn "app:create_app()"`).

The entry points (`app`, `cli`) wire the four front ends — `web` (server-rendered pages),
`miniprogram_api` (the JSON API), `bot` (chat callbacks), `jobs` (the scheduler's commands) —
onto `core`, which owns every rule and state change, over `models`.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from werkzeug.routing import IntegerConverter, UnicodeConverter

import cli
import miniprogram_api
import web
from bot import adapters as bot_adapters
from core import faults, media, observability
from core.boards import scans
from infra import config, db, timeutil


class Int64Converter(IntegerConverter):
    """`<int:…>` that matches only ids a 64-bit column can hold: a longer number in a path
    is a URL that names nothing (404), not an OverflowError from SQLite (500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


class PrintableConverter(UnicodeConverter):
    """The default `<name>` converter without control characters: a path segment holding NUL
    (`/b/AB%00CD`) names nothing (404), rather than reaching a query PostgreSQL refuses."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]")


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions with the signing serializer built once per set of keys.

    Flask builds it on every request, and building it (itsdangerous test-encodes an empty dict
    to learn its type) cost a cached board page a tenth of its time, though only the console
    and the scan page's forms keep anything in a session.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple, object] = {}

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer


class App(Flask):
    """Flask, with the server's own faults (a database it may only read, storage it cannot
    write) turned into their 503 `ApiError` before any handler is chosen: every front end then
    answers them its own way (the API's envelope, the console's and the scan page's pages)
    through the handlers it already has, and none of them shows a 500 (`core.faults`)."""

    def handle_user_exception(self, e):
        fault = faults.fault_of(e)
        return super().handle_user_exception(e if fault is None else fault)


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = config.instance_path(test_config)  # INSTANCE_PATH, else instance/ here
    # No app-wide static folder: each web blueprint serves its own files.
    app = App(
        __name__, instance_relative_config=True, instance_path=instance_path, static_folder=None
    )
    # Before any blueprint adds a rule: ids a 64-bit column holds, text without controls.
    app.url_map.converters["int"] = Int64Converter
    app.url_map.converters["default"] = app.url_map.converters["string"] = PrintableConverter
    config.load(app, test_config)
    timeutil.set_local_tz(app.config["TZ"])
    # Logging, request ids, request metrics, error reports: first, so that its hooks see every
    # request from start to finish (its after_request runs last).
    observability.init_app(app)

    app.session_interface = CookieSessions()
    app.json.ensure_ascii = False  # Chinese as UTF-8, not \u escapes
    db.init_app(app)
    media.init_app(app)  # Pillow's decompression-bomb limit
    scans.init_app(app)  # board scans counted in memory, written every few seconds

    miniprogram_api.init_app(app)
    miniprogram_api.media_routes.init_app(app)
    web.init_app(app)  # /, /healthz, /readyz, /metrics, /dev/outbox; /b/<code>: the QR page
    app.register_blueprint(bot_adapters.blueprint)  # /bot/…: chat callbacks
    cli.init_app(app)
    return app
