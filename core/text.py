"""Short text for one-line places: chat lines, subscribe-message fields, report lines."""

from __future__ import annotations


def shorten(text: str | None, limit: int) -> str:
    """Collapse whitespace and cut to `limit` characters, an ellipsis marking the cut."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
