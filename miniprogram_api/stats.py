"""Statistics and the ledger (台账) of an area and period, for staff."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

from flask import Response
from pydantic import BaseModel, Field, model_validator

from core.figures import ledger, stats
from infra.errors import not_found
from infra.timeutil import to_local, utcnow
from miniprogram_api.context import current_principal
from miniprogram_api.router import Router
from miniprogram_api.validation import Day
from models import Area

router = Router("stats")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_DAYS = 366


class PeriodQuery(BaseModel):
    area_id: int | None = Field(default=None, description="区域 ID，默认为本人管辖的区域")
    date_from: Day = Field(
        default=None, description="起始日期；两者都不填时：每月 1–5 日为上月，其余为本月 1 日至今"
    )
    date_to: Day = Field(default=None, description="结束日期（含），默认今天")

    @model_validator(mode="after")
    def period(self):
        today = to_local(utcnow()).date()
        if self.date_from is None and self.date_to is None:
            # no period given: the ledger's rule (last month during the first five days)
            self.date_from, self.date_to = ledger.default_period(today)
        self.date_to = self.date_to or today
        self.date_from = self.date_from or self.date_to.replace(day=1)
        if self.date_from > self.date_to:
            raise ValueError("起始日期不能晚于结束日期")
        if (self.date_to - self.date_from) > timedelta(days=MAX_DAYS):
            raise ValueError(f"一次最多统计 {MAX_DAYS} 天")
        return self


class Counts(BaseModel):
    new: int
    accepted: int
    resolved: int
    rated: int
    responded: int = Field(description="响应率的分子：按时接单的件数")
    answerable: int = Field(description="响应率的分母：期间反映、未撤销、非随手做的件数")
    solved: int = Field(description="解决率的分子：其中已办结的件数")
    counted: int = Field(description="解决率的分母：期间反映、未撤销的件数")
    satisfied: int = Field(description="满意率的分子：4–5 星的评价数（分母为 rated）")
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None


class CategoryLine(Counts):
    category: str


class StewardLine(Counts):
    steward_id: int
    name: str
    overdue: int
    patrol_days: int


class TotalCounts(Counts):
    open: int
    overdue: int


class WishCounts(BaseModel):
    new: int
    published: int
    claimed: int
    fulfilled: int


class StatsOut(BaseModel):
    area_id: int
    area_name: str
    date_from: date
    date_to: date
    counts: TotalCounts
    rectification_rate: float | None
    by_category: list[CategoryLine]
    by_steward: list[StewardLine]
    wishes: WishCounts


def _area(query: PeriodQuery) -> Area:
    p = current_principal()
    if query.area_id is None:
        return p.area_roots[0]
    area = Area.get_or_none(Area.id == query.area_id)
    if area is None:
        raise not_found("找不到该区域", code="area_not_found")
    p.require_manage(area)
    return area


@router.get(
    "/stats",
    summary="统计：数量、响应率/解决率/满意率、整改率，按类别、按管家",
    roles=("staff", "admin"),
    query=PeriodQuery,
    response=StatsOut,
    errors=(404,),
)
def get_stats(query: PeriodQuery):
    """口径与每日通报一致：响应率为按时接单的比例（撤销与随手做不计），解决率为期间反映的
    诉求中已办结的比例，满意率为期间评价中 4–5 星的比例，整改率为截至期末的累计办结比例。"""
    area = _area(query)
    figures = stats.period_stats(area, query.date_from, query.date_to)
    return {
        "area_id": area.id,
        "area_name": area.name,
        "date_from": query.date_from.isoformat(),
        "date_to": query.date_to.isoformat(),
        **figures,
    }


@router.get(
    "/ledger.xlsx",
    summary="台账：区域与期间的诉求、微心愿、巡查记录（Excel）",
    roles=("staff", "admin"),
    query=PeriodQuery,
    response_content_type=XLSX,
    errors=(404,),
)
def get_ledger(query: PeriodQuery):
    """不含居民姓名与电话。每次导出都记入操作日志。"""
    area = _area(query)
    data, name = ledger.export(area, query.date_from, query.date_to, current_principal().user)
    return Response(
        data,
        mimetype=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename=ledger.xlsx; filename*=UTF-8''{quote(name)}"
        },
    )
