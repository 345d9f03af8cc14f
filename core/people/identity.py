"""Which users and steward records are one person: the test behind every "not on yourself" rule.

A staff member may act through several identities: the console login (`StaffAccount.user`),
the WeChat user bound to the same staff account (a `RoleGrant` with `staff`), and — when they
also serve as a steward — a steward record whose passbook and service records are kept apart
from their user's. Separation of duties (nobody adjusts their own passbook, approves their own
adjustment, certifies their own service hours, grades or confirms themselves) must see through
all of them, or a staff member could credit from the console what their WeChat identity holds.

Grants count whether or not they were revoked since: a person who once held an identity is
still that person when it comes to crediting themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.people.permissions import Principal, subtree_pattern
from infra.db import Param, Prepared, PreparedFamily
from models import RoleGrant, StaffAccount, Steward

MAX_ROUNDS = 4  # console user ↔ staff account ↔ bound WeChat users: two rounds reach them all


@dataclass(frozen=True)
class Person:
    user_ids: frozenset[int]
    steward_ids: frozenset[int]

    def holds(self, *, user_id: int | None = None, steward_id: int | None = None) -> bool:
        """Whether a passbook or record held by this user or steward record is this person's."""
        return (user_id is not None and user_id in self.user_ids) or (
            steward_id is not None and steward_id in self.steward_ids
        )

    def is_user(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.user_ids


def person_of(p: Principal) -> Person:
    """Every user id and steward record id that belongs to the person behind `p`."""
    users = {p.user.id} if p.user is not None else set()
    accounts = {a.id for a in p.staff_accounts}
    for _ in range(MAX_ROUNDS):
        if users:
            accounts |= _column(StaffAccount.id, StaffAccount.user, users)
        found = set(users)
        if accounts:
            found |= _column(StaffAccount.user, StaffAccount.id, accounts)
            found |= _column(RoleGrant.user, RoleGrant.staff, accounts)
        if found == users:
            break
        users = found
    stewards = {s.id for s in p.stewards}
    if users:
        stewards |= _column(Steward.id, Steward.user, users)
        stewards |= _column(RoleGrant.steward, RoleGrant.user, users)
    return Person(frozenset(users), frozenset(stewards))


def staff_persons(account_ids: list[int]) -> dict[int, Person]:
    """The person behind each staff account (its console user, the users bound to it, their
    steward records), in a fixed handful of queries whatever the number of accounts."""
    if not account_ids:
        return {}
    users: dict[int, set[int]] = {a: set() for a in account_ids}
    rows = StaffAccount.select(StaffAccount.id, StaffAccount.user).where(
        StaffAccount.id.in_(account_ids) & StaffAccount.user.is_null(False)
    )
    for account_id, user_id in rows.tuples():
        users[account_id].add(user_id)
    grants = RoleGrant.select(RoleGrant.staff, RoleGrant.user).where(
        RoleGrant.staff.in_(account_ids)
    )
    for account_id, user_id in grants.tuples():
        users[account_id].add(user_id)
    everyone = sorted(set().union(*users.values()))
    stewards_of: dict[int, set[int]] = {}
    if everyone:
        by_record = Steward.select(Steward.user, Steward.id).where(Steward.user.in_(everyone))
        by_grant = RoleGrant.select(RoleGrant.user, RoleGrant.steward).where(
            RoleGrant.user.in_(everyone) & RoleGrant.steward.is_null(False)
        )
        for user_id, steward_id in [*by_record.tuples(), *by_grant.tuples()]:
            stewards_of.setdefault(user_id, set()).add(steward_id)
    return {
        account_id: Person(
            frozenset(ids),
            frozenset(s for uid in ids for s in stewards_of.get(uid, ())),
        )
        for account_id, ids in users.items()
    }


# `person_of` is asked on every 首页 (twice: the time bank's and the service records' waiting
# counts) and before every separation-of-duties check: its lookups are compiled once
# (`infra.db.Prepared`) per pair of columns and length of the id list.
_COLUMNS: dict[tuple[str, str], Prepared] = {}


def _column(column, where, ids) -> set[int]:
    """The non-null values of `column` in the rows whose `where` is one of `ids` (not empty)."""
    key = (column.model.__name__, column.name, where.name)
    prepared = _COLUMNS.get(key)
    if prepared is None:

        def build():
            return (
                column.model.select(column)
                .where(where.in_(Param("ids", many=True)) & column.is_null(False))
                .tuples()
            )

        prepared = _COLUMNS.setdefault(key, Prepared(build, many=("ids",)))
    return {value for (value,) in prepared.rows(ids=sorted(ids))}


# --- what waits for a second person (the 首页's counts) ---------------------------------------


def awaiting_family(build) -> PreparedFamily:
    """The compiled forms of a count of what waits for a second person (the 首页's adjustments
    to approve, service records to certify): one per number of the viewer's roots, whether the
    person has user ids and steward records, and what is read. `build(roots, users, stewards,
    take)` returns the query with `Param`s `scope_root…`, `within`, `users`, `stewards`."""
    return PreparedFamily(
        build,
        many=lambda roots, users, stewards, take: (
            *(("users",) if users else ()),
            *(("stewards",) if stewards else ()),
        ),
    )


def awaiting_within(family: PreparedFamily, p: Principal, area, person: Person) -> tuple:
    """How many rows of `family` (`awaiting_family`) within `area` wait for `p`, not being
    `person`'s own, and the first of them or None."""
    values = {**p.scope_values(), "within": subtree_pattern(area)}
    values["users"], values["stewards"] = sorted(person.user_ids), sorted(person.steward_ids)
    key = (len(p.area_roots), bool(person.user_ids), bool(person.steward_ids))
    count = family.get(*key, "count").scalar(**values)
    return count, family.get(*key, 1).first(**values) if count else None
