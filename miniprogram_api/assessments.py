"""Quarterly assessments (考核) for staff: read them, and run one on demand."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.figures import assessment
from infra.errors import bad_request
from infra.timeutil import iso
from miniprogram_api.context import current_principal
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.router import Router
from models import Area, Assessment, Steward, StewardAlley

router = Router("assessments")


class AssessmentQuery(PageQuery):
    period: str | None = Field(default=None, description="季度，如 2026Q3；默认上一个完整季度")
    steward_id: int | None = None


class AssessmentOut(BaseModel):
    id: int
    period: str
    steward_id: int
    steward_name: str
    total: int
    tier: str
    parts: dict[str, float | None]
    counts: dict[str, int]
    created_at: str


class AssessmentList(BaseModel):
    items: list[AssessmentOut]
    total: int
    page: int
    per_page: int


class RunIn(BaseModel):
    period: str | None = Field(default=None, description="季度，如 2026Q3；默认上一个完整季度")
    send: bool = Field(default=True, description="是否把结果发到工作人员群")


class RunOut(BaseModel):
    period: str
    assessed: int


def _quarter(text: str | None) -> assessment.Quarter:
    if not text:
        return assessment.Quarter.last_finished()
    try:
        return assessment.Quarter.parse(text)
    except ValueError as exc:
        raise bad_request(str(exc), {"period": str(exc)}) from exc


def _out(row: Assessment) -> dict:
    return {
        "id": row.id,
        "period": row.period,
        "steward_id": row.steward_id,
        "steward_name": row.steward.name,
        "total": row.total,
        "tier": row.tier,
        "parts": row.scores.get("parts", {}),
        "counts": row.scores.get("counts", {}),
        "created_at": iso(row.created_at),
    }


@router.get(
    "/assessments",
    summary="管家季度考核结果",
    roles=("staff", "admin"),
    query=AssessmentQuery,
    response=AssessmentList,
)
def list_assessments(query: AssessmentQuery):
    """只含本人管辖范围内的管家；考核结果仅供参考，不会自动调整人员。"""
    p = current_principal()
    quarter = _quarter(query.period)
    in_scope = (
        StewardAlley.select(StewardAlley.steward)
        .join(Area, on=(StewardAlley.alley == Area.id))
        .where(p.area_condition(Area))
    )
    q = (
        Assessment.select(Assessment, Steward)
        .join(Steward)
        .where((Assessment.period == str(quarter)) & Assessment.steward.in_(in_scope))
        .order_by(Assessment.total.desc(), Assessment.id)
    )
    if query.steward_id is not None:
        q = q.where(Assessment.steward == query.steward_id)
    return paginate(q, query, lambda rows: [_out(r) for r in rows])


@router.post(
    "/assessments/run",
    summary="立即对管辖范围内的管家进行季度考核",
    roles=("staff", "admin"),
    body=RunIn,
    response=RunOut,
)
def run_assessment(body: RunIn):
    p = current_principal()
    quarter = _quarter(body.period)
    assessed = 0
    for root in p.area_roots:
        assessed += len(assessment.run(quarter, area=root, send=body.send, actor=p.user))
    return {"period": str(quarter), "assessed": assessed}
