"""Find anyone (找人找事): the console's one search box, and the name/phone autocomplete
wherever staff pick a person.

One query string is read every way it could be meant — an item number (S…/W…), a 12345
ticket number, a person's name or phone among stewards, volunteers, handling units' members
and residents known by the phone they reported with, an alley, a household's address — and
the hits come back grouped by kind. Every part is scoped exactly as the pages it links to:
a community's staff never see another community's people, a street admin sees their street.

Speed at district scale (1,000,000 issues): the big tables are only ever read by an indexed
equality (`issue.number`, `wish.number`, `issue.contact_phone`, `wish.contact_phone`,
`issue_intake (street, ticket_no)`); substring matches run on the small tables (stewards,
volunteers, unit members, areas) and on households inside the viewer's scope.

Households are private (`core.households.access`): a search that shows any writes one audit
line naming the viewer, the words searched and the households shown.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from core import audit
from core.households import access as household_access
from core.people import phones
from core.people.permissions import Principal
from infra import text as textutil
from models import (
    Area,
    Department,
    Household,
    Issue,
    StaffAccount,
    Steward,
    StewardAlley,
    Volunteer,
    Wish,
)
from models.intake import IssueIntake
from models.units import UnitMember

QUERY_MAX = 50  # longer input is no name, number or address anyone types into a search box
PER_KIND = 10  # hits shown per kind on the results page
SUGGEST_MAX = 8  # the autocomplete list under a person field
RESIDENT_ROWS = 500  # a resident's items read to pick their latest (a busy caller has dozens)

# The kinds, in the order the results page shows them, with their headings.
KIND_LABELS = {
    "issue": "诉求",
    "wish": "微心愿",
    "ticket": "12345 工单",
    "steward": "管家",
    "volunteer": "志愿者",
    "unit_member": "承办单位人员",
    "resident": "居民（按电话）",
    "alley": "街巷",
    "household": "包联户",
}

_ITEM_NUMBER = re.compile(r"[SW]\d{6,12}")
_DIGITS = re.compile(r"\d+")


@dataclass
class Hit:
    """One result: what it is (`kind`, `id`), its title and a line of detail. The web layer
    turns (`kind`, `id`) into a link (a unit member's `id` is their unit's: the unit's page
    lists its members); `items` lists a resident's items as (kind, id, number)."""

    kind: str
    id: int
    title: str
    detail: str = ""
    items: list[tuple[str, int, str]] = field(default_factory=list)
    area_id: int | None = None  # a volunteer's community (their directory is per community)


@dataclass
class Results:
    query: str
    groups: dict[str, list[Hit]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.groups.values())


def clean_query(raw: str | None) -> str:
    """What the box holds, as it is matched: NFKC (full-width digits and letters typed on a
    Chinese keyboard become ASCII), control characters dropped, spaces squeezed; at most
    QUERY_MAX characters."""
    text = unicodedata.normalize("NFKC", textutil.clean(raw or ""))
    return " ".join(text.split())[:QUERY_MAX]


def _phone_digits(query: str) -> str | None:
    """The digits of a query that is a phone number or part of one (at least 4 digits, with
    spaces or dashes as people type them), else None."""
    squeezed = re.sub(r"[\s\-]", "", query)
    if squeezed.startswith("+86"):
        squeezed = squeezed[3:]
    return squeezed if squeezed.isdigit() and len(squeezed) >= 4 else None


def _name_words(query: str) -> str:
    """A name as matched: Chinese names are stored without inner spaces ("周  强" → "周强")."""
    return query.replace(" ", "") if re.search(r"[\u4e00-\u9fff]", query) else query


# --- scope --------------------------------------------------------------------------------


def _under_scope(p: Principal, area_model=Area):
    """A condition on `area_model` (an Area or an alias) to the viewer's managed subtrees."""
    parts = [area_model.path.startswith(root.path) for root in p.area_roots]
    return reduce(or_, parts) if parts else (area_model.id < 0)


def _street_ids(p: Principal) -> list[int]:
    """The streets the viewer's scope lies in (12345 ticket numbers are unique per street)."""
    ids = set()
    for root in p.area_roots:
        for area in root.ancestors():
            if area.kind == "street":
                ids.add(area.id)
    return sorted(ids)


# --- each kind ----------------------------------------------------------------------------


def _items(p: Principal, query: str) -> tuple[list[Hit], list[Hit]]:
    number = query.replace(" ", "").upper()
    if not _ITEM_NUMBER.fullmatch(number):
        return [], []
    issues, wishes = [], []
    if number.startswith("S"):
        for issue in (
            Issue.select(Issue, Area)
            .join(Area, on=(Issue.alley == Area.id))
            .where((Issue.number == number) & _under_scope(p))
        ):
            issues.append(Hit("issue", issue.id, issue.number, _issue_line(issue, issue.alley)))
    else:
        for wish in (
            Wish.select(Wish, Area)
            .join(Area, on=(Wish.alley == Area.id))
            .where((Wish.number == number) & _under_scope(p))
        ):
            issues_line = f"{wish.alley.name} · {wish.title}"
            wishes.append(Hit("wish", wish.id, wish.number, issues_line))
    return issues, wishes


def _issue_line(issue: Issue, alley: Area) -> str:
    return f"{alley.name} · {issue.category} · {textutil.shorten(issue.content, 30)}"


def _tickets(p: Principal, query: str) -> list[Hit]:
    ticket = query.replace(" ", "").upper()
    streets = _street_ids(p)
    if not ticket or len(ticket) > 32 or not streets:
        return []
    rows = (
        IssueIntake.select(IssueIntake, Issue, Area)
        .join(Issue, on=(IssueIntake.issue == Issue.id))
        .join(Area, on=(Issue.alley == Area.id))
        .where(
            IssueIntake.street.in_(streets) & (IssueIntake.ticket_no == ticket) & _under_scope(p)
        )
        .limit(PER_KIND)
    )
    return [
        Hit(
            "ticket",
            r.issue.id,
            f"12345 工单 {r.ticket_no}",
            f"{r.issue.number} · " + _issue_line(r.issue, r.issue.alley),
        )
        for r in rows
    ]


def _stewards(p: Principal, query: str, limit: int) -> list[Hit]:
    digits = _phone_digits(query)
    match = Steward.phone.contains(digits) if digits else Steward.name.contains(_name_words(query))
    in_scope = (
        StewardAlley.select(StewardAlley.steward)
        .join(Area, on=(StewardAlley.alley == Area.id))
        .where(_under_scope(p))
    )
    found = list(
        Steward.select()
        .where(match & Steward.id.in_(in_scope))
        .order_by(Steward.active.desc(), Steward.name, Steward.id)
        .limit(limit)
    )
    alleys: dict[int, list[str]] = {}
    if found:
        for link in (
            StewardAlley.select(StewardAlley.steward, Area.name)
            .join(Area, on=(StewardAlley.alley == Area.id))
            .where(StewardAlley.steward.in_([s.id for s in found]))
            .order_by(Area.path)
            .tuples()
        ):
            alleys.setdefault(link[0], []).append(link[1])
    return [
        Hit(
            "steward",
            s.id,
            s.name,
            " · ".join(
                part
                for part in (
                    phones.display(s.phone),
                    "、".join(alleys.get(s.id, [])),
                    "" if s.active else "已离任",
                )
                if part
            ),
        )
        for s in found
    ]


def _volunteers(p: Principal, query: str, limit: int) -> list[Hit]:
    digits = _phone_digits(query)
    match = (
        Volunteer.phone.contains(digits) if digits else Volunteer.name.contains(_name_words(query))
    )
    rows = (
        Volunteer.select(Volunteer, Area)
        .join(Area, on=(Volunteer.community == Area.id))
        .where(match & _under_scope(p))
        .order_by(Volunteer.active.desc(), Volunteer.name, Volunteer.id)
        .limit(limit)
    )
    return [
        Hit(
            "volunteer",
            v.id,
            v.name,
            " · ".join(
                x
                for x in (
                    phones.display(v.phone),
                    v.community.name,
                    "在职党员" if v.party_member else "",
                    "" if v.active else "已停用",
                )
                if x
            ),
            area_id=v.community_id,
        )
        for v in rows
    ]


def _unit_members(p: Principal, query: str, limit: int) -> list[Hit]:
    """Members of the units the viewer works with: their street's and their communities'
    (as `core.people.departments.visible_query`)."""
    digits = _phone_digits(query)
    ancestor_ids = sorted({i for root in p.area_roots for i in root.ancestor_ids()})
    unit_scope = Department.area.in_(ancestor_ids) if ancestor_ids else (Department.id < 0)
    unit_scope = unit_scope | Department.area.in_(Area.select(Area.id).where(_under_scope(p)))
    match = (
        StaffAccount.phone.contains(digits)
        if digits
        else StaffAccount.display_name.contains(_name_words(query))
    )
    rows = (
        UnitMember.select(UnitMember, StaffAccount, Department)
        .join(StaffAccount, on=(UnitMember.account == StaffAccount.id))
        .switch(UnitMember)
        .join(Department, on=(UnitMember.unit == Department.id))
        .where(match & unit_scope)
        .order_by(StaffAccount.display_name, UnitMember.id)
        .limit(limit)
    )
    return [
        Hit(
            "unit_member",
            m.unit.id,
            m.account.display_name or m.account.username,
            " · ".join(
                x
                for x in (
                    m.unit.name,
                    phones.display(m.account.phone),
                    "" if m.account.active else "已停用",
                )
                if x
            ),
        )
        for m in rows
    ]


def _residents(p: Principal, query: str) -> list[Hit]:
    """Residents known by a whole phone number: the items they reported with it (the phone
    column is indexed; a part of a resident's phone finds nobody, on purpose)."""
    try:
        phone = phones.contact(query)
    except ValueError:
        return []
    if phone is None:
        return []
    # Read by the phone's index alone, then kept to the viewer's alleys: joined to the area in
    # SQL, a planner may walk the community's alleys (thousands of rows) instead, judging the
    # phone index poor because most items have no phone (NULL). A phone's own rows are few.
    issues = _in_scope(
        p,
        Issue.select(Issue.id, Issue.number, Issue.created_at, Issue.alley)
        .where(Issue.contact_phone == phone)
        .limit(RESIDENT_ROWS),
    )
    wishes = _in_scope(
        p,
        Wish.select(Wish.id, Wish.number, Wish.created_at, Wish.alley)
        .where(Wish.contact_phone == phone)
        .limit(RESIDENT_ROWS),
    )
    if not issues and not wishes:
        return []
    name = None
    if issues:
        name = (
            IssueIntake.select(IssueIntake.contact_name)
            .where(
                IssueIntake.issue.in_([i.id for i in issues])
                & IssueIntake.contact_name.is_null(False)
            )
            .scalar()
        )
    parts = [f"{len(issues)} 件诉求" if issues else "", f"{len(wishes)} 个微心愿" if wishes else ""]
    return [
        Hit(
            "resident",
            0,
            f"{name or '居民'} {phones.display(phone)}",
            "、".join(x for x in parts if x)
            + ("（最近 10 件）" if len(issues) == PER_KIND else ""),
            items=[("issue", i.id, i.number) for i in issues]
            + [("wish", w.id, w.number) for w in wishes],
        )
    ]


def _in_scope(p: Principal, rows) -> list:
    """Those of `rows` (with `alley_id` and `created_at`) in alleys the viewer manages, newest
    first, at most PER_KIND."""
    rows = list(rows)
    alley_ids = sorted({r.alley_id for r in rows})
    if not alley_ids:
        return []
    seen = {a.id for a in Area.select(Area.id).where(Area.id.in_(alley_ids) & _under_scope(p))}
    kept = [r for r in rows if r.alley_id in seen]
    return sorted(kept, key=lambda r: (r.created_at, r.id), reverse=True)[:PER_KIND]


def _alleys(p: Principal, query: str) -> list[Hit]:
    words = _name_words(query)
    rows = list(
        Area.select()
        .where((Area.kind == "alley") & Area.name.contains(words) & _under_scope(p))
        .order_by(Area.path)
        .limit(PER_KIND)
    )
    out = []
    for alley in rows:
        chain = [a.name for a in alley.ancestors()[:-1] if a.kind in ("community", "grid")]
        out.append(Hit("alley", alley.id, alley.name, " · ".join(chain)))
    return out


def _households(p: Principal, query: str) -> list[Hit]:
    if not p.is_staff:
        return []
    rows = list(
        household_access.scoped(p)
        .where(Household.active & Household.address.contains(query))
        .order_by(Household.address, Household.id)
        .limit(PER_KIND)
    )
    if rows:
        # Private: who looked for which households is written down (the card is not opened).
        audit.record(
            "households.search",
            "household",
            None,
            actor=p.user,
            data={"query": query, "household_ids": [h.id for h in rows]},
        )
    return [Hit("household", h.id, h.address, h.alley.name) for h in rows]


# --- entry points ---------------------------------------------------------------------------


def find(p: Principal, raw: str | None) -> Results:
    """Everything the query names, grouped by kind (empty groups left out); nothing for a
    query of under two characters (one character matches half the district) unless it is a
    digit string long enough to be a phone or a number."""
    query = clean_query(raw)
    results = Results(query=query)
    if not p.is_staff or len(query.replace(" ", "")) < 2:
        return results
    issues, wishes = _items(p, query)
    groups = {
        "issue": issues,
        "wish": wishes,
        "ticket": _tickets(p, query),
        "steward": _stewards(p, query, PER_KIND),
        "volunteer": _volunteers(p, query, PER_KIND),
        "unit_member": _unit_members(p, query, PER_KIND),
        "resident": _residents(p, query),
        "alley": [] if _phone_digits(query) else _alleys(p, query),
        "household": [] if _phone_digits(query) else _households(p, query),
    }
    results.groups = {k: v for k, v in groups.items() if v}
    return results


def people(p: Principal, raw: str | None, kinds=("steward", "volunteer")) -> list[Hit]:
    """The autocomplete under a person field: stewards and volunteers whose name or phone
    contains the query, in the viewer's scope, at most SUGGEST_MAX."""
    query = clean_query(raw)
    if not p.is_staff or not query or (len(query) < 2 and query.isascii()):
        return []
    out: list[Hit] = []
    if "steward" in kinds:
        out += _stewards(p, query, SUGGEST_MAX)
    if "volunteer" in kinds:
        out += _volunteers(p, query, SUGGEST_MAX)
    return out[:SUGGEST_MAX]
