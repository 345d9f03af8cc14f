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
    solved: int = Field(description="办结率的分子：其中已由办理人办结的件数")
    counted: int = Field(description="办结率的分母：期间反映、未撤销、非重复（未合并到别件）的件数")
    answered: int = Field(
        description="解决率与满意率的分母：期间居民作答（评价，或回访结果为满意/基本满意/"
        "不满意）的件数，每件按期间内最后一次作答计"
    )
    confirmed_solved: int = Field(
        description="解决率的分子：居民确认解决（评价 3 星及以上，或回访满意/基本满意）的件数"
    )
    satisfied: int = Field(description="满意率的分子：评价 4–5 星或回访满意的件数")
    callbacks_done: int = Field(
        description="期间完成的回访数（满意、基本满意、不满意、拒绝回访，及多次未接通后结束的）"
    )
    response_rate: float | None
    resolution_rate: float | None = Field(description="解决率 = confirmed_solved / answered")
    satisfaction_rate: float | None = Field(description="满意率 = satisfied / answered")
    handled_rate: float | None = Field(description="办结率 = solved / counted")
    rate_counts: dict[str, list[int]] = Field(
        description="每个比率的 [分子, 分母]：response、resolution、satisfaction、handled"
    )


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


class HotlineCounts(BaseModel):
    """上级转办件：12345 热线转办的诉求（期间登记、未撤销的），按时办结率单独统计。"""

    tickets: int = Field(description="期间登记的 12345 转办件数")
    closed: int = Field(description="其中截至期末已办结的件数（按时办结率的分母）")
    on_time: int = Field(description="其中在转办期限前办结的件数（按时办结率的分子）")
    late: int = Field(description="超过转办期限才办结的件数")
    open: int = Field(description="尚未办结的件数")
    overdue: int = Field(description="尚未办结且已过转办期限的件数")
    on_time_rate: float | None = Field(description="按时办结率 = on_time / closed；无办结时为 null")
    on_time_counts: list[int] = Field(description="[on_time, closed]")


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
    hotline: HotlineCounts
    outcomes: dict[str, int] = Field(
        description="期间办结（重复的为合并）的件数，按办结结果：solved、answered、not_ours、"
        "duplicate、unsolvable"
    )


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
    """口径与每日通报一致：响应率为按时接单的比例（撤销与随手做不计）；办结率为期间反映的
    诉求中已由办理人办结的比例；解决率与满意率以居民的话为准：期间居民作答（评价或回访）的
    件中，确认解决（3 星及以上、回访满意或基本满意）与满意（4–5 星、回访满意）的比例；整改率
    为截至期末的累计办结比例。每个比率的分子分母见 rate_counts。
    以“已答复”“不属于职责”“无法解决”办结的不算确认解决；`outcomes` 为期间各办结结果的件数。
    `hotline` 为上级转办件（12345）：期间登记的转办件中，按时办结率 = 在转办期限前办结的件数 /
    已办结的件数，`on_time_counts` 为其分子与分母。"""
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
