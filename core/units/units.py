"""Handling units: a street department (`department`) or a property company (`property`).

A unit is a `Department` row: the old department directory is the department kind, so
`departments add/list` and `POST /departments` keep working. `create` is the one way a
unit comes to exist (CLI `units add`, `POST /units`, `departments add`), `update` the one way
it changes (the console), and both are audited. `workload` counts what each unit holds.
"""

from __future__ import annotations

from datetime import datetime

from peewee import fn

from core import audit
from infra import text
from infra.db import write_transaction
from infra.errors import bad_request, conflict
from models import Area, ChatGroup, Department, Issue, StaffAccount, User
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
    name, phone, contact_name = _checked(area, kind, name, phone, contact_name)
    noun = KIND_LABELS[kind]
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


def _checked(area: Area, kind: str, name: str, phone: str, contact_name: str) -> tuple:
    """The fields, normalised; 400 naming the field for a bad kind, name, phone or area."""
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
    return name, phone, contact_name


def update(
    unit: Department,
    name: str,
    phone: str = "",
    contact_name: str = "",
    *,
    kind: str | None = None,
    actor: User | None = None,
) -> Department:
    """Change a unit's name, kind, phone shown to residents or contact person. The same checks
    as `create`; 409 `department_exists` when another unit of the area has the new name. The
    audit event keeps each changed field from and to."""
    kind = kind or unit.kind
    area = Area.get_by_id(unit.area_id)
    name, phone, contact_name = _checked(area, kind, name, phone, contact_name)
    with write_transaction():
        row = Department.get_by_id(unit.id)
        after = {"name": name, "kind": kind, "phone": phone, "contact_name": contact_name}
        changed = {
            k: {"from": getattr(row, k), "to": v}
            for k, v in after.items()
            if (getattr(row, k) or "") != v
        }
        if not changed:
            return row
        clash = Department.select().where(
            (Department.area == row.area_id) & (Department.name == name) & (Department.id != row.id)
        )
        if clash.exists():
            raise conflict("department_exists", f"{area.name}已有单位“{name}”")
        Department.update(**after).where(Department.id == row.id).execute()
        audit.record(
            "department.update",
            "department",
            row.id,
            actor=actor,
            area=row.area_id,
            data={"changes": changed},
        )
    return Department.get_by_id(unit.id)


def workload(unit_ids: list[int], now: datetime) -> dict[int, dict[str, int]]:
    """For each unit: live members, items in its hands (whistled to it, open) and of those
    the overdue ones and the ones not yet 报到 — three grouped queries for a whole list."""
    out = {i: {"members": 0, "open": 0, "overdue": 0, "unchecked": 0} for i in unit_ids}
    if not unit_ids:
        return out
    members = (
        UnitMember.select(UnitMember.unit, fn.COUNT(UnitMember.id))
        .join(StaffAccount)
        .where(UnitMember.unit.in_(unit_ids) & StaffAccount.active)
        .group_by(UnitMember.unit)
        .tuples()
    )
    for unit_id, n in members:
        out[unit_id]["members"] = n
    held = Issue.select(Issue.department, fn.COUNT(Issue.id)).where(
        Issue.department.in_(unit_ids) & (Issue.status == "whistled")
    )
    for key, extra in (
        ("open", None),
        ("overdue", Issue.deadline < now),
        ("unchecked", Issue.checked_in_at.is_null()),
    ):
        q = held if extra is None else held.where(extra)
        for unit_id, n in q.group_by(Issue.department).tuples():
            out[unit_id][key] = n
    return out


def members_of(unit: Department, *, include_inactive: bool = False) -> list[UnitMember]:
    """The unit's members with live accounts (also the disabled ones with
    `include_inactive`: the console's member list), in the order they were added."""
    q = UnitMember.select(UnitMember, StaffAccount).join(StaffAccount)
    q = q.where(UnitMember.unit == unit.id)
    if not include_inactive:
        q = q.where(StaffAccount.active)
    return list(q.order_by(UnitMember.id))


def whistle_targets(issue: Issue) -> list[Department]:
    """The live units an item may be whistled to: those of the street or community above its
    alley (what `handling.whistle` accepts), departments first."""
    alley = Area.get_by_id(issue.alley_id)
    return list(
        Department.select()
        .where(Department.area.in_(alley.ancestor_ids() or [alley.id]) & Department.active)
        .order_by(Department.kind, Department.name, Department.id)
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
