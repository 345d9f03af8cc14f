"""Who is writing to the bot: a WeCom sender mapped to a steward or staff member, and the
`绑定 CODE` that makes an unknown sender one of them.

WeCom identities are users whose openid is ``wecom:<userid>`` (like offline mode's
``dev:<name>``): they never collide with WeChat openids and never receive subscribe messages.
A steward listed with a WeCom account in the roster but never logged in gets such a user on
first contact.
"""

from __future__ import annotations

import hashlib

from core.people import auth
from core.people.permissions import Principal
from infra import codes
from infra.db import write_transaction
from infra.errors import conflict
from infra.timeutil import utcnow
from models import Area, BindCode, StaffAccount, Steward, User
from models.units import UnitMember

WECOM_OPENID_PREFIX = "wecom:"


def wecom_openid(sender: str) -> str:
    """The pseudo-openid of a WeCom user (at most 64 characters, like the column)."""
    if len(sender) <= 64 - len(WECOM_OPENID_PREFIX):
        return WECOM_OPENID_PREFIX + sender
    return WECOM_OPENID_PREFIX + hashlib.sha1(sender.encode()).hexdigest()


def _wecom_user(sender: str, nickname: str | None = None) -> User:
    openid = wecom_openid(sender)
    user = User.get_or_none(User.openid == openid)
    if user is None:
        user = User.create(openid=openid, nickname=nickname)
    return user


def _link_roster_steward(steward: Steward, sender: str) -> None:
    """A steward whose WeCom account came with the roster, writing for the first time."""
    with write_transaction():
        auth.bind_steward(_wecom_user(sender, steward.name), steward, via="wecom_roster")


def identify(sender: str) -> tuple[Principal | None, User | None]:
    """The sender's principal (None when they are nobody to the system yet) and user."""
    if not sender:
        return None, None
    steward = Steward.get_or_none((Steward.wecom_userid == sender) & Steward.active)
    if steward is not None:
        if steward.user_id is None:
            _link_roster_steward(steward, sender)
            steward = Steward.get_by_id(steward.id)
        user = User.get_by_id(steward.user_id)
        principal = Principal.for_user(user)
        if principal.stewards or principal.is_staff:
            return principal, user
    member = (
        UnitMember.select(UnitMember, StaffAccount)
        .join(StaffAccount)
        .where((UnitMember.wecom_userid == sender) & StaffAccount.active)
        .first()
    )
    if member is not None and member.account.user_id is not None:
        # a handling unit's member, by the WeCom id staff registered for them
        user = User.get_by_id(member.account.user_id)
        principal = Principal.for_user(user)
        if principal.unit_ids:
            return principal, user
    user = User.get_or_none(User.openid == wecom_openid(sender))
    if user is not None:
        principal = Principal.for_user(user)
        if principal.stewards or principal.is_staff or principal.unit_ids:
            return principal, user
    return None, user


STAFF_ROLE_WORDS = {"staff": "工作人员", "admin": "管理员"}


def bound_as(p: Principal) -> str:
    """`王秀英，南门巷的小巷管家`: who a bound sender is, each role named once."""
    parts = []
    for steward in p.stewards:
        alleys = "、".join(a.name for a in steward.alleys()) or "本社区"
        parts.append(f"{steward.name}，{alleys}的小巷管家")
    for account in p.staff_accounts:
        area = Area.get_by_id(account.area_id).name
        parts.append(
            f"{account.display_name}，{area}的{STAFF_ROLE_WORDS.get(account.role, '工作人员')}"
        )
    return "；".join(parts)


def already_bound(p: Principal) -> str:
    return f"您已绑定（{bound_as(p)}），无需重复绑定；如需更换请联系社区"


def _is_already(p: Principal, row: BindCode | None) -> bool:
    """A bound sender binding again: with no usable code, or with a code for who they are."""
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return True
    if row.steward_id:
        return row.steward_id in {s.id for s in p.stewards}
    return row.staff_id in {a.id for a in p.staff_accounts}


def bind_sender(sender: str, code: str) -> str:
    """`绑定 CODE`: the code staff issued makes this WeCom account that steward or colleague.

    A steward who already uses the mini program keeps that login: the code is redeemed for
    their existing user and the WeCom account is linked to it (`Steward.wecom_userid`). A
    sender already bound is told who they are (`您已绑定（…）`) instead of a refusal about the
    code, unless the code makes them someone more (a steward who also joins the staff).
    """
    row = BindCode.get_or_none(BindCode.code_hash == codes.digest(code))
    bound, _ = identify(sender)
    if bound is not None and _is_already(bound, row):
        return already_bound(bound)
    with write_transaction():
        if row is not None and row.steward_id:
            steward = Steward.get_by_id(row.steward_id)
            holder = Steward.get_or_none(Steward.wecom_userid == sender)
            if holder is not None and holder.id != steward.id:
                raise conflict(
                    "wecom_taken", f"您的企业微信已绑定管家{holder.name}，如需更换请联系社区"
                )
            existing = User.get_or_none(User.id == steward.user_id) if steward.user_id else None
            user = existing if existing and existing.openid else _wecom_user(sender)
            auth.redeem_bind_code(user, code)
            auth.link_wecom(steward, sender, actor=user)
            alleys = "、".join(a.name for a in steward.alleys()) or "本社区"
            return f"绑定成功：{steward.name}，您已成为{alleys}的小巷管家。发送“待办”查看要办的事"
        user = _wecom_user(sender)
        grant = auth.redeem_bind_code(user, code)  # raises the right refusal for a bad code
        account = grant.staff
        area = Area.get_by_id(account.area_id).name
        role = STAFF_ROLE_WORDS.get(account.role, "工作人员")
        return f"绑定成功：{account.display_name}，您已成为{area}的{role}。发送“帮助”查看指令"


def steward_phone(sender: str) -> str | None:
    """For an @-mention when a reply has to go out through the group robot."""
    steward = Steward.get_or_none((Steward.wecom_userid == sender) & Steward.active)
    return steward.phone if steward else None
