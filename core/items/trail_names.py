"""Who did it, as an item's trail names them: by role for residents, by name for insiders.

An event stores the label its actor had when it was written (`core.audit.actor_label`): a
WeChat nickname or a console login such as "qinghe", which is an account name, not a person's
name, and none of a resident's business. The trail is rendered from the actor's identity now:

- a resident (the reporter, a follower, the public tracking page) reads roles and units:
  社区工作人员, 街道管理员, the unit's name (住建办), 小巷管家, 居民 — never an account name;
- staff and the item's stewards read the person: the staff account's display name, the unit
  member as 住建办 罗工, the steward's roster name — the stored label only when there is none.

A staff member acts through their console login (`StaffAccount.user`) or a WeChat user bound
to the account (a `RoleGrant` with `staff`), so both lead to the account. Revoked grants count:
the trail names who the person was when they acted, and a dismissed colleague is still staff.
"""

from __future__ import annotations

from core.people.auth import ROLE_LABELS
from models import Department, RoleGrant, StaffAccount, Steward
from models.units import UnitMember

STEWARD_WORD = "小巷管家"
RESIDENT_WORD = "居民"
UNIT_WORD = "责任单位"
STAFF_WORD = ROLE_LABELS["staff"]
# Labels written without a user that say nothing about a person: a resident may read them.
# Any other user-less label (命令行, 演示数据, a deleted user's name) reads as staff.
PUBLIC_LABELS = {"系统", "反映人", "提交人", RESIDENT_WORD}


def _unit_person(unit: str, person: str, stored: str) -> str:
    """住建办 罗工; a display name that already says the unit (住建办罗工) as it is."""
    if not person:
        return stored or unit
    return person if person.startswith(unit) else f"{unit} {person}"


def names_for(user_ids: set[int]) -> dict[int, tuple[str, str | None]]:
    """For each user id: (public word, the person's name or None to keep the stored label).

    A fixed handful of queries whatever the number of actors."""
    ids = sorted(user_ids)
    if not ids:
        return {}
    accounts: dict[int, StaffAccount] = {}
    for account in StaffAccount.select().where(StaffAccount.user.in_(ids)):
        accounts[account.user_id] = account
    bound = (
        RoleGrant.select(RoleGrant.user, StaffAccount)
        .join(StaffAccount, on=(RoleGrant.staff == StaffAccount.id))
        .where(RoleGrant.user.in_(ids))
        .order_by(RoleGrant.id)
    )
    for grant in bound:
        accounts.setdefault(grant.user_id, grant.staff)
    units: dict[int, str] = {}
    unit_accounts = sorted({a.id for a in accounts.values() if a.role == "unit"})
    if unit_accounts:
        rows = (
            UnitMember.select(UnitMember.account, Department.name)
            .join(Department, on=(UnitMember.unit == Department.id))
            .where(UnitMember.account.in_(unit_accounts))
            .tuples()
        )
        units = dict(rows)
    stewards: dict[int, str] = {}
    for user_id, name in (
        Steward.select(Steward.user, Steward.name).where(Steward.user.in_(ids)).tuples()
    ):
        stewards.setdefault(user_id, name)
    granted = (
        RoleGrant.select(RoleGrant.user, Steward.name)
        .join(Steward, on=(RoleGrant.steward == Steward.id))
        .where(RoleGrant.user.in_(ids))
        .order_by(RoleGrant.id)
        .tuples()
    )
    for user_id, name in granted:
        stewards.setdefault(user_id, name)
    out: dict[int, tuple[str, str | None]] = {}
    for user_id in ids:
        account = accounts.get(user_id)
        if account is not None and account.role == "unit":
            unit = units.get(account.id)
            word = unit or UNIT_WORD
            out[user_id] = (word, _unit_person(unit, account.display_name, "") if unit else None)
        elif account is not None:
            out[user_id] = (ROLE_LABELS.get(account.role, STAFF_WORD), account.display_name or None)
        elif user_id in stewards:
            out[user_id] = (STEWARD_WORD, stewards[user_id])
        else:
            out[user_id] = (RESIDENT_WORD, None)
    return out


def actor_name(
    actor_id: int | None,
    stored: str,
    known: dict[int, tuple[str, str | None]],
    insider: bool,
) -> str:
    """The trail's name for one event's actor (the reporter is named by the caller)."""
    if actor_id is None:
        if insider or stored in PUBLIC_LABELS:
            return stored
        return STAFF_WORD
    public, person = known.get(actor_id, (RESIDENT_WORD, None))
    if not insider:
        return public
    return person or stored or public


def person_name(actor_id: int | None, stored: str) -> str:
    """How staff and stewards are told who acted (a group message, a private note): the
    person's name now, as the insider's trail reads it; the stored label when none is known."""
    if actor_id is None:
        return stored
    return actor_name(actor_id, stored, names_for({actor_id}), True)
