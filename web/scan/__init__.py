"""The scan page: what a signboard's QR code (`{PUBLIC_BASE_URL}/b/{code}`) opens in a browser.

Outside WeChat — and inside WeChat until the mini program's scan rule is published — this is
the alley's page: stewards (tap to call), live figures, recent items and the wish wall (the
same public data as `GET /api/v1/boards/{code}`), and two plain multipart forms to report a
problem or post a micro-wish. No login: the submitter gets a private tracking link
(`/t/{token}`, only the token's SHA-256 is stored) to follow the item, rate it or confirm it.

Rules this module keeps:
* Items change only through `core.items.issues` / `core.items.wishes`, with `Principal.anonymous()` and
  the tracking token standing in for the reporter's login.
* Everything works without JavaScript; `web/scan/static/scan.js` only adds previews and early checks.
* A failed submission re-renders the form with the typed text, the photos that did upload
  (carried as signed ids, so nobody can attach another person's photo by guessing ids) and
  a Chinese message next to each field.
* Scans are counted per board and local day, nothing else: no address, no cookie.
* Submissions and phone look-ups are rate-limited per client (`core.ratelimit`).
"""

from __future__ import annotations

from web.scan import board, mine, street, track, verify  # noqa: F401  (each registers its routes)
from web.scan.common import bp

__all__ = ["bp"]
