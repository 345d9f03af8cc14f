"""The departments a whistle (吹哨) can go to: the street's (or a community's) directory.

`create` is the one way a department comes to exist — `flask --app app departments add`
and `POST /api/v1/departments` both call it, and it is audited. Departments hang on a street
or a community; a whistle from an alley may go to any department on the alley's path.
"""

from __future__ import annotations

from core import audit, text
from core.db import write_transaction
from core.errors import bad_request, conflict
from core.people.permissions import Principal
from models import Area, Department, User

DEPARTMENT_AREA_KINDS = ("street", "community")
NAME_MAX = 100
PHONE_MAX = 32
CONTACT_MAX = 50


def create(
    area: Area,
    name: str,
    phone: str = "",
    contact_name: str = "",
    *,
    actor: User | None = None,
    label: str | None = None,
) -> Department:
    """A new department of `area` (a street or community). 400 for a bad name or area,
    409 `department_exists` when the area already has one of that name."""
    if area.kind not in DEPARTMENT_AREA_KINDS:
        raise bad_request("部门只能登记在街道或社区", {"area_id": "须为街道或社区"})
    name = text.normalise(name or "")
    phone = text.normalise(phone or "")
    contact_name = text.normalise(contact_name or "")
    if not name:
        raise bad_request("请填写部门名称", {"name": "不能为空"})
    if len(name) > NAME_MAX:
        raise bad_request(f"部门名称最多 {NAME_MAX} 字", {"name": f"最多 {NAME_MAX} 个字"})
    if len(phone) > PHONE_MAX:
        raise bad_request(f"电话最多 {PHONE_MAX} 位", {"phone": f"最多 {PHONE_MAX} 个字"})
    if len(contact_name) > CONTACT_MAX:
        raise bad_request("联系人最多 50 字", {"contact_name": f"最多 {CONTACT_MAX} 个字"})
    with write_transaction():
        exists = (
            Department.select()
            .where((Department.area == area) & (Department.name == name))
            .exists()
        )
        if exists:
            raise conflict("department_exists", f"{area.name}已有部门“{name}”")
        department = Department.create(area=area, name=name, phone=phone, contact_name=contact_name)
        audit.record(
            "department.create",
            "department",
            department.id,
            actor=actor,
            label=label,
            area=area,
            data={"name": name, "phone": phone, "contact_name": contact_name},
        )
    return department


def visible_query(p: Principal):
    """The departments `p` may whistle to or manage: those on the path above their scope
    (their street's) and those inside it (their communities')."""
    ancestor_ids = {i for root in p.area_roots for i in root.ancestor_ids()}
    cond = Department.area.in_(sorted(ancestor_ids)) if ancestor_ids else (Department.id < 0)
    for root in p.area_roots:
        cond = cond | Department.area.in_(
            Area.select(Area.id).where(Area.path.startswith(root.path))
        )
    return (
        Department.select(Department, Area)
        .join(Area)
        .where(cond)
        .order_by(Area.path, Department.name, Department.id)
    )


def all_departments():
    return (
        Department.select(Department, Area)
        .join(Area)
        .order_by(Area.path, Department.name, Department.id)
    )


def as_dict(department: Department) -> dict:
    return {
        "id": department.id,
        "name": department.name,
        "phone": department.phone,
        "contact_name": department.contact_name,
        "area_id": department.area_id,
        "area_name": department.area.name,
        "active": department.active,
    }


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
