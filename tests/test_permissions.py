"""The permission matrix: every API route × every role, allowed or refused; and scopes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.people import auth
from miniprogram_api.openapi import openapi_path
from miniprogram_api.router import ALL_ROUTES
from tests.factories import login, login_staff, login_steward, make_district, make_staff

ROLES = ("anonymous", "resident", "neighbour", "steward", "staff", "admin")
PUBLIC = set(ROLES)
LOGGED_IN = set(ROLES) - {"anonymous"}
WECHAT_USERS = {"resident", "neighbour", "steward"}  # staff/admin use console passwords
STAFF = {"staff", "admin"}
HANDLERS = {"steward", "staff", "admin"}
API = "/api/v1"

# "resident" is the one who reported the issue or posted the wish the request is about;
# "neighbour" is another resident; "steward" answers for the item's alley.


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "JPEG")
    return buf.getvalue()


def _issue(w, *steps) -> int:
    """A fresh issue in the first alley, moved through `steps` [(role, action, body)]."""
    c, h = w["client"], w["headers"]
    body = {"board_code": w["district"].boards[0].code, "category": "环境卫生", "content": "垃圾"}
    res = c.post(f"{API}/issues", json=body, headers=h["resident"])
    issue_id = res.get_json()["id"]
    for role, action, data in steps:
        r = c.post(f"{API}/issues/{issue_id}/{action}", json=data, headers=h[role])
        assert r.status_code == 200, r.get_json()
    return issue_id


def _wish(w, *steps) -> int:
    c, h = w["client"], w["headers"]
    body = {
        "board_code": w["district"].boards[0].code,
        "beneficiary_type": "elderly",
        "display_name": "王奶奶",
        "title": "收音机",
        "content": "想听戏",
    }
    wish_id = c.post(f"{API}/wishes", json=body, headers=h["resident"]).get_json()["id"]
    for role, action, data in steps:
        r = c.post(f"{API}/wishes/{wish_id}/{action}", json=data, headers=h[role])
        assert r.status_code == 200, r.get_json()
    return wish_id


def _issue_action(action, body=None, *steps):
    return lambda w: {"path": f"{API}/issues/{_issue(w, *steps)}/{action}", "json": body or {}}


def _wish_action(action, body=None, *steps):
    return lambda w: {"path": f"{API}/wishes/{_wish(w, *steps)}/{action}", "json": body or {}}


def _dead_message(w) -> dict:
    from models import OutboxMessage

    msg = OutboxMessage.create(
        kind="subscribe",
        target="o_someone",
        payload={},
        idempotency_key=f"test:{OutboxMessage.select().count()}",
        status="dead",
        area=w["district"].alleys[0],
    )
    return {"path": f"{API}/outbox/{msg.id}/retry"}


_group_keys = iter(range(1, 1_000_000))


def _group(w) -> int:
    from core.delivery import groups

    return groups.create(w["district"].communities[0], f"robot-{next(_group_keys):06d}").id


def _fresh_steward_to_dismiss(w) -> dict:
    from models import Steward, StewardAlley
    from tests.factories import next_phone

    steward = Steward.create(name="将离任的管家", phone=next_phone())
    StewardAlley.create(steward=steward, alley=w["district"].alleys[0])
    return {"path": f"{API}/stewards/{steward.id}/dismiss", "json": {"reason": "搬家"}}


RESOLVED = ("steward", "resolve", {"note": "好了"})
APPROVED = ("staff", "approve", {})
CLAIMED = ("steward", "claim", {})
FULFILLED = ("steward", "fulfil", {"note": "送到了"})
TEMPLATE = "tpl_dev_status"

# (method, path) → (roles allowed, builder). A builder returns `client.open` keyword
# arguments (with "path") for a request that is valid and in scope for the allowed roles.
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
    ("GET", "/api/v1/categories"): (PUBLIC, lambda w: {}),
    ("GET", "/api/v1/boards/{code}"): (
        PUBLIC,
        lambda w: {"path": f"{API}/boards/{w['district'].boards[0].code}"},
    ),
    ("POST", "/api/v1/issues"): (
        LOGGED_IN,
        lambda w: {
            "json": {
                "board_code": w["district"].boards[0].code,
                "category": "其他",
                "content": "路灯不亮",
            }
        },
    ),
    ("GET", "/api/v1/issues"): (LOGGED_IN, lambda w: {}),
    ("GET", "/api/v1/issues/{issue_id}"): (
        LOGGED_IN - {"neighbour"},
        lambda w: {"path": f"{API}/issues/{_issue(w)}"},
    ),
    ("POST", "/api/v1/issues/{issue_id}/accept"): (HANDLERS, _issue_action("accept")),
    ("POST", "/api/v1/issues/{issue_id}/resolve"): (
        HANDLERS,
        _issue_action("resolve", {"note": "已处理"}),
    ),
    ("POST", "/api/v1/issues/{issue_id}/escalate"): (
        HANDLERS,
        _issue_action("escalate", {"note": "请社区协调"}),
    ),
    ("POST", "/api/v1/issues/{issue_id}/whistle"): (
        STAFF,
        lambda w: {
            "path": f"{API}/issues/{_issue(w)}/whistle",
            "json": {"department_id": w["department"].id, "note": "请城管处理"},
        },
    ),
    ("POST", "/api/v1/issues/{issue_id}/assign"): (
        STAFF,
        _issue_action("assign", {"priority": "important"}),
    ),
    ("POST", "/api/v1/issues/{issue_id}/comment"): (
        LOGGED_IN - {"neighbour"},
        _issue_action("comment", {"text": "补充一下"}),
    ),
    ("POST", "/api/v1/issues/{issue_id}/rate"): (
        {"resident"},
        _issue_action("rate", {"score": 5}, RESOLVED),
    ),
    ("POST", "/api/v1/issues/{issue_id}/reopen"): (
        {"resident"},
        _issue_action("reopen", {"note": "又坏了"}, RESOLVED),
    ),
    ("POST", "/api/v1/issues/{issue_id}/cancel"): (
        {"resident", "staff", "admin"},
        _issue_action("cancel", {"reason": "重复"}),
    ),
    ("POST", "/api/v1/issues/{issue_id}/moderate"): (
        STAFF,
        _issue_action("moderate", {"publish": False, "note": "涉及隐私"}),
    ),
    ("POST", "/api/v1/wishes"): (
        LOGGED_IN,
        lambda w: {
            "json": {
                "board_code": w["district"].boards[0].code,
                "beneficiary_type": "children",
                "display_name": "小明",
                "title": "想要一套课外书",
                "content": "喜欢看科普书",
            }
        },
    ),
    ("GET", "/api/v1/wishes"): (PUBLIC, lambda w: {}),
    ("GET", "/api/v1/wishes/{wish_id}"): (
        PUBLIC,
        lambda w: {"path": f"{API}/wishes/{_wish(w, APPROVED)}"},
    ),
    ("POST", "/api/v1/wishes/{wish_id}/approve"): (STAFF, _wish_action("approve")),
    ("POST", "/api/v1/wishes/{wish_id}/reject"): (
        STAFF,
        _wish_action("reject", {"reason": "不符合条件"}),
    ),
    ("POST", "/api/v1/wishes/{wish_id}/claim"): (
        {"neighbour", "steward"},
        _wish_action("claim", {}, APPROVED),
    ),
    ("POST", "/api/v1/wishes/{wish_id}/release"): (
        {"steward", "staff", "admin"},
        _wish_action("release", {}, APPROVED, CLAIMED),
    ),
    ("POST", "/api/v1/wishes/{wish_id}/fulfil"): (
        {"steward", "staff", "admin"},
        _wish_action("fulfil", {"note": "已送达"}, APPROVED, CLAIMED),
    ),
    ("POST", "/api/v1/wishes/{wish_id}/confirm"): (
        {"resident"},
        _wish_action("confirm", {"score": 5}, APPROVED, CLAIMED, FULFILLED),
    ),
    ("POST", "/api/v1/patrols"): ({"steward"}, lambda w: {"json": {"note": "巡查正常"}}),
    ("GET", "/api/v1/patrols"): (HANDLERS, lambda w: {}),
    ("POST", "/api/v1/subscriptions"): (
        WECHAT_USERS,
        lambda w: {"json": {"template_id": TEMPLATE}},
    ),
    ("GET", "/api/v1/subscriptions"): (WECHAT_USERS, lambda w: {}),
    ("GET", "/api/v1/outbox"): (STAFF, lambda w: {}),
    ("GET", "/api/v1/stats"): (STAFF, lambda w: {}),
    ("POST", "/api/v1/stewards/{steward_id}/dismiss"): (STAFF, _fresh_steward_to_dismiss),
    ("GET", "/api/v1/ledger.xlsx"): (STAFF, lambda w: {}),
    ("GET", "/api/v1/assessments"): (STAFF, lambda w: {"query_string": {"period": "2026Q3"}}),
    ("POST", "/api/v1/assessments/run"): (
        STAFF,
        lambda w: {"json": {"period": "2026Q3", "send": False}},
    ),
    ("POST", "/api/v1/outbox/{message_id}/retry"): (STAFF, _dead_message),
    ("GET", "/api/v1/groups"): (STAFF, lambda w: {}),
    ("POST", "/api/v1/groups"): (
        STAFF,
        lambda w: {
            "json": {
                "area_id": w["district"].communities[0].id,
                "webhook_key": f"robot-{next(_group_keys):06d}",
            }
        },
    ),
    ("GET", "/api/v1/groups/{group_id}"): (
        STAFF,
        lambda w: {"path": f"{API}/groups/{_group(w)}"},
    ),
    ("PATCH", "/api/v1/groups/{group_id}"): (
        STAFF,
        lambda w: {"path": f"{API}/groups/{_group(w)}", "json": {"name": "管家群"}},
    ),
    ("GET", "/api/v1/departments"): (STAFF, lambda w: {}),
    ("POST", "/api/v1/departments"): (
        STAFF,  # each in their own scope by default: staff their community, admins their street
        lambda w: {"json": {"name": f"部门{next(_group_keys)}"}},
    ),
}


def test_matrix_names_every_route():
    routes = {(spec.method, openapi_path(spec.rule)) for spec in ALL_ROUTES}
    assert routes == set(MATRIX), "add new routes to the permission matrix"


@pytest.fixture
def world(client):
    from models import Department

    d = make_district()
    staff = make_staff(d.communities[0])
    admin = make_staff(d.street, role="admin")
    headers = {
        "anonymous": {},
        "resident": login(client, "居民甲"),
        "neighbour": login(client, "邻居乙"),
        "steward": login_steward(client, d.stewards[0]),
        "staff": login_staff(client, staff),
        "admin": login_staff(client, admin),
    }
    return {
        "client": client,
        "district": d,
        "staff": staff,
        "admin": admin,
        "headers": headers,
        "free_steward": d.stewards[1],
        "department": Department.create(area=d.street, name="城管"),
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
    from core.errors import ApiError

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


def test_loading_a_principal_reads_grants_with_their_rows_in_one_query(app, monkeypatch):
    """Every request loads the principal: its grants come with their area, steward and staff
    account in one query (plus one for the steward's alleys), never one query per grant."""
    from core.db import db
    from core.people.permissions import Principal

    d = make_district()
    account = _staff_who_is_also_a_steward(d)
    real = db.obj.execute_sql
    statements = []

    def counting(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", counting)
    p = Principal.for_user(account.user)
    monkeypatch.undo()
    assert p.roles == {"staff", "steward"}
    assert p.area_roots == [d.communities[0]] and p.staff_accounts == [account]
    assert p.stewards == [d.stewards[0]] and p.alley_ids == {d.alleys[0].id}
    assert len(statements) == 2, statements


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
