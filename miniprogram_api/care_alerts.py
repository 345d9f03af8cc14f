"""关怀提醒 over HTTP: staff send a care alert and follow its progress; a steward reads their
own lists and answers per household (the mini program's way, beside the private chat).

Routes: `POST /care-alerts`, `GET /care-alerts` (staff), `GET /care-alerts/{id}` (staff: the
progress), `GET /care-alerts/mine` (steward), `POST /care-alerts/{id}/answers` (steward).
Everything is `core.households.care_alerts`; the households shown are PRIVATE (their steward
and the staff above them) and every list shown is audited.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from core.households import care_alerts
from miniprogram_api.context import current_principal
from miniprogram_api.router import Router
from miniprogram_api.serializers import Ref
from models.care import CARE_KINDS

router = Router("care_alerts")

STAFF = ("staff", "admin")
STEWARD = ("steward",)
Kind = Literal[CARE_KINDS]  # type: ignore[valid-type]
Result = Literal["contacted", "visited", "needs_help"]


class CareAlertIn(BaseModel):
    area_id: int = Field(description="区域（社区、网格或街巷）")
    kind: Kind = Field(description="寒潮、高温、暴雨、停水停电、自定义")
    tags: list[str] = Field(max_length=20, description="住户标签（带任一标签的住户在名单中）")
    message: str = Field(default="", max_length=500, description="请管家做什么")
    title: str | None = Field(default=None, max_length=20, description="自定义提醒的标题")


class Figures(BaseModel):
    total: int = Field(description="名单中的户数")
    answered: int = Field(description="已回复的户数")
    pending: int
    contacted: int
    visited: int
    needs_help: int


class CareAlertOut(Figures):
    id: int
    area: Ref
    kind: str
    title: str
    tags: list[str]
    message: str
    created_by: str
    created_at: str


class CareAlertList(BaseModel):
    items: list[CareAlertOut]


class TargetOut(BaseModel):
    seq: int = Field(description="在该管家名单中的序号（回复时用）")
    household_id: int
    head_name: str
    address: str
    head_phone: str | None
    tags: list[str]
    status: Literal["pending", "contacted", "visited", "needs_help"]
    status_label: str
    note: str
    answered_at: str | None
    issue_id: int | None = Field(description="需帮助时转给社区的诉求")


class StewardProgress(Figures):
    steward: Ref
    reminded: bool = Field(description="是否已发过未回复提醒")
    households: list[TargetOut]
    outstanding: list[int] = Field(description="未回复的序号")


class CareProgressOut(CareAlertOut):
    stewards: list[StewardProgress]


class MyAlert(CareAlertOut):
    households: list[TargetOut]


class MyAlerts(BaseModel):
    items: list[MyAlert]


class AnswerIn(BaseModel):
    seq: int = Field(ge=1, le=9999, description="名单中的序号")
    result: Result = Field(description="contacted 已联系；visited 已上门；needs_help 需帮助")
    note: str = Field(default="", max_length=300, description="情况说明；需帮助时必填")


class AnswerOut(BaseModel):
    alert_id: int
    household: TargetOut
    answered: int
    total: int


@router.post(
    "/care-alerts",
    summary="发出关怀提醒：按区域和住户标签，把各管家自己包联的名单私信给本人",
    roles=STAFF,
    body=CareAlertIn,
    response=CareAlertOut,
    status=201,
    errors=(400, 403, 404),
)
def create_alert(body: CareAlertIn):
    """区域内带任一标签、在册的住户进入名单，按包联管家分组；每位管家通过企业微信应用私信
    收到自己的名单（序号、户主、地址、电话），群里只说“请查看私信的关怀名单（N 户）”。
    没有符合条件的住户时为 400 `no_households`。"""
    p = current_principal()
    alert = care_alerts.create(p, body.area_id, body.kind, body.tags, body.message, body.title)
    return care_alerts.summary_out(alert), 201


@router.get(
    "/care-alerts",
    summary="关怀提醒列表（管辖范围内，最新的在前）",
    roles=STAFF,
    response=CareAlertList,
)
def list_alerts():
    return {"items": care_alerts.listing(current_principal())}


@router.get(
    "/care-alerts/mine",
    summary="我的关怀名单（管家：最近的提醒中本人包联的住户）",
    roles=STEWARD,
    response=MyAlerts,
    errors=(403,),
)
def my_alerts():
    """每次查看都记入操作日志。"""
    return {"items": care_alerts.mine(current_principal(), via="api")}


@router.get(
    "/care-alerts/<int:alert_id>",
    summary="关怀提醒的进度：已回复/总户数，按管家，未回复的住户",
    roles=STAFF,
    response=CareProgressOut,
    errors=(404,),
)
def get_alert(alert_id: int):
    """只有提醒所在区域的工作人员可以查看；列出的住户记入操作日志。"""
    return care_alerts.progress(current_principal(), alert_id, via="api")


@router.post(
    "/care-alerts/<int:alert_id>/answers",
    summary="回复关怀名单中的一户：已联系、已上门或需帮助（记为一次走访；需帮助转社区）",
    roles=STEWARD,
    body=AnswerIn,
    response=AnswerOut,
    errors=(400, 403, 404, 409),
)
def answer(alert_id: int, body: AnswerIn):
    """需帮助须写明说明，生成一件不公开的诉求并上报社区；同一户已转社区的再报为 409
    `already_handed_over`。"""
    p = current_principal()
    target = care_alerts.answer(p, body.seq, body.result, body.note, alert_id=alert_id)
    done, total = care_alerts.answered_count(target.alert_id, target.steward_id)
    return {
        "alert_id": target.alert_id,
        "household": care_alerts.target_out(target),
        "answered": done,
        "total": total,
    }
