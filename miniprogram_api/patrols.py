"""Patrol check-ins and the steward's log (管家日志)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field

from core.items import patrols
from core.items.presenters import patrol_out
from infra.timeutil import local_midnight_utc
from miniprogram_api.context import current_principal
from miniprogram_api.issues import Location, PhotoIds
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.router import Router
from miniprogram_api.serializers import PatrolOut
from miniprogram_api.validation import Day
from models import Area, Patrol, Steward

router = Router("patrols")


class PatrolIn(BaseModel):
    alley_id: int | None = Field(default=None, description="不填则为本人负责的第一条街巷")
    note: str = Field(default="", max_length=500)
    photo_ids: PhotoIds
    location: Location | None = None
    household_ids: list[int] = Field(
        default_factory=list, max_length=30, description="巡查中走访了的包联户（本人包联的）"
    )


class PatrolQuery(PageQuery):
    steward_id: int | None = None
    alley_id: int | None = None
    date_from: Day = Field(default=None, description="YYYY-MM-DD（本地日期）")
    date_to: Day = Field(default=None, description="YYYY-MM-DD（含当天）")


class PatrolList(BaseModel):
    items: list[PatrolOut]
    total: int
    page: int
    per_page: int


def _utc(day: date) -> datetime:
    """Local midnight of `day` as the naive UTC the database holds."""
    return local_midnight_utc(day)


@router.post(
    "/patrols",
    summary="巡查打卡（管家）",
    roles=("steward",),
    body=PatrolIn,
    response=PatrolOut,
    status=201,
    errors=(403,),
)
def create_patrol(body: PatrolIn):
    p = current_principal()
    patrol = patrols.check_in(
        p,
        body.alley_id,
        body.note,
        body.photo_ids,
        body.location.model_dump() if body.location else None,
        body.household_ids,
    )
    return patrol_out(patrol, patrol.steward, patrol.alley), 201


@router.get(
    "/patrols",
    summary="巡查记录 / 管家日志",
    roles=("steward", "staff", "admin"),
    query=PatrolQuery,
    response=PatrolList,
)
def list_patrols(query: PatrolQuery):
    """管家看到自己的记录，工作人员看到管辖范围内的记录。"""
    p = current_principal()
    q = Patrol.select(Patrol, Steward, Area).join_from(Patrol, Steward).join_from(Patrol, Area)
    if p.is_staff:
        q = q.where(p.area_condition(Area))
    else:
        q = q.where(Patrol.steward.in_([s.id for s in p.stewards]))
    if query.steward_id is not None:
        q = q.where(Patrol.steward == query.steward_id)
    if query.alley_id is not None:
        q = q.where(Patrol.alley == query.alley_id)
    if query.date_from:
        q = q.where(Patrol.created_at >= _utc(query.date_from))
    if query.date_to:
        q = q.where(Patrol.created_at < _utc(query.date_to + timedelta(days=1)))
    q = q.order_by(Patrol.created_at.desc(), Patrol.id.desc())
    cache: dict = {}
    return paginate(q, query, lambda rows: [patrol_out(r, r.steward, r.alley, cache) for r in rows])
