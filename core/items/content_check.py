"""Content safety: text shown to other people is checked before it is published.

Online, WeChat's `msgSecCheck` version 2 judges the text (it needs the author's openid and a
scene). Offline, a local word list does. The verdict is one of:

* ``pass``   — publish it;
* ``review`` — WeChat is unsure: hold it for a human;
* ``risky``  — hold it (staff decide; it is never published automatically);
* ``failed`` — the text could not be checked (WeChat down or erroring, an author without an
  openid such as a web submission): hold it too. Nothing is ever published unchecked, and a
  failed check never loses the item — it waits for staff like a risky one.

Only ``pass`` is publishable (`is_publishable`).
"""

from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache

import requests
from flask import current_app
from wechatpy.exceptions import WeChatClientException

from core.delivery.wechat import mini_program_client
from infra.config import ASSETS_DIR
from models import User

log = logging.getLogger(__name__)

MSG_SEC_CHECK_URL = "https://api.weixin.qq.com/wxa/msg_sec_check"
MAX_CHARS = 2500  # msgSecCheck's limit per call

# msgSecCheck v2 scenes.
SCENE_PROFILE = 1
SCENE_COMMENT = 2
SCENE_FORUM = 3
SCENE_SOCIAL_LOG = 4

VERDICTS = ("pass", "review", "failed", "risky")
# Worst wins when a long text is checked in chunks. A definite "risky" outranks "failed"
# (we know more), and "failed" outranks "review" (both hold the item, but "failed" tells
# staff that part of the text was never checked at all).
_SEVERITY = {verdict: rank for rank, verdict in enumerate(VERDICTS)}

WORDS_FILE = ASSETS_DIR / "sensitive_words.txt"


def is_publishable(verdict: str) -> bool:
    """True only for a clean pass; every other verdict holds the item for staff."""
    return verdict in ("pass",)


def worst(verdicts) -> str:
    return max(verdicts, key=_SEVERITY.__getitem__, default="pass")


def check_text(text: str, user: User | None, scene: int) -> str:
    """Judge `text` written by `user`: "pass" | "review" | "risky" | "failed"."""
    if not text or not text.strip():
        return "pass"  # nothing that anyone could read
    if current_app.config["OFFLINE"]:
        return check_offline(text)
    if user is None or not user.openid:
        # msgSecCheck v2 judges a text against its author; without an openid (a web
        # submission) it cannot be asked, so the item waits for a human.
        log.info("content check skipped: author has no openid; holding for review")
        return "failed"
    verdicts = []
    for chunk in chunks(text):
        verdict = _check_online(chunk, user.openid, scene)
        verdicts.append(verdict)
        if verdict == "risky":
            break  # nothing can make it worse; save WeChat calls
    return worst(verdicts)


def chunks(text: str, size: int = MAX_CHARS) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _check_online(content: str, openid: str, scene: int) -> str:
    data = {"version": 2, "openid": openid, "scene": scene, "content": content}
    try:
        answer = mini_program_client().post(MSG_SEC_CHECK_URL, data=data)
    except WeChatClientException as exc:
        log.warning("msgSecCheck failed: errcode=%s errmsg=%s", exc.errcode, exc.errmsg)
        return "failed"
    except requests.RequestException as exc:
        log.warning("msgSecCheck unreachable: %s", exc)
        return "failed"
    suggest = (answer.get("result") or {}).get("suggest") if isinstance(answer, dict) else None
    if suggest not in ("pass", "review", "risky"):
        log.warning("msgSecCheck answered without a verdict: %r", answer)
        return "failed"
    return suggest


# --- offline word list ----------------------------------------------------------------------


def normalize(text: str) -> str:
    """Fold the tricks people use to slip past a word list: full-width letters, case, and
    spaces, punctuation or symbols put between the characters ("赌 博", "赌.博", "ＤＵ")."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PZSC")


@lru_cache(maxsize=1)
def _builtin_words() -> tuple[str, ...]:
    try:
        lines = WORDS_FILE.read_text(encoding="utf-8").splitlines()
    except OSError:
        log.error("offline word list missing: %s", WORDS_FILE)
        return ()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def word_list() -> list[str]:
    """The built-in words plus the `SENSITIVE_WORDS` setting, normalised, without blanks."""
    extra = current_app.config.get("SENSITIVE_WORDS") or []
    words = {normalize(w) for w in (*_builtin_words(), *extra) if isinstance(w, str)}
    words.discard("")
    return sorted(words)


def find_word(text: str) -> str | None:
    """The first listed word found in `text` (after normalising both), or None."""
    folded = normalize(text)
    return next((word for word in word_list() if word in folded), None)


def check_offline(text: str) -> str:
    return "risky" if find_word(text) else "pass"
