"""Handling units (承办单位: departments and property companies) over HTTP: the list a
staff member whistles to or a unit member belongs to, one unit with its members, and
registering one. Creating goes through `core.units.units.create`, as the CLI does."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from core.people import departments
from core.units import units
from infra.errors import bad_request, not_found
from miniprogram_api.context import current_principal
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.router import Router
from miniprogram_api.validation import required_text
from models import Area, Department

router = Router("units")

STAFF = ("staff", "admin")


class UnitIn(BaseModel):
    area_id: int | None = Field(
        default=None,
        description="街道或社区的 ID；默认为本人管辖的区域（工作人员为本社区，管理员为本街道）",
    )
    kind: Literal["department", "property"] = Field(description="department 部门；property 物业")
    name: required_text(units.NAME_MAX) = Field(description="单位名称，如“住建办”“某某物业”")
    phone: str = Field(default="", max_length=units.PHONE_MAX, description="向居民公开的电话")
    contact_name: str = Field(default="", max_length=units.CONTACT_MAX)


class UnitQuery(PageQuery):
    kind: Literal["department", "property"] | None = None
    include_inactive: bool = Field(default=False, description="也列出已停用的单位")


class MemberOut(BaseModel):
    id: int
    account_id: int
    username: str
    name: str
    wecom_userid: str | None


class UnitOut(BaseModel):
    id: int
    name: str
    kind: str
    kind_label: str
    phone: str
    contact_name: str
    area_id: int
    area_name: str
    active: bool


class UnitDetailOut(UnitOut):
    members: list[MemberOut]
    group_id: int | None


class UnitPage(BaseModel):
    items: list[UnitOut]
    total: int
    page: int
    per_page: int


def _visible(p):
    """Staff: the units of their street and communities; a unit member: their own units."""
    if p.is_staff:
        return departments.visible_query(p)
    return (
        Department.select(Department, Area)
        .join(Area)
        .where(Department.id.in_(sorted(p.unit_ids) or [0]))
        .order_by(Department.name, Department.id)
    )


@router.get(
    "/units",
    summary="承办单位：工作人员看本街道和本社区的；单位成员看本单位",
    roles=STAFF + ("unit",),
    query=UnitQuery,
    response=UnitPage,
)
def list_units(query: UnitQuery):
    rows = _visible(current_principal())
    if query.kind:
        rows = rows.where(Department.kind == query.kind)
    if not query.include_inactive:
        rows = rows.where(Department.active)
    return paginate(rows, query, lambda page: [units.as_dict(u) for u in page])


@router.get(
    "/units/<int:unit_id>",
    summary="一个承办单位及其成员",
    roles=STAFF + ("unit",),
    response=UnitDetailOut,
    errors=(404,),
)
def get_unit(unit_id: int):
    unit = _visible(current_principal()).where(Department.id == unit_id).first()
    if unit is None:
        raise not_found("找不到该单位", code="unit_not_found")
    return units.as_dict(unit, with_members=True)


@router.post(
    "/units",
    summary="登记一个承办单位（部门或物业）",
    roles=STAFF,
    body=UnitIn,
    response=UnitOut,
    status=201,
    errors=(403, 404, 409),
)
def create_unit(body: UnitIn):
    """工作人员可在本社区登记，街道管理员可在本街道登记；同一区域内单位名称不能重复。"""
    p = current_principal()
    if body.area_id is None:
        area = p.area_roots[0] if p.area_roots else None
        if area is None or area.kind not in units.AREA_KINDS:
            raise bad_request("请选择街道或社区", {"area_id": "必填"})
    else:
        area = Area.get_or_none(Area.id == body.area_id)
        if area is None:
            raise not_found("找不到该区域", code="area_not_found")
    p.require_manage(area)
    unit = units.create(
        area, body.name, body.phone, body.contact_name, kind=body.kind, actor=p.user
    )
    return units.as_dict(unit), 201
