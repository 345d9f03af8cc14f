"""How an issue is being handled: who holds it now, why an action is refused in its state, and
at which level (现场解决 / 上报社区 / 联合处置) it was solved.

The level feeds the street's counts ("易事即办、实事快办、难事联办"), so it is inferred the
same way wherever an issue is closed — the API, the console, the group bot — when the closer
does not say it: from the item's history in this round (escalated? whistled?) and from the
words of the closing note, taking the higher of the two. A note cannot lower what the history
says: an item whistled to 城管 and then "现场清理" was still handled jointly.
"""

from __future__ import annotations

from core.people.permissions import Principal
from infra.errors import ApiError, conflict
from infra.timeutil import month_day_time
from models import RESOLUTION_LEVELS, Event, Issue, Steward

ON_THE_SPOT, COMMUNITY, JOINT = RESOLUTION_LEVELS  # lowest to highest

# What a steward types for a level, besides its own name (the issue tracker called the joint
# level 吹哨联合; the stored name is the one the API and the ledger already use).
LEVEL_NAMES = {
    ON_THE_SPOT: ON_THE_SPOT,
    COMMUNITY: COMMUNITY,
    JOINT: JOINT,
    "吹哨联合": JOINT,
    "联合处理": JOINT,
    "当场解决": ON_THE_SPOT,
}

# Words of a closing note that say how it was solved. Checked as substrings; the highest level
# named wins. Only words that mean the same thing in any steward's sentence are listed:
# "社区" alone is not (every note may name the community), "社区协调" is.
_NOTE_WORDS = (
    (JOINT, ("联合", "部门", "城管", "执法", "住建", "公安", "派出所", "市场监管", "吹哨", "街道")),
    (COMMUNITY, ("社区协调", "社区出面", "社区帮忙", "社区协助", "居委", "上报社区", "物业配合")),
    (ON_THE_SPOT, ("现场", "当场", "随手")),
)


def level_from_note(note: str | None) -> str | None:
    """The highest level the note's words name, or None when they name none."""
    text = note or ""
    for level, words in _NOTE_WORDS:  # highest first
        if any(w in text for w in words):
            return level
    return None


def level_from_history(issue: Issue) -> str | None:
    """联合处置 when whistled in this round, 上报社区 when escalated; None otherwise. A round
    starts at the last reopen: what was whistled before the resident reopened it says nothing
    about how the second round was solved."""
    found = {"whistled": JOINT, "escalated": COMMUNITY}.get(issue.status)
    trail = (
        Event.select(Event.action)
        .where(
            (Event.subject_type == "issue")
            & (Event.subject_id == issue.id)
            & Event.action.in_(("issue.escalate", "issue.whistle", "issue.reopen"))
        )
        .order_by(Event.id.desc())
    )
    for event in trail:
        if event.action == "issue.reopen":
            break
        step = JOINT if event.action == "issue.whistle" else COMMUNITY
        found = higher(found, step)
    return found


def higher(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return max(a, b, key=RESOLUTION_LEVELS.index)


def infer_level(issue: Issue, note: str | None) -> str:
    """The level of a close that did not name one: the higher of history and note, else
    现场解决."""
    return higher(level_from_history(issue), level_from_note(note)) or ON_THE_SPOT


# --- who holds it -------------------------------------------------------------------------------


def whistled_holder(issue: Issue) -> str:
    """`已吹哨给城管联合处置，现由社区工作人员张三跟进`: who holds a whistled item now."""
    department = issue.department.name if issue.department_id else "部门"
    whistle = (
        Event.select(Event.actor_label)
        .where(
            (Event.subject_type == "issue")
            & (Event.subject_id == issue.id)
            & (Event.action == "issue.whistle")
        )
        .order_by(Event.id.desc())
        .first()
    )
    who = f"社区工作人员{whistle.actor_label}" if whistle and whistle.actor_label else "社区"
    return f"已吹哨给{department}联合处置，现由{who}跟进"


def steward_may_not_close(issue: Issue) -> ApiError:
    """A whistled item is the department's and the community's now: a steward can neither
    accept it nor close it, and is told who holds it (staff record the department's result)."""
    return ApiError(
        403,
        "whistled",
        f"该诉求{whistled_holder(issue)}，请由社区工作人员登记办结",
    )


# What a steward is told when they accept, resolve or escalate an issue already done.
DONE_WORDS = {"accept": "无需接单", "resolve": "无需重复", "escalate": "无需上报"}
_VERB = {"accept": "接单", "resolve": "办结", "escalate": "上报"}


def why(p: Principal, issue_id: int, action: str) -> ApiError | None:
    """A refusal that says why — already yours, someone else's, done, or whistled to a
    department — under the same code (`invalid_transition`) clients already handle. Asked
    for the actions of `DONE_WORDS`."""
    current = Issue.get_or_none(Issue.id == issue_id)
    if current is None:
        return None
    if current.status in ("resolved", "closed"):
        return conflict("invalid_transition", f"该诉求已办结，{DONE_WORDS[action]}")
    if current.status == "whistled":
        return conflict(
            "invalid_transition", f"该诉求{whistled_holder(current)}，不能再{_VERB[action]}"
        )
    if action == "accept" and current.accepted_by_id:
        if current.accepted_by_id in {s.id for s in p.stewards}:
            due = month_day_time(current.deadline)
            return conflict("invalid_transition", f"您已接单，无需重复，请在 {due} 前办结")
        taker = Steward.get_or_none(Steward.id == current.accepted_by_id)
        if taker is not None:
            return conflict("invalid_transition", f"{taker.name}已接单，无需重复接单")
    return None
