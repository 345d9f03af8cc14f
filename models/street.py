"""The street's tables: its public figures page, and the issue indexes its league reads (with
`issues_in`, the filter that lets a community's figures read them too).

The public figures page (`/s/{code}`) is off until the street's admin switches it on. One row
per street that ever had it switched on: its code (what the address carries) stays the same
when the page is switched off and on again, so a link printed or shared keeps working.
"""

from __future__ import annotations

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField

from infra.timeutil import utcnow
from models import Area, BaseModel, Issue


class StreetPage(BaseModel):
    street = ForeignKeyField(Area, unique=True, backref="+", on_delete="CASCADE")
    code = CharField(max_length=16, unique=True)
    public = BooleanField(default=False)
    updated_at = DateTimeField(default=utcnow)


# The street's league (core.figures.league) reads every item of a period (a year: half a million
# at the benchmark's scale); each of its range scans is covered by one of these, as a row lookup
# costs SQLite more than the covered scan. Each leads with the columns of the narrower index it
# replaced (schema 27), which still serve the reports' ranges. Named: PostgreSQL cuts at 63.
for _name, _columns in (
    # reported in a period: 件数, 响应率, 按期办结率 (and the 12345 tickets, by source)
    ("reported", "community created_at status outcome source accepted_at resolved_at deadline"),
    # the residents' ratings in a period (a rating closes the item): 解决率, 满意率
    ("rated", "community closed_at rated_at rating outcome department"),
    # closed by the handler in a period and needing a 回访
    ("resolved", "community resolved_at status rating source anonymous contact_phone reopen_count"),
    # whistled to a unit in a period; a unit's items
    ("whistled", "department whistled_at status outcome checked_in_at resolved_at deadline"),
    # accepted in a period, by category and by who accepted it: the 首页's 接单 (schema 29;
    # `core.figures.period_sql`; without it a community's items were walked row by row)
    ("accepted", "community accepted_at accepted_by category"),
):
    Issue.add_index(*(getattr(Issue, c) for c in _columns.split()), name=f"issue_league_{_name}")

MODELS = [StreetPage]


def issues_in(area: Area):
    """The items of `area`'s subtree, as a filter. A community's are read by `Issue.community`
    (its alleys' community, set when the item is made; areas are not moved), so a range of the
    covering indexes above answers the query without reading an item's row; a street's by its
    communities' (through its 200 alleys' list SQLite walked the whole district), plus the
    alleys it runs itself by id (`street_run_alley_ids`); a grid's or an alley's by the alleys'
    list (SQLite walks the alleys' items with a row look-up each)."""
    if area.kind == "community":
        return Issue.community == area.id
    if area.kind == "street":
        communities = Area.select(Area.id).where(
            Area.path.startswith(area.path) & (Area.kind == "community")
        )
        own = street_run_alley_ids(area)
        if not own:  # the usual street: the plain range, as the indexes above expect
            return Issue.community.in_(communities)
        return Issue.community.in_(communities) | Issue.alley.in_(own)
    return Issue.alley.in_(Area.alley_ids_under(area))


def street_run_alley_ids(street: Area) -> list[int]:
    """The alleys the street runs itself: under it, with no community above them. Their items
    carry no community (`Issue.community` is the alley's community), so a filter by the
    street's communities alone would leave them out. Read from the street's few hundred areas."""
    rows = list(
        Area.select(Area.id, Area.kind, Area.path).where(
            Area.path.startswith(street.path) & Area.kind.in_(("community", "alley"))
        )
    )
    communities = [a.path for a in rows if a.kind == "community"]
    return [
        a.id
        for a in rows
        if a.kind == "alley" and not any(a.path.startswith(c) for c in communities)
    ]
