"""The three callbacks' gates: each GET handshake works; a forged signature, a stale
timestamp and a replayed message id are each refused before anything is written; bodies of
odd shapes (nested too deep, non-finite timestamps, invisible text) are never a 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime

import pytest
import time_machine
from wechatpy.crypto import _get_signature
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from core.items import issues
from core.people.permissions import Principal
from models import BotPhoto, Event, InboundMessage, Issue, Media, OutboxMessage, User
from tests import chat_probes as probe
from tests.bot.clients import AIBOT_KEY, AIBOT_TOKEN, APP_KEY, APP_TOKEN, BRIDGE_SECRET, report


def snapshot():
    """Everything a message could write."""
    return {
        model.__name__: model.select().count()
        for model in (Event, InboundMessage, BotPhoto, Media, OutboxMessage, User)
    } | {"issues": [(i.id, i.status) for i in Issue.select().order_by(Issue.id)]}


# --- handshakes ---------------------------------------------------------------------------------


def test_aibot_url_verification(bot_app):
    client = bot_app.test_client()
    key = base64.b64decode(AIBOT_KEY + "=")
    echo = PrpCrypto(key).encrypt("1616140317555161061", "").decode()
    ts, nonce = str(int(time.time())), "1372623149"
    res = client.get(
        "/bot/wecom/aibot",
        query_string={
            "msg_signature": _get_signature(AIBOT_TOKEN, ts, nonce, echo),
            "timestamp": ts,
            "nonce": nonce,
            "echostr": echo,
        },
    )
    assert (res.status_code, res.data) == (200, b"1616140317555161061")
    bad = client.get(
        "/bot/wecom/aibot",
        query_string={"msg_signature": "0" * 40, "timestamp": ts, "nonce": nonce, "echostr": echo},
    )
    assert bad.status_code == 403 and b"1616140317555161061" not in bad.data


def test_app_url_verification(bot_app, fake_wechat):
    client = bot_app.test_client()
    crypto = WeChatCrypto(APP_TOKEN, APP_KEY, fake_wechat.corp_id)
    echo = PrpCrypto(crypto.key).encrypt("echo-4242", fake_wechat.corp_id).decode()
    ts, nonce = str(int(time.time())), "n1"
    query = {
        "msg_signature": _get_signature(APP_TOKEN, ts, nonce, echo),
        "timestamp": ts,
        "nonce": nonce,
        "echostr": echo,
    }
    res = client.get("/bot/wecom/app", query_string=query)
    assert (res.status_code, res.data) == (200, b"echo-4242")
    # encrypted for another corp: the receive id does not match
    other = PrpCrypto(crypto.key).encrypt("echo-4242", "ww_other").decode()
    query.update(echostr=other, msg_signature=_get_signature(APP_TOKEN, ts, nonce, other))
    assert client.get("/bot/wecom/app", query_string=query).status_code == 403


def test_bridge_handshake(bot_app):
    client = bot_app.test_client()
    ts, echostr = str(int(time.time())), secrets.token_hex(8)
    sig = hmac.new(BRIDGE_SECRET.encode(), f"{ts}.{echostr}".encode(), hashlib.sha256).hexdigest()
    res = client.get(
        "/bot/bridge", query_string={"ts": ts, "echostr": echostr}, headers={"X-Signature": sig}
    )
    assert (res.status_code, res.data.decode()) == (200, echostr)
    res = client.get(
        "/bot/bridge", query_string={"ts": ts, "echostr": echostr}, headers={"X-Signature": "00"}
    )
    assert res.status_code == 401


def test_unconfigured_callbacks_answer_503(client, online_app):
    assert client.get("/bot/wecom/aibot").status_code == 503
    assert client.post("/bot/wecom/app", data=b"<xml/>").status_code == 503
    # Online, a relay without BRIDGE_SECRET stays closed; offline (the demo) it has the
    # demo's published secret, so an unsigned message is refused rather than unconfigured.
    assert online_app.test_client().post("/bot/bridge", json={}).status_code == 503
    assert client.post("/bot/bridge", json={}).status_code == 401


# --- refusals without side effects ---------------------------------------------------------


@pytest.fixture
def pending(world):
    """An issue the steward could accept, so a processed message would change something."""
    return report(world["district"].alleys[0])


REFUSED_STATUS = {"aibot": 403, "app": 403, "bridge": 401}


def test_forged_signature_is_refused(chat, pending):
    before = snapshot()
    res = chat.post("wx_s0", f"接单 {pending.id}", signature="f" * 40)
    assert res.status_code == REFUSED_STATUS[chat.channel]
    assert snapshot() == before


def test_tampered_body_is_refused(pending, bot_app):
    """A valid signature over one body does not cover another (the bridge's raw-body HMAC;
    WeCom signs the ciphertext, so there a changed body is the forged-signature case)."""
    before = snapshot()
    text = f'{{"msg_id": "x1", "ts": {int(time.time())}, "sender": "wx_s0", "text": "接单 1"}}'
    raw = text.encode()
    sig = hmac.new(BRIDGE_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    res = bot_app.test_client().post(
        "/bot/bridge", data=raw.replace(b"x1", b"x2"), headers={"X-Signature": sig}
    )
    assert res.status_code == 401
    assert snapshot() == before


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_stale_timestamp_is_refused(chat, pending, offset):
    before = snapshot()
    # the clock stands still: a second passing mid-request must not move the boundary
    with time_machine.travel(datetime.now(UTC), tick=False):
        res = chat.post("wx_s0", f"接单 {pending.id}", ts=int(time.time()) + offset)
    assert res.status_code == 403
    assert snapshot() == before


def test_replayed_message_id_is_refused(chat, pending):
    first = chat.post("wx_s0", f"接单 {pending.id}", msg_id="m-0001")
    assert chat.reply(first).startswith(f"已接单 #{pending.id}")
    Issue.update(status="submitted").where(Issue.id == pending.id).execute()  # could re-accept
    before = snapshot()
    again = chat.post("wx_s0", f"接单 {pending.id}", msg_id="m-0001")
    if chat.channel == "bridge":
        assert again.status_code == 409
        assert again.get_json()["error"]["code"] == "replayed"
    else:  # WeCom retries: answer empty so it stops, do nothing
        assert (again.status_code, again.data) == (200, b"")
    assert snapshot() == before
    # the same id on another channel is another message
    assert InboundMessage.select().where(InboundMessage.msg_id == "m-0001").count() == 1


def test_garbage_is_refused_without_side_effects(chat, pending, bot_app):
    before = snapshot()
    client = bot_app.test_client()
    path = {"aibot": "/bot/wecom/aibot", "app": "/bot/wecom/app", "bridge": "/bot/bridge"}
    res = client.post(path[chat.channel], data=b"not json, not xml")
    assert 400 <= res.status_code < 500
    assert snapshot() == before


def test_a_message_is_processed_once_even_when_accept_fails(chat, pending):
    """The claim is committed before the command: a refused command is still not re-run."""
    other = report(pending.alley)
    issues.cancel(Principal.for_user(other.reporter), other.id)
    reply = chat.say("wx_s0", f"接单 {other.id}", msg_id="m-cancelled")
    assert reply == "未能接单：该诉求当前为“已撤销”，不能接单"
    assert InboundMessage.select().where(InboundMessage.msg_id == "m-cancelled").count() == 1


def test_nested_json_on_the_chat_callbacks(bot_app, world, fake_wechat):
    client = bot_app.test_client()
    before = Event.select().count()
    deep = probe.nested(50_000)
    # the smart bot: before its signature check (the outer body) and after (the plaintext)
    res = probe.aibot_post(client, "{}", outer=deep.encode())
    assert res.status_code == 400
    res = probe.aibot_post(client, deep)
    assert res.status_code == 400
    res = probe.bridge_post(client, deep.encode())
    assert res.status_code == 400 and res.get_json()["error"]["code"] == "invalid_json"
    assert Event.select().count() == before


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e400"])
def test_only_finite_timestamps_pass(bot_app, world, fake_wechat, value):
    client = bot_app.test_client()
    before = Event.select().count()
    msg = {
        "msgid": "nan-1",
        "msgtype": "text",
        "from": {"userid": "wx_s0"},
        "text": {"content": "帮助"},
    }
    assert probe.aibot_post(client, json.dumps(msg), ts=value).status_code in (400, 403)
    xml = probe.app_xml(
        fake_wechat.corp_id, "wx_s0", "<MsgType>text</MsgType><Content>帮助</Content>"
    )
    assert probe.app_post(client, fake_wechat.corp_id, xml, ts=value).status_code in (400, 403)
    raw = (
        (
            '{"msg_id": "nan-b", "ts": %s, "sender": "wx_s0", "text": "帮助"}'
            % ("NaN" if value.lower() == "nan" else ("Infinity" if "inf" in value else value))
        )
        .replace("-inf", "-Infinity")
        .encode()
    )
    assert probe.bridge_post(client, raw).status_code in (400, 403)
    assert Event.select().count() == before


AIBOT_SHAPES = [
    {"msgid": "s1", "msgtype": "text", "from": "wx_s0", "text": {"content": "帮助"}},
    {"msgid": "s2", "msgtype": "text", "from": {"userid": "wx_s0"}, "text": "帮助"},
    {"msgid": "s3", "msgtype": "image", "from": {"userid": "wx_s0"}, "image": "http://x"},
    {
        "msgid": "s4",
        "msgtype": "mixed",
        "from": {"userid": "wx_s0"},
        "mixed": {"msg_item": [1, "a"]},
    },
    {"msgid": "s5", "msgtype": "mixed", "from": {"userid": "wx_s0"}, "mixed": "x"},
    {"msgid": ["s6"], "msgtype": "text", "from": {"userid": ["wx_s0"]}, "text": {"content": 5}},
    {
        "msgid": "s7",
        "msgtype": "text",
        "from": {"userid": "wx_s0"},
        "text": {"content": "帮助"},
        "chatid": {"a": 1},
    },
    {"msgid": "s8", "msgtype": ["text"], "from": None},
]


@pytest.mark.parametrize(
    "shape",
    AIBOT_SHAPES,
    ids=[s["msgid"] if isinstance(s["msgid"], str) else "list" for s in AIBOT_SHAPES],
)
def test_odd_smart_bot_bodies_are_never_a_500(bot_app, world, shape):
    res = probe.aibot_post(bot_app.test_client(), json.dumps(shape))
    assert res.status_code in (200, 400), res.data[:200]
    assert not Event.select().where(Event.action.startswith("issue.")).exists()


@pytest.mark.parametrize(
    "plain",
    [
        "not xml at all",
        "<xml><FromUserName>wx_s0</FromUserName><Content>帮助</Content></xml>",
        "<xml><MsgType><a>1</a></MsgType><FromUserName>wx_s0</FromUserName></xml>",
        "<xml><MsgType>text</MsgType><FromUserName><a>1</a></FromUserName><Content>帮助</Content><MsgId>1</MsgId></xml>",
        "<xml><MsgType>text</MsgType><FromUserName>wx_s0</FromUserName><Content><b>1</b></Content><MsgId>2</MsgId></xml>",
        "<xml><MsgType>image</MsgType><FromUserName>wx_s0</FromUserName><MsgId>3</MsgId></xml>",
        "<x",
    ],
)
def test_odd_app_bodies_are_never_a_500(bot_app, world, fake_wechat, plain):
    res = probe.app_post(bot_app.test_client(), fake_wechat.corp_id, plain)
    assert res.status_code in (200, 400), res.data[:200]
    assert not Event.select().where(Event.action.startswith("issue.")).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"msg_id": {"a": 1}, "sender": "wx_s0", "text": "帮助"},
        {"msg_id": "b2", "sender": ["wx_s0"], "text": "帮助"},
        {"msg_id": "b3", "sender": "wx_s0", "text": {"a": [1]}},
        {"msg_id": "b4", "sender": "wx_s0", "text": "帮助", "chat_id": [1]},
        {"msg_id": "b5", "sender": "wx_s0", "text": "帮助", "images": [1, None]},
        {"msg_id": "b6", "sender": "wx_s0", "text": "帮助", "ts": True},
        {"msg_id": "b7", "sender": "wx_s0", "text": json.loads(probe.nested(300))},
    ],
)
def test_odd_bridge_bodies_are_never_a_500(bot_app, world, body):
    body = {"ts": int(time.time()), **body}
    res = probe.bridge_post(bot_app.test_client(), json.dumps(body).encode())
    assert res.status_code in (200, 400), res.data[:200]
    assert not Event.select().where(Event.action.startswith("issue.")).exists()


def test_invisible_bot_command_is_help_not_an_action(bot_app, world):
    res = probe.bridge_post(
        bot_app.test_client(),
        json.dumps(
            {
                "msg_id": "inv-1",
                "ts": int(time.time()),
                "sender": "wx_s0",
                "text": "\u200b接单\u200b 1",
            }
        ).encode(),
    )
    assert res.status_code == 200
