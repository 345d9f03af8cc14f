"""WeChat's ownership file for the "scan ordinary link opens mini program" rule."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
)

from web.scan.common import bp

# --- WeChat's ownership file for the "scan ordinary link opens mini program" rule --------------


@bp.get("/<fname>.txt")
@bp.get("/b/<fname>.txt")
def wechat_verify_file(fname: str):
    """WeChat checks the rule's owner by fetching this file next to the rule's prefix (the
    last directory of the prefix, e.g. /b/, in practice sometimes the host root): both work."""
    name = current_app.config.get("WECHAT_VERIFY_FILE_NAME") or ""
    content = current_app.config.get("WECHAT_VERIFY_FILE_CONTENT")
    if not name or content is None or name.removesuffix(".txt") != fname:
        abort(404)
    return Response(str(content), mimetype="text/plain")
