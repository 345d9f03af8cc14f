"""The landing page (with the offline-mode banner), `/healthz`, and in offline mode only
`/dev/outbox` — the messages that would have been sent to WeChat."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, abort, current_app, render_template

from core.timeutil import to_local
from models import OutboxMessage

DEV_OUTBOX_ROWS = 200


bp = Blueprint("home", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    @app.context_processor
    def _offline_flag():
        return {"offline": app.config["OFFLINE"]}

    app.register_blueprint(bp)


@bp.get("/")
def index():
    return render_template("home/index.html")


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
    messages = [
        {
            "row": row,
            "created_at": f"{to_local(row.created_at):%Y-%m-%d %H:%M:%S}",
            "payload": json.dumps(row.payload, ensure_ascii=False, indent=2),
        }
        for row in rows
    ]
    return render_template("home/dev_outbox.html", messages=messages, limit=DEV_OUTBOX_ROWS)


@bp.get("/healthz")
def healthz():
    return {"ok": True}
