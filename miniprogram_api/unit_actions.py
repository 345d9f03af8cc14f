"""What a handling unit's member does with an item whistled to their unit (报到, 进展,
申请延期, 退回; 办结 is `POST /issues/{id}/resolve`), and staff's answers (延期审批, 催办).
Every action calls `core.units.actions`."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.items.presenters import issue_out
from core.units import actions
from miniprogram_api.context import current_principal
from miniprogram_api.router import Router
from miniprogram_api.serializers import IssueOut
from miniprogram_api.validation import optional_text, required_text
from models import Issue

router = Router("unit_actions")

ERRORS = (400, 403, 404, 409)
Note500 = required_text(500)


class ProgressIn(BaseModel):
    note: Note500
    photo_ids: list[int] = Field(default_factory=list, max_length=9)


class ExtensionIn(BaseModel):
    days: int = Field(description="延期天数，最多 UNIT_EXTENSION_MAX_DAYS 天（默认 10）")
    reason: Note500


class ReasonIn(BaseModel):
    reason: Note500


class DecisionIn(BaseModel):
    approve: bool
    note: optional_text(200) = None


class UrgeIn(BaseModel):
    note: Note500


def _out(issue_id: int) -> dict:
    return issue_out(current_principal(), Issue.get_by_id(issue_id), timeline=True)


@router.post(
    "/issues/<int:issue_id>/check-in",
    summary="报到：承办单位确认已接到（重复报到 409）",
    roles=("unit",),
    response=IssueOut,
    errors=ERRORS,
)
def check_in(issue_id: int):
    actions.check_in(current_principal(), issue_id)
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/progress",
    summary="进展：承办单位的办理说明与照片（只能用本人上传的照片）",
    roles=("unit",),
    body=ProgressIn,
    response=IssueOut,
    errors=ERRORS,
)
def progress(issue_id: int, body: ProgressIn):
    actions.progress(current_principal(), issue_id, body.note, body.photo_ids)
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/extension",
    summary="申请延期：由社区工作人员审批",
    roles=("unit",),
    body=ExtensionIn,
    response=IssueOut,
    errors=ERRORS,
)
def extension(issue_id: int, body: ExtensionIn):
    actions.request_extension(current_principal(), issue_id, body.days, body.reason)
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/extension/decide",
    summary="审批延期申请（同意则期限顺延）",
    roles=("staff", "admin"),
    body=DecisionIn,
    response=IssueOut,
    errors=ERRORS,
)
def decide_extension(issue_id: int, body: DecisionIn):
    actions.decide_extension(current_principal(), issue_id, body.approve, body.note or "")
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/return",
    summary="退回：不属本单位职责，退回社区（诉求不办结）",
    roles=("unit",),
    body=ReasonIn,
    response=IssueOut,
    errors=ERRORS,
)
def return_item(issue_id: int, body: ReasonIn):
    actions.return_to_community(current_principal(), issue_id, body.reason)
    # the item has left the unit: the member now reads what anyone not involved reads
    return _out(issue_id)


@router.post(
    "/issues/<int:issue_id>/urge",
    summary="催办：提醒承办单位（发到单位的群）",
    roles=("staff", "admin"),
    body=UrgeIn,
    response=IssueOut,
    errors=ERRORS,
)
def urge(issue_id: int, body: UrgeIn):
    actions.urge(current_principal(), issue_id, body.note)
    return _out(issue_id)
