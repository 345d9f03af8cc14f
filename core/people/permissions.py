"""Who may do what where: the `Principal` every route, bot command and job asks.

Scopes: a steward sees the alleys they answer for, staff their community's subtree, an
admin their street's subtree. Roles are read from the database on every request, so
revoking a grant or dismissing a steward takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from peewee import JOIN

from infra.db import Param, Prepared
from infra.errors import forbidden
from models import Area, Department, RoleGrant, StaffAccount, Steward, StewardAlley, User
from models.units import UnitMember

STAFF_ROLES = ("staff", "admin")
UNIT_ROLE = "unit"  # a member of a handling unit (core.units)

# A unit member's units (only live ones): read for unit members' requests only.
_UNIT_MEMBERSHIPS = Prepared(
    lambda: (
        UnitMember.select(UnitMember.unit)
        .join(Department)
        .where(UnitMember.account.in_(Param("accounts", many=True)) & Department.active)
    ),
    many=("accounts",),
)

# Read on every signed-in request: compiled once (see infra.db.Prepared).
_GRANTS = Prepared(
    lambda: (
        RoleGrant.active_for(Param("user"))
        .select(RoleGrant, Area, Steward, StaffAccount)
        .join_from(RoleGrant, Area, join_type=JOIN.LEFT_OUTER)
        .join_from(RoleGrant, Steward, join_type=JOIN.LEFT_OUTER)
        .join_from(RoleGrant, StaffAccount, join_type=JOIN.LEFT_OUTER)
    )
)


@dataclass
class Principal:
    user: User | None
    roles: set[str] = field(default_factory=set)
    area_roots: list[Area] = field(default_factory=list)  # staff/admin scopes
    stewards: list[Steward] = field(default_factory=list)
    alley_ids: set[int] = field(default_factory=set)  # steward scope
    staff_accounts: list[StaffAccount] = field(default_factory=list)
    unit_ids: set[int] = field(default_factory=set)  # handling units the user acts for

    @classmethod
    def anonymous(cls) -> Principal:
        return cls(user=None)

    @classmethod
    def for_user(cls, user: User, grants=None) -> Principal:
        """`grants`: the user's live role grants with their area, steward and staff account,
        when the caller knows them already (`auth.principal_for_token`: none)."""
        p = cls(user=user)
        unit_accounts: list[int] = []
        if user.openid:
            p.roles.add("resident")
        for grant in _GRANTS.rows(user=user.id) if grants is None else grants:
            if grant.role == "steward":
                steward = grant.steward
                if steward is None or not steward.active:
                    continue
                p.roles.add("steward")
                p.stewards.append(steward)
            elif grant.role == UNIT_ROLE:
                if grant.staff is not None and grant.staff.active:
                    unit_accounts.append(grant.staff_id)
            elif grant.role in STAFF_ROLES:
                account = grant.staff
                if account is not None and not account.active:
                    continue
                p.roles.add(grant.role)
                if grant.area is not None:
                    p.area_roots.append(grant.area)
                if account is not None:
                    p.staff_accounts.append(account)
        if p.stewards:
            links = StewardAlley.select(StewardAlley.alley).where(
                StewardAlley.steward.in_([s.id for s in p.stewards])
            )
            p.alley_ids = {link.alley_id for link in links}
        if unit_accounts:
            p.unit_ids = {m.unit_id for m in _UNIT_MEMBERSHIPS.rows(accounts=unit_accounts)}
            if p.unit_ids:
                p.roles.add(UNIT_ROLE)
        return p

    @property
    def authenticated(self) -> bool:
        return self.user is not None

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & set(STAFF_ROLES))

    def has_any(self, roles) -> bool:
        return bool(self.roles & set(roles))

    def can_manage(self, area: Area) -> bool:
        """Staff or admin whose scope covers `area`."""
        return any(root.covers(area) for root in self.area_roots)

    def can_manage_steward(self, steward: Steward) -> bool:
        """Staff or admin whose scope covers one of the steward's alleys (bind codes,
        dismissal, dispatching to them)."""
        return any(self.can_manage(alley) for alley in steward.alleys())

    def can_see(self, area: Area) -> bool:
        """Staff scope, or one of the steward's own alleys."""
        return self.can_manage(area) or area.id in self.alley_ids

    def require_manage(self, area: Area) -> None:
        if not self.can_manage(area):
            raise forbidden("该区域不在您的管辖范围内", code="out_of_scope")

    def require_see(self, area: Area) -> None:
        if not self.can_see(area):
            raise forbidden("该区域不在您的管辖范围内", code="out_of_scope")

    def area_condition(self, area_field):
        """A peewee condition on a join to `Area` limiting rows to what this principal sees.

        `area_field` is an `Area` column in the query (usually `Area.path` of the joined area
        and `Area.id`); pass the model alias whose `path` and `id` should be matched.
        """
        return scope_condition(
            area_field,
            [subtree_pattern(root) for root in self.area_roots],
            sorted(self.alley_ids) or None,
        )

    def roots_condition(self, area_field):
        """Under one of the staff member's area roots, steward alleys aside (what only staff
        see: groups, messages); nothing without a root. Its shape is `roots_key()`."""
        return scope_condition(area_field, [subtree_pattern(r) for r in self.area_roots], None)

    def roots_key(self) -> tuple[int, bool]:
        """The shape of `roots_condition`, as `compiled_scope_condition` takes it (the values
        are `scope_values()`'s)."""
        return len(self.area_roots), False

    def scope_key(self) -> tuple[int, bool]:
        """The shape of `area_condition` (how many area roots; any steward alleys): all its
        SQL depends on. Queries compiled once (`infra.db.Prepared`) are kept per shape, with
        `compiled_scope_condition` in place of the condition and `scope_values` as its values."""
        return len(self.area_roots), bool(self.alley_ids)

    def scope_values(self) -> dict:
        """The values of `compiled_scope_condition(…, self.scope_key())`'s parameters."""
        values: dict = {f"scope_root{i}": subtree_pattern(r) for i, r in enumerate(self.area_roots)}
        if self.alley_ids:
            values[SCOPE_ALLEYS] = sorted(self.alley_ids)
        return values

    def describe(self) -> dict:
        return {
            "roles": sorted(self.roles),
            "area_ids": [a.id for a in self.area_roots],
            "alley_ids": sorted(self.alley_ids),
            "steward_ids": [s.id for s in self.stewards],
            "unit_ids": sorted(self.unit_ids),
        }


def subtree_pattern(area: Area) -> str:
    """The LIKE pattern of `area`'s subtree: `Area.path ** subtree_pattern(a)` is
    `Area.path.startswith(a.path)` (a path is digits and slashes: nothing to escape)."""
    return f"{area.path}%"


def scope_condition(area_field, root_patterns: list, alley_ids):
    """`Principal.area_condition`, written once for both of its forms: under one of the root
    patterns (`subtree_pattern`s, or parameters standing for them), or one of `alley_ids` (a
    list, a parameter standing for one, or None for none); nothing at all without either."""
    parts = [area_field.path**pattern for pattern in root_patterns]
    if alley_ids is not None:
        parts.append(area_field.id.in_(alley_ids))
    if not parts:
        return area_field.id < 0  # no scope: matches nothing
    return reduce(or_, parts)


# The name of the steward alleys' list parameter of `compiled_scope_condition`: a `Prepared`
# query using it names it among its `many`.
SCOPE_ALLEYS = "scope_alleys"


def root_params(count: int) -> list[Param]:
    """Parameters standing for a principal's first `count` root patterns (`scope_values`)."""
    return [Param(f"scope_root{i}") for i in range(count)]


def compiled_scope_condition(area_field, key: tuple[int, bool]):
    """`area_condition` of any principal whose `scope_key()` is `key`, with parameters in
    place of the values (`Principal.scope_values`)."""
    roots, alleys = key
    return scope_condition(
        area_field,
        root_params(roots),
        Param(SCOPE_ALLEYS, many=True) if alleys else None,
    )
