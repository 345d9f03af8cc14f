"""Short random codes people type or scan: board codes and bind codes."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata

# No 0/O, 1/I/L: codes are read off walls and typed into chat by elderly stewards.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def random_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize(code: str) -> str:
    """Forgive case, full-width characters, spaces and dashes."""
    text = unicodedata.normalize("NFKC", code).upper()
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def digest(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()
