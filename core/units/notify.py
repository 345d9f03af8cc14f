"""Who hears about a hand-off to or from a handling unit: written to the outbox inside the
change's transaction, as `core.items.notify` does for the rest of the workflow.

- 吹哨 (whistle) and 催办 (urge): the unit's own WeCom group robot, @-mentioning its members'
  WeCom ids. The group line names the item by number, category, alley and deadline — never
  the resident's phone, and never the content of a held or private-category item.
- 退回 (return): the community's staff group (`audience="staff"`).
- 报到 overdue / past deadline reminders (`jobs`): the unit's group, then the street leader.

Keys come from the event (`robot:unit:{issue}:{action}:{event}`), so a retried transaction or
a restarted scheduler never sends twice.
"""

from __future__ import annotations

from core.delivery import robot
from core.items import privacy
from core.units import units
from infra.timeutil import month_day_time
from models import Area, Department, Event, Issue

TIER_WORDS = {"ordinary": "一般", "important": "重要", "major": "重大"}


def title(issue: Issue) -> str:
    """What a group may read of the item: its words only where the public may read them
    (`core.items.privacy`, the one rule for groups and public pages)."""
    alley = Area.get_by_id(issue.alley_id).name
    if not privacy.issue_words_shown(issue):
        return f"#{issue.id} {alley} {issue.category}"
    return f"#{issue.id} {alley} {issue.category}：{privacy.issue_words(issue, 30)}"


def unit_text(unit: Department, text: str, key: str) -> bool:
    """A text to the unit's own group, @ its members' WeCom ids; False when it has none."""
    group = units.group_of(unit)
    if group is None:
        return False
    mentions = [m.wecom_userid for m in units.members_of(unit) if m.wecom_userid]
    bodies = robot.text_bodies(text)
    if mentions:
        bodies[0]["text"]["mentioned_list"] = mentions
    robot.push_all(group, list(zip(bodies, robot.part_keys(key, len(bodies)), strict=True)))
    return True


def whistled(issue: Issue, unit: Department, event: Event) -> bool:
    text = (
        f"【吹哨报到】{title(issue)}\n"
        f"紧急程度：{TIER_WORDS[issue.priority]}，请于 {month_day_time(issue.deadline)} 前办结。\n"
        f"请先回复 {robot.bot_call(f'报到 {issue.id}')}"
    )
    return unit_text(unit, text, f"robot:unit:{issue.id}:whistle:{event.id}")


def urged(issue: Issue, unit: Department, event: Event, note: str) -> bool:
    text = f"【催办】{title(issue)}\n{note}\n办理期限：{month_day_time(issue.deadline)}"
    return unit_text(unit, text, f"robot:unit:{issue.id}:urge:{event.id}")


def returned(issue: Issue, unit: Department, event: Event, reason: str) -> bool:
    """退回: the community's staff group hears the item is theirs again."""
    targets = robot.groups_for_area(Area.get_by_id(issue.alley_id), audience="staff")[:1]
    if not targets:
        return False
    text = f"【单位退回】{unit.name} 退回 {title(issue)}\n原因：{reason}\n请社区重新安排办理。"
    robot.push_text(targets[0], text, f"robot:unit:{issue.id}:return:{event.id}", fetch=False)
    return True
