"""Hand-offs (派单 / 改派): who an issue goes to when staff dispatch it, and the trail's words.

`core.items.issues.assign` (the API, the console and the bot's `派单` all call it) checks the
item's state and the actor, then `reassign` here checks the stewards named and writes the new
assignments; `core.items.notify.issue_assigned` tells the stewards it goes to and those taken
off. The event keeps the names from and to, as they were at the time, so the trail can say
"派单 王秀英 → 刘志强" (by the staff member who did it); the resident reads the same change in
plain words ("已交给管家刘志强办理").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.people.permissions import Principal
from infra.errors import bad_request, forbidden
from infra.timeutil import month_day_time
from models import Issue, IssueAssignee, Steward

PRIORITY_WORDS = {"ordinary": "一般", "important": "重要", "major": "重大"}


@dataclass
class Handoff:
    """The stewards an issue was with before a 派单 and those it is with now."""

    before: list[Steward]
    after: list[Steward]

    @property
    def added(self) -> list[Steward]:
        kept = {s.id for s in self.before}
        return [s for s in self.after if s.id not in kept]

    @property
    def removed(self) -> list[Steward]:
        now = {s.id for s in self.after}
        return [s for s in self.before if s.id not in now]

    def data(self) -> dict:
        """What the event keeps: the ids (as before) and the names from and to."""
        return {
            "stewards": [s.id for s in self.after],
            "from": [s.name for s in self.before],
            "to": [s.name for s in self.after],
        }


def reassign(p: Principal, issue: Issue, steward_ids: list[int]) -> Handoff:
    """Replace the issue's stewards with `steward_ids` (active, in the actor's scope), in the
    order named; inside the caller's transaction, the issue row locked by it."""
    wanted = list(dict.fromkeys(steward_ids))
    found = {s.id: s for s in Steward.select().where(Steward.id.in_(wanted) & Steward.active)}
    if len(found) != len(wanted) or not found:
        raise bad_request("请选择在任的管家", {"steward_ids": "管家不存在或已离任"})
    stewards = [found[i] for i in wanted]
    for s in stewards:
        if not p.can_manage_steward(s):
            raise forbidden("只能派给本社区的管家", code="out_of_scope")
    before = issue.assigned_stewards()
    IssueAssignee.delete().where(IssueAssignee.issue == issue).execute()
    for s in stewards:
        IssueAssignee.create(issue=issue, steward=s)
    return Handoff(before, stewards)


def _names(names: list[str]) -> str:
    return "、".join(names)


def trail_words(data: dict, note: str | None, insider: bool) -> tuple[str, str | None] | None:
    """(label, note) of a 派单 event's trail line, for staff and stewards (`insider`) or for
    the resident; None for an event written before hand-offs kept the names."""
    if "to" not in data and "priority_from" not in data:
        return None
    deadline = data.get("deadline")
    due = month_day_time(datetime.fromisoformat(deadline)) if deadline else None
    if not insider:
        if data.get("to"):
            return "转交管家", f"已交给管家{_names(data['to'])}办理"
        return "调整期限", f"办理期限调整为 {due} 前" if due else "办理期限已调整"
    parts = []
    if "to" in data:
        before = _names(data.get("from") or [])
        parts.append(f"{before} → {_names(data['to'])}" if before else f"派给{_names(data['to'])}")
    if "priority_from" in data:
        change = f"{PRIORITY_WORDS.get(data['priority_from'], '')} → "
        parts.append(f"紧急程度 {change}{PRIORITY_WORDS.get(data.get('priority'), '')}")
        if due:
            parts[-1] += f"，{due} 前办结"
    words = "；".join(parts)
    return "派单", f"{words}（{note}）" if note else words
