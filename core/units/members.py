"""A handling unit's members: people who log in and act for the unit.

A member is a console account (`StaffAccount`, role `unit`) hung on the unit's area, with a
`UnitMember` row naming the unit. The account logs in with its password (console and
`POST /auth/password`) and, through a bind code issued for its username (`bind-code --staff
USERNAME` or `--unit-member USERNAME`), from the mini program too: the bind grants the same
role. `Principal.unit_ids` is what the rest of the system asks.
"""

from __future__ import annotations

from flask import current_app
from peewee import fn
from werkzeug.security import generate_password_hash

from core import audit
from core.people import auth
from core.people.permissions import UNIT_ROLE, Principal
from infra import text
from infra.db import write_transaction
from infra.errors import ApiError, bad_request
from models import Department, RoleGrant, StaffAccount, User
from models.units import UnitMember

USERNAME_MAX = 64
PASSWORD_MIN = 8


def create_member(
    unit: Department,
    username: str,
    password: str,
    display_name: str = "",
    wecom_userid: str | None = None,
    *,
    actor: User | None = None,
    label: str | None = None,
) -> UnitMember:
    """A login for one person of `unit`. 400 naming the field for a bad username or a short
    password, 409 `username_taken` when the username exists (any role)."""
    username = (username or "").strip()
    display_name = text.normalise(display_name or "") or username
    if not username or len(username) > USERNAME_MAX:
        raise bad_request("请填写用户名（最多 64 位）", {"username": "不能为空，最多 64 位"})
    if len(password or "") < PASSWORD_MIN:
        raise bad_request("密码至少 8 位", {"password": "密码至少 8 位"})
    if not unit.active:
        raise ApiError(409, "unit_inactive", f"单位“{unit.name}”已停用")
    with write_transaction():
        taken = StaffAccount.select().where(fn.LOWER(StaffAccount.username) == username.lower())
        if taken.exists():
            raise ApiError(409, "username_taken", "该用户名已被使用", {"username": "已被使用"})
        account = StaffAccount.create(
            username=username,
            password_hash=generate_password_hash(
                password, method=current_app.config["PASSWORD_HASH_METHOD"]
            ),
            display_name=display_name[:50],
            role=UNIT_ROLE,
            area=unit.area_id,
        )
        auth.ensure_console_user(account)  # the password login's identity and its grant
        member = UnitMember.create(unit=unit, account=account, wecom_userid=wecom_userid or None)
        audit.record(
            "unit.member_create",
            "department",
            unit.id,
            actor=actor,
            label=label,
            area=unit.area_id,
            data={"account_id": account.id, "username": username, "name": display_name},
        )
    return member


def member_for(p: Principal, unit_id: int) -> UnitMember | None:
    """The caller's membership of `unit_id` (through a live grant: the password login's or a
    WeChat bind's), None when they do not act for it."""
    if unit_id not in p.unit_ids or p.user is None:
        return None
    accounts = RoleGrant.select(RoleGrant.staff).where(
        (RoleGrant.user == p.user.id)
        & (RoleGrant.role == UNIT_ROLE)
        & RoleGrant.revoked_at.is_null()
    )
    return (
        UnitMember.select(UnitMember, StaffAccount)
        .join(StaffAccount)
        .where((UnitMember.unit == unit_id) & UnitMember.account.in_(accounts))
        .first()
    )


def person_label(p: Principal, unit: Department) -> str:
    """How the trail names a unit member acting: `住建办 王工`."""
    member = member_for(p, unit.id)
    name = member.account.display_name if member else (p.user.nickname if p.user else "")
    return f"{unit.name} {name}".strip()
