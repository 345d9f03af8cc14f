"""Recording a visit (走访) to a household: by its steward or by staff, with a note and the
visitor's own photos; and the visits a patrol names (`core.items.patrols.check_in` calls
`for_patrol` inside its transaction). A visit moves the household's next due visit."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core import audit
from core.households import access, due
from core.items import lifecycle
from core.people.permissions import Principal
from infra import text
from infra.db import write_transaction
from infra.errors import bad_request, forbidden
from infra.timeutil import local_midnight_utc, to_local, utcnow
from models import VISIT_KINDS, Household, Patrol, Visit

MAX_PATROL_HOUSEHOLDS = 30
NOTE_MAX = 500


def _note(note: str | None) -> str:
    note = text.normalise(note or "")
    if len(note) > NOTE_MAX:
        raise bad_request(f"走访记录：最多 {NOTE_MAX} 个字", {"note": f"最多 {NOTE_MAX} 个字"})
    return note


def time_of_day_visited(day: date | None) -> datetime | None:
    """The time a visit recorded by its date is kept at: now for today (None: now too), noon
    of an earlier day (the form asks for the day only). A later day is refused."""
    if day is None:
        return None
    today = to_local(utcnow()).date()
    if day > today:
        raise bad_request("走访日期：不能晚于今天", {"visited_on": "不能晚于今天"})
    if day == today:
        return None
    return local_midnight_utc(day) + timedelta(hours=12)


def _visitor_label(p: Principal, household: Household) -> str:
    mine = [s for s in p.stewards if s.id == household.steward_id]
    if mine:
        return f"管家 {mine[0].name}"
    if p.staff_accounts:
        return f"社区 {p.staff_accounts[0].display_name or p.staff_accounts[0].username}"
    return audit.actor_label(p.user)


def _write(
    p: Principal, household: Household, note, photo_ids, at, patrol=None, kind: str = "home"
) -> Visit:
    steward_id = household.steward_id if household.steward_id in access.steward_ids(p) else None
    visit = Visit.create(
        household=household,
        steward=steward_id,
        user=p.user,
        visitor_label=_visitor_label(p, household),
        visited_at=at,
        kind=kind,
        note=note,
        photo_ids=photo_ids,
        patrol=patrol,
        created_at=utcnow(),
    )
    if household.last_visit_at is None or at > household.last_visit_at:
        household.last_visit_at = at
    due.refresh(household)
    audit.record(
        "household.visit",
        "household",
        household.id,
        actor=p.user,
        area=household.alley_id,
        data={"visit_id": visit.id, "patrol_id": patrol.id if patrol else None, "kind": kind},
    )
    return visit


def write(p: Principal, household: Household, note: str, photo_ids: list[int], at) -> Visit:
    """A visit inside the caller's write transaction, `household` read in it (a care alert's
    answer, `core.households.care_alerts`, records its visit with the answer)."""
    return _write(p, household, note, photo_ids, at)


def record(
    p: Principal,
    household_id: int,
    note: str | None = "",
    photo_ids: list[int] | None = None,
    visited_at: datetime | None = None,
    kind: str = "home",
) -> Visit:
    """A visit, now (or at `visited_at`, not in the future): its steward, or staff; `kind`
    one of `VISIT_KINDS` (入户 / 电话 / 微信)."""
    household = access.load(p, household_id)
    if kind not in VISIT_KINDS:
        raise bad_request("走访方式：请选择入户、电话或微信", {"kind": "请选择入户、电话或微信"})
    note = _note(note)
    photo_ids = lifecycle.check_photos(p, photo_ids, "photo_ids")
    now = utcnow()
    at = visited_at or now
    if at > now:
        raise bad_request("走访时间：不能晚于现在", {"visited_at": "不能晚于现在"})
    with write_transaction():
        household = Household.get_by_id(household.id)
        return _write(p, household, note, photo_ids, at, kind=kind)


def check_patrol_households(p: Principal, household_ids: list[int] | None) -> list[int]:
    """The ids a patrol may name: each one a household the patrolling steward keeps."""
    ids = list(dict.fromkeys(household_ids or []))
    if not ids:
        return []
    if len(ids) > MAX_PATROL_HOUSEHOLDS:
        raise bad_request(f"走访户：最多 {MAX_PATROL_HOUSEHOLDS} 户", {"household_ids": "太多了"})
    mine = {
        h.id
        for h in Household.select(Household.id).where(
            Household.id.in_(ids) & Household.steward.in_(access.steward_ids(p)) & Household.active
        )
    }
    if any(i not in mine for i in ids):
        raise forbidden("巡查只能登记走访自己包联的住户", code="not_your_household")
    return ids


def for_patrol(p: Principal, patrol: Patrol, household_ids: list[int] | None) -> list[Visit]:
    """One visit per named household, inside the patrol's transaction: a household the
    steward does not keep refuses the whole patrol (403), so nothing half-recorded stays."""
    ids = check_patrol_households(p, household_ids)
    if not ids:
        return []
    visits = []
    for household in Household.select().where(Household.id.in_(ids)).order_by(Household.id):
        visits.append(
            _write(
                p, household, patrol.note, list(patrol.photo_ids or []), patrol.created_at, patrol
            )
        )
    return visits
