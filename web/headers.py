"""The security headers of every response the app sends, set in one place (an `after_request`
hook registered app-wide, so the API, the media files and the chat callbacks get theirs too).

* Every response: `X-Content-Type-Options: nosniff` — a browser takes a file for what its
  Content-Type says, never for what it looks like (a photo is never run as a script).
* Every HTML page: `Content-Security-Policy`, `X-Frame-Options: DENY` (for browsers older than
  `frame-ancestors`) and `Referrer-Policy: same-origin` (a page that set a stricter one, the
  private tracking page's `no-referrer`, keeps it).

The policy: nothing from another origin, no inline script or style (every script and style
sheet is a file of the blueprint's `static/` folder; behaviour is bound by data attributes),
no plugins, no `<base>`, forms posting only here, and no page framed by anyone
(`frame-ancestors 'none'`: the console cannot be clickjacked). Images may also be `data:`
(offline mode's outbox shows robot images inline) and, on the scan pages, `blob:` (scan.js
previews the photos picked before they are uploaded).
"""

from __future__ import annotations

from flask import Flask, Response, request

_BASE = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
_SCAN = dict(_BASE, **{"img-src": "'self' data: blob:"})


def _policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


CONTENT_SECURITY_POLICY = _policy(_BASE)
SCAN_CONTENT_SECURITY_POLICY = _policy(_SCAN)


def secure(response: Response) -> Response:
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html":
        scan = request.blueprint == "scan"
        headers["Content-Security-Policy"] = (
            SCAN_CONTENT_SECURITY_POLICY if scan else CONTENT_SECURITY_POLICY
        )
        headers["X-Frame-Options"] = "DENY"
        headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    app.after_request(secure)
