"""Who may see and change a household, and the audit of every read.

A household is PRIVATE: its own steward reads it, and so do staff (community) and admins
(street) whose scope covers its alley. Another steward of the same alley does not: a steward
keeps their own 5–15 households (包联户), not the alley's. Outside that, a household does not
exist (404), so ids cannot be probed.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from flask import current_app

from core import audit
from core.people.permissions import Principal, subtree_pattern
from infra.config import DEFAULTS
from infra.db import Param
from infra.errors import forbidden, not_found
from models import Area, Household
from models.households import PLAN_GROUPS

# The tags people pick from when the configuration does not name its own list: the shipped
# default (one list, in infra/config.py), for a configuration that empties the setting.
DEFAULT_TAGS = tuple(DEFAULTS["HOUSEHOLD_TAGS"])


def tags() -> list[str]:
    """The configured tag list (`HOUSEHOLD_TAGS`), in its order."""
    return list(current_app.config.get("HOUSEHOLD_TAGS") or DEFAULT_TAGS)


def plan_groups() -> list[str]:
    return list(PLAN_GROUPS)


def steward_ids(p: Principal) -> list[int]:
    return [s.id for s in p.stewards]


def may_use(p: Principal) -> bool:
    """Stewards and staff work with households; nobody else has any."""
    return bool(p.stewards) or p.is_staff


def require_use(p: Principal) -> None:
    if not may_use(p):
        raise forbidden("只有小巷管家和社区工作人员可以查看包联户", code="households_forbidden")


def can_read(p: Principal, household: Household, alley: Area | None = None) -> bool:
    if household.steward_id in steward_ids(p):
        return True
    if p.is_staff:
        return p.can_manage(alley or household.alley)
    return False


def scoped(p: Principal, query=None):
    """Households `p` may read (a query joined to the household's alley as `Area`)."""
    query = query or Household.select(Household, Area).join(Area, on=(Household.alley == Area.id))
    roots = [subtree_pattern(root) for root in _roots(p)]
    return query.where(scope_condition(roots, steward_ids(p) or None))


def _roots(p: Principal) -> list[Area]:
    return p.area_roots if p.is_staff else []


def scope_condition(root_patterns: list, stewards):
    """`scoped`'s condition, written once for both of its forms: in the subtree of one of the
    root patterns (`subtree_pattern`s, or parameters standing for them), or kept by one of
    `stewards` (a list of ids, a parameter standing for one, or None); else nothing."""
    parts = [Area.path**pattern for pattern in root_patterns]
    if stewards is not None:
        parts.append(Household.steward.in_(stewards))
    if not parts:
        return Household.id < 0
    return reduce(or_, parts)


# The name of the steward ids' list parameter of `compiled_scope_condition`.
SCOPE_STEWARDS = "household_stewards"


def scope_key(p: Principal) -> tuple[int, bool]:
    """The shape of `scoped`'s condition for `p` (how many area roots; whether any steward
    records): what a compiled query's SQL depends on (`compiled_scope_condition`)."""
    return len(_roots(p)), bool(p.stewards)


def scope_values(p: Principal) -> dict:
    """The values of `compiled_scope_condition(scope_key(p))`'s parameters."""
    values: dict = {f"household_root{i}": subtree_pattern(r) for i, r in enumerate(_roots(p))}
    if p.stewards:
        values[SCOPE_STEWARDS] = steward_ids(p)
    return values


def compiled_scope_condition(key: tuple[int, bool]):
    """`scoped`'s condition for any `p` whose `scope_key` is `key`, with parameters."""
    roots, stewards = key
    return scope_condition(
        [Param(f"household_root{i}") for i in range(roots)],
        Param(SCOPE_STEWARDS, many=True) if stewards else None,
    )


def load(p: Principal, household_id: int) -> Household:
    """The household if `p` may read it; 404 otherwise (its existence is not theirs)."""
    require_use(p)
    household = Household.get_or_none(Household.id == household_id)
    if household is None or not can_read(p, household):
        raise not_found("找不到该户", code="household_not_found")
    return household


def record_read(p: Principal, household: Household, via: str) -> None:
    """Every read of a card leaves an event: who, which household, through what."""
    audit.record(
        "household.read",
        "household",
        household.id,
        actor=p.user,
        area=household.alley_id,
        data={"via": via},
    )


def record_list(p: Principal, ids: list[int], filters: dict, via: str) -> None:
    """A list shows names, addresses and phones too: the ids shown are recorded."""
    area = p.area_roots[0].id if p.area_roots else None
    audit.record(
        "household.list",
        "household",
        None,
        actor=p.user,
        area=area,
        data={"via": via, "ids": ids, "filters": {k: v for k, v in filters.items() if v}},
    )
