"""Patrol check-ins (巡查): the steward's log (管家日志). API and bot (`巡查 …`) call this."""

from __future__ import annotations

from core import audit
from core.households import visits as household_visits
from core.items import lifecycle
from core.people.permissions import Principal
from core.volunteering import records as service_records
from infra.db import write_transaction
from infra.errors import bad_request, forbidden
from models import Area, Patrol, Steward, StewardAlley


def check_in(
    p: Principal,
    alley_id: int | None = None,
    note: str = "",
    photo_ids: list[int] | None = None,
    location: dict | None = None,
    household_ids: list[int] | None = None,
) -> Patrol:
    """Record a patrol of one of the steward's own alleys (their first one by default);
    `household_ids` names households of theirs visited on the way (one visit each)."""
    if not p.stewards:
        raise forbidden("只有小巷管家可以登记巡查", code="steward_only")
    if alley_id is None:
        if not p.alley_ids:
            raise bad_request("您还没有负责的街巷", {"alley_id": "请选择街巷"})
        alley_id = min(p.alley_ids)
    if alley_id not in p.alley_ids:
        raise forbidden("只能登记自己负责街巷的巡查", code="not_your_alley")
    photo_ids = lifecycle.check_photos(p, photo_ids, "photo_ids")
    steward = (
        Steward.select()
        .join(StewardAlley)
        .where(Steward.id.in_([s.id for s in p.stewards]) & (StewardAlley.alley == alley_id))
        .first()
    )
    alley = Area.get_by_id(alley_id)
    with write_transaction():
        patrol = Patrol.create(
            steward=steward, alley=alley, note=note, photo_ids=photo_ids, location=location
        )
        audit.record(
            "patrol.check_in",
            "patrol",
            patrol.id,
            actor=p.user,
            area=alley,
            data={"note": note, "photo_ids": photo_ids},
        )
        service_records.for_patrol(patrol, actor=p.user)  # one service record per day
        household_visits.for_patrol(p, patrol, household_ids)
    return patrol
