"""小巷管家 — the Flask application factory (`flask --app app …`, `gunicorn "app:create_app()"`).

The entry points (`app`, `cli`) wire the four front ends — `web` (server-rendered pages),
`miniprogram_api` (the JSON API), `bot` (chat callbacks), `jobs` (the scheduler's commands) —
onto `core`, which owns every rule and state change, over `models`.
"""

from __future__ import annotations

import logging

from flask import Flask

import cli
import miniprogram_api
import web
from bot import adapters as bot_adapters
from core import config, db, timeutil
from core.boards import scans


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    # No app-wide static folder: each web blueprint serves its own files.
    app = Flask(
        __name__, instance_relative_config=True, instance_path=instance_path, static_folder=None
    )
    config.load(app, test_config)
    timeutil.set_local_tz(app.config["TZ"])
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    app.json.ensure_ascii = False  # Chinese as UTF-8, not \u escapes
    db.init_app(app)
    scans.init_app(app)  # board scans counted in memory, written every few seconds

    miniprogram_api.init_app(app)
    miniprogram_api.media_routes.init_app(app)
    web.init_app(app)  # /, /healthz, /dev/outbox; /b/<code>: the QR code's web page
    app.register_blueprint(bot_adapters.blueprint)  # /bot/…: chat callbacks
    cli.init_app(app)
    return app
