"""The departments a whistle (吹哨) can go to: the street's (or a community's) directory.

`create` is the one way a department comes to exist — `flask --app app departments add`
and `POST /api/v1/departments` both call it, and it is audited. Departments hang on a street
or a community; a whistle from an alley may go to any department on the alley's path.
"""

from __future__ import annotations

from core import audit
from core.people.permissions import Principal
from core.units import units
from infra.db import write_transaction
from models import Area, Department, User

DEPARTMENT_AREA_KINDS = units.AREA_KINDS
NAME_MAX = units.NAME_MAX
PHONE_MAX = units.PHONE_MAX
CONTACT_MAX = units.CONTACT_MAX


def create(
    area: Area,
    name: str,
    phone: str = "",
    contact_name: str = "",
    *,
    actor: User | None = None,
    label: str | None = None,
) -> Department:
    """A new department of `area` (a street or community): a handling unit of kind
    `department` (`core.units.units.create`). 400 for a bad name or area, 409
    `department_exists` when the area already has one of that name."""
    return units.create(
        area, name, phone, contact_name, kind="department", actor=actor, label=label
    )


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
