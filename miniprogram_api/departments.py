"""Departments (吹哨 targets) for staff: the directory of their street and community, and
adding one. Creating goes through `core.people.departments.create`, as the CLI does."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.people import departments
from infra.errors import bad_request, not_found
from miniprogram_api.context import current_principal
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.router import Router
from miniprogram_api.validation import required_text
from models import Area, Department

router = Router("departments")


class DepartmentIn(BaseModel):
    area_id: int | None = Field(
        default=None,
        description="街道或社区的 ID；默认为本人管辖的区域（工作人员为本社区，管理员为本街道）",
    )
    name: required_text(departments.NAME_MAX) = Field(description="部门名称，如“城管执法中队”")
    phone: str = Field(default="", max_length=departments.PHONE_MAX)
    contact_name: str = Field(default="", max_length=departments.CONTACT_MAX)


class DepartmentQuery(PageQuery):
    include_inactive: bool = Field(
        default=False, description="也列出已停用的部门（管理通讯录时用；吹哨时只选在用的）"
    )


class DepartmentOut(BaseModel):
    id: int
    name: str
    phone: str
    contact_name: str
    area_id: int
    area_name: str
    active: bool


class DepartmentPage(BaseModel):
    items: list[DepartmentOut]
    total: int
    page: int
    per_page: int


@router.get(
    "/departments",
    summary="可吹哨的部门：本街道的和本人管辖社区的",
    roles=("staff", "admin"),
    query=DepartmentQuery,
    response=DepartmentPage,
)
def list_departments(query: DepartmentQuery):
    rows = departments.visible_query(current_principal())
    if not query.include_inactive:
        rows = rows.where(Department.active)
    return paginate(rows, query, lambda page: [departments.as_dict(d) for d in page])


@router.post(
    "/departments",
    summary="登记一个部门（街道或社区的吹哨对象）",
    roles=("staff", "admin"),
    body=DepartmentIn,
    response=DepartmentOut,
    status=201,
    errors=(403, 404, 409),
)
def create_department(body: DepartmentIn):
    """工作人员可在本社区登记，街道管理员可在本街道登记；同一区域内部门名称不能重复。"""
    p = current_principal()
    if body.area_id is None:
        if not p.area_roots:
            raise bad_request("请选择街道或社区", {"area_id": "必填"})
        area = p.area_roots[0]
        if area.kind not in departments.DEPARTMENT_AREA_KINDS:
            raise bad_request("请选择街道或社区", {"area_id": "必填"})
    else:
        area = Area.get_or_none(Area.id == body.area_id)
        if area is None:
            raise not_found("找不到该区域", code="area_not_found")
    p.require_manage(area)
    department = departments.create(area, body.name, body.phone, body.contact_name, actor=p.user)
    return departments.as_dict(department), 201
