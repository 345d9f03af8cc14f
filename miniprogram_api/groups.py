"""Chat groups for staff: list, register and change their community's WeCom groups, and see
whether each group's robot still works (`robot_status`: `ok`, or `broken` after WeCom said
the robot was removed or disabled — pushes to it then wait as dead rows in `/outbox`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from core.delivery import groups
from infra.errors import not_found
from infra.timeutil import iso
from miniprogram_api.context import current_principal
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.router import Router
from models import Area

router = Router("groups")


class GroupIn(BaseModel):
    area_id: int = Field(description="社区或网格的 ID")
    webhook_key: str = Field(
        min_length=1, max_length=300, description="群机器人 webhook 的 key，或整个 webhook 地址"
    )
    chat_id: str | None = Field(default=None, max_length=128, description="智能机器人看到的群 ID")
    leader_ids: list[int] = Field(default_factory=list, description="队长（管家 ID）")
    name: str = Field(default="", max_length=100)
    audience: Literal["stewards", "staff"] = Field(
        default="stewards", description="stewards 管家群；staff 工作人员群（考核结果、超期督办）"
    )


class GroupPatch(BaseModel):
    name: str | None = Field(default=None, max_length=100)
    webhook_key: str | None = Field(
        default=None, min_length=1, max_length=300, description="换新机器人后填写；状态随之恢复正常"
    )
    chat_id: str | None = Field(default=None, max_length=128)
    leader_ids: list[int] | None = None
    active: bool | None = None
    robot_status: Literal["ok"] | None = Field(
        default=None, description="设为 ok：确认机器人已恢复，重新开始推送"
    )


class GroupOut(BaseModel):
    id: int
    name: str
    area_id: int
    area_name: str
    webhook_key: str = Field(description="只显示前 4 位")
    chat_id: str | None
    leader_ids: list[int]
    audience: str
    active: bool
    robot_status: str = Field(description="ok 正常；broken 已失效（被移出群或停用）")
    robot_status_label: str
    broken_reason: str | None
    broken_at: str | None
    created_at: str


class GroupPage(BaseModel):
    items: list[GroupOut]
    total: int
    page: int
    per_page: int


def group_out(group) -> dict:
    area = Area.get_by_id(group.area_id)
    return {
        "id": group.id,
        "name": group.name,
        "area_id": group.area_id,
        "area_name": area.name,
        "webhook_key": group.webhook_key[:4] + "…",
        "chat_id": group.chat_id,
        "audience": group.audience,
        "leader_ids": list(group.leader_ids or []),
        "active": group.active,
        "robot_status": group.robot_status,
        "robot_status_label": groups.ROBOT_STATUS_LABELS.get(group.robot_status, ""),
        "broken_reason": group.broken_reason,
        "broken_at": iso(group.broken_at),
        "created_at": iso(group.created_at),
    }


@router.get(
    "/groups",
    summary="本社区（或本街道）的企业微信群及其机器人状态",
    roles=("staff", "admin"),
    query=PageQuery,
    response=GroupPage,
)
def list_groups(query: PageQuery):
    """`robot_status=broken` 的群收不到推送，请在群里重新添加机器人后更新 webhook。"""
    rows = groups.visible_query(current_principal())
    return paginate(rows, query, lambda page: [group_out(g) for g in page])


@router.post(
    "/groups",
    summary="登记一个企业微信群（群机器人 webhook、智能机器人群 ID、队长）",
    roles=("staff", "admin"),
    body=GroupIn,
    response=GroupOut,
    status=201,
    errors=(403, 404, 409),
)
def create_group(body: GroupIn):
    """群只能对应社区或网格；队长须是本区域在任的管家。"""
    p = current_principal()
    area = Area.get_or_none(Area.id == body.area_id)
    if area is None:
        raise not_found("找不到该区域", code="area_not_found")
    p.require_manage(area)
    group = groups.create(
        area,
        body.webhook_key,
        chat_id=body.chat_id,
        leader_ids=body.leader_ids,
        name=body.name,
        audience=body.audience,
        actor=p.user,
    )
    return group_out(group), 201


@router.get(
    "/groups/<int:group_id>",
    summary="一个群及其机器人状态",
    roles=("staff", "admin"),
    response=GroupOut,
    errors=(404,),
)
def get_group(group_id: int):
    return group_out(groups.get_for(group_id, current_principal()))


@router.route(
    "/groups/<int:group_id>",
    "PATCH",
    summary="修改群：名称、webhook、群 ID、队长、停用，或确认机器人已恢复",
    roles=("staff", "admin"),
    body=GroupPatch,
    response=GroupOut,
    errors=(404, 409),
)
def update_group(group_id: int, body: GroupPatch):
    p = current_principal()
    group = groups.get_for(group_id, p)
    changes = body.model_dump(exclude_unset=True)
    return group_out(groups.update(group, changes, actor=p.user))
