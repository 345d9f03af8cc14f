"""小巷管家 — the Flask application factory (`flask --app app …`, `gunicorn "app:create_app()"`)."""

from __future__ import annotations

import logging

from flask import Flask

import cli
import pages
from core import config, db, timeutil


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    config.load(app, test_config)
    timeutil.set_local_tz(app.config["TZ"])
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    app.json.ensure_ascii = False  # Chinese as UTF-8, not \u escapes
    db.init_app(app)

    import miniprogram_api

    miniprogram_api.init_app(app)
    miniprogram_api.media_routes.init_app(app)
    pages.init_app(app)
    app.register_blueprint(__import__("scan_pages").bp)  # /b/<code>: the QR code's web page
    app.register_blueprint(__import__("bot.adapters").adapters.blueprint)  # /bot/…: chat callbacks
    cli.init_app(app)
    return app
