"""The street's public figures page (`/s/{code}`, 公示): this month's 三率 and counts of each
community of a street, for anyone — off until the street's admin switches it on.

What it shows is counts and rates only (`league.league`, communities): no resident's name,
phone or words, no steward, no item. Switching it on or off is audited, and raises the change
counter of every alley of the street, so each board page of the street (which links to it while
it is on) is rebuilt at once on every worker (`core.boards.changes`).
"""

from __future__ import annotations

from datetime import date

from flask import current_app

from core import audit
from core.boards import changes
from core.figures import league
from core.people.permissions import Principal
from infra import codes
from infra.db import write_transaction
from infra.errors import bad_request
from infra.timeutil import to_local, utcnow
from models import Area, StreetPage

CODE_LENGTH = 6


def street_of(area: Area) -> Area | None:
    """The street (街道/镇) an area belongs to, itself included."""
    return next((a for a in area.ancestors() if a.kind == "street"), None)


def page_of(street: Area) -> StreetPage | None:
    return StreetPage.get_or_none(StreetPage.street == street.id)


def set_public(p: Principal, street: Area, public: bool) -> StreetPage:
    """Switch the street's public page on or off (its admin only); the first switch-on gives the
    street its code."""
    if street.kind != "street":
        raise bad_request("只有街道可以公开月度数据", {"area": "请选择街道"})
    p.require_manage(street)
    with write_transaction():
        page = page_of(street)
        if page is None:
            page = StreetPage.create(street=street, code=_new_code(), public=public)
        else:
            StreetPage.update(public=public, updated_at=utcnow()).where(
                StreetPage.id == page.id
            ).execute()
            page.public = public
        alleys = Area.select(Area.id).where(
            Area.path.startswith(street.path) & (Area.kind == "alley")
        )
        changes.alley_changed(a.id for a in alleys)  # its boards link to it, or stop to
        audit.record(
            "street_page.publish" if public else "street_page.unpublish",
            "street_page",
            page.id,
            actor=p.user,
            area=street,
            data={"code": page.code},
        )
    return page


def public_url(page: StreetPage) -> str:
    """The page's address as people share it (`PUBLIC_BASE_URL`, like the boards' QR codes)."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/s/{page.code}"


def _new_code() -> str:
    while True:
        code = codes.random_code(CODE_LENGTH)
        if not StreetPage.select().where(StreetPage.code == code).exists():
            return code


def published(code: str) -> StreetPage | None:
    """The page behind `code` when it is on (None when unknown or off: both are a 404)."""
    key = codes.normalize(code or "")[:16]
    if not key:
        return None
    page = (
        StreetPage.select(StreetPage, Area)
        .join(Area, on=(StreetPage.street == Area.id))
        .where((StreetPage.code == key) & StreetPage.public & Area.active)
        .first()
    )
    return page


def link_for_alley(alley: Area) -> str | None:
    """The code of the public page of the alley's street when it is on, for its board page."""
    ids = alley.ancestor_ids()
    page = (
        StreetPage.select(StreetPage.code)
        .join(Area, on=(StreetPage.street == Area.id))
        .where(StreetPage.street.in_(ids) & StreetPage.public & (Area.kind == "street"))
        .first()
    )
    return page.code if page else None


def month_figures(street: Area, today: date | None = None) -> league.League:
    """This month so far (the 1st to today, local) per community, in tree order, unranked:
    counts and rates, which is all the public page shows."""
    day = today or to_local(utcnow()).date()
    return league.league(street, day.replace(day=1), day, sort=None, units=False)
