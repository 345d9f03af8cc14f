"""Handling units: a street department (`department`) or a property company (`property`).

A unit is a `Department` row: the old department directory is the department kind, so
`departments add/list` and `POST /departments` keep working. `create` is the one way a
unit comes to exist (CLI `units add`, `POST /units`, `departments add`), and it is audited.
"""

from __future__ import annotations

from core import audit
from infra import text
from infra.db import write_transaction
from infra.errors import bad_request, conflict
from models import Area, ChatGroup, Department, StaffAccount, User
from models.units import UnitMember

KINDS = ("department", "property")
KIND_LABELS = {"department": "部门", "property": "物业"}
AREA_KINDS = ("street", "community")
NAME_MAX = 100
PHONE_MAX = 32
CONTACT_MAX = 50


def create(
    area: Area,
    name: str,
    phone: str = "",
    contact_name: str = "",
    *,
    kind: str = "department",
    actor: User | None = None,
    label: str | None = None,
) -> Department:
    """A new unit of `area` (a street or community). 400 naming the field for a bad kind,
    name or area; 409 `department_exists` when the area already has a unit of that name."""
    if kind not in KINDS:
        raise bad_request("单位类型有误", {"kind": "可选：department（部门）、property（物业）"})
    noun = KIND_LABELS[kind]
    if area.kind not in AREA_KINDS:
        raise bad_request(f"{noun}只能登记在街道或社区", {"area_id": "须为街道或社区"})
    name = text.normalise(name or "")
    phone = text.normalise(phone or "")
    contact_name = text.normalise(contact_name or "")
    if not name:
        raise bad_request(f"请填写{noun}名称", {"name": "不能为空"})
    if len(name) > NAME_MAX:
        raise bad_request(f"{noun}名称最多 {NAME_MAX} 字", {"name": f"最多 {NAME_MAX} 个字"})
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
            raise conflict("department_exists", f"{area.name}已有{noun}“{name}”")
        unit = Department.create(
            area=area, name=name, phone=phone, contact_name=contact_name, kind=kind
        )
        audit.record(
            "department.create",
            "department",
            unit.id,
            actor=actor,
            label=label,
            area=area,
            data={"name": name, "kind": kind, "phone": phone, "contact_name": contact_name},
        )
    return unit


def members_of(unit: Department) -> list[UnitMember]:
    """The unit's members with live accounts, in the order they were added."""
    return list(
        UnitMember.select(UnitMember, StaffAccount)
        .join(StaffAccount)
        .where((UnitMember.unit == unit.id) & StaffAccount.active)
        .order_by(UnitMember.id)
    )


def group_of(unit: Department) -> ChatGroup | None:
    """The unit's own WeCom group (robot), if it has a working one."""
    return (
        ChatGroup.select()
        .where((ChatGroup.unit == unit.id) & ChatGroup.active)
        .order_by(ChatGroup.id)
        .first()
    )


def as_dict(unit: Department, *, with_members: bool = False) -> dict:
    out = {
        "id": unit.id,
        "name": unit.name,
        "kind": unit.kind,
        "kind_label": KIND_LABELS.get(unit.kind, unit.kind),
        "phone": unit.phone,
        "contact_name": unit.contact_name,
        "area_id": unit.area_id,
        "area_name": unit.area.name,
        "active": unit.active,
    }
    if with_members:
        out["members"] = [
            {
                "id": m.id,
                "account_id": m.account_id,
                "username": m.account.username,
                "name": m.account.display_name,
                "wecom_userid": m.wecom_userid,
            }
            for m in members_of(unit)
        ]
        group = group_of(unit)
        out["group_id"] = group.id if group else None
    return out
