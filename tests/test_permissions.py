"""The permission matrix: every API route × every role, allowed or refused; and scopes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core import auth
from miniprogram_api.openapi import openapi_path
from miniprogram_api.router import ALL_ROUTES
from tests.factories import login, login_staff, login_steward, make_district, make_staff

ROLES = ("anonymous", "resident", "steward", "staff", "admin")
PUBLIC = set(ROLES)
LOGGED_IN = {"resident", "steward", "staff", "admin"}
WECHAT_USERS = {"resident", "steward"}  # staff/admin here log in with a console password
STAFF = {"staff", "admin"}


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "JPEG")
    return buf.getvalue()


# (method, path) → (roles allowed, request builder). A builder gets the world and returns the
# keyword arguments of `client.open` (path included) for a request that is valid and in scope.
MATRIX = {
    ("POST", "/api/v1/auth/login"): (PUBLIC, lambda w: {"json": {"code": "dev:新居民"}}),
    ("POST", "/api/v1/auth/password"): (
        PUBLIC,
        lambda w: {"json": {"username": w["staff"].username, "password": "password123"}},
    ),
    ("POST", "/api/v1/auth/logout"): (LOGGED_IN, lambda w: {}),
    ("POST", "/api/v1/auth/bind"): (
        WECHAT_USERS,
        lambda w: {
            "json": {"code": auth.issue_bind_code(steward=w["free_steward"], issued_by="t")[0]}
        },
    ),
    ("GET", "/api/v1/me"): (LOGGED_IN, lambda w: {}),
    ("GET", "/api/v1/areas"): (STAFF, lambda w: {}),
    ("POST", "/api/v1/bind-codes"): (
        STAFF,
        lambda w: {"json": {"steward_id": w["district"].stewards[1].id}},
    ),
    ("GET", "/api/v1/openapi.json"): (PUBLIC, lambda w: {}),
    ("POST", "/api/v1/media"): (
        LOGGED_IN,
        lambda w: {
            "data": {"file": (io.BytesIO(_jpeg()), "a.jpg")},
            "content_type": "multipart/form-data",
        },
    ),
}


def test_matrix_names_every_route():
    routes = {(spec.method, openapi_path(spec.rule)) for spec in ALL_ROUTES}
    assert routes == set(MATRIX), "add new routes to the permission matrix"


@pytest.fixture
def world(client):
    d = make_district()
    staff = make_staff(d.communities[0])
    admin = make_staff(d.street, role="admin")
    headers = {
        "anonymous": {},
        "resident": login(client, "居民甲"),
        "steward": login_steward(client, d.stewards[0]),
        "staff": login_staff(client, staff),
        "admin": login_staff(client, admin),
    }
    return {"district": d, "staff": staff, "headers": headers, "free_steward": d.stewards[1]}


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]}")
def test_permission_matrix(client, world, route):
    method, path = route
    allowed, build = MATRIX[route]
    for role in ROLES:
        kwargs = build(world)
        headers = dict(world["headers"][role])
        res = client.open(path, method=method, headers=headers, **kwargs)
        if role in allowed:
            assert res.status_code < 400, (role, res.status_code, res.get_json())
        else:
            expected = 401 if role == "anonymous" else 403
            assert res.status_code == expected, (role, res.status_code, res.get_json())
            assert res.get_json()["error"]["code"]
        if path.endswith("/logout") and role != "anonymous" and role in allowed:
            # logging out ended that role's session; log it back in for the next routes
            world["headers"][role] = _relogin(client, world, role)


def _relogin(client, world, role):
    d = world["district"]
    if role == "resident":
        return login(client, "居民甲")
    if role == "steward":
        return login_steward(client, d.stewards[0])
    account = world["staff"] if role == "staff" else None
    if account is None:
        from models import StaffAccount

        account = StaffAccount.get(StaffAccount.role == "admin")
    return login_staff(client, account)


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
    from core.errors import ApiError

    with pytest.raises(ApiError):
        make_staff(d.street, role="staff")
    with pytest.raises(ApiError):
        make_staff(d.communities[0], role="admin")
