"""The departments staff can whistle (吹哨) to: the directories of the streets they work in."""

from __future__ import annotations

from pydantic import BaseModel

from miniprogram_api.context import current_principal
from miniprogram_api.router import Router
from models import Area, Department

router = Router("departments")


class DepartmentOut(BaseModel):
    id: int
    name: str
    contact_name: str
    phone: str
    area_id: int


class DepartmentList(BaseModel):
    items: list[DepartmentOut]


@router.get(
    "/departments",
    summary="可吹哨的部门（本人所在街道的部门通讯录）",
    roles=("staff", "admin"),
    response=DepartmentList,
)
def list_departments():
    """工作人员看到所在街道的部门，街道管理员看到本街道的部门；只列出在用的部门。"""
    roots = current_principal().area_roots
    rows = (
        Department.select(Department, Area)
        .join(Area)
        .where(Department.active)
        .order_by(Department.name, Department.id)
    )
    return {
        "items": [
            {
                "id": d.id,
                "name": d.name,
                "contact_name": d.contact_name,
                "phone": d.phone,
                "area_id": d.area_id,
            }
            for d in rows
            if any(d.area.covers(root) or root.covers(d.area) for root in roots)
        ]
    }
