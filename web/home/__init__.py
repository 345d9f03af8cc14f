"""The landing page (what this is and where to start; with the offline-mode banner),
`/healthz`, and in offline mode only `/dev/outbox` — the messages that would have been sent to
WeChat, shown as their readers would see them."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, abort, current_app, render_template

from core import demo
from core.timeutil import to_local
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
    offline = current_app.config["OFFLINE"]
    return render_template(
        "home/index.html",
        boards=demo.showcase_boards() if offline else [],
        console="console.login" in current_app.view_functions,
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
