"""Phone numbers as people type them: one set of rules for the roster, the API and the web page.

Forgives full-width digits, spaces, dashes, brackets and a +86 / 0086 prefix.
"""

from __future__ import annotations

import re
import unicodedata

MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
LANDLINE_RE = re.compile(r"0[0-9]{2,3}-?[0-9]{7,8}")
JUNK_RE = re.compile(r"[\s‐‑‒–—―()（）]")
CONTACT_ERROR = "请填写正确的手机号（11 位）或固定电话（如 0539-1234567）"


def _clean(text: str) -> str:
    text = JUNK_RE.sub("", unicodedata.normalize("NFKC", text or ""))
    if text.startswith("+86"):
        return text[3:]
    if text.startswith("0086"):
        return text[4:]
    if len(text) == 13 and text.startswith("86"):
        return text[2:]
    return text


def mobile(text: str) -> str | None:
    """A mainland mobile number as 11 ASCII digits, or None when it is not one."""
    text = _clean(text).replace("-", "")
    return text if MOBILE_RE.fullmatch(text) else None


def contact(text: str | None) -> str | None:
    """A contact phone (mobile, or landline with area code); None when blank.

    Raises ValueError with a Chinese message when it is neither.
    """
    if text is None or not text.strip():
        return None
    found = mobile(text)
    if found:
        return found
    cleaned = _clean(text)
    if LANDLINE_RE.fullmatch(cleaned):
        return cleaned
    raise ValueError(CONTACT_ERROR)


def display(phone: str | None) -> str:
    """A number as it is read aloud and printed: mobiles 3-4-4 (170 0000 0101), anything
    else as given. The board, the scan page and the mini program all show it so."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return (phone or "").strip()
