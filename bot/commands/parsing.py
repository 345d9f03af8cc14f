"""Reading a message: the @-mention, the command word (forgiving width, `#`, `号`, a missing
space), the item's number and the rest as typed; the nearest command for a typo."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from bot.commands.registry import COMMANDS, NAMES, Command
from core.errors import ApiError, bad_request
from models import Issue, Wish

_MENTION = re.compile(r"^[@＠]\S*[\s\u2005\u3000]*")
_ISSUE_REF = re.compile(
    r"^(?:第\s*)?(?:诉求\s*)?#?\s*(?:(?P<number>[Ss]\d{10})|(?P<id>\d{1,9}))(?:\s*号)?(?=\D|$)"
)
_WISH_REF = re.compile(
    r"^(?:第\s*)?(?:心愿\s*)?#?\s*(?:(?P<number>[Ww]\d{10})|(?P<id>\d{1,9}))(?:\s*号)?(?=\D|$)"
)
_SEPARATORS = " \t\u3000\u2005:：,，"
_WORD = re.compile(r"^[^\d\s#＃]{1,6}")


def nfkc(text: str) -> tuple[str, list[int]]:
    """NFKC of `text` and, for each character of it, the index in `text` it came from (so a
    match found in the normalised text cuts the original, which is kept as typed)."""
    out: list[str] = []
    index: list[int] = []
    for k, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch):
            out.append(c)
            index.append(k)
    index.append(len(text))
    return "".join(out), index


@dataclass
class Parsed:
    command: Command | None
    args: str  # the rest, as typed
    mentioned: bool  # the message started with an @-mention
    text: str  # the message without the mention, as typed


def split(text: str | None) -> Parsed:
    """The @-mention, the command word (normalised) and the rest (as typed)."""
    text = (text or "").strip()
    mentioned = False
    while True:
        match = _MENTION.match(text)
        if match is None or not match.group(0).strip():
            break
        mentioned = True
        text = text[match.end() :].strip()
    norm, index = nfkc(text)
    lowered = norm.lower()
    for word in sorted(NAMES, key=len, reverse=True):
        if lowered.startswith(word):
            rest = text[index[len(word)] :].lstrip(_SEPARATORS).rstrip()
            return Parsed(COMMANDS[NAMES[word]], rest, mentioned, text)
    return Parsed(None, text, mentioned, text)


def parse(text: str | None) -> tuple[Command | None, str]:
    """(the command, the rest of the text as typed); (None, text) when no command starts it."""
    parsed = split(text)
    return parsed.command, parsed.args


def normalize(text: str | None) -> str:
    """The message without its @-mention, NFKC and trimmed: for recognising, never storing."""
    return nfkc(split(text).text)[0].strip()


def closest(text: str) -> tuple[Command, str] | None:
    """An unknown first word that looks like a command (`接丹 1`): that command and the rest."""
    norm = nfkc(text)[0].strip()
    match = _WORD.match(norm)
    if match is None:
        return None
    word = match.group(0).strip()
    names = [n for n in NAMES if not n.isascii()]
    found = difflib.get_close_matches(word, names, n=1, cutoff=0.5)
    if not found or len(word) > len(found[0]) + 1:
        return None
    rest = norm[match.end() :].strip(_SEPARATORS)
    return COMMANDS[NAMES[found[0]]], rest


def cut(pattern: re.Pattern, args: str) -> tuple[re.Match | None, str]:
    norm, index = nfkc(args)
    match = pattern.match(norm)
    if match is None:
        return None, args
    return match, args[index[match.end()] :].lstrip(_SEPARATORS).rstrip()


def _ref(pattern: re.Pattern, args: str, model, prefix: str) -> tuple[int | None, str]:
    match, rest = cut(pattern, args)
    if match is None:
        return None, args
    if match.group("id"):
        return int(match.group("id")), rest
    number = match.group("number").upper()
    row = model.get_or_none(model.number == number)
    if row is None:
        raise ApiError(404, "not_found", f"找不到编号为 {number} 的{prefix}")
    return row.id, rest


def issue_ref(args: str, usage: str) -> tuple[int, str]:
    issue_id, rest = _ref(_ISSUE_REF, args, Issue, "诉求")
    if issue_id is None:
        raise bad_request(f"请写上诉求编号，例如：{usage}")
    return issue_id, rest


def wish_ref(args: str, usage: str) -> tuple[int, str]:
    wish_id, rest = _ref(_WISH_REF, args, Wish, "心愿")
    if wish_id is None:
        raise bad_request(f"请写上心愿编号，例如：{usage}")
    return wish_id, rest


def typed(text: str) -> str:
    """A note as typed; only a note of nothing but punctuation counts as missing."""
    return text if re.search(r"\w", text) else ""
