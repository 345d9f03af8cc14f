"""Stewards for staff: dismissing one who leaves office (离任)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.people import auth
from infra.errors import forbidden, not_found
from infra.timeutil import iso
from miniprogram_api.context import current_principal
from miniprogram_api.issues import Note500
from miniprogram_api.router import Router
from models import Steward

router = Router("stewards")


class DismissIn(BaseModel):
    reason: Note500 = Field(description="离任原因，记入操作日志")


class DismissOut(BaseModel):
    id: int
    name: str
    active: bool
    dismissed_at: str | None
    open_issues: int = Field(description="仍派给该管家的未办结诉求数，请尽快改派")


@router.post(
    "/stewards/<int:steward_id>/dismiss",
    summary="管家离任：立即失去所有权限，公示牌标记待重印",
    roles=("staff", "admin"),
    body=DismissIn,
    response=DismissOut,
    errors=(404, 409),
)
def dismiss(steward_id: int, body: DismissIn):
    """考核结果不会自动触发离任；由工作人员决定并填写原因。"""
    p = current_principal()
    steward = Steward.get_or_none(Steward.id == steward_id)
    if steward is None:
        raise not_found("找不到该管家", code="steward_not_found")
    if not p.can_manage_steward(steward):
        raise forbidden("该管家不在您的管辖范围内", code="out_of_scope")
    open_issues = auth.dismiss_steward(steward, actor=p.user, reason=body.reason)
    steward = Steward.get_by_id(steward_id)
    return {
        "id": steward.id,
        "name": steward.name,
        "active": steward.active,
        "dismissed_at": iso(steward.dismissed_at),
        "open_issues": open_issues,
    }
