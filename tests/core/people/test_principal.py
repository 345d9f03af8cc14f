"""Who a person is to the permission rules (`core.people.permissions.Principal`): roles and
scopes from staff accounts, steward records and grants, and what is left of them after an
account is disabled, a steward dismissed or a grant revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.people import auth
from core.people.permissions import Principal
from infra.errors import ApiError
from models import (
    RoleGrant,
    StaffAccount,
    Steward,
)
from tests.factories import (
    api_post,
    login,
    login_staff,
    make_district,
    make_staff,
    report_issue,
)

API = "/api/v1"


def test_disabled_staff_account_old_token_loses_the_role(client, neighbours):
    w = neighbours
    account = StaffAccount.get(StaffAccount.area == w["d"].communities[0])
    assert client.get(f"{API}/outbox", headers=w["staff_x"]).status_code == 200
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2)):
        StaffAccount.update(active=False).where(StaffAccount.id == account.id).execute()
        assert client.get(f"{API}/outbox", headers=w["staff_x"]).status_code == 403
        assert client.get(f"{API}/areas", headers=w["staff_x"]).status_code == 403
        me = client.get(f"{API}/me", headers=w["staff_x"]).get_json()
        assert me["roles"] == []
        # And its password no longer logs in.
        res = client.post(
            f"{API}/auth/password", json={"username": account.username, "password": "password123"}
        )
        assert res.status_code in (401, 403)


def test_inactive_steward_keeps_no_role_even_with_a_grant_left_over(client, neighbours):
    """A steward marked inactive by any path (roster, database) loses the role at once."""
    w = neighbours
    steward = w["d"].stewards[0]
    grant = RoleGrant.get((RoleGrant.steward == steward) & RoleGrant.revoked_at.is_null())
    before = Principal.for_user(grant.user)
    assert before.roles == {"resident", "steward"} and before.alley_ids == {w["d"].alleys[0].id}
    Steward.update(active=False).where(Steward.id == steward.id).execute()
    after = Principal.for_user(grant.user)
    assert after.roles == {"resident"}
    assert after.stewards == [] and after.alley_ids == set()
    assert client.get(f"{API}/patrols", headers=w["steward_a"]).status_code == 403


def test_a_disabled_unit_member_acts_for_the_unit_no_more(client, neighbours):
    """停用 a unit member: their grant stays (a WeChat bind's user keeps its token), but the
    principal counts only grants of live accounts, so the unit role and the unit go at once;
    恢复 gives them back."""
    from core.units import members, units

    unit = units.create(neighbours["d"].street, "住建办")
    member = members.create_member(unit, "zjb-li", "password123", "李工")
    user = StaffAccount.get_by_id(member.account_id).user
    assert Principal.for_user(user).roles == {"unit"}
    assert Principal.for_user(user).unit_ids == {unit.id}
    members.set_active(member, False)
    gone = Principal.for_user(user)
    assert gone.roles == set() and gone.unit_ids == set()
    members.set_active(member, True)
    assert Principal.for_user(user).unit_ids == {unit.id}


def test_principal_roles_scopes_and_staff_flag(client, neighbours):
    w = neighbours
    d = w["d"]
    steward_user = RoleGrant.get(RoleGrant.steward == d.stewards[0]).user
    p = Principal.for_user(steward_user)
    assert p.is_staff is False
    assert p.can_see(d.alleys[0]) and not p.can_see(d.alleys[1])
    assert not p.can_manage(d.alleys[0])
    assert p.has_any(["steward"]) and not p.has_any(["staff", "admin"])
    staff_user = StaffAccount.get(StaffAccount.area == d.communities[0]).user
    s = Principal.for_user(staff_user)
    assert s.is_staff is True and s.roles == {"staff"}
    assert s.can_manage(d.alleys[1]) and not s.can_manage(d.alleys[2])
    assert [a.id for a in s.area_roots] == [d.communities[0].id]
    anon = Principal.anonymous()
    assert not anon.authenticated and not anon.is_staff and anon.describe()["roles"] == []
    assert p.describe() == {
        "roles": ["resident", "steward"],
        "area_ids": [],
        "alley_ids": [d.alleys[0].id],
        "steward_ids": [d.stewards[0].id],
        "unit_ids": [],
    }


def test_admin_of_another_street_does_not_manage_this_one(client, neighbours):
    w = neighbours
    other = make_district("别的街道", communities=1, alleys_per_community=1)
    admin = make_staff(other.street, role="admin")
    headers = login_staff(client, admin)
    issue_id = report_issue(client, w)
    res = client.post(
        f"{API}/issues/{issue_id}/assign", json={"priority": "major"}, headers=headers
    )
    assert res.status_code == 404
    assert client.get(f"{API}/issues?scope=area", headers=headers).get_json()["total"] == 0


def test_principal_of_staff_and_admin_and_the_refusals_it_raises(client, neighbours):
    d = neighbours["d"]
    account = StaffAccount.get(StaffAccount.area == d.communities[0])
    staff = Principal.for_user(account.user)
    assert staff.staff_accounts == [account] and staff.stewards == []
    assert staff.describe() == {
        "roles": ["staff"],
        "area_ids": [d.communities[0].id],
        "alley_ids": [],
        "steward_ids": [],
        "unit_ids": [],
    }
    staff.require_manage(d.alleys[1])
    staff.require_see(d.alleys[1])
    for check in (staff.require_manage, staff.require_see):
        with pytest.raises(ApiError) as refused:
            check(d.alleys[2])
        assert refused.value.status == 403 and refused.value.code == "out_of_scope"
        assert refused.value.message == "该区域不在您的管辖范围内"
    admin = Principal.for_user(auth.ensure_console_user(make_staff(d.street, role="admin")))
    assert admin.roles == {"admin"} and admin.is_staff
    assert all(admin.can_manage(a) for a in d.alleys)
    steward_user = RoleGrant.get(RoleGrant.steward == d.stewards[0]).user
    steward = Principal.for_user(steward_user)
    steward.require_see(d.alleys[0])
    assert steward.staff_accounts == []
    with pytest.raises(ApiError) as refused:
        steward.require_manage(d.alleys[0])
    assert refused.value.code == "out_of_scope"
    with pytest.raises(ApiError):
        steward.require_see(d.alleys[1])


def test_a_revoked_grant_gives_no_role(client, neighbours):
    d = neighbours["d"]
    grant = RoleGrant.get(RoleGrant.steward == d.stewards[0])
    RoleGrant.update(revoked_at=datetime.now(UTC).replace(tzinfo=None)).where(
        RoleGrant.id == grant.id
    ).execute()
    p = Principal.for_user(grant.user)
    assert p.roles == {"resident"} and p.alley_ids == set()


def test_staff_who_is_also_a_steward_elsewhere_sees_both_scopes(client, neighbours):
    """Two scopes in one person (staff of X, steward of alley C in Y): the area list is the union."""
    w = neighbours
    d = w["d"]
    in_x = report_issue(client, w, alley=1)
    in_c = report_issue(client, w, alley=2)
    report_issue(client, w, alley=3)  # alley D: neither scope
    code, _ = auth.issue_bind_code(steward=d.stewards[2], issued_by="test")
    account = StaffAccount.get(StaffAccount.area == d.communities[0])
    wechat = login(client, "社区小王")
    staff_code, _ = auth.issue_bind_code(staff=account, issued_by="test")
    api_post(client, "/auth/bind", wechat, {"code": staff_code})
    api_post(client, "/auth/bind", wechat, {"code": code})
    listed = client.get(f"{API}/issues?scope=area", headers=wechat).get_json()
    assert {i["id"] for i in listed["items"]} == {in_x, in_c}
