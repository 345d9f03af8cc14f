"""Reminders for handling units (core.units), run with the deadline scan (`reminders.scan`).

Two conditions, each in two steps, each step once (a run key per item, step and whistle or
deadline, claimed in the transaction that queues the message — a rerun or a restarted
scheduler sends nothing twice; a new whistle or a moved deadline is a new reminder):

- not 报到 within `UNIT_CHECKIN_HOURS` of the whistle → the unit's group (@ its members);
  still not after twice that → the street leader is told (a staff group on the street, else
  the community's staff group @-mentioning the street's admins);
- past its deadline → the unit's group; still open `UNIT_CHECKIN_HOURS` later → the street.

The selections are `core.items.queues.unit_not_checked_in` and `unit_past_deadline`. A unit
without a group of its own, or a street without a staff group, is skipped without claiming
the key, so the reminder goes out once one is registered.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from core import runs
from core.delivery import robot
from core.items import queues
from core.units import notify as unit_notify
from core.units import units
from infra.db import write_transaction
from infra.timeutil import month_day_time
from models import Area, Department, Issue, StaffAccount


def _street_group(issue: Issue):
    """Where the street leader hears it: a staff group on the street itself when there is
    one, else the item's community's staff group (with the street's admins @-mentioned)."""
    alley = Area.get_by_id(issue.alley_id)
    streets = Area.select().where(Area.id.in_(alley.ancestor_ids()) & (Area.kind == "street"))
    street = streets.first()
    found = robot.groups_for_area(street or alley, "staff")
    own = [g for g in found if street is not None and g.area_id == street.id]
    return (own or robot.groups_for_area(alley, "staff") or [None])[0], street


def _admin_phones(street: Area | None) -> list[str]:
    if street is None:
        return []
    rows = StaffAccount.select(StaffAccount.phone).where(
        (StaffAccount.area == street.id)
        & (StaffAccount.role == "admin")
        & StaffAccount.active
        & StaffAccount.phone.is_null(False)
    )
    return [r.phone for r in rows]


def _send(key: str, push) -> bool:
    """Claim `key` and queue the message in one transaction; False when already claimed or
    there is nowhere to send it (then the key stays free)."""
    with write_transaction():
        if runs.done(key):
            return False
        if not push(key, dry=True):
            return False
        if not runs.claim(key):
            return False
        push(key, dry=False)
    return True


def _unit_step(issue: Issue, unit: Department, text: str):
    def push(key: str, dry: bool) -> bool:
        if dry:
            return units.group_of(unit) is not None
        return unit_notify.unit_text(unit, text, f"robot:{key}")

    return push


def _street_step(issue: Issue, text: str):
    def push(key: str, dry: bool) -> bool:
        group, street = _street_group(issue)
        if group is None or dry:
            return group is not None
        robot.push_text(group, text, f"robot:{key}", _admin_phones(street), fetch=False)
        return True

    return push


def remind_units(now: datetime) -> dict[str, int]:
    hours = timedelta(hours=int(current_app.config["UNIT_CHECKIN_HOURS"]))
    counts = {"unit_checkin": 0, "unit_checkin_street": 0, "unit_overdue": 0,
              "unit_overdue_street": 0}  # fmt: skip
    for issue in list(queues.unit_not_checked_in(now - hours)):
        unit = Department.get_by_id(issue.department_id)
        stamp = issue.whistled_at.isoformat()
        title = unit_notify.title(issue)
        waited = int(hours.total_seconds() // 3600)
        text = f"【请报到】{title}\n吹哨已超过 {waited} 小时未报到，请回复“报到 {issue.id}”"
        if _send(f"unit:checkin:{issue.id}:{stamp}", _unit_step(issue, unit, text)):
            counts["unit_checkin"] += 1
        if issue.whistled_at <= now - 2 * hours:
            street = f"【督办】{unit.name} 未报到：{title}，请街道督促"
            if _send(f"unit:checkin:street:{issue.id}:{stamp}", _street_step(issue, street)):
                counts["unit_checkin_street"] += 1
    for issue in list(queues.unit_past_deadline(now)):
        unit = Department.get_by_id(issue.department_id)
        stamp = issue.deadline.isoformat()
        title = unit_notify.title(issue)
        due = month_day_time(issue.deadline)
        text = f"【已超期】{title}\n办理期限 {due} 已过，请尽快办结或申请延期"
        if _send(f"unit:overdue:{issue.id}:{stamp}", _unit_step(issue, unit, text)):
            counts["unit_overdue"] += 1
        if issue.deadline <= now - hours:
            street = f"【督办】{unit.name} 超期未办结：{title}（期限 {due}），请街道督办"
            if _send(f"unit:overdue:street:{issue.id}:{stamp}", _street_step(issue, street)):
                counts["unit_overdue_street"] += 1
    return counts
