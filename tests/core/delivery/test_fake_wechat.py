"""Tests for the fake WeChat server in ``tests/fake_wechat.py``: the mini program side (tokens,
login, content check, subscribe messages), with plain ``requests`` and with wechatpy 1.8.18
clients pointed at it; no application code. The WeCom side is in test_fake_wecom.py."""

from __future__ import annotations

import base64
import hashlib

import pytest
import requests
import time_machine
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from tests.core.delivery.fake_wechat_calls import PNG_BYTES, get, login, mp_token, post  # noqa: F401
from tests.fake_wechat import FakeWeChat, openid_for

REAL_API_BASE = "https://api.weixin.qq.com/"


class FakeBackedClient(WeChatClient):
    """A wechatpy client whose requests go to the fake instead of api.weixin.qq.com."""

    def __init__(self, fake_base_url, *args, **kwargs):
        self.fake_base_url = fake_base_url
        super().__init__(*args, **kwargs)

    def _rewrite(self, url):
        if url.startswith(REAL_API_BASE):
            return self.fake_base_url + url[len(REAL_API_BASE) :]
        return url

    def _request(self, method, url_or_endpoint, **kwargs):
        if not url_or_endpoint.startswith(("http://", "https://")):
            base = kwargs.pop("api_base_url", self.API_BASE_URL)
            url_or_endpoint = base + url_or_endpoint
        return super()._request(method, self._rewrite(url_or_endpoint), **kwargs)

    def _fetch_access_token(self, url, params):
        # wechatpy fetches tokens with its own session, bypassing _request.
        return super()._fetch_access_token(self._rewrite(url), params)


@pytest.fixture
def client(fake):
    return FakeBackedClient(fake.base_url, fake.appid, fake.secret)


# ---------------------------------------------------------------- server basics


def test_start_stop_and_base_url():
    fake = FakeWeChat()
    with pytest.raises(RuntimeError):
        _ = fake.base_url
    fake.start()
    try:
        assert fake.base_url.startswith("http://127.0.0.1:")
        assert fake.base_url.endswith("/")
        assert fake.port != 0
    finally:
        fake.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{fake.port}/cgi-bin/token", timeout=2)


def test_calls_are_logged(fake):
    post(fake, "cgi-bin/webhook/send", {"msgtype": "text"}, key="nokey")
    calls = fake.calls_to("cgi-bin/webhook/send")
    assert len(calls) == 1
    call = calls[0]
    assert call["method"] == "POST"
    assert call["path"] == "/cgi-bin/webhook/send"
    assert call["query"] == {"key": "nokey"}
    assert call["json"] == {"msgtype": "text"}
    assert isinstance(call["time"], float)
    assert fake.calls_to("/cgi-bin/token") == []


def test_down_answers_503_with_empty_body(fake):
    fake.down = True
    for method, path in [("GET", "cgi-bin/token"), ("POST", "cgi-bin/webhook/send")]:
        resp = requests.request(method, fake.base_url + path, timeout=5)
        assert resp.status_code == 503
        assert resp.content == b""
    fake.down = False
    assert "access_token" in get(
        fake,
        "cgi-bin/token",
        grant_type="client_credential",
        appid=fake.appid,
        secret=fake.secret,
    )


def test_fail_next_injects_errcode_n_times(fake):
    fake.fail_next("/cgi-bin/token", 45009, times=2)
    fake.fail_next("cgi-bin/gettoken", -1, errmsg="system busy")
    params = {"grant_type": "client_credential", "appid": fake.appid, "secret": fake.secret}
    for _ in range(2):
        body = get(fake, "cgi-bin/token", **params)
        assert body["errcode"] == 45009
        assert body["errmsg"].startswith("api freq out of limit")
    assert "access_token" in get(fake, "cgi-bin/token", **params)
    assert get(fake, "cgi-bin/gettoken", corpid="x", corpsecret="y") == {
        "errcode": -1,
        "errmsg": "system busy",
    }


def test_wrong_method(fake):
    body = post(fake, "cgi-bin/token", {})
    assert body["errcode"] == 43001
    body = get(fake, "wxa/msg_sec_check")
    assert body["errcode"] == 43002


# ---------------------------------------------------------------- access_token


def test_token_fetch_and_parameter_errors(fake):
    good = {"grant_type": "client_credential", "appid": fake.appid, "secret": fake.secret}
    body = get(fake, "cgi-bin/token", **good)
    assert set(body) == {"access_token", "expires_in"}
    assert body["expires_in"] == 7200
    assert fake.token_fetches == 1

    cases = [
        ({"appid": None}, 41002),
        ({"secret": None}, 41004),
        ({"appid": "wx_other"}, 40013),
        ({"secret": "wrong"}, 40125),
        ({"grant_type": "password"}, 40002),
    ]
    for change, errcode in cases:
        params = {**good, **change}
        params = {k: v for k, v in params.items() if v is not None}
        assert get(fake, "cgi-bin/token", **params)["errcode"] == errcode
    assert fake.token_fetches == 1


def test_token_refresh_keeps_old_token_for_five_minutes(fake):
    clock = [1_000_000.0]
    fake.now = lambda: clock[0]
    subscribe = {
        "touser": openid_for("a"),
        "template_id": "tpl_x",
        "data": {"thing1": {"value": "x"}},
    }

    old = mp_token(fake)
    clock[0] += 3600
    new = mp_token(fake)
    assert new != old
    assert fake.token_fetches == 2
    assert post(fake, "cgi-bin/message/subscribe/send", subscribe, access_token=old)["errcode"] == 0
    clock[0] += 299
    assert post(fake, "cgi-bin/message/subscribe/send", subscribe, access_token=old)["errcode"] == 0
    clock[0] += 2
    body = post(fake, "cgi-bin/message/subscribe/send", subscribe, access_token=old)
    assert body["errcode"] == 40001
    assert "not latest" in body["errmsg"]
    assert post(fake, "cgi-bin/message/subscribe/send", subscribe, access_token=new)["errcode"] == 0

    clock[0] += 7200
    body = post(fake, "cgi-bin/message/subscribe/send", subscribe, access_token=new)
    assert body["errcode"] == 42001
    assert body["errmsg"].startswith("access_token expired")


def test_token_errors_on_api_calls(fake):
    body = post(fake, "wxa/msg_sec_check", {"content": "hi"})
    assert body["errcode"] == 41001
    body = post(fake, "wxa/msg_sec_check", {"content": "hi"}, access_token="bogus")
    assert body["errcode"] == 40001
    assert body["errmsg"].startswith("invalid credential")
    assert ", rid: " in body["errmsg"]


def test_token_expiry_follows_time_machine(fake):
    with time_machine.travel(1_700_000_000, tick=False) as traveller:
        token = mp_token(fake)
        assert (
            post(fake, "wxa/msg_sec_check", {"content": "hi"}, access_token=token)["errcode"] == 0
        )
        traveller.shift(7201)
        body = post(fake, "wxa/msg_sec_check", {"content": "hi"}, access_token=token)
        assert body["errcode"] == 42001


def test_stable_token_modes(fake):
    clock = [5_000.0]
    fake.now = lambda: clock[0]
    creds = {"grant_type": "client_credential", "appid": fake.appid, "secret": fake.secret}
    first = post(fake, "cgi-bin/stable_token", creds)
    assert first["expires_in"] == 7200
    clock[0] += 100
    again = post(fake, "cgi-bin/stable_token", creds)
    assert again["access_token"] == first["access_token"]
    assert again["expires_in"] == 7100
    forced = post(fake, "cgi-bin/stable_token", {**creds, "force_refresh": True})
    assert forced["access_token"] != first["access_token"]
    body = post(fake, "wxa/msg_sec_check", {"content": "x"}, access_token=first["access_token"])
    assert body["errcode"] == 40001
    body = post(fake, "wxa/msg_sec_check", {"content": "x"}, access_token=forced["access_token"])
    assert body["errcode"] == 0
    # the stable token is isolated from getAccessToken
    mp_token(fake)
    body = post(fake, "wxa/msg_sec_check", {"content": "x"}, access_token=forced["access_token"])
    assert body["errcode"] == 0
    assert post(fake, "cgi-bin/stable_token", {**creds, "secret": "bad"})["errcode"] == 40125
    assert fake.stable_token_fetches == 2
    # normal mode renews within the last 5 minutes; the old token lives out its time
    clock[0] += 7200 - 299
    renewed = post(fake, "cgi-bin/stable_token", creds)
    assert renewed["access_token"] != forced["access_token"]
    body = post(fake, "wxa/msg_sec_check", {"content": "x"}, access_token=forced["access_token"])
    assert body["errcode"] == 0
    clock[0] += 300
    body = post(fake, "wxa/msg_sec_check", {"content": "x"}, access_token=forced["access_token"])
    assert body["errcode"] == 42001


# ---------------------------------------------------------------- jscode2session


def test_jscode2session_registered_code(fake):
    fake.add_login_code("c1", "o_registered_user", unionid="u_1", session_key="sk==")
    assert login(fake, "c1") == {
        "openid": "o_registered_user",
        "session_key": "sk==",
        "unionid": "u_1",
    }
    second = login(fake, "c1")
    assert second["errcode"] == 40163
    assert second["errmsg"].startswith("code been used")


def test_jscode2session_default_ok_codes(fake):
    body = login(fake, "ok:alice")
    assert body["openid"] == openid_for("alice") == "o" + hashlib.sha1(b"alice").hexdigest()[:27]
    assert len(body["openid"]) == 28
    assert "unionid" not in body
    assert "errcode" not in body
    assert base64.b64decode(body["session_key"])
    assert login(fake, "ok:alice")["errcode"] == 40163
    assert login(fake, "ok:alice#2")["openid"] == openid_for("alice")
    fake.code2session_include_errcode = True
    fake.add_login_code("c-bob", openid_for("bob"), session_key="bob-key")
    assert login(fake, "c-bob") == {
        "openid": openid_for("bob"),
        "session_key": "bob-key",
        "errcode": 0,
        "errmsg": "ok",
    }


def test_jscode2session_errors(fake):
    expected = {
        "nonsense": (40029, "invalid code"),
        "err:45011": (45011, "api minute-quota reach limit"),
        "err:40226": (40226, "code blocked"),
        "err:-1": (-1, "system error"),
    }
    for code, (errcode, text) in expected.items():
        body = login(fake, code)
        assert body["errcode"] == errcode, code
        assert body["errmsg"].startswith(text), body

    base = {"appid": fake.appid, "secret": fake.secret, "grant_type": "authorization_code"}
    assert get(fake, "sns/jscode2session", **base)["errcode"] == 41008
    assert (
        get(fake, "sns/jscode2session", **{**base, "js_code": "ok:x", "appid": "wx_no"})["errcode"]
        == 40013
    )
    assert (
        get(fake, "sns/jscode2session", **{**base, "js_code": "ok:x", "secret": "no"})["errcode"]
        == 40125
    )
    # a failed call does not consume the code
    assert login(fake, "ok:x")["openid"] == openid_for("x")


def test_jscode2session_code_expires_after_five_minutes(fake):
    clock = [10_000.0]
    fake.now = lambda: clock[0]
    fake.add_login_code("late", "o_late")
    clock[0] += 301
    assert login(fake, "late")["errcode"] == 40029


def test_jscode2session_tolerates_access_token_param(fake):
    body = get(
        fake,
        "sns/jscode2session",
        appid=fake.appid,
        secret=fake.secret,
        js_code="ok:carol",
        grant_type="authorization_code",
        access_token="whatever",
    )
    assert body["openid"] == openid_for("carol")


# ---------------------------------------------------------------- wechatpy end to end


def test_wechatpy_code_to_session(fake, client):
    result = client.wxa.code_to_session("ok:dave")
    assert result["openid"] == openid_for("dave")
    assert fake.token_fetches == 1  # wechatpy fetched a token automatically
    assert fake.calls_to("/cgi-bin/token")[0]["query"]["appid"] == fake.appid
    # wechatpy appends access_token to jscode2session; the fake tolerates it
    assert "access_token" in fake.calls_to("/sns/jscode2session")[0]["query"]

    with pytest.raises(WeChatClientException) as excinfo:
        client.wxa.code_to_session("ok:dave")
    assert excinfo.value.errcode == 40163
    with pytest.raises(WeChatClientException) as excinfo:
        client.wxa.code_to_session("bad-code")
    assert excinfo.value.errcode == 40029
    assert fake.token_fetches == 1  # the cached token was reused


def test_wechatpy_bad_secret_and_down(fake):
    bad = FakeBackedClient(fake.base_url, fake.appid, "wrong")
    with pytest.raises(WeChatClientException) as excinfo:
        bad.wxa.code_to_session("ok:eve")
    assert excinfo.value.errcode == 40125

    good = FakeBackedClient(fake.base_url, fake.appid, fake.secret)
    fake.down = True
    with pytest.raises(WeChatClientException) as excinfo:
        good.wxa.code_to_session("ok:eve")
    assert excinfo.value.errcode is None
    assert excinfo.value.response.status_code == 503


def test_wechatpy_refetches_token_on_40001(fake, client):
    client.wxa.check_text_security("hello")
    assert fake.token_fetches == 1
    fake.fail_next("wxa/msg_sec_check", 40001)
    assert client.wxa.check_text_security("hello")["errcode"] == 0
    assert fake.token_fetches == 2
    with pytest.raises(WeChatClientException) as excinfo:
        client.wxa.check_text_security("来赌博吧")  # legacy version 1 check
    assert excinfo.value.errcode == 87014


def test_wechatpy_subscribe_message(fake, client):
    openid = client.wxa.code_to_session("ok:frank")["openid"]
    data = {"thing1": {"value": "水管漏水"}, "phrase2": {"value": "处理中"}}
    result = client.wxa.send_subscribe_message(openid, "tpl_status", data, page="pages/index")
    assert result["errcode"] == 0
    assert fake.subscribe_sent[0]["body"]["touser"] == openid
    fake.subscribe_quota[(openid, "tpl_status")] = 0
    with pytest.raises(WeChatClientException) as excinfo:
        client.wxa.send_subscribe_message(openid, "tpl_status", data)
    assert excinfo.value.errcode == 43101


# ---------------------------------------------------------------- msg_sec_check


def sec_check(fake, token, **body):
    payload = {"version": 2, "scene": 2, **body}
    return post(fake, "wxa/msg_sec_check", payload, access_token=token)


def test_msg_sec_check_verdicts(fake):
    token = mp_token(fake)
    openid = login(fake, "ok:grace")["openid"]

    ok = sec_check(fake, token, openid=openid, content="楼道灯坏了")
    assert ok["errcode"] == 0 and ok["errmsg"] == "ok"
    assert ok["result"] == {"suggest": "pass", "label": 100}
    assert {d["strategy"] for d in ok["detail"]} == {"keyword", "content_model"}
    assert ok["trace_id"]

    risky = sec_check(fake, token, openid=openid, content="这里可以代开发票")
    assert risky["errcode"] == 0
    assert risky["result"] == {"suggest": "risky", "label": 20008}
    keyword = next(d for d in risky["detail"] if d["strategy"] == "keyword")
    assert keyword["keyword"] == "代开发票"

    review = sec_check(fake, token, openid=openid, content="明天游行")
    assert review["result"]["suggest"] == "review"

    fake.risky_words["乱停车罚款"] = 21000
    custom = sec_check(fake, token, openid=openid, content="乱停车罚款通知")
    assert custom["result"] == {"suggest": "risky", "label": 21000}


def test_msg_sec_check_errors(fake):
    token = mp_token(fake)
    openid = login(fake, "ok:heidi")["openid"]
    assert sec_check(fake, token, content="x")["errcode"] == 40003
    assert sec_check(fake, token, openid="not-an-openid", content="x")["errcode"] == 40003
    assert sec_check(fake, token, openid=openid, content="x", scene=5)["errcode"] == 40129
    assert sec_check(fake, token, openid=openid, content="")["errcode"] == 44002
    assert sec_check(fake, token, openid=openid, content="字" * 2501)["errcode"] == 47001
    assert sec_check(fake, token, openid=openid, content="字" * 2500)["errcode"] == 0
    resp = requests.post(
        fake.base_url + "wxa/msg_sec_check",
        params={"access_token": token},
        data=b"not json",
        timeout=5,
    )
    assert resp.json()["errcode"] == 47001


def test_msg_sec_check_requires_recent_visit(fake):
    clock = [50_000.0]
    fake.now = lambda: clock[0]
    token = mp_token(fake)
    stranger = openid_for("never-logged-in")
    assert sec_check(fake, token, openid=stranger, content="x")["errcode"] == 61010
    fake.mark_visited(stranger)
    assert sec_check(fake, token, openid=stranger, content="x")["errcode"] == 0
    clock[0] += 2 * 3600 + 1
    token = mp_token(fake)
    assert sec_check(fake, token, openid=stranger, content="x")["errcode"] == 61010
    fake.enforce_recent_visit = False
    assert sec_check(fake, token, openid=stranger, content="x")["errcode"] == 0


# ---------------------------------------------------------------- subscribe send


def subscribe(fake, token, **body):
    payload = {
        "touser": openid_for("ivan"),
        "template_id": "tpl_report",
        "data": {"thing1": {"value": "路灯不亮"}},
        **body,
    }
    return post(fake, "cgi-bin/message/subscribe/send", payload, access_token=token)


def test_subscribe_send_quota(fake):
    token = mp_token(fake)
    key = (openid_for("ivan"), "tpl_report")
    fake.subscribe_quota[key] = 2
    first = subscribe(fake, token)
    assert first["errcode"] == 0 and first["errmsg"] == "ok" and isinstance(first["msgid"], int)
    assert subscribe(fake, token)["errcode"] == 0
    refused = subscribe(fake, token)
    assert refused["errcode"] == 43101
    assert refused["errmsg"].startswith("user refuse to accept the msg")
    assert len(fake.subscribe_sent) == 2
    assert fake.subscribe_quota[key] == 0

    fake.default_subscribe_quota = 0
    assert subscribe(fake, token, touser=openid_for("judy"))["errcode"] == 43101


def test_subscribe_send_errors(fake):
    token = mp_token(fake)
    assert subscribe(fake, token, touser="bogus")["errcode"] == 40003
    assert subscribe(fake, token, touser=None)["errcode"] == 40003
    assert subscribe(fake, token, template_id="unknown")["errcode"] == 40037
    fake.templates.add("Xyz123")
    assert subscribe(fake, token, template_id="Xyz123")["errcode"] == 0
    assert subscribe(fake, token, miniprogram_state="beta")["errcode"] == 47003
    fake.valid_pages = {"pages/report/detail"}
    assert subscribe(fake, token, page="pages/nope")["errcode"] == 41030
    assert subscribe(fake, token, page="pages/report/detail?id=3")["errcode"] == 0
    assert len(fake.subscribe_sent) == 2


@pytest.mark.parametrize(
    ("key", "value", "ok"),
    [
        ("thing1", "一" * 20, True),
        ("thing1", "一" * 21, False),
        ("thing1", "", False),
        ("phrase2", "处理中", True),
        ("phrase2", "已经处理完毕", False),
        ("phrase2", "done", False),
        ("time3", "2024-05-01 08:30", True),
        ("time3", "2019年10月1日 15:01", True),
        ("time3", "15:01~16:00", True),
        ("time3", "tomorrow", False),
        ("date4", "2019年10月1日", True),
        ("date4", "10 Oct", False),
        ("character_string5", "A-2024-0001", True),
        ("character_string5", "工单123", False),
        ("character_string5", "x" * 33, False),
        ("number6", "12.5", True),
        ("number6", "12a", False),
        ("name7", "张三", True),
        ("name7", "张" * 11, False),
        ("phone_number8", "+86-0766-66888866", True),
        ("amount9", "¥100.5元", True),
        ("car_number10", "粤A8Z888挂", True),
        ("letter11", "abc", True),
        ("letter11", "ab1", False),
    ],
)
def test_subscribe_data_rules(fake, key, value, ok):
    token = mp_token(fake)
    body = subscribe(fake, token, data={key: {"value": value}})
    if ok:
        assert body["errcode"] == 0, body
    else:
        assert body["errcode"] == 47003, body
        assert f"data.{key}.value" in body["errmsg"]
