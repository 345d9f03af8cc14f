"""Who hears about a hand-off to or from a handling unit: written to the outbox inside the
change's transaction, as `core.items.notify` does for the rest of the workflow.

- 吹哨 (whistle) and 催办 (urge): the unit's own WeCom group robot, @-mentioning its members'
  WeCom ids. The group line names the item by number, category, alley and deadline — never
  the resident's phone, and never the content of a held or private-category item.
- 退回 (return) and 申请延期 (an extension asked for): the community's staff group
  (`audience="staff"`), who answer it.
- The community's answer to an extension (approved or not, the deadline it leaves): the unit's
  group, @-mentioning its members.
- 督办 (supervise): the street leader — a staff group on the street itself when there is one,
  else the item's community's staff group @-mentioning the street's admins (`street_text`).
- 报到 overdue / past deadline reminders (`jobs`): the unit's group, then the street leader.

Keys come from the event (`robot:unit:{issue}:{action}:{event}`), so a retried transaction or
a restarted scheduler never sends twice.
"""

from __future__ import annotations

from core.delivery import robot
from core.items import privacy
from core.units import units
from infra.timeutil import month_day_time
from models import Area, ChatGroup, Department, Event, Issue, StaffAccount

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


def extension_requested(
    issue: Issue, unit: Department, event: Event, days: int, reason: str
) -> bool:
    """申请延期: the community's staff group hears there is a request waiting for its answer."""
    targets = robot.groups_for_area(Area.get_by_id(issue.alley_id), audience="staff")[:1]
    if not targets:
        return False
    text = (
        f"【延期申请】{unit.name} 申请 {title(issue)} 延期 {days} 天\n原因：{reason}\n"
        f"现办理期限 {month_day_time(issue.deadline)}，请社区在工作台审批。"
    )
    robot.push_text(targets[0], text, f"robot:unit:{issue.id}:extension:{event.id}", fetch=False)
    return True


def extension_decided(
    issue: Issue, unit: Department, event: Event, approved: bool, days: int, who: str, note: str
) -> bool:
    """The community's answer reaches the unit that asked, with the deadline it now has."""
    due = month_day_time(issue.deadline)
    if approved:
        answer = f"{who} 同意延期 {days} 天，办理期限改为 {due}。"
    else:
        answer = f"{who} 未同意延期，办理期限仍为 {due}。"
    text = f"【延期审批】{title(issue)}\n{answer}" + (f"\n说明：{note}" if note else "")
    return unit_text(unit, text, f"robot:unit:{issue.id}:extension_decide:{event.id}")


def street_group(issue: Issue) -> tuple[ChatGroup | None, Area | None]:
    """Where the street leader hears about the item: a staff group on the street itself when
    there is one, else the item's community's staff group; and the street."""
    alley = Area.get_by_id(issue.alley_id)
    streets = Area.select().where(Area.id.in_(alley.ancestor_ids()) & (Area.kind == "street"))
    street = streets.first()
    found = robot.groups_for_area(street or alley, "staff")
    own = [g for g in found if street is not None and g.area_id == street.id]
    return (own or robot.groups_for_area(alley, "staff") or [None])[0], street


def street_admin_phones(street: Area | None) -> list[str]:
    """The street administrators' phones, @-mentioned so the leader sees it in a shared group."""
    if street is None:
        return []
    rows = StaffAccount.select(StaffAccount.phone).where(
        (StaffAccount.area == street.id)
        & (StaffAccount.role == "admin")
        & StaffAccount.active
        & StaffAccount.phone.is_null(False)
    )
    return [r.phone for r in rows]


def street_text(issue: Issue, text: str, key: str) -> bool:
    """A text for the street leader (`street_group`); False when there is no staff group."""
    group, street = street_group(issue)
    if group is None:
        return False
    robot.push_text(group, text, key, street_admin_phones(street), fetch=False)
    return True


def supervised(issue: Issue, unit: Department, event: Event, who: str, note: str) -> bool:
    """督办: staff escalate a unit's item to the street leader, naming who asked."""
    due = month_day_time(issue.deadline)
    state = "已报到" if issue.checked_in_at else "未报到"
    text = (
        f"【督办】{title(issue)}\n承办单位：{unit.name}（{state}），办理期限 {due}\n"
        f"{who} 提请街道督办" + (f"：{note}" if note else "")
    )
    return street_text(issue, text, f"robot:unit:{issue.id}:supervise:{event.id}")
