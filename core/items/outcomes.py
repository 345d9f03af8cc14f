"""How an item was closed (`Issue.outcome`), and how that reads to the resident.

Closing is not always "solved": 已解决 / 已答复（政策解释）/ 不属于职责（转出）/ 重复（合并到 #N）/
无法解决（说明原因）. Every interface asks for it (default `solved`); `answered` and
`unsolvable` need a reason, which is the resolution note the resident reads. Only `solved`
counts as solved in 解决率, and a duplicate is not counted at all (its original is): see
`core.figures.reports.Tally`. A duplicate is closed by `core.items.merge`, never by `resolve`.
"""

from __future__ import annotations

from infra.errors import bad_request

SOLVED, ANSWERED, NOT_OURS, DUPLICATE, UNSOLVABLE = (
    "solved",
    "answered",
    "not_ours",
    "duplicate",
    "unsolvable",
)

# The staff's names for each (forms, pickers, the ledger).
NAMES = {
    SOLVED: "已解决",
    ANSWERED: "已答复（政策解释）",
    NOT_OURS: "不属于职责（转出）",
    DUPLICATE: "重复（合并）",
    UNSOLVABLE: "无法解决",
}
OUTCOMES = tuple(NAMES)
# The status word of the resident's subscribe message (at most five characters).
SHORT = {
    SOLVED: "已解决",
    ANSWERED: "已答复",
    NOT_OURS: "已转出",
    DUPLICATE: "已合并",
    UNSOLVABLE: "无法解决",
}
# Outcomes whose note must say why (the resident is owed the reason).
NEEDS_REASON = {ANSWERED: "请写明答复内容（政策解释）", UNSOLVABLE: "请写明无法解决的原因"}
# The words of the bot's `办结 N 已答复 说明` (the outcome said before the note). A duplicate
# has none: it is merged (`合并 N 到 M`), and "重复反映…" begins many an ordinary note.
WORDS = {
    "已解决": SOLVED,
    "已答复": ANSWERED,
    "不属于职责": NOT_OURS,
    "非本职责": NOT_OURS,
    "无法解决": UNSOLVABLE,
}
CHOICES = "solved（已解决）、answered（已答复）、not_ours（不属于职责）、duplicate（重复）、unsolvable（无法解决）"


def check(outcome: str | None, note: str | None) -> str:
    """The outcome to record (None: solved), or 400 naming the field: an unknown one, or a
    reason missing where one is owed."""
    outcome = outcome or SOLVED
    if outcome not in NAMES:
        raise bad_request("办结结果有误", {"outcome": "可选：" + CHOICES})
    if outcome == DUPLICATE:  # closed by core.items.merge, which needs the original
        raise bad_request(
            "重复的诉求请合并到原诉求：请填写原诉求编号", {"into": "请填写原诉求编号"}
        )
    need = NEEDS_REASON.get(outcome)
    if need and not (note or "").strip():
        raise bad_request(need, {"note": need})
    return outcome


def plain_words(
    outcome: str | None, note: str | None = None, duplicate_of: int | None = None
) -> str | None:
    """What the resident reads: 已解决 / 已答复（政策解释）/ 不属于职责，已转出 / 与 #12 重复，
    已合并 / 无法解决：原因. `note` is left out where the caller may not show it (None)."""
    if outcome is None:
        return None
    if outcome == DUPLICATE:
        return f"与 #{duplicate_of} 重复，已合并" if duplicate_of else "重复，已合并"
    if outcome == NOT_OURS:
        return "不属于职责，已转出"
    if outcome == UNSOLVABLE:
        return f"无法解决：{note}" if note else "无法解决"
    return NAMES[outcome]
