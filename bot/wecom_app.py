"""`/bot/wecom/app`: the WeCom self-built app's message callback (encrypted XML).

Protocol (developer.work.weixin.qq.com, 接收消息与事件 / 加解密方案 path/91144, 被动回复):
``GET ?msg_signature&timestamp&nonce&echostr`` is the URL verification (answer: the
decrypted echostr); ``POST`` carries ``<xml><ToUserName/><AgentID/><Encrypt/></xml>`` signed
over the Encrypt element, decrypted with the corp id as receive id into the message XML
(``MsgId``, ``FromUserName`` = the sender's userid, ``MsgType`` text/image/…, ``Content``,
``PicUrl``/``MediaId``). wechatpy does the crypto (`wechatpy.enterprise.crypto.WeChatCrypto`)
and the parsing (`wechatpy.enterprise.parse_message`); the passive reply is an encrypted XML
text reply.

Photos: the app receives them as a MediaId; they are fetched with `media/get` and the app's
access token (`WECOM_SECRET`), both through `WECOM_API_BASE`. Without a secret the photo is
recorded as unavailable and the sender is told to add it in the mini program.
"""

from __future__ import annotations

import logging
import time

import requests
from flask import Response, current_app, request
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.replies import TextReply
from wechatpy.exceptions import InvalidSignatureException, WeChatClientException

from bot import engine
from bot.inbound import (
    Refused,
    as_text,
    check_timestamp,
    claim_message,
    configured,
)
from core.delivery.wechat import wecom_client
from infra.text import whole_number

log = logging.getLogger(__name__)

CHANNEL = "app"


def crypto() -> WeChatCrypto:
    config = current_app.config
    return WeChatCrypto(config["WECOM_TOKEN"], config["WECOM_AES_KEY"], config["WECOM_CORP_ID"])


def _refusal(err: Refused) -> Response:
    log.warning("wecom app callback refused: %s (%s)", err.code, err.message)
    return Response(err.message, status=err.status, content_type="text/plain; charset=utf-8")


def callback():
    if not configured("WECOM_TOKEN", "WECOM_AES_KEY", "WECOM_CORP_ID"):
        return Response("未配置企业微信应用", status=503, content_type="text/plain; charset=utf-8")
    args = request.args
    signature, timestamp, nonce = (
        args.get("msg_signature", ""),
        args.get("timestamp", ""),
        args.get("nonce", ""),
    )
    try:
        if request.method == "GET":
            try:
                echo = crypto().check_signature(
                    signature, timestamp, nonce, args.get("echostr", "")
                )
            except InvalidSignatureException as exc:
                raise Refused(403, "bad_signature", "签名不正确") from exc
            except Exception as exc:
                raise Refused(403, "bad_payload", "解密失败") from exc
            check_timestamp(timestamp)
            return Response(echo, content_type="text/plain; charset=utf-8")
        try:
            xml = crypto().decrypt_message(request.get_data(), signature, timestamp, nonce)
        except InvalidSignatureException as exc:
            raise Refused(403, "bad_signature", "签名不正确") from exc
        except Exception as exc:  # not XML, no Encrypt, wrong key or corp id
            raise Refused(403, "bad_payload", "解密失败") from exc
        check_timestamp(timestamp)
        message = _parse(xml)
    except Refused as err:
        return _refusal(err)
    return _handle(message, nonce, timestamp)


def _parse(xml: str):
    """The decrypted XML as a wechatpy message. Signed by WeCom but still checked: text that
    is not XML, or XML with nested elements where wechatpy expects text, is a 400."""
    try:
        message = parse_message(xml)
    except Exception as exc:  # wechatpy/xmltodict raise whatever their parser raises
        raise Refused(400, "bad_payload", "解密后的内容不是有效的消息") from exc
    return message


def _handle(message, nonce: str, timestamp: str) -> Response:
    if message is None or as_text(message.type) not in ("text", "image"):
        return Response("", status=200)  # events, voice, location …: nothing to say
    # A part of the wrong shape (an element where text belongs) reads as absent.
    sender = as_text(message.source)
    msg_id = as_text(message._data.get("MsgId"))  # as sent: no int() on odd input
    if not sender:
        return _refusal(Refused(400, "missing_sender", "消息没有发送人"))
    try:
        if not claim_message(CHANNEL, msg_id, sender):
            log.info("wecom app: replayed message %s ignored", msg_id)
            return Response("", status=200)
    except Refused as err:
        return _refusal(err)
    inbound = engine.Inbound(channel=CHANNEL, msg_id=msg_id, sender=sender)
    if message.type == "text":
        inbound.text = as_text(message.content)
    else:
        data, reason = fetch_media(as_text(message.media_id))
        if data is None:
            inbound.images_unavailable = 1
            inbound.unavailable_reason = reason
        else:
            inbound.images.append(data)
    reply = engine.handle(inbound)
    if inbound.images_unavailable and not inbound.text:
        reply = f"照片暂时无法保存（{inbound.unavailable_reason}），请在小程序中上传"
    if reply is None:
        return Response("", status=200)  # not for the bot: an empty answer, no reply
    # Addressed by hand, not with `message=`: wechatpy then reads `message.agent` through
    # int(), which fails on an AgentID of the wrong shape (an element, a word). Such an
    # AgentID reads as 0, like other parts of the wrong shape read as absent.
    answer = TextReply(
        content=reply,
        source=as_text(message.target),
        target=sender,
        agent=whole_number(as_text(message._data.get("AgentID"))) or 0,
    )
    xml = crypto().encrypt_message(answer.render(), nonce, str(int(time.time())))
    return Response(xml, content_type="application/xml; charset=utf-8")


def fetch_media(media_id: str | None) -> tuple[bytes | None, str]:
    """`media/get` with the app's token; (None, why) when it cannot be fetched."""
    config = current_app.config
    if not media_id:
        return None, "消息中没有图片"
    if not config.get("WECOM_SECRET"):
        return None, "未配置企业微信应用密钥"
    client = wecom_client()
    try:
        url = client.media.get_url(media_id)  # fetches (or reads) the token first
        response = client._http.get(url)
    except (WeChatClientException, requests.RequestException) as exc:
        log.warning("wecom app: media/get failed: %s", exc)
        return None, "获取图片失败"
    content_type = response.headers.get("Content-Type", "")
    if response.status_code != 200 or "json" in content_type or "text" in content_type:
        return None, "获取图片失败"
    if len(response.content) > int(config["MAX_UPLOAD_BYTES"]):
        return None, "图片太大"
    return response.content, ""
