"""A protocol-faithful fake of the WeChat mini program and WeCom HTTP APIs for tests.

One in-process HTTP server on 127.0.0.1 serves both hosts; point ``WECHAT_API_BASE`` and
``WECOM_API_BASE`` at ``fake.base_url``.  Paths don't collide: the mini program token lives at
``/cgi-bin/token`` and the WeCom one at ``/cgi-bin/gettoken``.

Endpoints (request/response shapes and errcodes follow the official docs; where the docs are
silent the choice is marked "chosen" in a comment):

* ``GET  /cgi-bin/token``                 mini program access_token (5-minute overlap on refresh)
* ``POST /cgi-bin/stable_token``          stable access_token (normal / force_refresh modes)
* ``GET  /sns/jscode2session``            login code -> openid/session_key[/unionid]
* ``POST /wxa/msg_sec_check``             text security check, version 2 (and legacy version 1)
* ``POST /cgi-bin/message/subscribe/send`` subscribe message
* ``GET  /cgi-bin/gettoken``              WeCom access_token
* ``POST /cgi-bin/webhook/send``          WeCom group robot (text/markdown/image/news/...)
* ``POST /cgi-bin/message/send``          WeCom application message (text/markdown only)
* ``GET  /cgi-bin/media/get``              WeCom temporary media (the raw file; errcode JSON on error)
* any path put in ``files``                  a plain file download (e.g. a smart-bot image URL)

Test controls: ``down``, ``fail_next()``, ``now`` (clock), ``calls`` / ``calls_to()``,
``add_login_code()``, ``risky_words`` / ``review_words``, ``subscribe_quota``, ``templates``,
``add_robot()`` / ``remove_robot()`` / ``robot_messages``, ``wecom_media``, ``files``.

The rules of what each endpoint accepts (errcodes, subscribe data kinds, robot message
limits) are in ``tests/fake_wechat_rules.py``.

Usage::

    with FakeWeChat() as fake:
        requests.get(fake.base_url + "cgi-bin/token", params={...})
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.fake_wechat_rules import ERRMSG, check_robot_message, check_subscribe_data
from tests.fake_wechat_rules import WeChatError as _WeChatError

TOKEN_TTL = 7200
# getAccessToken doc: while refreshing, the platform keeps old and new tokens valid for 5 minutes.
TOKEN_OVERLAP = 300
# code2Session: a login code is single-use and valid for 5 minutes.
LOGIN_CODE_TTL = 300
# msgSecCheck v2: "the user must have visited the mini program within the last two hours".
RECENT_VISIT_WINDOW = 2 * 3600
MSG_SEC_CHECK_MAX_CHARS = 2500

ROBOT_RATE_LIMIT = 20  # WeCom group robot: at most 20 messages per minute per robot
ROBOT_RATE_WINDOW = 60.0

LABEL_NORMAL = 100

# Default errmsg texts (the English part real servers put before " rid: ..." / ", hint: ...").

_OPENID_RE = re.compile(r"^o[A-Za-z0-9_-]{27}$")
_DATA_KEY_RE = re.compile(r"^([a-z_]+?)(\d*)$")


def openid_for(name: str) -> str:
    """The stable openid the default ``ok:<name>`` login codes map to (28 chars, like real ones)."""
    return "o" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:27]


def _rid() -> str:
    return "-".join(secrets.token_hex(4) for _ in range(3))


class FakeWeChat:
    """Fake api.weixin.qq.com + qyapi.weixin.qq.com served from one local HTTP server."""

    def __init__(
        self,
        appid: str = "wx_test_appid",
        secret: str = "test_secret",
        corp_id: str = "ww_test_corp",
        corp_secret: str = "test_corp_secret",
        agent_id: int = 1000002,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.appid = appid
        self.secret = secret
        self.corp_id = corp_id
        self.corp_secret = corp_secret
        self.agent_id = agent_id
        self.host = host
        self.port = port

        self.lock = threading.RLock()
        self.now: Callable[[], float] = time.time
        self.down = False

        self.calls: list[dict[str, Any]] = []
        self.token_fetches = 0
        self.stable_token_fetches = 0
        self.corp_token_fetches = 0

        # code -> {"openid", "unionid", "session_key", "created", "used"}
        self.login_codes: dict[str, dict[str, Any]] = {}
        # openid -> last time it logged in (msgSecCheck v2 needs a visit within two hours)
        self.last_visit: dict[str, float] = {}
        # When False, msg_sec_check skips the 61010 "recent visit" rule.
        self.enforce_recent_visit = True
        # Success answers of jscode2session carry no errcode by default (as observed in the
        # wild; the newer doc sample shows "errcode": 0). Flip to exercise both shapes.
        self.code2session_include_errcode = False

        self.risky_words: dict[str, int] = {"赌博": 20006, "代开发票": 20008, "色情": 20002}
        self.review_words: dict[str, int] = {"游行": 20001}

        # (openid, template_id) -> remaining sends; a missing key uses default_subscribe_quota
        # (None = unlimited). A count of 0 answers 43101 like a user who has not subscribed.
        self.subscribe_quota: dict[tuple[str, str], int] = {}
        self.default_subscribe_quota: int | None = None
        self.templates: set[str] = set()
        self.template_prefix: str | None = "tpl_"
        self.valid_pages: set[str] | None = None  # None = accept any page
        self.subscribe_sent: list[dict[str, Any]] = []

        self.robots: set[str] = set()
        self.robot_media: set[str] = set()  # media_ids robots accept for file/voice messages
        self.robot_messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._robot_send_times: dict[str, deque[float]] = defaultdict(deque)

        self.app_messages: list[dict[str, Any]] = []
        # media_id -> (bytes, content type) served by /cgi-bin/media/get
        self.wecom_media: dict[str, tuple[bytes, str]] = {}
        # path -> bytes served as-is (application/octet-stream), no token needed
        self.files: dict[str, bytes] = {}

        self._mp_tokens: dict[str, dict[str, Any]] = {}
        self._stable_token: str | None = None
        self._corp_tokens: dict[str, dict[str, Any]] = {}
        self._failures: dict[str, deque[tuple[int, str | None]]] = defaultdict(deque)
        self._msgids = itertools.count(1_000_000_001)

        self._server = None
        self._thread: threading.Thread | None = None

        self._routes: dict[str, tuple[str, Callable[[Request], dict[str, Any]], bool]] = {
            "/cgi-bin/token": ("GET", self._token, False),
            "/cgi-bin/stable_token": ("POST", self._stable_token_endpoint, False),
            "/sns/jscode2session": ("GET", self._jscode2session, False),
            "/wxa/msg_sec_check": ("POST", self._msg_sec_check, False),
            "/cgi-bin/message/subscribe/send": ("POST", self._subscribe_send, False),
            "/cgi-bin/gettoken": ("GET", self._gettoken, True),
            "/cgi-bin/webhook/send": ("POST", self._webhook_send, True),
            "/cgi-bin/message/send": ("POST", self._app_message_send, True),
            "/cgi-bin/media/get": ("GET", self._media_get, True),
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeWeChat:
        if self._server is not None:
            return self
        self._server = make_server(self.host, self.port, self._wsgi, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-wechat",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeWeChat:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeWeChat is not started")
        return f"http://{self.host}:{self.port}/"

    # ------------------------------------------------------------------ test controls

    def calls_to(self, path: str) -> list[dict[str, Any]]:
        """Logged requests whose path equals ``path`` (leading slash optional)."""
        path = "/" + path.lstrip("/")
        with self.lock:
            return [c for c in self.calls if c["path"] == path]

    def fail_next(self, path: str, errcode: int, errmsg: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` requests to ``path`` with this errcode (HTTP 200 JSON)."""
        path = "/" + path.lstrip("/")
        with self.lock:
            for _ in range(times):
                self._failures[path].append((errcode, errmsg))

    def add_login_code(
        self,
        code: str,
        openid: str,
        unionid: str | None = None,
        session_key: str | None = None,
    ) -> None:
        with self.lock:
            self.login_codes[code] = {
                "openid": openid,
                "unionid": unionid,
                "session_key": session_key,
                "created": self.now(),
                "used": False,
            }

    def mark_visited(self, openid: str) -> None:
        """Record a mini program visit (as a login does), for msgSecCheck's 61010 rule."""
        with self.lock:
            self.last_visit[openid] = self.now()

    def add_robot(self, key: str) -> None:
        with self.lock:
            self.robots.add(key)

    def remove_robot(self, key: str) -> None:
        with self.lock:
            self.robots.discard(key)

    def expire_tokens(self) -> None:
        """Make every issued mini program / WeCom token expired (next use answers 42001)."""
        with self.lock:
            now = self.now()
            for store in (self._mp_tokens, self._corp_tokens):
                for info in store.values():
                    info["expires_at"] = min(info["expires_at"], now)

    def reset(self) -> None:
        """Forget logged calls and sent messages (keeps configuration)."""
        with self.lock:
            self.calls.clear()
            self.subscribe_sent.clear()
            self.robot_messages.clear()
            self._robot_send_times.clear()
            self.app_messages.clear()
            self._failures.clear()

    # ------------------------------------------------------------------ plumbing

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        raw = request.get_data()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                body = None
        path = request.path
        with self.lock:
            self.calls.append(
                {
                    "method": request.method,
                    "path": path,
                    "query": request.args.to_dict(),
                    "json": body,
                    "raw": raw,
                    "time": self.now(),
                }
            )
            if self.down:
                return Response(b"", status=503)
            if path in self.files:
                return Response(self.files[path], content_type="application/octet-stream")
            route = self._routes.get(path)
            if route is None:
                # chosen: unknown paths answer HTTP 404 (real servers vary).
                return Response(b"", status=404)
            method, handler, wecom = route
            try:
                if self._failures.get(path):
                    errcode, errmsg = self._failures[path].popleft()
                    if errmsg is None:
                        raise _WeChatError(errcode)
                    return self._json({"errcode": errcode, "errmsg": errmsg})
                if request.method != method:
                    raise _WeChatError(43001 if method == "GET" else 43002)
                result = handler(request)
            except _WeChatError as err:
                return self._json(self._error_body(err, wecom))
            if isinstance(result, Response):  # a file download
                return result
            return self._json(result)

    @staticmethod
    def _json(obj: dict[str, Any]) -> Response:
        return Response(
            json.dumps(obj, ensure_ascii=False),
            status=200,
            content_type="application/json; charset=utf-8",
        )

    @staticmethod
    def _error_body(err: _WeChatError, wecom: bool) -> dict[str, Any]:
        text = err.detail or ERRMSG.get(err.errcode, "error")
        if wecom:
            hint = f"{int(time.time())}{secrets.randbelow(10**9):09d}"
            text = (
                f"{text}, hint: [{hint}], from ip: 127.0.0.1, "
                f"more info at https://open.work.weixin.qq.com/devtool/query?e={err.errcode}"
            )
        else:
            text = f"{text}, rid: {_rid()}"
        return {"errcode": err.errcode, "errmsg": text}

    @staticmethod
    def _json_body(request: Request) -> dict[str, Any]:
        raw = request.get_data()
        if not raw:
            raise _WeChatError(44002)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _WeChatError(47001) from None
        if not isinstance(body, dict):
            raise _WeChatError(47001)
        return body

    # ------------------------------------------------------------------ tokens

    def _check_app_credentials(self, appid: str | None, secret: str | None) -> None:
        if not appid:
            raise _WeChatError(41002)
        if not secret:
            raise _WeChatError(41004)
        if appid != self.appid:
            raise _WeChatError(40013)
        if secret != self.secret:
            # The old getAccessToken doc lists 40001 here; current servers answer 40125.
            raise _WeChatError(40125)

    def _issue_mp_token(self) -> str:
        now = self.now()
        for info in self._mp_tokens.values():
            if info["kind"] == "plain" and not info["superseded"]:
                info["superseded"] = True
                info["expires_at"] = min(info["expires_at"], now + TOKEN_OVERLAP)
        token = "mp_" + secrets.token_urlsafe(24)
        self._mp_tokens[token] = {
            "kind": "plain",
            "expires_at": now + TOKEN_TTL,
            "superseded": False,
        }
        return token

    def _token(self, request: Request) -> dict[str, Any]:
        args = request.args
        self._check_app_credentials(args.get("appid"), args.get("secret"))
        if args.get("grant_type") != "client_credential":
            raise _WeChatError(40002)
        token = self._issue_mp_token()
        self.token_fetches += 1
        return {"access_token": token, "expires_in": TOKEN_TTL}

    def _stable_token_endpoint(self, request: Request) -> dict[str, Any]:
        body = self._json_body(request)
        self._check_app_credentials(body.get("appid"), body.get("secret"))
        if body.get("grant_type") != "client_credential":
            raise _WeChatError(40002)
        now = self.now()
        current = self._mp_tokens.get(self._stable_token or "")
        if body.get("force_refresh") is True:
            # Force refresh: the previous stable token stops working at once.
            if current is not None:
                current["expires_at"] = min(current["expires_at"], now)
                current["superseded"] = True
            current = None
        elif current is not None and current["expires_at"] - now > TOKEN_OVERLAP:
            # Normal mode: same token while valid; renewed in its last 5 minutes.
            return {
                "access_token": self._stable_token,
                "expires_in": int(current["expires_at"] - now),
            }
        # The stable token is isolated from getAccessToken: issuing it supersedes nothing else.
        token = "st_" + secrets.token_urlsafe(24)
        self._mp_tokens[token] = {
            "kind": "stable",
            "expires_at": now + TOKEN_TTL,
            "superseded": False,
        }
        self._stable_token = token
        self.stable_token_fetches += 1
        return {"access_token": token, "expires_in": TOKEN_TTL}

    def _require_mp_token(self, request: Request) -> None:
        token = request.args.get("access_token")
        if not token:
            raise _WeChatError(41001)
        info = self._mp_tokens.get(token)
        if info is None:
            raise _WeChatError(40001)
        if self.now() >= info["expires_at"]:
            # A token replaced by a newer one answers "not latest" once the overlap is over.
            raise _WeChatError(40001 if info["superseded"] else 42001)

    def _gettoken(self, request: Request) -> dict[str, Any]:
        corpid = request.args.get("corpid")
        corpsecret = request.args.get("corpsecret")
        if not corpid:
            raise _WeChatError(41002, "corpid missing")
        if not corpsecret:
            raise _WeChatError(41004, "corpsecret missing")
        if corpid != self.corp_id:
            raise _WeChatError(40013, "invalid corpid")
        if corpsecret != self.corp_secret:
            raise _WeChatError(40001, "invalid credential")
        now = self.now()
        self.corp_token_fetches += 1
        # chosen: WeCom hands back the same token while it is valid, a new one after expiry.
        for token, info in self._corp_tokens.items():
            if info["expires_at"] > now:
                return {
                    "errcode": 0,
                    "errmsg": "ok",
                    "access_token": token,
                    "expires_in": int(info["expires_at"] - now),
                }
        token = "wc_" + secrets.token_urlsafe(32)
        self._corp_tokens[token] = {"expires_at": now + TOKEN_TTL}
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": TOKEN_TTL}

    def _require_corp_token(self, request: Request) -> None:
        token = request.args.get("access_token")
        if not token:
            raise _WeChatError(41001)
        info = self._corp_tokens.get(token)
        if info is None:
            raise _WeChatError(40014)
        if self.now() >= info["expires_at"]:
            raise _WeChatError(42001)

    # ------------------------------------------------------------------ mini program login

    def _resolve_code(self, code: str) -> dict[str, Any]:
        if code.startswith("err:"):
            try:
                errcode = int(code[4:])
            except ValueError:
                raise _WeChatError(40029) from None
            raise _WeChatError(errcode)
        entry = self.login_codes.get(code)
        if entry is None and code.startswith("ok:") and len(code) > 3:
            # "ok:<name>" and "ok:<name>#<anything>" log in as openid_for(name).
            name = code[3:].split("#", 1)[0]
            self.add_login_code(code, openid_for(name))
            entry = self.login_codes[code]
        if entry is None:
            raise _WeChatError(40029)
        if entry["used"]:
            raise _WeChatError(40163)
        if self.now() - entry["created"] > LOGIN_CODE_TTL:
            raise _WeChatError(40029)
        entry["used"] = True
        return entry

    def _jscode2session(self, request: Request) -> dict[str, Any]:
        args = request.args  # an extra access_token (wechatpy adds one) is ignored
        self._check_app_credentials(args.get("appid"), args.get("secret"))
        if args.get("grant_type") != "authorization_code":
            raise _WeChatError(40002)
        code = args.get("js_code")
        if not code:
            raise _WeChatError(41008)
        entry = self._resolve_code(code)
        openid = entry["openid"]
        self.last_visit[openid] = self.now()
        session_key = entry["session_key"] or base64.b64encode(secrets.token_bytes(16)).decode()
        result: dict[str, Any] = {"session_key": session_key, "openid": openid}
        if entry["unionid"]:
            result["unionid"] = entry["unionid"]
        if self.code2session_include_errcode:
            result.update({"errcode": 0, "errmsg": "ok"})
        return result

    def _is_valid_openid(self, openid: Any) -> bool:
        if not isinstance(openid, str) or not openid:
            return False
        if openid in self.last_visit:
            return True
        return any(e["openid"] == openid for e in self.login_codes.values()) or bool(
            _OPENID_RE.match(openid)
        )

    # ------------------------------------------------------------------ msgSecCheck

    @staticmethod
    def _find_word(content: str, words: Any, default_label: int) -> tuple[str, int] | None:
        for word in words:
            if word and word in content:
                label = words[word] if isinstance(words, dict) else default_label
                return word, int(label)
        return None

    def _msg_sec_check(self, request: Request) -> dict[str, Any]:
        self._require_mp_token(request)
        body = self._json_body(request)
        content = body.get("content")
        if not isinstance(content, str) or content == "":
            raise _WeChatError(44002)
        risky = self._find_word(content, self.risky_words, 20006)
        version = body.get("version")
        if version in (None, 1, "1"):
            # Legacy 1.0 interface: only ok / 87014.
            if risky:
                raise _WeChatError(87014)
            return {"errcode": 0, "errmsg": "ok"}
        if version not in (2, "2"):
            raise _WeChatError(47001, "data format error, invalid version")
        openid = body.get("openid")
        if not self._is_valid_openid(openid):
            raise _WeChatError(40003)
        scene = body.get("scene")
        if scene not in (1, 2, 3, 4, "1", "2", "3", "4"):
            raise _WeChatError(40129)
        if len(content) > MSG_SEC_CHECK_MAX_CHARS:
            # chosen: the doc caps content at 2500 characters but names no errcode.
            raise _WeChatError(47001, "data format error, content exceeds 2500 characters")
        if self.enforce_recent_visit:
            seen = self.last_visit.get(openid)
            if seen is None or self.now() - seen > RECENT_VISIT_WINDOW:
                raise _WeChatError(61010)
        review = self._find_word(content, self.review_words, 21000)
        if risky:
            suggest, (word, label) = "risky", risky
        elif review:
            suggest, (word, label) = "review", review
        else:
            suggest, word, label = "pass", None, LABEL_NORMAL
        keyword_detail: dict[str, Any] = {"strategy": "keyword", "errcode": 0}
        if word is not None:
            keyword_detail.update(
                {"suggest": suggest, "label": label, "level": 90, "keyword": word}
            )
        model_detail = {
            "strategy": "content_model",
            "errcode": 0,
            "suggest": suggest,
            "label": label,
            "prob": 90,
        }
        return {
            "errcode": 0,
            "errmsg": "ok",
            "result": {"suggest": suggest, "label": label},
            "detail": [keyword_detail, model_detail],
            "trace_id": _rid(),
        }

    # ------------------------------------------------------------------ subscribe messages

    def _template_known(self, template_id: Any) -> bool:
        if not isinstance(template_id, str) or not template_id:
            return False
        if template_id in self.templates:
            return True
        return bool(self.template_prefix) and template_id.startswith(self.template_prefix)

    def _subscribe_send(self, request: Request) -> dict[str, Any]:
        self._require_mp_token(request)
        body = self._json_body(request)
        touser = body.get("touser")
        if not self._is_valid_openid(touser):
            raise _WeChatError(40003)
        template_id = body.get("template_id")
        if not self._template_known(template_id):
            raise _WeChatError(40037)
        page = body.get("page")
        if page and self.valid_pages is not None and page.split("?", 1)[0] not in self.valid_pages:
            raise _WeChatError(41030)
        state = body.get("miniprogram_state")
        if state is not None and state not in ("developer", "trial", "formal"):
            raise _WeChatError(47003, "argument invalid! miniprogram_state invalid")
        lang = body.get("lang")
        if lang is not None and lang not in ("zh_CN", "en_US", "zh_HK", "zh_TW"):
            raise _WeChatError(47003, "argument invalid! lang invalid")
        check_subscribe_data(body.get("data"))
        key = (touser, template_id)
        remaining = self.subscribe_quota.get(key, self.default_subscribe_quota)
        if remaining is not None:
            if remaining <= 0:
                raise _WeChatError(43101)
            self.subscribe_quota[key] = remaining - 1
        msgid = next(self._msgids)
        self.subscribe_sent.append({"time": self.now(), "msgid": msgid, "body": body})
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}

    # ------------------------------------------------------------------ WeCom group robot

    def _webhook_send(self, request: Request) -> dict[str, Any]:
        key = request.args.get("key")
        if not key or key not in self.robots:
            raise _WeChatError(93000)
        now = self.now()
        sent = self._robot_send_times[key]
        while sent and now - sent[0] >= ROBOT_RATE_WINDOW:
            sent.popleft()
        if len(sent) >= ROBOT_RATE_LIMIT:
            raise _WeChatError(45009)
        raw = request.get_data()
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            body = None
        if not isinstance(body, dict):
            # chosen: WeCom reports unparsable JSON as 40035 "invalid parameter".
            raise _WeChatError(40035, "invalid parameter, Warning: wrong json format.")
        check_robot_message(body, self.robot_media)
        sent.append(now)
        self.robot_messages[key].append({"time": now, "body": body})
        return {"errcode": 0, "errmsg": "ok"}

    # ------------------------------------------------------------------ WeCom app message

    def _app_message_send(self, request: Request) -> dict[str, Any]:
        self._require_corp_token(request)
        body = self._json_body(request)
        if body.get("agentid") not in (self.agent_id, str(self.agent_id)):
            raise _WeChatError(40056)
        if not any(body.get(f) for f in ("touser", "toparty", "totag")):
            raise _WeChatError(40035, "touser, toparty and totag are all empty")
        msgtype = body.get("msgtype")
        if msgtype not in ("text", "markdown"):
            raise _WeChatError(40008)
        part = body.get(msgtype)
        content = part.get("content") if isinstance(part, dict) else None
        if not isinstance(content, str) or content == "":
            raise _WeChatError(44004)
        msgid = secrets.token_urlsafe(16)
        self.app_messages.append({"time": self.now(), "msgid": msgid, "body": body})
        return {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": msgid}

    # ------------------------------------------------------------------ WeCom temporary media

    def _media_get(self, request: Request) -> Any:
        self._require_corp_token(request)
        item = self.wecom_media.get(request.args.get("media_id", ""))
        if item is None:
            raise _WeChatError(40007)
        data, content_type = item
        return Response(
            data,
            content_type=content_type,
            headers={"Content-Disposition": 'attachment; filename="media.jpg"'},
        )
