"""Logins (offline and through wechatpy to the fake WeChat), tokens, bind codes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from itsdangerous import BadSignature

from core.people import auth
from models import AuthToken, Event, KeyValue, RoleGrant, User
from tests.factories import login, login_staff, login_steward, make_district, make_staff

LOGIN = "/api/v1/auth/login"


# --- offline mode -------------------------------------------------------------------------


def test_offline_login_same_name_same_user(client):
    a = client.post(LOGIN, json={"code": "dev:王秀英"}).get_json()
    b = client.post(LOGIN, json={"code": "dev:王秀英"}).get_json()
    c = client.post(LOGIN, json={"code": "dev:李建国"}).get_json()
    assert a["user"]["id"] == b["user"]["id"] != c["user"]["id"]
    assert a["token"] != b["token"]
    assert a["offline"] is True and a["roles"] == ["resident"]
    assert a["user"]["nickname"] == "王秀英"


def test_offline_login_refuses_real_looking_codes(client):
    res = client.post(LOGIN, json={"code": "081abcDEF"})
    assert res.status_code == 400
    body = res.get_json()["error"]
    assert body["code"] == "invalid_code" and "dev:" in body["message"]
    assert User.select().count() == 0


def test_offline_banner_and_header(client):
    res = client.get("/")
    assert "离线演示模式" in res.get_data(as_text=True)
    assert res.headers["X-Offline-Mode"] == "1"


def test_offline_mode_cannot_be_on_with_an_appid(online_app):
    assert online_app.config["OFFLINE"] is False
    res = online_app.test_client().post(LOGIN, json={"code": "dev:王秀英"})
    assert res.status_code == 400  # dev: codes go to WeChat, which refuses them
    assert "X-Offline-Mode" not in res.headers
    assert "离线演示模式" not in online_app.test_client().get("/").get_data(as_text=True)


# --- online mode, through wechatpy to the fake server --------------------------------------


def test_online_login_fetches_token_and_exchanges_code(online_app, fake_wechat):
    client = online_app.test_client()
    fake_wechat.add_login_code("code-1", "o_openid_1", unionid="u_union_1")
    res = client.post(LOGIN, json={"code": "code-1"})
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["offline"] is False and body["roles"] == ["resident"]
    user = User.get_by_id(body["user"]["id"])
    assert (user.openid, user.unionid) == ("o_openid_1", "u_union_1")
    # wechatpy fetched an access token from the fake (WECHAT_API_BASE reached the token URL)
    assert len(fake_wechat.calls_to("/cgi-bin/token")) == 1
    session_call = fake_wechat.calls_to("/sns/jscode2session")[0]
    assert session_call["query"]["appid"] == fake_wechat.appid
    assert session_call["query"]["grant_type"] == "authorization_code"
    # the token is shared through the database: a second login fetches no new token
    fake_wechat.add_login_code("code-2", "o_openid_1")
    assert client.post(LOGIN, json={"code": "code-2"}).status_code == 200
    assert len(fake_wechat.calls_to("/cgi-bin/token")) == 1
    assert KeyValue.select().count() == 1


def test_online_login_reused_code(online_app, fake_wechat):
    client = online_app.test_client()
    fake_wechat.add_login_code("once", "o_once")
    assert client.post(LOGIN, json={"code": "once"}).status_code == 200
    res = client.post(LOGIN, json={"code": "once"})
    assert res.status_code == 400
    assert res.get_json()["error"]["code"] == "invalid_code"


def test_online_login_error_table(online_app, fake_wechat):
    client = online_app.test_client()
    table = [
        ("never-issued", 400, "invalid_code", "登录凭证无效"),
        ("err:45011", 429, "rate_limited", "登录太频繁"),
        ("err:40226", 403, "user_blocked", "安全风险"),
        ("err:-1", 503, "wechat_busy", "微信服务繁忙"),
    ]
    for code, status, err, words in table:
        res = client.post(LOGIN, json={"code": code})
        body = res.get_json()["error"]
        assert (res.status_code, body["code"]) == (status, err), code
        assert words in body["message"]
    assert User.select().count() == 0


def test_online_login_when_wechat_is_down(online_app, fake_wechat):
    fake_wechat.down = True
    res = online_app.test_client().post(LOGIN, json={"code": "ok:someone"})
    assert res.status_code == 503
    assert res.get_json()["error"]["code"] == "wechat_unavailable"


# --- tokens ----------------------------------------------------------------------------------


def test_logout_revokes_the_token(client):
    headers = login(client, "张三")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    res = client.get("/api/v1/me", headers=headers)
    assert res.status_code == 401
    assert res.get_json()["error"]["code"] == "token_invalid"


def test_tokens_expire(client, app):
    headers = login(client, "张三")
    days = app.config["TOKEN_TTL_DAYS"]
    with _later(days + 1):
        assert client.get("/api/v1/me", headers=headers).status_code == 401


def _later(days: int):
    return time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=False)


def test_garbage_token_is_401(client):
    res = client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert res.status_code == 401


def test_only_token_hashes_are_stored(client):
    headers = login(client, "张三")
    token = headers["Authorization"].split()[1]
    assert not AuthToken.select().where(AuthToken.token_hash == token).exists()


# --- bind codes ------------------------------------------------------------------------------


def test_bind_code_makes_a_steward_and_works_once(client):
    d = make_district()
    steward = d.stewards[0]
    code, _ = auth.issue_bind_code(steward=steward, issued_by="test")
    headers = login(client, "王秀英")
    res = client.post("/api/v1/auth/bind", json={"code": code.lower()}, headers=headers)
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["steward"]["alley_ids"] == [d.alleys[0].id]
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["roles"] == ["resident", "steward"]
    assert [a["id"] for a in me["areas"]] == [d.alleys[0].id]
    other = login(client, "冒名者")
    again = client.post("/api/v1/auth/bind", json={"code": code}, headers=other)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "bind_code_used"
    assert Event.select().where(Event.action == "steward.bind").count() == 1


def test_bind_code_expires_after_72_hours(client):
    d = make_district()
    code, _ = auth.issue_bind_code(steward=d.stewards[0], issued_by="test")
    headers = login(client, "王秀英")
    with _later(3):
        res = client.post("/api/v1/auth/bind", json={"code": code}, headers=headers)
    assert res.status_code == 410
    assert "过期" in res.get_json()["error"]["message"]


def test_unknown_bind_code(client):
    res = client.post("/api/v1/auth/bind", json={"code": "ZZZZZZZZ"}, headers=login(client, "a"))
    assert res.status_code == 404


def test_staff_issue_bind_codes_in_scope_only(client):
    d = make_district()
    staff = make_staff(d.communities[0])
    headers = login_staff(client, staff)
    own = client.post("/api/v1/bind-codes", json={"steward_id": d.stewards[0].id}, headers=headers)
    assert own.status_code == 201 and len(own.get_json()["code"]) == 8
    other = d.stewards[-1]  # in the second community
    res = client.post("/api/v1/bind-codes", json={"steward_id": other.id}, headers=headers)
    assert res.status_code == 403
    neither = client.post("/api/v1/bind-codes", json={}, headers=headers)
    assert neither.status_code == 400


def test_staff_bind_code_binds_a_wechat_user_to_the_account(client):
    d = make_district()
    staff = make_staff(d.communities[0], username="wang")
    code, _ = auth.issue_bind_code(staff=staff, issued_by="test")
    headers = login(client, "王主任")
    assert client.post("/api/v1/auth/bind", json={"code": code}, headers=headers).status_code == 200
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert "staff" in me["roles"] and me["areas"][0]["id"] == d.communities[0].id


def test_dismissed_steward_loses_access_at_once(client):
    d = make_district()
    headers = login_steward(client, d.stewards[0])
    assert "steward" in client.get("/api/v1/me", headers=headers).get_json()["roles"]
    auth.dismiss_steward(d.stewards[0], label="test")
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert (
        not RoleGrant.select()
        .where((RoleGrant.steward == d.stewards[0]) & RoleGrant.revoked_at.is_null())
        .exists()
    )
    # logging in again gives a resident, not a steward
    again = login(client, f"steward-{d.stewards[0].id}")
    assert client.get("/api/v1/me", headers=again).get_json()["roles"] == ["resident"]


def test_rebinding_a_steward_ends_the_old_wechat(client):
    d = make_district()
    old = login_steward(client, d.stewards[0], name="旧手机")
    new = login_steward(client, d.stewards[0], name="新手机")
    assert "steward" not in client.get("/api/v1/me", headers=old).get_json()["roles"]
    assert "steward" in client.get("/api/v1/me", headers=new).get_json()["roles"]


def test_password_login(client):
    d = make_district()
    staff = make_staff(d.communities[0], username="li")
    bad = client.post("/api/v1/auth/password", json={"username": "li", "password": "wrong-pass"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "invalid_credentials"
    headers = login_staff(client, staff)
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["roles"] == ["staff"] and me["user"]["has_wechat"] is False


def test_staff_dismiss_a_steward_through_the_api(client):
    d = make_district()
    steward_headers = login_steward(client, d.stewards[0])
    resident = login(client, "居民")
    body = {"board_code": d.boards[0].code, "category": "其他", "content": "路灯坏了"}
    assert client.post("/api/v1/issues", json=body, headers=resident).status_code == 201
    staff = login_staff(client, make_staff(d.communities[0]))
    other_staff = login_staff(client, make_staff(d.communities[1]))
    path = f"/api/v1/stewards/{d.stewards[0].id}/dismiss"
    assert client.post(path, json={"reason": "搬走了"}, headers=other_staff).status_code == 403
    assert client.post(path, json={}, headers=staff).status_code == 400
    res = client.post(path, json={"reason": "搬走了"}, headers=staff)
    assert res.status_code == 200, res.get_json()
    out = res.get_json()
    assert out["active"] is False and out["open_issues"] == 1 and out["dismissed_at"]
    assert client.get("/api/v1/me", headers=steward_headers).status_code == 401
    again = client.post(path, json={"reason": "再来一次"}, headers=staff)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_dismissed"
    event = Event.get(Event.action == "steward.dismiss")
    assert event.data == {"reason": "搬走了", "open_issues": 1}


def test_dismiss_steward_cli(runner):
    d = make_district()
    res = runner.invoke(args=["dismiss-steward", str(d.stewards[1].id), "--reason", "身体原因"])
    assert res.exit_code == 0 and "已离任" in res.output
    res = runner.invoke(args=["dismiss-steward", str(d.stewards[1].id), "--reason", "x"])
    assert res.exit_code != 0 and "已离任" in res.output


@time_machine.travel(datetime(2026, 11, 22, 3, 7, tzinfo=UTC), tick=False)  # mid-window
def test_password_guessing_is_slowed_down(client, app):
    d = make_district()
    make_staff(d.communities[0], username="zhao")
    app.config["PASSWORD_ATTEMPTS"] = 3
    wrong = {"username": "zhao", "password": "not-the-password"}
    codes = [client.post("/api/v1/auth/password", json=wrong).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    right = {"username": "zhao", "password": "password123"}
    res = client.post("/api/v1/auth/password", json=right)
    assert res.status_code == 429 and int(res.headers["Retry-After"]) > 0
    with _later(1):  # a later window lets the right password in
        assert client.post("/api/v1/auth/password", json=right).status_code == 200


def test_simultaneous_first_logins_of_one_user_all_succeed(app):
    """Eight taps of 登录 at once by a new user: one user row, every answer 200 (no 500)."""
    barrier = threading.Barrier(8)
    results = []

    def tap():
        client = app.test_client()
        barrier.wait()
        res = client.post("/api/v1/auth/login", json={"code": "dev:同时登录"})
        results.append(res.status_code)

    threads = [threading.Thread(target=tap) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [200] * 8
    assert User.select().where(User.openid == "dev:同时登录").count() == 1


def test_the_session_signer_is_built_once_per_key_and_follows_a_new_key(app):
    sessions = app.session_interface
    first = sessions.get_signing_serializer(app)
    assert sessions.get_signing_serializer(app) is first  # not rebuilt per request
    signed = first.dumps({"console_token": "t"})
    app.secret_key = "a-rotated-secret"
    rotated = sessions.get_signing_serializer(app)
    assert rotated is not first
    assert rotated.loads(rotated.dumps({"k": 1})) == {"k": 1}
    with pytest.raises(BadSignature):
        rotated.loads(signed)  # the old key's cookie is no longer good
    app.config["SECRET_KEY_FALLBACKS"] = [first.secret_keys[-1]]
    assert sessions.get_signing_serializer(app).loads(signed) == {"console_token": "t"}
