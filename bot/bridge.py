"""`/bot/bridge`: a signed relay, for any chat system that can forward messages over HTTP.

A relay (another WeCom integration, a test harness, a home-made forwarder) POSTs JSON::

    {"msg_id": "…", "ts": 1763771400, "sender": "<wecom userid>", "text": "接单 12",
     "chat_id": "<optional group chat id>", "images": ["<base64 JPEG/PNG>", …]}

with ``X-Signature: hex(HMAC-SHA256(BRIDGE_SECRET, raw body))``. The signature is checked
over the exact bytes received, then ``ts`` (seconds or milliseconds) must be within
`BOT_TIMESTAMP_WINDOW_SECONDS` (5 minutes) of now, then ``msg_id`` must be new. The reply
comes back in the response: ``{"reply": "已接单 #12 …"}``. Refusals are JSON
``{"error": {"code", "message"}}`` with 401 (signature), 403 (stale), 409 (replay), 400.

The GET handshake: ``GET /bot/bridge?ts=<unix>&echostr=<random>`` signed with
``X-Signature: hex(HMAC-SHA256(BRIDGE_SECRET, "<ts>.<echostr>"))`` answers the echostr.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging

from flask import Response, current_app, jsonify, request

from bot import engine
from bot.inbound import Refused, as_text, check_timestamp, claim_message, configured, read_json
from core.delivery import groups

log = logging.getLogger(__name__)

CHANNEL = "bridge"
MAX_IMAGES = 9


def sign(body: bytes, secret: str | None = None) -> str:
    secret = secret or current_app.config["BRIDGE_SECRET"]
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _check_signature(payload: bytes) -> None:
    given = request.headers.get("X-Signature", "").strip().lower()
    if not given or not hmac.compare_digest(given, sign(payload)):
        raise Refused(401, "bad_signature", "签名不正确")


def _refusal(err: Refused) -> Response:
    log.warning("bridge callback refused: %s (%s)", err.code, err.message)
    response = jsonify({"error": {"code": err.code, "message": err.message}})
    response.status_code = err.status
    return response


def callback():
    if not configured("BRIDGE_SECRET"):
        return _refusal(Refused(503, "not_configured", "未配置 BRIDGE_SECRET"))
    try:
        if request.method == "GET":
            ts, echostr = request.args.get("ts", ""), request.args.get("echostr", "")
            _check_signature(f"{ts}.{echostr}".encode())
            check_timestamp(ts)
            return Response(echostr, content_type="text/plain; charset=utf-8")
        raw = request.get_data()
        _check_signature(raw)
        body = read_json(raw)
        check_timestamp(body.get("ts"))
        sender = as_text(body.get("sender"))
        if not sender:
            raise Refused(400, "missing_sender", "缺少 sender")
        for name in ("text", "chat_id"):
            if body.get(name) is not None and not isinstance(body[name], str):
                raise Refused(400, f"bad_{name}", f"{name} 须为字符串")
        images = _decode_images(body.get("images"))
        msg_id = as_text(body.get("msg_id"))
        if not claim_message(CHANNEL, msg_id, sender):
            raise Refused(409, "replayed", "该消息已处理过")
    except Refused as err:
        return _refusal(err)
    inbound = engine.Inbound(
        channel=CHANNEL,
        msg_id=msg_id,
        sender=sender,
        text=body.get("text") or "",
        chat_id=body.get("chat_id") or None,
        images=images,
    )
    reply = engine.handle(inbound, groups.by_chat_id(inbound.chat_id))
    return jsonify({"reply": reply})


def _decode_images(value) -> list[bytes]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_IMAGES:
        raise Refused(400, "bad_images", f"images 须为至多 {MAX_IMAGES} 个 base64 字符串")
    images = []
    for item in value:
        try:
            images.append(base64.b64decode(item, validate=True))
        except (binascii.Error, ValueError, TypeError) as exc:
            raise Refused(400, "bad_images", "images 中有无效的 base64") from exc
    return images
