"""Service records (志愿服务记录): by role, certified by staff, corrected by reversing records;
and the volunteer's certificate of certified hours (志愿服务记录证明, PDF)."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from flask import Response
from pydantic import BaseModel, Field

from core.people import identity
from core.volunteering import certificate, records
from miniprogram_api.context import current_principal
from miniprogram_api.pagination import PageQuery
from miniprogram_api.router import Router
from miniprogram_api.validation import Day, optional_text, required_text

router = Router("service_records", tag="service-records")
PDF = "application/pdf"


class RecordOut(BaseModel):
    certifiable: bool = Field(
        default=False,
        description="当前工作人员现在可以认证它（待认证、在管辖范围内、不是本人的记录）",
    )
    id: int
    community_id: int
    organiser: str
    person_name: str
    user_id: int | None
    steward_id: int | None
    volunteer_id: int | None
    source_type: str
    source_label: str
    source_id: int | None
    title: str
    served_on: str
    hours: float
    status: str
    status_label: str
    reason: str
    reverses_id: int | None
    corrected: bool
    certified_by: str | None
    certified_at: str | None
    entry_id: int | None
    created_at: str | None


class RecordPage(BaseModel):
    items: list[RecordOut]
    total: int
    page: int
    per_page: int
    total_hours: float = Field(description="筛选结果的时长合计（含更正的负时长）")


class RecordQuery(PageQuery):
    mine: bool = Field(default=False, description="只看本人的（工作人员也是志愿者时）")
    community_id: int | None = None
    status: Literal["pending", "certified"] | None = None
    source_type: Literal["wish", "activity", "patrol"] | None = None
    volunteer_id: int | None = None
    steward_id: int | None = None
    date_from: Day = Field(default=None, description="YYYY-MM-DD")
    date_to: Day = Field(default=None, description="YYYY-MM-DD（含当天）")
    awaiting: bool = Field(
        default=False,
        description="true：只列出等我认证的（不含本人的；街道管理员另见本社区无其他工作人员可认证的）",
    )


class RecordEdit(BaseModel):
    hours: float | None = Field(default=None, gt=0, le=24)
    title: optional_text(100) = None
    served_on: Day = None


class BulkIn(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=200)


class BulkOut(BaseModel):
    certified: list[RecordOut]
    skipped: list[int]


class CorrectionIn(BaseModel):
    reason: required_text(records.REASON_MAX) = Field(description="更正原因（必填）")
    hours: float | None = Field(
        default=None, gt=0, le=24, description="正确的时长：另生成一条待认证的记录"
    )


class CorrectionOut(BaseModel):
    reversal: RecordOut
    replacement: RecordOut | None


class CertificateQuery(BaseModel):
    community_id: int | None = Field(default=None, description="只含该社区组织的服务")
    date_from: Day = Field(default=None, description="YYYY-MM-DD；默认今年 1 月 1 日")
    date_to: Day = Field(default=None, description="YYYY-MM-DD；默认今天")


def _filters(query: RecordQuery) -> dict:
    return dict(
        mine=query.mine,
        community_id=query.community_id,
        status=query.status,
        source_type=query.source_type,
        volunteer_id=query.volunteer_id,
        steward_id=query.steward_id,
        date_from=query.date_from,
        date_to=query.date_to,
        awaiting=query.awaiting,
    )


@router.get(
    "/service-records",
    summary="服务记录：志愿者和管家看本人的，工作人员看本社区的（awaiting=true：等我认证的）",
    query=RecordQuery,
    response=RecordPage,
)
def list_records(query: RecordQuery):
    p = current_principal()
    rows = records.visible(p, **_filters(query))
    total = rows.count()
    page = list(rows.paginate(query.page, query.per_page))
    person = identity.person_of(p)
    return {
        "items": [records.as_dict(r, p, person) for r in page],
        "total": total,
        "page": query.page,
        "per_page": query.per_page,
        "total_hours": float(records.total_hours(rows.order_by())),
    }


@router.get(
    "/service-records/certificate.pdf",
    summary="志愿服务记录证明（PDF，仅含已认证时长）",
    query=CertificateQuery,
    response_content_type=PDF,
    errors=(400, 404),
)
def get_certificate(query: CertificateQuery):
    """本人的已认证服务记录，按期间出具；多页时每页重复表头。"""
    data, name = certificate.for_person(
        current_principal(), query.date_from, query.date_to, query.community_id
    )
    return Response(
        data,
        mimetype=PDF,
        headers={
            "Content-Disposition": f"attachment; filename=certificate.pdf; filename*=UTF-8''{quote(name)}"
        },
    )


@router.get(
    "/service-records/<int:record_id>",
    summary="一条服务记录",
    response=RecordOut,
    errors=(404,),
)
def get_record(record_id: int):
    p = current_principal()
    return records.as_dict(records.get_visible(p, record_id), p)


@router.route(
    "/service-records/<int:record_id>",
    "PATCH",
    summary="修改待认证的服务记录（已认证的不能修改，请提交更正）",
    roles=("staff", "admin"),
    body=RecordEdit,
    response=RecordOut,
    errors=(400, 403, 404, 409),
)
def edit_record(record_id: int, body: RecordEdit):
    p = current_principal()
    record = records.update_pending(
        p,
        record_id,
        hours=body.hours,
        title=body.title,
        served_on=body.served_on,
    )
    return records.as_dict(record, p)


@router.post(
    "/service-records/<int:record_id>/certify",
    summary="认证服务记录（组织社区的工作人员）：时长记入时间银行",
    roles=("staff", "admin"),
    response=RecordOut,
    errors=(403, 404, 409),
)
def certify(record_id: int):
    """本人的服务记录不能自己认证（403 `own_record`）：社区只有一位工作人员时，由街道管理员认证。"""
    return records.as_dict(records.certify(current_principal(), record_id))


@router.post(
    "/service-records/certify",
    summary="批量认证服务记录",
    roles=("staff", "admin"),
    body=BulkIn,
    response=BulkOut,
    errors=(400, 403, 404),
)
def certify_many(body: BulkIn):
    """已认证的记录列在 skipped 中，不算错误；任何一条不在管辖范围内或是本人的记录
    （403 `own_record`）则整批不认证。"""
    result = records.certify_many(current_principal(), body.ids)
    return {
        "certified": [records.as_dict(r) for r in result["certified"]],
        "skipped": result["skipped"],
    }


@router.post(
    "/service-records/<int:record_id>/corrections",
    summary="更正已认证的服务记录：生成冲销记录并冲正积分",
    roles=("staff", "admin"),
    body=CorrectionIn,
    response=CorrectionOut,
    status=201,
    errors=(400, 403, 404, 409),
)
def correct(record_id: int, body: CorrectionIn):
    result = records.correct(current_principal(), record_id, body.reason, body.hours)
    replacement = result["replacement"]
    return {
        "reversal": records.as_dict(result["reversal"]),
        "replacement": records.as_dict(replacement) if replacement else None,
    }, 201
