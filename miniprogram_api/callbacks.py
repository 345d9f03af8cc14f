"""回访 over HTTP, for staff: the list of closed items waiting for a callback, with how far
along each community is this month, and recording a callback. Every read and change is
`core.items.callbacks`; reopening after 不满意 is `POST /issues/{id}/reopen` (staff)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from core.items import callbacks
from infra.errors import not_found
from infra.timeutil import iso
from miniprogram_api.context import current_principal
from miniprogram_api.pagination import PageQuery
from miniprogram_api.router import Router
from miniprogram_api.validation import optional_text
from models import CALLBACK_RESULTS, Area

router = Router("callbacks")

STAFF = ("staff", "admin")
Result = Literal["satisfied", "basically_satisfied", "unsatisfied", "unreached", "refused"]


class CallbackQuery(PageQuery):
    area_id: int | None = Field(default=None, description="区域 ID，默认为本人管辖的区域")


class CallbackIn(BaseModel):
    result: Result = Field(
        description="satisfied 满意；basically_satisfied 基本满意；unsatisfied 不满意；"
        "unreached 未接通（可再拨，最多 CALLBACK_MAX_ATTEMPTS 次）；refused 拒绝回访"
    )
    note: optional_text(callbacks.NOTE_MAX) = None


class Named(BaseModel):
    id: int
    name: str


class WaitingItem(BaseModel):
    id: int
    number: str
    community: Named | None
    alley: Named
    category: str
    content: str
    status: str
    status_label: str
    resolved_at: str
    resolved_by: str | None = Field(description="办结的管家；社区工作人员办结时为空")
    resolution_note: str | None
    contact_phone: str | None = Field(description="居民留的电话（仅工作人员可见，切勿外传）")
    anonymous: bool
    waiting_days: int = Field(description="办结至今的天数")
    attempts: int = Field(description="本轮已拨未接通的次数")
    last_attempt_at: str | None
    last_attempt_by: str | None


class StewardShort(BaseModel):
    steward_id: int
    name: str
    closed: int
    heard: int
    needed: int


class Rule(BaseModel):
    min_percent: int = Field(description="本月办结件中至少听取居民意见（评价或回访）的百分比")
    min_per_steward: int = Field(description="每位管家本月办结件中至少回访的件数")
    source: Literal["community", "street", "default"]


class Progress(BaseModel):
    community_id: int
    name: str
    closed: int = Field(description="本月办结、有居民可问的件数")
    heard: int = Field(description="其中居民已评价或已完成回访的件数")
    rated: int
    callbacks_done: int
    target: int = Field(description="按抽样要求应达到的件数 = ⌈closed × min_percent ÷ 100⌉")
    needed: int = Field(description="还差的件数")
    met: bool
    rule: Rule
    stewards_short: list[StewardShort]
    waiting: int = Field(description="回访清单中等待回访的件数")


class WaitingPage(BaseModel):
    items: list[WaitingItem]
    total: int
    page: int
    per_page: int
    after_days: int = Field(description="办结后多少天未评价即进入回访清单（CALLBACK_AFTER_DAYS）")
    within_days: int = Field(
        description="办结超过多少天即移出回访清单、不再回访（CALLBACK_WITHIN_DAYS）"
    )
    progress: list[Progress]


class CallbackOut(BaseModel):
    id: int
    issue_id: int
    result: Result
    result_label: str
    note: str
    round: int = Field(description="第几轮办理（重新打开一次加 1）")
    settled: bool = Field(description="本轮回访是否已完成（未接通且未到次数上限时为 false）")
    staff: str
    created_at: str


def _area(area_id: int | None) -> Area:
    p = current_principal()
    if area_id is None:
        return p.area_roots[0]
    area = Area.get_or_none(Area.id == area_id)
    if area is None:
        raise not_found("找不到该区域", code="area_not_found")
    p.require_manage(area)
    return area


def waiting_rows(items) -> list[dict]:
    """The list's rows (`core.items.callbacks.describe`) with ISO times."""
    return [
        {
            **row,
            "resolved_at": iso(row["resolved_at"]),
            "last_attempt_at": iso(row["last_attempt_at"]),
        }
        for row in callbacks.describe(items)
    ]


def progress_out(rows: list[dict]) -> list[dict]:
    return [{**r, "rule": {k: r["rule"][k] for k in Rule.model_fields}} for r in rows]


@router.get(
    "/callbacks",
    summary="回访清单：办结后居民未评价、等待回访的诉求（含居民电话），及各社区本月进度",
    roles=STAFF,
    query=CallbackQuery,
    response=WaitingPage,
    errors=(403, 404),
)
def list_callbacks(query: CallbackQuery):
    """办结满 CALLBACK_AFTER_DAYS 天（默认 3 天）、未超过 CALLBACK_WITHIN_DAYS 天（默认 30 天）
    居民仍未评价、且有人可问（不是管家随手做，不是匿名且未留电话）、本轮尚未完成回访的诉求，
    办结最早的在前；办结超过 CALLBACK_WITHIN_DAYS 天的不再列出。未接通的仍在清单中，
    显示已拨次数；第 CALLBACK_MAX_ATTEMPTS 次未接通后本轮回访结束。progress 为本月各社区
    的进度：本月办结件中已听取居民意见（评价或回访）的件数、抽样要求与还差的件数。"""
    p = current_principal()
    area = _area(query.area_id)
    rows = callbacks.waiting(p, area)
    total = rows.count()
    items = list(rows.paginate(query.page, query.per_page))
    return {
        "items": waiting_rows(items),
        "total": total,
        "page": query.page,
        "per_page": query.per_page,
        "after_days": callbacks.after_days(),
        "within_days": callbacks.within_days(),
        "progress": progress_out(callbacks.progress(area)),
    }


def callback_out(c) -> dict:
    return {
        "id": c.id,
        "issue_id": c.issue_id,
        "result": c.result,
        "result_label": CALLBACK_RESULTS[c.result],
        "note": c.note,
        "round": c.round,
        "settled": c.settles is not None,
        "staff": c.actor_label,
        "created_at": iso(c.created_at),
    }


@router.post(
    "/issues/<int:issue_id>/callback",
    summary="记录回访结果（工作人员）",
    roles=STAFF,
    body=CallbackIn,
    response=CallbackOut,
    status=201,
    errors=(400, 403, 404, 409),
)
def record_callback(issue_id: int, body: CallbackIn):
    """只能回访已办结、居民未评价的诉求；本轮已完成回访的再记录为 409
    `already_called_back`，未办结的为 409 `invalid_transition`（fields 指明原因），都不写入
    任何内容。两位工作人员同时记录时只有一人成功。结果为不满意时，可用
    `POST /issues/{id}/reopen` 重新打开（回访说明作为原因）。"""
    c = callbacks.record(current_principal(), issue_id, body.result, body.note)
    return callback_out(c)
