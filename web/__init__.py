"""Everything server-rendered, one blueprint per audience, each with its templates and static
files beside it:

* `web.home` — the landing page, `/healthz`, and offline mode's `/dev/outbox`;
* `web.scan` — the QR code's page `/b/<code>` for residents, the private tracking page
  `/t/<token>`, and WeChat's scan-rule ownership file;
* `web.console` — 社区工作台, the staff console at `/console` (login, dashboard, review,
  issues and wishes, ledger, roster, boards).

`web/templates/base.html` is the page frame they all extend (with the offline banner), and
`web.headers` sets the security headers (Content-Security-Policy …) of every response.
What a page shows that the API shows too (the public board, an item's views) is built in
`core` (`core.boards.public`, `core.items.presenters`) and only rendered here.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from web import console, headers, home, scan

# Holds only the shared page frame (its template and style sheet); registered like any
# blueprint so its folder is on the template search path.
layout = Blueprint(
    "layout",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/site",
)


def init_app(app: Flask) -> None:
    headers.init_app(app)  # every response of the app, the API's included
    app.register_blueprint(layout)
    home.init_app(app)
    app.register_blueprint(scan.bp)
    console.init_app(app)
