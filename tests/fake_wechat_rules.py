"""The fake WeChat's rules for what it accepts (tests/fake_wechat.py serves them): the error a
handler raises, subscribe message data by field kind (thing ≤ 20 characters, phrase ≤ 5 Chinese
characters …) and the WeCom group robot's message types and limits, as the official documents
give them; where they are silent the choice is marked "chosen"."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

# The errmsg texts WeChat and WeCom answer with, by errcode.
ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40013: "invalid appid",
    40014: "invalid access_token",
    40029: "invalid code",
    40035: "invalid parameter",
    40037: "invalid template_id",
    40056: "invalid agentid",
    40058: "invalid Request Parameter",
    40125: "invalid appsecret",
    40129: "invalid scene",
    40163: "code been used",
    40226: "code blocked",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    41030: "invalid page",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    43101: "user refuse to accept the msg",
    44002: "empty post data",
    44004: "empty content",
    45009: "api freq out of limit",
    45011: "api minute-quota reach limit mustslower retry next minute",
    47001: "data format error",
    47003: "argument invalid!",
    61010: "user access record timeout",
    87014: "risky content",
    93000: "invalid webhook url",
    301019: "media md5 not match",
}

ROBOT_TEXT_MAX_BYTES = 2048
ROBOT_MARKDOWN_MAX_BYTES = 4096
ROBOT_IMAGE_MAX_BYTES = 2 * 1024 * 1024
ROBOT_NEWS_MAX_ARTICLES = 8

_DATA_KEY_RE = re.compile(r"^([a-z_]+?)(\d*)$")
_NUMBER_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")
_AMOUNT_RE = re.compile(r"^[^\d\s]?\d{1,10}(\.\d+)?元?$")
_PHONE_RE = re.compile(r"^[0-9+\-() ]{1,17}$")
_CLOCK = r"\d{1,2}:\d{2}(:\d{2})?"
_DATE = r"(\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2})"
_TIME_RE = re.compile(rf"^({_DATE}\s*)?{_CLOCK}$")
_DATE_RE = re.compile(rf"^{_DATE}(\s*{_CLOCK})?$")

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


class WeChatError(Exception):
    """Raised inside handlers; becomes an HTTP 200 ``{"errcode", "errmsg"}`` answer.

    ``detail``, when given, replaces the default errmsg text from ``ERRMSG``.
    """

    def __init__(self, errcode: int, detail: str | None = None):
        super().__init__(errcode, detail)
        self.errcode = errcode
        self.detail = detail


def data_value_ok(kind: str, value: str) -> bool:
    n = len(value)
    if kind == "thing":
        return n <= 20
    if kind == "number":
        return n <= 32 and bool(_NUMBER_RE.match(value))
    if kind == "letter":
        return n <= 32 and value.isascii() and value.isalpha()
    if kind == "symbol":
        return n <= 5 and not any(ch.isalnum() for ch in value)
    if kind == "character_string":
        return n <= 32 and all(" " <= ch <= "~" for ch in value)
    if kind == "time":
        return all(_TIME_RE.match(part.strip()) for part in value.split("~"))
    if kind == "date":
        return all(_DATE_RE.match(part.strip()) for part in value.split("~"))
    if kind == "amount":
        return bool(_AMOUNT_RE.match(value))
    if kind == "phone_number":
        return bool(_PHONE_RE.match(value))
    if kind == "car_number":
        inner = value[1:-1]
        return 0 < n <= 8 and inner.isascii() and (inner.isalnum() or inner == "")
    if kind == "name":
        if any(is_cjk(ch) for ch in value):
            return n <= 10
        return n <= 20
    if kind == "phrase":
        return n <= 5 and all(is_cjk(ch) for ch in value)
    return True  # enum and newer kinds: not validated here


def check_subscribe_data(data: Any) -> None:
    if not isinstance(data, dict) or not data:
        raise WeChatError(47003, "argument invalid! data is empty")
    for key, item in data.items():
        value = item.get("value") if isinstance(item, dict) else None
        if value is None or value == "":
            raise WeChatError(47003, f"argument invalid! data.{key}.value is empty")
        match = _DATA_KEY_RE.match(key)
        kind = match.group(1) if match else key
        if not data_value_ok(kind, str(value)):
            raise WeChatError(47003, f"argument invalid! data.{key}.value invalid")


def check_robot_message(body: dict[str, Any], robot_media) -> None:
    msgtype = body.get("msgtype")
    part = body.get(msgtype) if isinstance(msgtype, str) else None
    if msgtype not in ("text", "markdown", "image", "news", "file", "voice", "template_card"):
        raise WeChatError(40008)
    if not isinstance(part, dict):
        raise WeChatError(40058, f"{msgtype} missing. invalid Request Parameter")
    if msgtype in ("text", "markdown"):
        content = part.get("content")
        if not isinstance(content, str) or content == "":
            raise WeChatError(44004)
        limit = ROBOT_TEXT_MAX_BYTES if msgtype == "text" else ROBOT_MARKDOWN_MAX_BYTES
        if len(content.encode("utf-8")) > limit:
            raise WeChatError(
                40058,
                f"{msgtype}.content exceed max length {limit}. invalid Request Parameter",
            )
        if msgtype == "text":
            for field in ("mentioned_list", "mentioned_mobile_list"):
                value = part.get(field)
                if value is not None and not (
                    isinstance(value, list) and all(isinstance(v, str) for v in value)
                ):
                    raise WeChatError(40058, f"text.{field} invalid")
    elif msgtype == "image":
        b64, md5 = part.get("base64"), part.get("md5")
        if not isinstance(b64, str) or not b64 or not isinstance(md5, str) or not md5:
            raise WeChatError(40058, "image.base64 or image.md5 missing")
        try:
            raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            # chosen: undecodable base64 is reported as an invalid parameter.
            raise WeChatError(40058, "image.base64 invalid") from None
        if hashlib.md5(raw).hexdigest() != md5.lower():
            raise WeChatError(301019)
        if len(raw) > ROBOT_IMAGE_MAX_BYTES:
            # chosen: WeCom's 40009 "invalid image size" for the 2 MB limit.
            raise WeChatError(40009)
        if not (raw.startswith(_JPEG_MAGIC) or raw.startswith(_PNG_MAGIC)):
            # chosen: WeCom's 40004 "invalid media type" for non JPG/PNG data.
            raise WeChatError(40004)
    elif msgtype == "news":
        articles = part.get("articles")
        if not isinstance(articles, list) or not 1 <= len(articles) <= ROBOT_NEWS_MAX_ARTICLES:
            raise WeChatError(40058, "news.articles invalid")
        for article in articles:
            if not isinstance(article, dict) or not article.get("title"):
                raise WeChatError(40058, "news.articles.title missing")
            if not article.get("url"):
                raise WeChatError(40058, "news.articles.url missing")
    elif msgtype in ("file", "voice") and part.get("media_id") not in robot_media:
        raise WeChatError(40007)
