"""`/bot/wecom/aibot`: the WeCom smart bot (智能机器人) callback, in API mode.

Protocol (developer.work.weixin.qq.com, 智能机器人: path/101039 概述, path/100719 接收消息,
path/101031 被动回复消息, path/101033 回调和回复的加解密方案):

* URL verification: ``GET ?msg_signature&timestamp&nonce&echostr``; the signature is
  sha1(sort(token, timestamp, nonce, echostr)); the answer is the decrypted echostr, as is.
* Messages: ``POST ?msg_signature&timestamp&nonce`` with the JSON body ``{"encrypt": "…"}``.
  The same AES scheme as the self-built app, with the receive id ``""`` (wechatpy's enterprise
  crypto with an empty corp id). The decrypted JSON carries ``msgid``, ``chatid``,
  ``chattype``, ``from.userid``, ``msgtype`` (``text``, ``image`` — single chat only —,
  ``mixed`` for text with pictures, ``stream`` for refresh polls, ``event``) and the content.
  A picture comes as a URL valid for a short time whose content is AES-256-CBC encrypted with
  the bot's EncodingAESKey (or the ``aeskey`` given with it), IV = first 16 key bytes, PKCS#7.
* Passive reply: the encrypted JSON ``{"encrypt", "msgsignature", "timestamp", "nonce"}`` of
  ``{"msgtype": "stream", "stream": {"id", "finish": true, "content"}}``; an empty body is
  also a valid answer.

When handling took longer than `AIBOT_REPLY_BUDGET_SECONDS` (the smart bot waits a few
seconds only), the reply goes to the group through the outbox instead (its robot webhook,
@-mentioning the sender when they are a steward), and the passive answer is empty.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import secrets
import time

import requests
from flask import Response, current_app, request
from wechatpy.crypto import _get_signature
from wechatpy.crypto.cryptography import WeChatCipher
from wechatpy.enterprise.crypto import PrpCrypto

from bot import engine, identity
from bot.inbound import (
    Refused,
    as_dict,
    as_text,
    check_timestamp,
    claim_message,
    configured,
    http_session,
    read_json,
)
from core.delivery import groups, robot
from infra.db import write_transaction

log = logging.getLogger(__name__)

CHANNEL = "aibot"
RECEIVE_ID = ""  # 企业内部智能机器人场景中，ReceiveId 为 ""
UNKNOWN_GROUP = "?"  # the chat id of a group message that came without one


def _key() -> bytes:
    return base64.b64decode(current_app.config["WECOM_AIBOT_AES_KEY"] + "=")


def _token() -> str:
    return current_app.config["WECOM_AIBOT_TOKEN"]


def _verify(signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
    expected = _get_signature(_token(), timestamp, nonce, encrypted)
    if not signature or not hmac.compare_digest(expected, signature):
        raise Refused(403, "bad_signature", "签名不正确")


def _decrypt(encrypted: str) -> str:
    try:
        return PrpCrypto(_key()).decrypt(encrypted, RECEIVE_ID)
    except Exception as exc:  # wrong key, bad padding, wrong receive id: all the same to us
        raise Refused(403, "bad_payload", "解密失败") from exc


def encrypt_reply(payload: dict, nonce: str, timestamp: str | None = None) -> dict:
    """The passive reply envelope for a JSON payload (also what tests decrypt)."""
    timestamp = timestamp or str(int(time.time()))
    plain = json.dumps(payload, ensure_ascii=False)
    encrypted = PrpCrypto(_key()).encrypt(plain, RECEIVE_ID).decode("ascii")
    return {
        "encrypt": encrypted,
        "msgsignature": _get_signature(_token(), timestamp, nonce, encrypted),
        "timestamp": timestamp,
        "nonce": nonce,
    }


def _refusal(err: Refused) -> Response:
    log.warning("aibot callback refused: %s (%s)", err.code, err.message)
    return Response(err.message, status=err.status, content_type="text/plain; charset=utf-8")


def callback():
    if not configured("WECOM_AIBOT_TOKEN", "WECOM_AIBOT_AES_KEY"):
        return Response("未配置智能机器人", status=503, content_type="text/plain; charset=utf-8")
    args = request.args
    signature, timestamp, nonce = (
        args.get("msg_signature", ""),
        args.get("timestamp", ""),
        args.get("nonce", ""),
    )
    try:
        if request.method == "GET":
            echostr = args.get("echostr", "")
            _verify(signature, timestamp, nonce, echostr)
            check_timestamp(timestamp)
            return Response(_decrypt(echostr), content_type="text/plain; charset=utf-8")
        # Before the signature: only the ciphertext is read, and a body that is not a small
        # JSON object (nested thousands deep, say) is a 400, never a parser crash.
        encrypted = read_json(request.get_data()).get("encrypt")
        if not isinstance(encrypted, str) or not encrypted:
            raise Refused(400, "bad_body", '请求体须为 {"encrypt": …}')
        _verify(signature, timestamp, nonce, encrypted)
        check_timestamp(timestamp)
        message = read_json(_decrypt(encrypted))
    except Refused as err:
        return _refusal(err)
    return _handle(message, nonce)


def _empty() -> Response:
    return Response("", status=200)


def _handle(message: dict, nonce: str) -> Response:
    # Signed bodies are WeCom's, but their shape is still checked part by part: a part of
    # the wrong type reads as absent (no sender, no text), so it can never act.
    msgtype = as_text(message.get("msgtype"))
    if msgtype not in ("text", "image", "mixed"):
        return _empty()  # stream refresh polls (we always finish at once), events
    sender = as_text(as_dict(message.get("from")).get("userid"))
    msg_id = as_text(message.get("msgid"))
    if not sender:
        return _refusal(Refused(400, "missing_sender", "消息没有发送人"))
    try:
        if not claim_message(CHANNEL, msg_id, sender):
            log.info("aibot: replayed message %s ignored", msg_id)
            return _empty()
    except Refused as err:
        return _refusal(err)
    started = time.monotonic()
    chat_id = as_text(message.get("chatid")) or None
    if chat_id is None and as_text(message.get("chattype")) != "single":
        # A group message without its chat id is still read by the whole group: only a chat
        # WeCom calls single may carry what is private (bot.commands.registry.Context.in_group).
        chat_id = UNKNOWN_GROUP
    inbound = engine.Inbound(channel=CHANNEL, msg_id=msg_id, sender=sender, chat_id=chat_id)
    texts, urls = [], []
    if msgtype == "text":
        texts.append(as_text(as_dict(message.get("text")).get("content")))
    elif msgtype == "image":
        urls.append(as_dict(message.get("image")))
    else:
        items = as_dict(message.get("mixed")).get("msg_item")
        for item in items if isinstance(items, list) else []:
            item = as_dict(item)
            if item.get("msgtype") == "text":
                texts.append(as_text(as_dict(item.get("text")).get("content")))
            elif item.get("msgtype") == "image":
                urls.append(as_dict(item.get("image")))
    inbound.text = " ".join(t for t in texts if t)
    for image in urls:
        data = _fetch_image(image)
        if data is None:
            inbound.images_unavailable += 1
            inbound.unavailable_reason = "智能机器人图片下载或解密失败"
        else:
            inbound.images.append(data)
    group = groups.by_chat_id(inbound.chat_id)
    reply = engine.handle(inbound, group)
    if reply is None:
        return _empty()  # not for the bot: no answer at all
    elapsed = time.monotonic() - started
    if elapsed > float(current_app.config["AIBOT_REPLY_BUDGET_SECONDS"]) and group is not None:
        phone = identity.steward_phone(sender)
        with write_transaction():
            robot.push_text(
                group, reply, key=f"robot:reply:aibot:{msg_id}", mentions=[phone] if phone else ()
            )
        return _empty()
    payload = {
        "msgtype": "stream",
        "stream": {"id": secrets.token_hex(8), "finish": True, "content": reply},
    }
    return Response(
        json.dumps(encrypt_reply(payload, nonce), ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )


def _fetch_image(image: dict) -> bytes | None:
    url = as_text(image.get("url"))
    if not url:
        return None
    limit = int(current_app.config["MAX_UPLOAD_BYTES"]) + 64
    try:
        with http_session() as session, session.get(url, stream=True) as response:
            if response.status_code != 200:
                return None
            data = response.raw.read(limit + 1, decode_content=True)
    except requests.RequestException as exc:
        log.warning("aibot: image download failed: %s", exc)
        return None
    if not data or len(data) > limit:
        return None
    try:
        key = base64.b64decode(image["aeskey"] + "=" * (-len(image["aeskey"]) % 4))
        if len(key) != 32:
            key = _key()
    except (KeyError, TypeError, ValueError):
        key = _key()
    return decrypt_file(data, key)


def decrypt_file(data: bytes, key: bytes) -> bytes | None:
    """AES-256-CBC, IV = key[:16], PKCS#7 padding to 32-byte blocks."""
    if len(data) % 16:
        return None
    plain = WeChatCipher(key).decrypt(data)
    pad = plain[-1] if plain else 0
    if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
        return None
    return plain[:-pad]
