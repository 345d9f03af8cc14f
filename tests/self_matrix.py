"""The permission matrix's "self" rows (tests/test_permissions): every staff action that moves
points, hours or money-like value, tried by a staff member on their own passbook, record or
registration — through the console login, the WeChat user bound to the same staff account, or
the steward record the same person serves as. Each row builds the situation in the matrix's
world and returns the request, the refusal expected, and what must not have moved.

One row is allowed on purpose: redeeming from one's own passbook at the counter spends only
points already counted (every credit to that passbook went through someone else), so a staff
member may do it like any resident; the row checks that only their own balance went down.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from core.people import auth
from core.people.permissions import Principal
from core.timebank import adjustments, postings
from core.timebank.postings import Holder
from core.volunteering import activities, grading, records, volunteers
from infra.db import write_transaction
from infra.timeutil import utcnow
from models import (
    PartyGrading,
    PointAccount,
    PointAdjustment,
    PointEntry,
    RoleGrant,
    ServiceRecord,
    ShopItem,
    User,
    Volunteer,
)
from tests.factories import login

API = "/api/v1"
_seq = itertools.count(1)


def _c1(w):
    return w["district"].communities[0]


def _p(account) -> Principal:
    return Principal.for_user(account.user)


def _book(user_id=None, steward_id=None, community=None, points=0, w=None) -> PointAccount:
    holder = Holder(user_id=user_id) if user_id else Holder(steward_id=steward_id)
    account = postings.account_for(community or _c1(w), holder)
    if points:
        with write_transaction():
            postings.post(account, points, rule="adjustment", source_type="adjustment", reason="t")
    return account


def _balances() -> dict:
    return {a.id: a.balance for a in PointAccount.select()}


def _staff_wechat(w) -> tuple[User, dict]:
    """The WeChat user bound to the staff member's own account (same person, second login)."""
    if "staff_wechat" not in w:
        headers = login(w["client"], "工作人员本人微信")
        code, _ = auth.issue_bind_code(staff=w["staff"], issued_by="test")
        res = w["client"].post(f"{API}/auth/bind", json={"code": code}, headers=headers)
        assert res.status_code == 200, res.get_json()
        w["staff_wechat"] = (User.get(User.openid == "dev:工作人员本人微信"), headers)
    return w["staff_wechat"]


def _staff_as_steward(w):
    """The staff member also serves as the steward of an alley (a second identity: a steward
    record with its own passbook and service records)."""
    steward = w["district"].stewards[1]
    RoleGrant.get_or_create(user=w["staff"].user, role="steward", steward=steward)
    return steward


def _pending(maker, account, points=80) -> PointAdjustment:
    return adjustments.adjust(
        _p(maker), account, rule="adjustment", points=points, reason="表彰"
    ).pending


def _record(w, *, user=None, steward=None, certified_by=None) -> ServiceRecord:
    record = ServiceRecord.create(
        community=_c1(w),
        user=user,
        steward=steward,
        person_name="服务人",
        source_type="patrol",
        source_key=f"self:{next(_seq)}",
        title="街巷巡查",
        served_on=utcnow().date(),
        hours=Decimal("2.0"),
        organiser=_c1(w).name,
    )
    if certified_by is not None:
        records.certify(_p(certified_by), record.id)
    return ServiceRecord.get_by_id(record.id)


def _record_state(record_id):
    return lambda: (
        ServiceRecord.get_by_id(record_id).status,
        str(ServiceRecord.get_by_id(record_id).hours),
        ServiceRecord.select().count(),
        _balances(),
    )


def _staff_volunteer(w, party=False) -> Volunteer:
    unit = None
    if party:
        unit = volunteers.add_unit(_p(w["admin"]), _c1(w).id, f"单位{next(_seq)}").id
    return volunteers.register(
        _p(w["staff"]), _c1(w).id, "工作人员本人", "13800002222", party_member=party, unit_id=unit
    )


def _attendance(w, step: str) -> dict:
    volunteer = _staff_volunteer(w)
    start = utcnow() - timedelta(minutes=10)
    activity = activities.publish(
        _p(w["admin"]), _c1(w).id, "义务理发", "广场", start, start + timedelta(hours=2), 5
    )
    activities.signup(_p(w["staff"]), activity.id)
    if step == "check-out":
        activities.check_in(_p(w["staff"]), activity.id)
    body = {"volunteer_id": volunteer.id, "at": (start + timedelta(hours=3)).isoformat() + "Z"}
    if step == "check-in":
        body["at"] = (start - timedelta(minutes=25)).isoformat() + "Z"
    return {
        "method": "POST",
        "path": f"{API}/activities/{activity.id}/{step}",
        "json": body,
        "code": "own_attendance",
        "unchanged": lambda: (
            [(s.checked_in_at, s.checked_out_at) for s in activities.signups_of(activity)],
            ServiceRecord.select().count(),
        ),
    }


# --- the rows --------------------------------------------------------------------------------


def adjust_own_passbook(w):
    account = _book(user_id=w["staff"].user_id, w=w)
    return {
        "method": "POST",
        "path": f"{API}/points/adjustments",
        "json": {"member_code": account.member_code, "rule": "meeting", "reason": "例会"},
        "code": "own_passbook",
        "unchanged": _balances,
    }


def adjust_own_wechat_passbook_from_the_console(w):
    user, _ = _staff_wechat(w)
    account = _book(user_id=user.id, w=w)
    return {
        "method": "POST",
        "path": f"{API}/points/adjustments",
        "json": {
            "member_code": account.member_code,
            "rule": "adjustment",
            "points": 30,
            "reason": "补录",
        },
        "code": "own_passbook",
        "unchanged": _balances,
    }


def adjust_own_steward_passbook(w):
    steward = _staff_as_steward(w)
    return {
        "method": "POST",
        "path": f"{API}/points/adjustments",
        "json": {"steward_id": steward.id, "rule": "commended", "reason": "受表彰"},
        "code": "own_passbook",
        "unchanged": lambda: (_balances(), PointAccount.select().count()),
    }


def approve_own_adjustment(w):
    pending = _pending(w["staff"], _book(user_id=User.create(nickname="居民").id, w=w))
    return {
        "method": "POST",
        "path": f"{API}/points/adjustments/{pending.id}/approve",
        "code": "own_adjustment",
        "unchanged": lambda: (PointAdjustment.get_by_id(pending.id).status, _balances()),
    }


def approve_own_adjustment_from_ones_wechat(w):
    pending = _pending(w["staff"], _book(user_id=User.create(nickname="居民").id, w=w))
    _, headers = _staff_wechat(w)
    return {
        "method": "POST",
        "path": f"{API}/points/adjustments/{pending.id}/approve",
        "headers": headers,
        "code": "own_adjustment",
        "unchanged": lambda: (PointAdjustment.get_by_id(pending.id).status, _balances()),
    }


def approve_an_adjustment_of_ones_own_passbook(w):
    pending = _pending(w["admin"], _book(user_id=w["staff"].user_id, w=w))
    return {
        "method": "POST",
        "path": f"{API}/points/adjustments/{pending.id}/approve",
        "code": "own_passbook",
        "unchanged": lambda: (PointAdjustment.get_by_id(pending.id).status, _balances()),
    }


def refuse_a_deduction_of_ones_own_passbook(w):
    pending = _pending(w["admin"], _book(user_id=w["staff"].user_id, w=w), points=-80)
    return {
        "method": "POST",
        "path": f"{API}/points/adjustments/{pending.id}/reject",
        "json": {"reason": "不同意"},
        "code": "own_passbook",
        "unchanged": lambda: (PointAdjustment.get_by_id(pending.id).status, _balances()),
    }


def reverse_a_deduction_on_ones_own_passbook(w):
    account = _book(user_id=w["staff"].user_id, points=10, w=w)
    with write_transaction():
        entry = postings.post(
            account, -5, rule="false_record", source_type="adjustment", reason="虚报"
        )
    return {
        "method": "POST",
        "path": f"{API}/points/entries/{entry.id}/reverse",
        "json": {"reason": "记错了"},
        "code": "own_passbook",
        "unchanged": lambda: (_balances(), PointEntry.select().count()),
    }


def certify_own_record(w):
    record = _record(w, user=w["staff"].user)
    return {
        "method": "POST",
        "path": f"{API}/service-records/{record.id}/certify",
        "code": "own_record",
        "unchanged": _record_state(record.id),
    }


def certify_own_record_among_others(w):
    mine = _record(w, user=w["staff"].user)
    other = _record(w, steward=w["district"].stewards[0])
    return {
        "method": "POST",
        "path": f"{API}/service-records/certify",
        "json": {"ids": [other.id, mine.id]},
        "code": "own_record",
        "unchanged": lambda: (_record_state(mine.id)(), ServiceRecord.get_by_id(other.id).status),
    }


def certify_own_steward_record(w):
    record = _record(w, steward=_staff_as_steward(w))
    return {
        "method": "POST",
        "path": f"{API}/service-records/{record.id}/certify",
        "code": "own_record",
        "unchanged": _record_state(record.id),
    }


def certify_own_wechat_record_from_the_console(w):
    user, _ = _staff_wechat(w)
    record = _record(w, user=user)
    return {
        "method": "POST",
        "path": f"{API}/service-records/{record.id}/certify",
        "code": "own_record",
        "unchanged": _record_state(record.id),
    }


def change_own_pending_hours(w):
    record = _record(w, user=w["staff"].user)
    return {
        "method": "PATCH",
        "path": f"{API}/service-records/{record.id}",
        "json": {"hours": 24},
        "code": "own_record",
        "unchanged": _record_state(record.id),
    }


def correct_own_certified_record(w):
    record = _record(w, user=w["staff"].user, certified_by=w["admin"])
    return {
        "method": "POST",
        "path": f"{API}/service-records/{record.id}/corrections",
        "json": {"reason": "时长记少了", "hours": 8},
        "code": "own_record",
        "unchanged": _record_state(record.id),
    }


def check_oneself_in_as_staff(w):
    return _attendance(w, "check-in")


def check_oneself_out_as_staff(w):
    return _attendance(w, "check-out")


def confirm_own_party_registration(w):
    volunteer = _staff_volunteer(w, party=True)
    return {
        "method": "POST",
        "path": f"{API}/volunteers/{volunteer.id}/party-review",
        "json": {"approve": True},
        "code": "own_registration",
        "unchanged": lambda: Volunteer.get_by_id(volunteer.id).party_status,
    }


def grade_oneself(w):
    volunteer = _staff_volunteer(w, party=True)
    volunteers.review_party_member(_p(w["admin"]), volunteer.id, True)
    rows = grading.propose(_p(w["admin"]), _c1(w).id, utcnow().year)
    row = next(r for r in rows if r.volunteer_id == volunteer.id)
    return {
        "method": "POST",
        "path": f"{API}/party-gradings/{row.id}/confirm",
        "json": {"grade": "好", "reason": "表现突出"},
        "code": "own_grading",
        "unchanged": lambda: PartyGrading.get_by_id(row.id).grade,
    }


def rate_ones_own_resolved_issue(w):
    """A steward (not staff) who reports an issue of their own alley from their WeChat login
    and resolves it would rate their own work (the 群众满意 point)."""
    c, steward_headers = w["client"], w["headers"]["steward"]
    body = {"board_code": w["district"].boards[0].code, "category": "环境卫生", "content": "垃圾"}
    issue_id = c.post(f"{API}/issues", json=body, headers=steward_headers).get_json()["id"]
    for action, data in (("accept", {}), ("resolve", {"note": "清走了"})):
        res = c.post(f"{API}/issues/{issue_id}/{action}", json=data, headers=steward_headers)
        assert res.status_code == 200, res.get_json()
    return {
        "method": "POST",
        "path": f"{API}/issues/{issue_id}/rate",
        "json": {"score": 5},
        "headers": steward_headers,
        "code": "own_work",
        "unchanged": lambda: (_balances(), PointEntry.select().count()),
    }


def redeem_for_oneself_at_the_counter(w):
    """Allowed: spends only points already counted (see the module's docstring)."""
    account = _book(user_id=w["staff"].user_id, points=10, w=w)
    item = ShopItem.create(community=_c1(w), name="毛巾", category="日用百货", price=4, stock=2)
    others = {k: v for k, v in _balances().items() if k != account.id}
    return {
        "method": "POST",
        "path": f"{API}/shop/items/{item.id}/redeem",
        "json": {"member_code": account.member_code},
        "allowed": lambda: (
            PointAccount.get_by_id(account.id).balance == 6
            and {k: v for k, v in _balances().items() if k != account.id} == others
            and ShopItem.get_by_id(item.id).stock == 1
        ),
    }


SELF_ROWS = {
    fn.__name__: fn
    for fn in (
        adjust_own_passbook,
        adjust_own_wechat_passbook_from_the_console,
        adjust_own_steward_passbook,
        approve_own_adjustment,
        approve_own_adjustment_from_ones_wechat,
        approve_an_adjustment_of_ones_own_passbook,
        refuse_a_deduction_of_ones_own_passbook,
        reverse_a_deduction_on_ones_own_passbook,
        certify_own_record,
        certify_own_record_among_others,
        certify_own_steward_record,
        certify_own_wechat_record_from_the_console,
        change_own_pending_hours,
        correct_own_certified_record,
        check_oneself_in_as_staff,
        check_oneself_out_as_staff,
        confirm_own_party_registration,
        grade_oneself,
        rate_ones_own_resolved_issue,
        redeem_for_oneself_at_the_counter,
    )
}
