"""The landing page (what this is and where to start; with the offline-mode banner),
`/healthz` (the process is alive), `/readyz` (it can serve: database reachable, schema current),
`/metrics` (Prometheus; only for the configured scraper), and in offline mode only `/dev/outbox` — the messages that would have been sent to
WeChat, shown as their readers would see them."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, render_template

from core import demo
from core.observability import collector, health, metrics
from infra import config
from infra.timeutil import to_local
from models import ChatGroup, OutboxMessage
from web.home import outbox_view

DEV_OUTBOX_ROWS = 200


bp = Blueprint(
    "home",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/home",
)


def init_app(app: Flask) -> None:
    @app.context_processor
    def _offline_flag():
        return {"offline": app.config["OFFLINE"]}

    app.register_blueprint(bp)


@bp.get("/")
def index():
    settings = current_app.config
    offline = settings["OFFLINE"]
    boards = demo.showcase_boards() if offline else []
    base = settings["PUBLIC_BASE_URL"]
    # The relay line carries its secret: shown only while it is the published demo one.
    relay = (
        demo.relay_command(base, settings["BRIDGE_SECRET"])
        if boards and settings["BRIDGE_SECRET"] == config.DEMO_BRIDGE_SECRET
        else None
    )
    return render_template(
        "home/index.html",
        boards=boards,
        console="console.login" in current_app.view_functions,
        relay=relay,
        relay_steward=(demo.TRY_STEWARD, demo.WECOM_IDS[demo.TRY_STEWARD]),
        stewards=demo.demo_stewards() if boards else [],
    )


@bp.get("/dev/outbox")
def dev_outbox():
    # Offline mode stores outbound messages instead of sending them; this is where a
    # tester reads them. Online, message bodies (openids) are not for a public page.
    if not current_app.config["OFFLINE"]:
        abort(404)
    rows = (
        OutboxMessage.select()
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(DEV_OUTBOX_ROWS)
    )
    names = {g.webhook_key: g.name or g.webhook_key for g in ChatGroup.select()}
    messages = [
        {
            **outbox_view.describe(row, names),
            "created_at": f"{to_local(row.created_at):%m-%d %H:%M:%S}",
            "raw": json.dumps(row.payload, ensure_ascii=False, indent=2),
        }
        for row in rows
    ]
    return render_template("home/dev_outbox.html", messages=messages, limit=DEV_OUTBOX_ROWS)


@bp.get("/healthz")
def healthz():
    return {"ok": True}


@bp.get("/readyz")
def readyz():
    ready, body = health.readiness()
    return jsonify(body), 200 if ready else 503


@bp.get("/metrics")
def metrics_page():
    refused = metrics.access(current_app.config)
    if refused:
        # 404 when no scraper is configured (the page does not exist); 403 for anyone else.
        abort(refused)
    body, content_type = metrics.render([collector.DatabaseCollector()])
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
