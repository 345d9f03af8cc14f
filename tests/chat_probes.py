"""Signed-but-arbitrary callbacks: what a WeCom server or a relay holding the real keys could
send, shaped however a test likes. The dialogue clients in test_bot_commands always send
well-formed messages; these helpers take the plaintext as given (any JSON, any XML, any
bytes) and only do the signing and encryption right, so the gate passes and the body is
what is on trial."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

import xmltodict
from wechatpy.crypto import _get_signature
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from tests.bot.clients import AIBOT_KEY, AIBOT_TOKEN, APP_KEY, APP_TOKEN, BRIDGE_SECRET

_AIBOT_KEY = base64.b64decode(AIBOT_KEY + "=")


def aibot_post(
    client,
    plaintext: str,
    ts: str | None = None,
    outer: bytes | None = None,
    extra_query: dict | None = None,
):
    """POST `plaintext` (any text, normally JSON) encrypted and signed as the smart bot's
    callback. `outer` replaces the whole request body (the signature then covers nothing
    the server can find); `extra_query` adds parameters beside the signed ones."""
    encrypted = PrpCrypto(_AIBOT_KEY).encrypt(plaintext, "").decode()
    ts = str(int(time.time())) if ts is None else ts
    nonce = secrets.token_hex(5)
    signature = _get_signature(AIBOT_TOKEN, ts, nonce, encrypted)
    body = outer if outer is not None else json.dumps({"encrypt": encrypted}).encode()
    return client.post(
        "/bot/wecom/aibot",
        query_string={
            **(extra_query or {}),
            "msg_signature": signature,
            "timestamp": ts,
            "nonce": nonce,
        },
        data=body,
        content_type="application/json",
    )


def app_post(
    client, corp_id: str, plaintext: str, ts: str | None = None, extra_query: dict | None = None
):
    """POST `plaintext` (any text, normally XML) encrypted and signed as the WeCom app's
    callback; `extra_query` adds parameters beside the signed ones."""
    crypto = WeChatCrypto(APP_TOKEN, APP_KEY, corp_id)
    ts = str(int(time.time())) if ts is None else ts
    nonce = secrets.token_hex(5)
    envelope = xmltodict.parse(crypto.encrypt_message(plaintext, nonce, ts))["xml"]
    wire = (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
        f"<AgentID><![CDATA[1000002]]></AgentID>"
        f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    )
    return client.post(
        "/bot/wecom/app",
        query_string={
            **(extra_query or {}),
            "msg_signature": envelope["MsgSignature"],
            "timestamp": ts,
            "nonce": nonce,
        },
        data=wire.encode(),
        content_type="text/xml",
    )


def bridge_post(client, raw: bytes, extra_query: dict | None = None):
    """POST `raw` bytes to the bridge with a correct HMAC over exactly those bytes;
    `extra_query` adds query parameters (the bridge signs none)."""
    signature = hmac.new(BRIDGE_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(
        "/bot/bridge",
        query_string=extra_query or {},
        data=raw,
        headers={"X-Signature": signature, "Content-Type": "application/json"},
    )


def app_xml(corp_id: str, sender: str, inner: str, ts: str | None = None, msg_id="7100") -> str:
    ts = str(int(time.time())) if ts is None else ts
    return (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
        f"<FromUserName><![CDATA[{sender}]]></FromUserName><CreateTime>{ts}</CreateTime>"
        f"{inner}<MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>"
    )


def nested(depth: int) -> str:
    """A JSON document nested `depth` arrays deep: deeper than Python's recursion limit
    when `depth` is in the thousands."""
    return "[" * depth + "]" * depth
