"""WeChat and WeCom clients (wechatpy) that honour `WECHAT_API_BASE` / `WECOM_API_BASE`.

wechatpy 1.8.18 hard-codes `https://api.weixin.qq.com/` and `https://qyapi.weixin.qq.com/`,
token fetches included, so the clients get an HTTP session that rewrites those prefixes:
every call, whichever wechatpy method makes it, reaches the configured base. Access tokens
are kept in the database so every worker and host shares one token instead of each fetching
its own (which would invalidate the others').
"""

from __future__ import annotations

from datetime import timedelta

import requests
from flask import current_app
from wechatpy import WeChatClient
from wechatpy.enterprise import WeChatClient as WeComClient
from wechatpy.session import SessionStorage

from infra.timeutil import utcnow
from models import KeyValue

WECHAT_DEFAULT = "https://api.weixin.qq.com/"
WECOM_DEFAULT = "https://qyapi.weixin.qq.com/"
TOKEN_SAFETY_MARGIN = 300  # seconds: refresh well before WeChat expires the token


class RewritingSession(requests.Session):
    """A `requests.Session` that sends calls for the real WeChat hosts to configured bases."""

    def __init__(self, bases: dict[str, str], timeout: float):
        super().__init__()
        self.bases = {src: dst.rstrip("/") + "/" for src, dst in bases.items()}
        self.timeout = timeout

    def request(self, method, url, *args, **kwargs):
        for src, dst in self.bases.items():
            if url.startswith(src):
                url = dst + url[len(src) :]
                break
        if kwargs.get("timeout") is None:
            # wechatpy's token fetch passes no timeout; a hung WeChat must not hang a worker.
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


class DatabaseStorage(SessionStorage):
    """wechatpy session storage on the `KeyValue` table, shared by all processes."""

    def get(self, key, default=None):
        row = KeyValue.get_or_none(KeyValue.key == key)
        if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
            return default
        return row.value

    def set(self, key, value, ttl=None):
        expires = None
        if ttl:
            expires = utcnow() + timedelta(seconds=max(int(ttl) - TOKEN_SAFETY_MARGIN, 60))
        (
            KeyValue.insert(key=key, value=str(value), expires_at=expires)
            .on_conflict(
                conflict_target=[KeyValue.key],
                update={KeyValue.value: str(value), KeyValue.expires_at: expires},
            )
            .execute()
        )

    def delete(self, key):
        KeyValue.delete().where(KeyValue.key == key).execute()


def _session(config) -> RewritingSession:
    return RewritingSession(
        {WECHAT_DEFAULT: config["WECHAT_API_BASE"], WECOM_DEFAULT: config["WECOM_API_BASE"]},
        timeout=float(config["WECHAT_TIMEOUT"]),
    )


class BoundedRetry:
    """wechatpy refetches the token and retries on 40001/40014/42001 for as long as WeChat
    keeps answering so: a token WeChat never accepts would loop forever. One refresh per
    call is allowed; a second stale-token answer is raised like any other error."""

    MAX_TOKEN_FETCHES = 2  # the first fetch of an empty store, and one refresh

    def fetch_access_token(self):
        self._fetches = getattr(self, "_fetches", 0) + 1
        if self._fetches >= self.MAX_TOKEN_FETCHES:
            self.auto_retry = False
        return super().fetch_access_token()


class BoundedRetryClient(BoundedRetry, WeChatClient):
    """The mini program's client, with `BoundedRetry`."""


class BoundedRetryWeComClient(BoundedRetry, WeComClient):
    """The WeCom self-built app's client, with `BoundedRetry`."""


def mini_program_client(config=None) -> WeChatClient:
    """The client for the mini program's server APIs (login, content check, subscribe)."""
    config = config or current_app.config
    client = BoundedRetryClient(
        config["WECHAT_APPID"],
        config["WECHAT_SECRET"],
        session=DatabaseStorage(),
        timeout=config["WECHAT_TIMEOUT"],
    )
    client._http = _session(config)
    return client


def wecom_client(config=None) -> WeComClient:
    """The client of the WeCom self-built app (`WECOM_CORP_ID` + `WECOM_SECRET`): media the
    app receives (`bot.wecom_app`), messages to one person (`core.delivery.private`)."""
    config = config or current_app.config
    client = BoundedRetryWeComClient(
        config["WECOM_CORP_ID"],
        config["WECOM_SECRET"],
        session=DatabaseStorage(),
        timeout=config["WECHAT_TIMEOUT"],
    )
    client._http = _session(config)
    return client
