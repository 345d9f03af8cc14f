"""Server-rendered pages outside the API: the landing page (with the offline-mode banner)."""

from __future__ import annotations

from flask import Flask, render_template


def init_app(app: Flask) -> None:
    @app.context_processor
    def _offline_flag():
        return {"offline": app.config["OFFLINE"]}

    @app.get("/")
    def index():
        return render_template("index.html")

    @app.get("/healthz")
    def healthz():
        return {"ok": True}
