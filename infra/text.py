"""Text: short forms for one-line places (chat lines, subscribe-message fields, report
lines), and the one normalisation of everything people type (`clean`, `normalise`)."""

from __future__ import annotations

import unicodedata


def shorten(text: str | None, limit: int) -> str:
    """Collapse whitespace and cut to `limit` characters, an ellipsis marking the cut."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- what people type: one normalisation for the API, the scan page and the bot ---------------
#
# Controls are dropped (NUL breaks PostgreSQL, the others break the ledger's XML and mean
# nothing to a reader); tab and newline stay. Lone surrogates (from JSON "\ud800") cannot be
# stored as UTF-8 and are dropped too. Invisible characters (zero-width, bidi marks, fillers)
# are kept inside text, where a joiner belongs to an emoji and a mark to a name, but trimmed
# from the edges, and text made of nothing else is empty.

_CONTROLS = {c for c in range(0x20) if chr(c) not in "\t\n"} | set(range(0x7F, 0xA0))
_DROP = dict.fromkeys(_CONTROLS) | dict.fromkeys(range(0xD800, 0xE000))
# Characters with no visible ink besides the Unicode "format" (Cf) ones and whitespace.
_BLANK_EXTRA = set(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u2800\u3164\uffa0"
    "\ufe00\ufe01\ufe02\ufe03\ufe04\ufe05\ufe06\ufe07\ufe08\ufe09\ufe0a\ufe0b\ufe0c\ufe0d"
    "\ufe0e\ufe0f"
)


def is_invisible(char: str) -> bool:
    """True for a character that puts no ink on the page: whitespace, Cf, fillers."""
    return char.isspace() or char in _BLANK_EXTRA or unicodedata.category(char) == "Cf"


def clean(text: str) -> str:
    """Drop control characters (but tab and newline; a CR becomes a newline) and lone
    surrogates. Everything else, invisible characters included, is kept."""
    if not text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_DROP)


def normalise(text: str) -> str:
    """`clean`, then trim whitespace and invisible characters from both ends: what is kept
    of anything a person typed. Empty means nothing readable was typed."""
    text = clean(text)
    start, end = 0, len(text)
    while start < end and is_invisible(text[start]):
        start += 1
    while end > start and is_invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def is_blank(text: str | None) -> bool:
    return not normalise(text or "")


# --- numbers typed into a URL or a form ------------------------------------------------------

INT64_MAX = 2**63 - 1


def whole_number(raw: str | None) -> int | None:
    """A non-negative whole number as typed into a URL or a form field (`?page=2`, an id):
    ASCII digits, spaces around them allowed, small enough for a 64-bit column; None for
    anything else. `str.isdigit` is not the test: it says yes to "³" and "①", which `int()`
    refuses, and to numbers no database column holds."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw.lstrip("0")) > 19:
        return None
    value = int(raw)
    return value if value <= INT64_MAX else None
