"""Tests for the fake WeCom side of ``tests/fake_wechat.py``: the corp token, application
messages and the group robot (text, markdown, image, news, unknown robots, the rate limit)."""

from __future__ import annotations

import base64
import hashlib
import time

import pytest
import requests
import time_machine

from tests.core.delivery.fake_wechat_calls import PNG_BYTES, get, login, mp_token, post  # noqa: F401

# ---------------------------------------------------------------- WeCom gettoken / app message


def test_wecom_gettoken(fake):
    body = get(fake, "cgi-bin/gettoken", corpid=fake.corp_id, corpsecret=fake.corp_secret)
    assert body["errcode"] == 0 and body["errmsg"] == "ok"
    assert body["expires_in"] == 7200 and body["access_token"]
    again = get(fake, "cgi-bin/gettoken", corpid=fake.corp_id, corpsecret=fake.corp_secret)
    assert again["access_token"] == body["access_token"]
    assert fake.corp_token_fetches == 2

    bad_corp = get(fake, "cgi-bin/gettoken", corpid="ww_other", corpsecret=fake.corp_secret)
    assert bad_corp["errcode"] == 40013
    assert "open.work.weixin.qq.com/devtool/query?e=40013" in bad_corp["errmsg"]
    assert get(fake, "cgi-bin/gettoken", corpid=fake.corp_id, corpsecret="x")["errcode"] == 40001
    assert get(fake, "cgi-bin/gettoken", corpsecret="x")["errcode"] == 41002
    assert get(fake, "cgi-bin/gettoken", corpid=fake.corp_id)["errcode"] == 41004


def test_wecom_app_message(fake):
    token = get(fake, "cgi-bin/gettoken", corpid=fake.corp_id, corpsecret=fake.corp_secret)[
        "access_token"
    ]
    message = {
        "touser": "zhangsan",
        "msgtype": "text",
        "agentid": fake.agent_id,
        "text": {"content": "新工单"},
    }
    body = post(fake, "cgi-bin/message/send", message, access_token=token)
    assert body["errcode"] == 0 and body["msgid"]
    assert fake.app_messages[0]["body"] == message
    assert post(fake, "cgi-bin/message/send", message)["errcode"] == 41001
    assert post(fake, "cgi-bin/message/send", message, access_token="x")["errcode"] == 40014
    wrong_agent = {**message, "agentid": 1}
    assert post(fake, "cgi-bin/message/send", wrong_agent, access_token=token)["errcode"] == 40056
    fake.expire_tokens()
    assert post(fake, "cgi-bin/message/send", message, access_token=token)["errcode"] == 42001


# ---------------------------------------------------------------- WeCom group robot


def robot_send(fake, key, body):
    return post(fake, "cgi-bin/webhook/send", body, key=key)


def text_message(content, **extra):
    return {"msgtype": "text", "text": {"content": content, **extra}}


def test_webhook_text_and_markdown(fake):
    fake.add_robot("k1")
    body = robot_send(
        fake, "k1", text_message("新报修", mentioned_list=["@all"], mentioned_mobile_list=["138"])
    )
    assert body == {"errcode": 0, "errmsg": "ok"}
    markdown = {"msgtype": "markdown", "markdown": {"content": "**新工单** <@zhangsan>"}}
    assert robot_send(fake, "k1", markdown)["errcode"] == 0
    assert [m["body"] for m in fake.robot_messages["k1"]] == [
        text_message("新报修", mentioned_list=["@all"], mentioned_mobile_list=["138"]),
        markdown,
    ]
    assert isinstance(fake.robot_messages["k1"][0]["time"], float)

    # limits are in UTF-8 bytes: 682 CJK chars = 2046 bytes, 683 = 2049 bytes
    assert robot_send(fake, "k1", text_message("字" * 682))["errcode"] == 0
    too_long = robot_send(fake, "k1", text_message("字" * 683))
    assert too_long["errcode"] == 40058
    assert too_long["errmsg"].startswith("text.content exceed max length 2048")
    big_md = {"msgtype": "markdown", "markdown": {"content": "a" * 4097}}
    assert robot_send(fake, "k1", big_md)["errcode"] == 40058
    ok_md = {"msgtype": "markdown", "markdown": {"content": "a" * 4096}}
    assert robot_send(fake, "k1", ok_md)["errcode"] == 0

    assert robot_send(fake, "k1", text_message(""))["errcode"] == 44004
    assert robot_send(fake, "k1", text_message("x", mentioned_list="all"))["errcode"] == 40058
    assert robot_send(fake, "k1", {"msgtype": "video", "video": {}})["errcode"] == 40008
    assert robot_send(fake, "k1", {"text": {"content": "x"}})["errcode"] == 40008
    resp = requests.post(fake.base_url + "cgi-bin/webhook/send?key=k1", data=b"{", timeout=5)
    assert resp.json()["errcode"] == 40035
    assert len(fake.robot_messages["k1"]) == 4


def image_message(raw, md5=None):
    return {
        "msgtype": "image",
        "image": {
            "base64": base64.b64encode(raw).decode(),
            "md5": md5 or hashlib.md5(raw).hexdigest(),
        },
    }


def test_webhook_image(fake):
    fake.add_robot("img")
    assert robot_send(fake, "img", image_message(PNG_BYTES))["errcode"] == 0
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 100
    assert robot_send(fake, "img", image_message(jpeg))["errcode"] == 0

    mismatch = robot_send(fake, "img", image_message(PNG_BYTES, md5="0" * 32))
    assert mismatch["errcode"] == 301019
    assert mismatch["errmsg"].startswith("media md5 not match")
    # md5 of the base64 text instead of the raw bytes is a classic mistake
    b64_md5 = hashlib.md5(base64.b64encode(PNG_BYTES)).hexdigest()
    assert robot_send(fake, "img", image_message(PNG_BYTES, md5=b64_md5))["errcode"] == 301019

    gif = b"GIF89a" + b"\x00" * 20
    assert robot_send(fake, "img", image_message(gif))["errcode"] == 40004
    huge = b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024)
    assert robot_send(fake, "img", image_message(huge))["errcode"] == 40009
    bad_b64 = {"msgtype": "image", "image": {"base64": "!!!", "md5": "0" * 32}}
    assert robot_send(fake, "img", bad_b64)["errcode"] == 40058
    assert len(fake.robot_messages["img"]) == 2


def test_webhook_news(fake):
    fake.add_robot("n")
    article = {"title": "停水通知", "url": "https://example.com/a", "picurl": "https://x/p.png"}
    news = {"msgtype": "news", "news": {"articles": [article]}}
    assert robot_send(fake, "n", news)["errcode"] == 0
    nine = {"msgtype": "news", "news": {"articles": [article] * 9}}
    assert robot_send(fake, "n", nine)["errcode"] == 40058


def test_webhook_unknown_and_removed_robot(fake):
    body = robot_send(fake, "missing", text_message("hi"))
    assert body["errcode"] == 93000
    assert body["errmsg"].startswith("invalid webhook url")
    assert post(fake, "cgi-bin/webhook/send", text_message("hi"))["errcode"] == 93000
    fake.add_robot("gone")
    assert robot_send(fake, "gone", text_message("hi"))["errcode"] == 0
    fake.remove_robot("gone")
    assert robot_send(fake, "gone", text_message("hi"))["errcode"] == 93000
    assert len(fake.robot_messages["gone"]) == 1


def test_webhook_rate_limit_with_fake_clock(fake):
    clock = [100_000.0]
    fake.now = lambda: clock[0]
    fake.add_robot("busy")
    fake.add_robot("other")
    for i in range(20):
        clock[0] += 1
        assert robot_send(fake, "busy", text_message(f"m{i}"))["errcode"] == 0
    limited = robot_send(fake, "busy", text_message("m20"))
    assert limited["errcode"] == 45009
    assert limited["errmsg"].startswith("api freq out of limit")
    assert robot_send(fake, "other", text_message("independent"))["errcode"] == 0
    # the window is rolling: the first message (t=100001) leaves it at t=100061
    clock[0] = 100_060.5
    assert robot_send(fake, "busy", text_message("still"))["errcode"] == 45009
    clock[0] = 100_061.0
    assert robot_send(fake, "busy", text_message("m21"))["errcode"] == 0
    assert robot_send(fake, "busy", text_message("m22"))["errcode"] == 45009
    assert len(fake.robot_messages["busy"]) == 21


def test_webhook_rate_limit_with_time_machine(fake):
    fake.add_robot("tm")
    with time_machine.travel(1_700_000_000, tick=False) as traveller:
        for i in range(20):
            assert robot_send(fake, "tm", text_message(f"m{i}"))["errcode"] == 0
        assert robot_send(fake, "tm", text_message("m20"))["errcode"] == 45009
        traveller.shift(60)
        assert robot_send(fake, "tm", text_message("after a minute"))["errcode"] == 0
        assert fake.robot_messages["tm"][-1]["time"] == pytest.approx(time.time())
