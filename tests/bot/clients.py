"""The WeCom channels the bot tests talk through — the smart bot (aibot) and the application
callbacks signed and encrypted with wechatpy, and the relay (bridge) — and what the dialogues
share: the bot's configuration, a photo, a resident's report, and running a dialogue table.
The fixtures (`bot_app`, `chat` over every channel, `world`) are in this folder's conftest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import itertools
import json
import secrets
import time
from datetime import UTC, datetime

import xmltodict
from PIL import Image
from wechatpy.crypto import _get_signature
from wechatpy.crypto.cryptography import WeChatCipher
from wechatpy.crypto.pkcs7 import PKCS7Encoder
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from core.items import issues
from core.people.permissions import Principal
from models import Issue, User

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
AIBOT_TOKEN, APP_TOKEN, BRIDGE_SECRET = "aibot-token", "app-token", "bridge-secret"
AIBOT_KEY = base64.b64encode(b"k" * 32).decode()[:-1]
APP_KEY = base64.b64encode(b"a" * 32).decode()[:-1]
_ids = itertools.count(1)


def jpeg(color="red", size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


# --- three chat clients, each speaking its channel's protocol ---------------------------------


class AibotClient:
    """Plays WeCom's smart-bot server: encrypts the callback, decrypts the passive reply."""

    channel = "aibot"

    def __init__(self, client, fake):
        self.client, self.fake = client, fake
        self.key = base64.b64decode(AIBOT_KEY + "=")

    def encrypt(self, payload: dict) -> str:
        return PrpCrypto(self.key).encrypt(json.dumps(payload, ensure_ascii=False), "").decode()

    def host_image(self, data: bytes) -> str:
        """WeCom serves a picture encrypted with the bot's key at a short-lived URL."""
        path = f"/aibot/img/{secrets.token_hex(6)}"
        self.fake.files[path] = WeChatCipher(self.key).encrypt(PKCS7Encoder.encode(data))
        return self.fake.base_url + path.lstrip("/")

    def post(self, sender, text=None, images=(), msg_id=None, ts=None, signature=None, chat=None):
        msg_id = msg_id or f"aibot-{next(_ids)}"
        message = {
            "msgid": msg_id,
            "aibotid": "AIBOTID",
            "chatid": chat or "",
            "chattype": "group" if chat else "single",
            "from": {"userid": sender},
            "response_url": "https://example.invalid/response",
        }
        if images:
            items = [{"msgtype": "text", "text": {"content": text}}] if text else []
            items += [{"msgtype": "image", "image": {"url": self.host_image(i)}} for i in images]
            message.update(msgtype="mixed", mixed={"msg_item": items})
        else:
            message.update(msgtype="text", text={"content": text})
        encrypted = self.encrypt(message)
        ts = str(int(time.time()) if ts is None else ts)
        nonce = secrets.token_hex(5)
        signature = signature or _get_signature(AIBOT_TOKEN, ts, nonce, encrypted)
        return self.client.post(
            "/bot/wecom/aibot",
            query_string={"msg_signature": signature, "timestamp": ts, "nonce": nonce},
            json={"encrypt": encrypted},
        )

    def reply(self, res) -> str | None:
        assert res.status_code == 200, res.data
        if not res.data:
            return None
        body = res.get_json()
        assert set(body) == {"encrypt", "msgsignature", "timestamp", "nonce"}
        assert body["msgsignature"] == _get_signature(
            AIBOT_TOKEN, body["timestamp"], body["nonce"], body["encrypt"]
        )
        payload = json.loads(PrpCrypto(self.key).decrypt(body["encrypt"], ""))
        assert payload["msgtype"] == "stream" and payload["stream"]["finish"] is True
        return payload["stream"]["content"]

    def say(self, sender, text, **kw) -> str | None:
        return self.reply(self.post(sender, text, **kw))


class AppClient:
    """Plays WeCom calling the self-built app: encrypted XML in, encrypted XML reply out."""

    channel = "app"

    def __init__(self, client, fake):
        self.client, self.fake = client, fake
        self.crypto = WeChatCrypto(APP_TOKEN, APP_KEY, fake.corp_id)

    def post(self, sender, text=None, images=(), msg_id=None, ts=None, signature=None, chat=None):
        ts = str(int(time.time()) if ts is None else ts)
        msg_id = msg_id or str(7_000_000_000 + next(_ids))
        if images:
            media_id = f"media-{secrets.token_hex(4)}"
            self.fake.wecom_media[media_id] = (images[0], "image/jpeg")
            body = (
                f"<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://p.invalid/1]]>"
                f"</PicUrl><MediaId><![CDATA[{media_id}]]></MediaId>"
            )
        else:
            body = f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
        plain = (
            f"<xml><ToUserName><![CDATA[{self.fake.corp_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{sender}]]></FromUserName><CreateTime>{ts}</CreateTime>"
            f"{body}<MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>"
        )
        nonce = secrets.token_hex(5)
        envelope = xmltodict.parse(self.crypto.encrypt_message(plain, nonce, ts))["xml"]
        signature = signature or envelope["MsgSignature"]
        wire = (
            f"<xml><ToUserName><![CDATA[{self.fake.corp_id}]]></ToUserName>"
            f"<AgentID><![CDATA[1000002]]></AgentID>"
            f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
        )
        return self.client.post(
            "/bot/wecom/app",
            query_string={"msg_signature": signature, "timestamp": ts, "nonce": nonce},
            data=wire.encode(),
            content_type="text/xml",
        )

    def reply(self, res) -> str | None:
        assert res.status_code == 200, res.data
        if not res.data:
            return None
        envelope = xmltodict.parse(res.data)["xml"]
        xml = self.crypto.decrypt_message(
            envelope, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
        )
        message = xmltodict.parse(xml)["xml"]
        assert message["MsgType"] == "text" and message["FromUserName"] == self.fake.corp_id
        return message["Content"]

    def say(self, sender, text, **kw) -> str | None:
        return self.reply(self.post(sender, text, **kw))


class BridgeClient:
    """A relay posting signed JSON; the reply is in the response."""

    channel = "bridge"

    def __init__(self, client, fake):
        self.client = client

    def post(self, sender, text=None, images=(), msg_id=None, ts=None, signature=None, chat=None):
        body = {
            "msg_id": msg_id or f"bridge-{next(_ids)}",
            "ts": int(time.time()) if ts is None else ts,
            "sender": sender,
            "text": text,
            "chat_id": chat,
            "images": [base64.b64encode(i).decode() for i in images] or None,
        }
        raw = json.dumps(body, ensure_ascii=False).encode()
        signature = signature or hmac.new(BRIDGE_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        return self.client.post(
            "/bot/bridge",
            data=raw,
            headers={"X-Signature": signature, "Content-Type": "application/json"},
        )

    def reply(self, res) -> str | None:
        assert res.status_code == 200, res.get_json()
        return res.get_json()["reply"]

    def say(self, sender, text, **kw) -> str | None:
        return self.reply(self.post(sender, text, **kw))


CLIENTS = {"aibot": AibotClient, "app": AppClient, "bridge": BridgeClient}


def bot_config(fake, **extra) -> dict:
    cfg = {
        "WECOM_API_BASE": fake.base_url,
        "WECHAT_API_BASE": fake.base_url,
        "WECOM_CORP_ID": fake.corp_id,
        "WECOM_SECRET": fake.corp_secret,
        "WECOM_TOKEN": APP_TOKEN,
        "WECOM_AES_KEY": APP_KEY,
        "WECOM_AIBOT_TOKEN": AIBOT_TOKEN,
        "WECOM_AIBOT_AES_KEY": AIBOT_KEY,
        "BRIDGE_SECRET": BRIDGE_SECRET,
    }
    cfg.update(extra)
    return cfg


# --- the world the dialogues run in -----------------------------------------------------------


def resident() -> Principal:
    user = User.create(openid=f"dev:居民{next(_ids)}", nickname="居民")
    return Principal.for_user(user)


def report(alley, content="垃圾堆放", category="环境卫生") -> Issue:
    issue = issues.create(
        resident(), alley=alley, board=None, category=category, content=content
    ).issue
    return issue


def fullwidth(n: int) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in str(n))


def run(chat, table):
    for who, text, expected in table:
        got = chat.say(who, text)
        if expected.endswith("…"):
            assert got.startswith(expected[:-1]), (text, got)
        else:
            assert got == expected, (text, got)
