"""The street's department directory used by 吹哨 (whistle): who answers when a community
cannot solve a problem alone. A department belongs to a street (or any area above the
communities it serves); `core.items.issues.whistle` accepts departments whose area covers
the issue's alley."""

from __future__ import annotations

from core import audit
from core.db import write_transaction
from core.errors import ApiError, bad_request
from core.people import phones
from models import Area, Department, User

NAME_MAX = 100


def add(
    area: Area,
    name: str,
    *,
    phone: str = "",
    contact_name: str = "",
    actor: User | None = None,
    label: str | None = None,
) -> Department:
    """Add a department to `area`'s directory (a name is unique within the area)."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise bad_request("请填写部门名称（100 字以内）", {"name": "请填写部门名称"})
    if area.kind not in ("street", "community"):
        raise bad_request("部门须登记在街道或社区", {"area": "应选择街道或社区"})
    phone = (phone or "").strip()
    if phone:
        try:
            phone = phones.contact(phone) or ""
        except ValueError as exc:
            raise bad_request(str(exc), {"phone": str(exc)}) from exc
    with write_transaction():
        if (
            Department.select()
            .where((Department.area == area) & (Department.name == name))
            .exists()
        ):
            raise ApiError(409, "department_exists", f"{area.name}已有“{name}”")
        dept = Department.create(
            area=area, name=name, phone=phone, contact_name=(contact_name or "").strip()[:50]
        )
        audit.record(
            "department.add",
            "department",
            dept.id,
            actor=actor,
            label=label,
            area=area,
            data={"name": name},
        )
    return dept


def set_active(dept: Department, active: bool, *, actor: User | None = None) -> Department:
    """Take a department out of the whistle list (or back); its past whistles keep it."""
    with write_transaction():
        Department.update(active=active).where(Department.id == dept.id).execute()
        audit.record(
            "department.enable" if active else "department.disable",
            "department",
            dept.id,
            actor=actor,
            area=dept.area_id,
        )
    return Department.get_by_id(dept.id)
