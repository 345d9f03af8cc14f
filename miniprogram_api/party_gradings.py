"""Year-end grading of in-service party members (在职党员年度评定): the proposal from certified
hours, staff confirming or changing it with a reason, and the workbook per 双报到 unit."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from flask import Response
from pydantic import BaseModel, Field

from core.volunteering import grading
from miniprogram_api.context import current_principal
from miniprogram_api.router import Router
from miniprogram_api.validation import optional_text

router = Router("party_gradings", tag="party-gradings")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class GradingQuery(BaseModel):
    community_id: int | None = Field(default=None, description="默认为本人所在社区")
    year: int = Field(ge=2000, le=2100)
    unit_id: int | None = Field(default=None, description="只看某个双报到单位")


class ProposeIn(BaseModel):
    community_id: int | None = None
    year: int = Field(ge=2000, le=2100)


class ConfirmIn(BaseModel):
    grade: Literal["好", "较好", "一般", "差"]
    reason: optional_text(200) = None


class GradingOut(BaseModel):
    id: int
    year: int
    volunteer_id: int
    name: str
    unit_id: int | None
    unit_name: str | None
    team_name: str | None
    hours: float
    proposed: str
    grade: str | None
    reason: str
    confirmed_by: str | None
    confirmed_at: str | None


class GradingList(BaseModel):
    items: list[GradingOut]


@router.get(
    "/party-gradings",
    summary="在职党员年度评定（工作人员）",
    roles=("staff", "admin"),
    query=GradingQuery,
    response=GradingList,
    errors=(403, 404),
)
def list_gradings(query: GradingQuery):
    rows = grading.listing(current_principal(), query.community_id, query.year, query.unit_id)
    return {"items": [grading.as_dict(r) for r in rows]}


@router.post(
    "/party-gradings/propose",
    summary="按已认证服务时长生成（或更新）建议等次",
    roles=("staff", "admin"),
    body=ProposeIn,
    response=GradingList,
    errors=(400, 403, 404),
)
def propose(body: ProposeIn):
    rows = grading.propose(current_principal(), body.community_id, body.year)
    return {"items": [grading.as_dict(r) for r in rows]}


@router.post(
    "/party-gradings/<int:grading_id>/confirm",
    summary="确认评定等次（与建议不同须写原因）",
    roles=("staff", "admin"),
    body=ConfirmIn,
    response=GradingOut,
    errors=(400, 404),
)
def confirm(grading_id: int, body: ConfirmIn):
    row = grading.confirm(current_principal(), grading_id, body.grade, body.reason or "")
    return grading.as_dict(row)


@router.get(
    "/party-gradings.xlsx",
    summary="导出年度评定（Excel，每个双报到单位一页）",
    roles=("staff", "admin"),
    query=GradingQuery,
    response_content_type=XLSX,
    errors=(400, 403, 404),
)
def export(query: GradingQuery):
    data, name = grading.export(current_principal(), query.community_id, query.year, query.unit_id)
    return Response(
        data,
        mimetype=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename=gradings.xlsx; filename*=UTF-8''{quote(name)}"
        },
    )
