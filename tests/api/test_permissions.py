"""The permission matrix: every API route × every role, allowed or refused (the rows are in
tests/api/permission_matrix.py); nobody credits themselves; and scopes."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.people import auth
from miniprogram_api.openapi import openapi_path
from miniprogram_api.router import ALL_ROUTES
from tests.api.permission_matrix import MATRIX, ROLES
from tests.factories import login, login_staff, login_steward, make_district, make_staff
from tests.self_matrix import SELF_ROWS


def test_matrix_names_every_route():
    routes = {(spec.method, openapi_path(spec.rule)) for spec in ALL_ROUTES}
    assert routes == set(MATRIX), "add new routes to the permission matrix"


@pytest.fixture
def world(client):
    from core.units import members
    from models import Department

    d = make_district()
    staff = make_staff(d.communities[0])
    admin = make_staff(d.street, role="admin")
    department = Department.create(area=d.street, name="城管")
    unit_member = members.create_member(department, "unit-member", "password123").account
    headers = {
        "anonymous": {},
        "resident": login(client, "居民甲"),
        "neighbour": login(client, "邻居乙"),
        "steward": login_steward(client, d.stewards[0]),
        "staff": login_staff(client, staff),
        "admin": login_staff(client, admin),
        "unit": login_staff(client, unit_member),
    }
    return {
        "client": client,
        "district": d,
        "staff": staff,
        "admin": admin,
        "headers": headers,
        "free_steward": d.stewards[1],
        "department": department,
        "unit": unit_member,
    }


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_permission_matrix(client, world, route):
    method, path = route
    allowed, build = MATRIX[route]
    for role in ROLES:
        kwargs = {"path": path, **build(world)}
        headers = dict(world["headers"][role])
        res = client.open(method=method, headers=headers, **kwargs)
        if role in allowed:
            assert res.status_code < 400, (role, res.status_code, res.get_json())
        elif role == "anonymous":
            assert res.status_code == 401, (role, res.status_code, res.get_json())
        else:
            # 404 where the item is not even visible to that role
            assert res.status_code in (403, 404), (role, res.status_code, res.get_json())
            assert res.get_json()["error"]["code"]
        if path.endswith("/logout") and role in allowed and role != "anonymous":
            world["headers"][role] = _relogin(client, world, role)


@pytest.mark.parametrize("row", sorted(SELF_ROWS))
def test_nobody_credits_themselves(client, world, row):
    """The "self" rows: a staff member (or, for a rating, a steward) acting on their own
    passbook, record or registration is refused with 403 and a Chinese reason, and nothing
    moved; the one allowed row (spending one's own counted points at the counter) moves only
    what it should."""
    from core.timebank import postings

    spec = SELF_ROWS[row](world)
    watch = spec.get("unchanged")
    before = watch() if watch else None
    res = client.open(
        method=spec["method"],
        path=spec["path"],
        json=spec.get("json", {}),
        headers=spec.get("headers", world["headers"]["staff"]),
    )
    if "allowed" in spec:
        assert res.status_code == 200, res.get_json()
        assert spec["allowed"]()
    else:
        assert res.status_code == 403, (row, res.status_code, res.get_json())
        error = res.get_json()["error"]
        assert error["code"] == spec["code"], error
        assert "自己" in error["message"], error
        assert watch() == before
    assert postings.audit_balances() == []


def _relogin(client, world, role):
    d = world["district"]
    if role in ("resident", "neighbour"):
        return login(client, {"resident": "居民甲", "neighbour": "邻居乙"}[role])
    if role == "steward":
        return login_steward(client, d.stewards[0])
    return login_staff(client, world[role])


def _names(nodes):
    for node in nodes:
        yield node["name"]
        yield from _names(node["children"])


def test_staff_see_their_community_admins_their_street(client):
    d = make_district()
    staff = make_staff(d.communities[0])
    admin = make_staff(d.street, role="admin")
    staff_tree = client.get("/api/v1/areas", headers=login_staff(client, staff)).get_json()
    names = set(_names(staff_tree["items"]))
    assert d.communities[0].name in names and d.communities[1].name not in names
    assert d.street.name not in names
    alleys = [a for a in d.alleys if d.communities[0].covers(a)]
    assert {a.name for a in alleys} <= names
    admin_tree = client.get("/api/v1/areas", headers=login_staff(client, admin)).get_json()
    names = set(_names(admin_tree["items"]))
    assert {c.name for c in d.communities} <= names and d.street.name in names
    alley = admin_tree["items"][0]["children"][0]["children"][0]["children"][0]
    assert alley["boards"][0]["code"] and alley["stewards"][0]["phone"].startswith("170")


def test_another_streets_admin_sees_nothing_of_ours(client):
    d = make_district()
    other = make_district(street_name="别的街道")
    admin = make_staff(other.street, role="admin")
    tree = client.get("/api/v1/areas", headers=login_staff(client, admin)).get_json()
    assert d.street.name not in set(_names(tree["items"]))
    res = client.post(
        "/api/v1/bind-codes",
        json={"steward_id": d.stewards[0].id},
        headers=login_staff(client, admin),
    )
    assert res.status_code == 403


def test_staff_must_sit_on_a_community_admin_on_a_street(app):
    d = make_district()
    from infra.errors import ApiError

    with pytest.raises(ApiError):
        make_staff(d.street, role="staff")
    with pytest.raises(ApiError):
        make_staff(d.communities[0], role="admin")


def _staff_who_is_also_a_steward(d):
    """A console user of community X who also answers for alley A as its steward: their staff
    grant is the older one, the steward grant came later."""
    from models import RoleGrant

    account = make_staff(d.communities[0])
    RoleGrant.create(user=account.user, role="steward", steward=d.stewards[0])
    return account


def test_a_disabled_staff_account_does_not_cost_the_user_a_later_steward_role(app):
    from core.people.permissions import Principal

    d = make_district()
    account = _staff_who_is_also_a_steward(d)
    auth.set_staff_active(account, False)
    p = Principal.for_user(account.user)
    # The dead staff grant is skipped; the steward grant after it still counts.
    assert p.roles == {"steward"}
    assert p.stewards == [d.stewards[0]] and p.alley_ids == {d.alleys[0].id}
    assert p.area_roots == [] and p.staff_accounts == []
    assert not p.can_manage(d.alleys[0]) and p.can_see(d.alleys[0])


def _statements_sent(monkeypatch) -> list[str]:
    """The SQL of every statement sent to the database from now on (until `monkeypatch.undo`)."""
    from infra.db import db

    real = db.obj.execute_sql
    statements: list[str] = []

    def counting(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", counting)
    return statements


def test_loading_a_principal_reads_grants_with_their_rows_in_one_query(app, monkeypatch):
    """Every request loads the principal: its grants come with their area, steward and staff
    account in one query (plus one for the steward's alleys), never one query per grant."""
    from core.people.permissions import Principal

    d = make_district()
    account = _staff_who_is_also_a_steward(d)
    statements = _statements_sent(monkeypatch)
    p = Principal.for_user(account.user)
    monkeypatch.undo()
    assert p.roles == {"staff", "steward"}
    assert p.area_roots == [d.communities[0]] and p.staff_accounts == [account]
    assert p.stewards == [d.stewards[0]] and p.alley_ids == {d.alleys[0].id}
    # On PostgreSQL a connection's first use of a compiled query also PREPAREs it, once.
    queries = [sql for sql in statements if not sql.startswith("PREPARE ")]
    assert len(queries) == 2, statements


def test_grants_the_caller_already_read_are_not_read_again(app, monkeypatch):
    """The token lookup (`auth.principal_for_token`) already says whether a user has grants;
    for one without, it passes none and the principal is built without reading them again (a
    resident's request: one query for who is asking, not two). The grants passed are the ones
    that count."""
    from core.people.permissions import Principal
    from models import RoleGrant, User

    d = make_district()
    user = User.create(openid="dev:居民", nickname="居民")
    statements = _statements_sent(monkeypatch)
    p = Principal.for_user(user, [])
    monkeypatch.undo()
    assert statements == [] and p.roles == {"resident"} and p.stewards == []
    # Read afresh (no grants passed) a steward grant counts; passed as none, it does not.
    RoleGrant.create(user=user, role="steward", steward=d.stewards[0])
    assert Principal.for_user(user).roles == {"resident", "steward"}
    assert Principal.for_user(user, []).roles == {"resident"}


def test_a_signed_in_request_reads_the_token_and_the_live_grants_in_one_statement(app, monkeypatch):
    """Who is asking is one round trip: the token, its user and the user's live grants with
    their area, steward and staff account together (plus one for a steward's alleys); a
    revoked grant among them gives nothing, and a resident with no grant is one statement."""
    from models import RoleGrant, User

    d = make_district()
    account = _staff_who_is_also_a_steward(d)
    RoleGrant.create(
        user=account.user, role="admin", area=d.street, revoked_at=datetime(2026, 1, 1)
    )
    staff_token = auth.issue_token(account.user, "password")
    resident_token = auth.issue_token(
        User.create(openid="dev:居民乙", nickname="居民乙"), "offline"
    )
    for token in (staff_token, resident_token):  # the first use writes the token's last use
        auth.principal_for_token(token)
    statements = _statements_sent(monkeypatch)
    staff = auth.principal_for_token(staff_token)
    staff_statements = [sql for sql in statements if not sql.startswith("PREPARE ")]
    statements.clear()
    resident = auth.principal_for_token(resident_token)
    monkeypatch.undo()
    assert staff.roles == {"staff", "steward"}  # not admin: that grant is revoked
    assert staff.area_roots == [d.communities[0]] and staff.staff_accounts == [account]
    assert staff.stewards == [d.stewards[0]] and staff.alley_ids == {d.alleys[0].id}
    assert len(staff_statements) == 2, staff_statements
    assert resident.roles == {"resident"} and resident.area_roots == []
    assert len([sql for sql in statements if not sql.startswith("PREPARE ")]) == 1, statements


def test_a_dismissed_steward_record_does_not_cost_the_user_a_later_one(app):
    """A steward dismissed from alley A who later answers for alley C under a new steward
    record: the old grant is skipped, the later one still counts."""
    from core.people.permissions import Principal
    from models import RoleGrant, Steward, User

    d = make_district()
    user = User.create(nickname="老管家", openid="o-old-steward")
    old, new = d.stewards[0], d.stewards[2]
    RoleGrant.create(user=user, role="steward", steward=old)
    RoleGrant.create(user=user, role="steward", steward=new)
    Steward.update(active=False).where(Steward.id == old.id).execute()
    p = Principal.for_user(user)
    assert p.roles == {"resident", "steward"}
    assert p.stewards == [new] and p.alley_ids == {d.alleys[2].id}
