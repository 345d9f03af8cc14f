"""The area tree a staff member or admin may see, with boards and stewards per alley."""

from __future__ import annotations

from pydantic import BaseModel

from core.people import areas
from miniprogram_api.context import current_principal
from miniprogram_api.router import Router

router = Router("areas")


class BoardBrief(BaseModel):
    id: int
    code: str
    active: bool
    version: int


class AreaStewardOut(BaseModel):
    id: int
    name: str
    phone: str
    active: bool
    is_leader: bool


class AreaNode(BaseModel):
    id: int
    kind: str
    name: str
    active: bool
    children: list[AreaNode]
    boards: list[BoardBrief] | None = None
    stewards: list[AreaStewardOut] | None = None


class AreaTreeOut(BaseModel):
    items: list[AreaNode]


@router.get(
    "/areas",
    summary="可见的区域树（街道→社区→网格→街巷），含每条街巷的公示牌编码与管家",
    roles=("staff", "admin"),
    response=AreaTreeOut,
)
def area_tree():
    """工作人员看到本社区，街道管理员看到本街道。"""
    return {"items": areas.tree(current_principal().area_roots)}
