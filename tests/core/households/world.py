"""What the households' core tests share: a staff principal, and households made by the
street's admin in the district's alleys, each in a steward's care (`households`)."""

from __future__ import annotations

from core.households import cards
from core.people.permissions import Principal
from models import User
from tests.factories import make_staff


def staff(area, role="staff") -> Principal:
    """A new staff account of `area` (`role`: staff or admin), as a principal."""
    return Principal.for_user(User.get_by_id(make_staff(area, role=role).user_id))


def households(admin: Principal, d, places, members: bool = False) -> dict[str, int]:
    """name → household id, one household per `(name, alley, steward)` of `places`, made by
    `admin`; numbered addresses in the alley, a head with a phone, a grandson if `members`."""
    made: dict[str, int] = {}
    for name, alley, steward in places:
        body = {
            "alley_id": alley.id,
            "steward_id": steward.id,
            "address": f"{alley.name}{len(made) + 1}号",
            "head_name": f"户主{name}",
            "head_phone": f"1381111000{len(made)}",
        }
        if members:
            body["members"] = [{"name": f"{name}的孙子", "relation": "孙"}]
        made[name] = cards.create(admin, body).id
    return made
