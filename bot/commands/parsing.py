"""Reading a message: the @-mention, the command word (forgiving width, `#`, `号`, a missing
space), the item's number (or numbers) and the rest as typed; and the refusal that shows how
to say it (`Needs`). Phrasings, greetings and typos: `bot.commands.understanding`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from bot.commands.registry import COMMANDS, NAMES, Command
from infra.errors import ApiError, bad_request
from models import Issue, Wish

_MENTION = re.compile(r"^[@＠]\S*[\s\u2005\u3000]*")
_ISSUE_REF = re.compile(
    r"^(?:第\s*)?(?:诉求\s*)?#?\s*(?:(?P<number>[Ss]\d{10})|(?P<id>\d{1,9}))(?:\s*号)?(?=\D|$)"
)
_WISH_REF = re.compile(
    r"^(?:第\s*)?(?:心愿\s*)?#?\s*(?:(?P<number>[Ww]\d{10})|(?P<id>\d{1,9}))(?:\s*号)?(?=\D|$)"
)
SEPARATORS = " \t\u3000\u2005:：,，"
# Between two numbers of one command (`接单 21 22`, `接单 21、22`, `接单 21和22`).
_BETWEEN = re.compile(r"^[\s\u3000\u2005、,，;；和及与]*")
# What may follow a number that stands alone (`收到 12`, `12号。`), unlike `收到12点开会`.
ALONE = re.compile(r"^(?:$|[\s\u3000\u2005:：,，。.、！!？?；;)）和及与])")


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
    word: str = ""  # the command word as found (a name or an alias, lower case)


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
            rest = text[index[len(word)] :].lstrip(SEPARATORS).rstrip()
            found = COMMANDS[NAMES[word]]
            if found.takes is not None and not found.takes(rest):
                continue  # an answer word starting a sentence ("是啊…"): not the command
            return Parsed(found, rest, mentioned, text, word)
    return Parsed(None, text, mentioned, text)


def parse(text: str | None) -> tuple[Command | None, str]:
    """(the command, the rest of the text as typed); (None, text) when no command starts it."""
    parsed = split(text)
    return parsed.command, parsed.args


def normalize(text: str | None) -> str:
    """The message without its @-mention, NFKC and trimmed: for recognising, never storing."""
    return nfkc(split(text).text)[0].strip()


def cut(pattern: re.Pattern, args: str) -> tuple[re.Match | None, str]:
    norm, index = nfkc(args)
    match = pattern.match(norm)
    if match is None:
        return None, args
    return match, args[index[match.end()] :].lstrip(SEPARATORS).rstrip()


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


class Needs(ApiError):
    """A refusal (400) that shows how to say it: `请写上诉求编号，例如：接单 12`. The engine
    writes the example as it is sent where the person wrote (`@小巷管家 接单 12` in a group);
    anywhere else the message reads as is."""

    def __init__(self, message: str, example: str, tail: str = ""):
        super().__init__(400, "validation_error", f"{message}，例如：{example}{tail}")
        self.lead, self.example, self.tail = message, example, tail

    def said(self, call: Callable[[str], str]) -> str:
        return f"{self.lead}，例如：{call(self.example)}{self.tail}"


def issue_match(text: str) -> tuple[re.Match | None, str]:
    """The issue number at the start of `text` (NFKC), and that normalised text."""
    norm = nfkc(text)[0]
    return _ISSUE_REF.match(norm), norm


def wish_match(text: str) -> tuple[re.Match | None, str]:
    """The wish number (`心愿3`, `W2611220001`) at the start of `text`, and the NFKC text."""
    norm = nfkc(text)[0]
    match = _WISH_REF.match(norm)
    if match is None or not (match.group("number") or "心愿" in match.group(0)):
        return None, norm  # a bare number is an issue's
    return match, norm


def issue_ref(args: str, usage: str) -> tuple[int, str]:
    issue_id, rest = _ref(_ISSUE_REF, args, Issue, "诉求")
    if issue_id is None:
        raise Needs("请写上诉求编号", usage)
    return issue_id, rest


def issue_refs(args: str, usage: str, most: int = 10) -> tuple[list[int], str]:
    """One or more issue numbers (`21 22`, `21、22`, `#21 和 #22`), each once, in order."""
    first, rest = issue_ref(args, usage)
    ids = [first]
    while True:
        following = rest[_BETWEEN.match(rest).end() :]
        match, norm = issue_match(following)
        if match is None or not ALONE.match(norm[match.end() :]):
            break  # `接单 12 3号楼那件`: a number inside the note is not another item
        issue_id, after = _ref(_ISSUE_REF, following, Issue, "诉求")
        if issue_id not in ids:
            ids.append(issue_id)
        rest = after
    if len(ids) > most:
        raise bad_request(f"一次最多处理 {most} 件，请分开发送")
    return ids, rest


def wish_ref(args: str, usage: str) -> tuple[int, str]:
    wish_id, rest = _ref(_WISH_REF, args, Wish, "心愿")
    if wish_id is None:
        raise Needs("请写上心愿编号", usage)
    return wish_id, rest


def typed(text: str) -> str:
    """A note as typed; only a note of nothing but punctuation counts as missing."""
    return text if re.search(r"\w", text) else ""
