"""The three callbacks' gates: each GET handshake works; a forged signature, a stale
timestamp and a replayed message id are each refused before anything is written."""

from __future__ import annotations

import base64
import hashlib
import hmac
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
from tests.bot import test_commands as chatkit
from tests.bot.test_commands import (
    AIBOT_KEY,
    AIBOT_TOKEN,
    APP_KEY,
    APP_TOKEN,
    BRIDGE_SECRET,
    report,
)

# The chat clients' fixtures, shared with the dialogue tests.
bot_app, chat, world = chatkit.bot_app, chatkit.chat, chatkit.world


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
