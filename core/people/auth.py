"""Logins, bearer tokens, console passwords and one-time bind codes.

The API's auth routes, the bot's `绑定 CODE` command and the CLI all call these functions.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from cachetools import LRUCache
from flask import current_app
from peewee import JOIN, DatabaseError, IntegrityError, fn
from wechatpy.exceptions import WeChatClientException
from werkzeug.security import check_password_hash, generate_password_hash

from core import audit, faults
from core.boards import boards
from core.delivery.wechat import mini_program_client
from core.people.permissions import Principal
from infra import codes
from infra.db import Param, Prepared, db, write_transaction
from infra.errors import ApiError, bad_request, unauthorized
from infra.timeutil import utcnow
from models import (
    ISSUE_OPEN,
    Area,
    AuthToken,
    BindCode,
    Issue,
    IssueAssignee,
    RoleGrant,
    StaffAccount,
    Steward,
    User,
)

log = logging.getLogger(__name__)

OFFLINE_PREFIX = "dev:"
BIND_CODE_LENGTH = 8
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)

# What a wx.login exchange can fail with, and what the resident is told.
WECHAT_LOGIN_ERRORS = {
    40029: (400, "invalid_code", "登录凭证无效，请重新打开小程序再试"),
    40163: (400, "invalid_code", "登录凭证已被使用，请重新打开小程序再试"),
    45011: (429, "rate_limited", "登录太频繁，请稍后再试"),
    40226: (403, "user_blocked", "该微信账号存在安全风险，暂时无法登录"),
    -1: (503, "wechat_busy", "微信服务繁忙，请稍后再试"),
}


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, via: str) -> str:
    token = secrets.token_urlsafe(32)
    ttl = timedelta(days=int(current_app.config["TOKEN_TTL_DAYS"]))
    AuthToken.create(token_hash=_hash_token(token), user=user, via=via, expires_at=utcnow() + ttl)
    return token


# A token's last use, written at most every few minutes (see `_live_user`).
_TOKEN_TOUCH = Prepared(
    lambda: AuthToken.update(last_used_at=Param("now", AuthToken.last_used_at)).where(
        AuthToken.id == Param("id")
    )
)


# Every signed-in request (mini program and console): the token, its user and the user's live
# role grants with their area, steward and staff account, in one round trip (a row per grant;
# a resident, most callers, holds none: one row with no grant), compiled once (see
# infra.db.Prepared). Staff and stewards read them with the token, not in a second query: a
# console page makes five or so statements, and under load every round trip waits its turn
# for a core beside the database server (issue 28).
_TOKEN_AND_GRANTS = Prepared(
    lambda: (
        AuthToken.select(AuthToken, User, RoleGrant, Area, Steward, StaffAccount)
        .join(User)
        .join_from(
            User,
            RoleGrant,
            JOIN.LEFT_OUTER,
            on=(RoleGrant.user == User.id) & RoleGrant.revoked_at.is_null(),
            attr="live_grant",
        )
        .join_from(RoleGrant, Area, JOIN.LEFT_OUTER)
        .join_from(RoleGrant, Steward, JOIN.LEFT_OUTER)
        .join_from(RoleGrant, StaffAccount, JOIN.LEFT_OUTER)
        .where(AuthToken.token_hash == Param("token_hash"))
        .order_by(RoleGrant.id)
    )
)


@dataclass
class _KnownResident:
    principal: Principal
    expires_at: datetime  # the token's
    database: object
    read_at: float


# A worker's copies of residents' principals for reads (see `principal_for_token`).
MAX_KNOWN_RESIDENTS = 4096  # a worker's memory stays bounded however many people sign in
# cachetools keeps the bounded LRU map; it is not thread-safe, so every touch holds the lock.
_residents: LRUCache[str, _KnownResident] = LRUCache(maxsize=MAX_KNOWN_RESIDENTS)
_residents_lock = threading.Lock()


def principal_for_token(token: str, reuse: bool = False) -> Principal | None:
    """Who holds `token` with their roles (`Principal.for_user`), None for a token that is
    unknown, revoked or expired.

    `reuse` (reads only: `GET` and `HEAD`): a resident's principal — a user with no role
    grant, the mini program's first screen — may be this worker's copy read up to
    `PRINCIPAL_CACHE_SECONDS` (1 s) ago; the screen's few requests then make one token
    lookup, not one each. A write always reads the token afresh, and every write this worker
    serves drops the copies (`forget_principals`), so a sign-out shows at once here and within
    the second elsewhere. Staff and stewards are never copied: a revoked grant or a dismissed
    steward takes effect at once on every request.
    """
    token_hash = _hash_token(token)
    seconds = float(current_app.config["PRINCIPAL_CACHE_SECONDS"]) if reuse else 0.0
    if seconds > 0:
        with _residents_lock:
            known = _residents.get(token_hash)
        if (
            known is not None
            and known.database is db.obj
            and 0 <= time.time() - known.read_at < seconds
            and known.expires_at > utcnow()
        ):
            return known.principal
    rows = list(_TOKEN_AND_GRANTS.rows(token_hash=token_hash))
    user = _live_user(rows[0] if rows else None)
    if user is None:
        return None
    grants = [row.user.live_grant for row in rows if row.user.live_grant is not None]
    if grants:
        return Principal.for_user(user, grants)
    principal = Principal.for_user(user, [])
    if seconds > 0:
        with _residents_lock:
            _residents[token_hash] = _KnownResident(
                principal, rows[0].expires_at, db.obj, time.time()
            )
    return principal


def forget_principals() -> None:
    """Drop this worker's copies of residents' principals (after any write it serves)."""
    with _residents_lock:
        _residents.clear()


def _live_user(row: AuthToken | None) -> User | None:
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    # At most one write per token every few minutes, not one per request.
    if row.last_used_at is None or now - row.last_used_at > TOKEN_TOUCH_INTERVAL:
        try:
            _TOKEN_TOUCH.execute(now=now, id=row.id)
        except DatabaseError as exc:
            # A read-only database (maintenance, a standby): the bookkeeping waits, reading
            # goes on; a write of the request itself still answers 503 (core.faults).
            if faults.fault_of(exc) is None:
                raise
    return row.user


def revoke_token(token: str) -> None:
    AuthToken.update(revoked_at=utcnow()).where(
        (AuthToken.token_hash == _hash_token(token)) & AuthToken.revoked_at.is_null()
    ).execute()


def revoke_user_tokens(user: User) -> int:
    return (
        AuthToken.update(revoked_at=utcnow())
        .where((AuthToken.user == user) & AuthToken.revoked_at.is_null())
        .execute()
    )


def _exchange_code(code: str) -> dict:
    """wx.login code → {openid, unionid?, session_key} via WeChat, or offline `dev:<name>`."""
    if current_app.config["OFFLINE"]:
        if not code.startswith(OFFLINE_PREFIX) or len(code) <= len(OFFLINE_PREFIX):
            raise bad_request(
                "当前为离线演示模式，请使用 dev:姓名 形式的登录码",
                {"code": "离线模式下登录码须以 dev: 开头"},
                code="invalid_code",
            )
        return {"openid": code[:64], "session_key": None}
    try:
        return mini_program_client().wxa.code_to_session(code)
    except WeChatClientException as exc:
        errcode = exc.errcode
        if errcode in WECHAT_LOGIN_ERRORS:
            status, err, message = WECHAT_LOGIN_ERRORS[errcode]
            raise ApiError(status, err, message) from exc
        log.warning("jscode2session failed: %s %s", exc.errcode, exc.errmsg)
        if errcode is None:  # HTTP-level failure: WeChat unreachable or erroring
            raise ApiError(503, "wechat_unavailable", "暂时无法连接微信，请稍后再试") from exc
        raise ApiError(400, "invalid_code", "微信登录失败，请重新打开小程序再试") from exc
    except requests.RequestException as exc:
        log.warning("jscode2session unreachable: %s", exc)
        raise ApiError(503, "wechat_unavailable", "暂时无法连接微信，请稍后再试") from exc


def login_with_code(code: str) -> tuple[User, str]:
    session = _exchange_code(code)
    openid = session.get("openid")
    if not openid:
        raise ApiError(503, "wechat_unavailable", "微信登录暂时不可用，请稍后再试")
    # Read-then-write: IMMEDIATE on SQLite (a deferred transaction would fail "database is
    # locked" when two first logins race); on PostgreSQL the unique openid decides the race.
    with write_transaction():
        user = User.get_or_none(User.openid == openid)
        if user is None:
            try:
                with db.atomic():
                    user = User.create(openid=openid)
            except IntegrityError:
                user = User.get(User.openid == openid)
            if openid.startswith(OFFLINE_PREFIX) and not user.nickname:
                user.nickname = openid[len(OFFLINE_PREFIX) :][:64]
        user.unionid = session.get("unionid") or user.unionid
        user.session_key = session.get("session_key")
        user.last_login_at = utcnow()
        user.save()
        via = "offline" if current_app.config["OFFLINE"] else "wechat"
        token = issue_token(user, via)
    return user, token


@functools.cache
def _dummy_hash() -> str:
    """A hash made the way real ones are, checked when the username is unknown so that
    answer takes as long as a wrong password (else timing tells which usernames exist)."""
    return generate_password_hash(secrets.token_hex(16))


def login_with_password(username: str, password: str) -> tuple[User, str]:
    account = StaffAccount.get_or_none(StaffAccount.username == username)
    stored = account.password_hash if account is not None else _dummy_hash()
    matches = check_password_hash(stored, password)  # spent for unknown names too
    if account is None or not account.active or not matches:
        raise unauthorized("用户名或密码错误", code="invalid_credentials")
    with db.atomic():
        user = ensure_console_user(account)
        user.last_login_at = utcnow()
        user.save()
        token = issue_token(user, "password")
        audit.record("staff.login", "staff", account.id, actor=user, area=account.area_id)
    return user, token


def ensure_console_user(account: StaffAccount) -> User:
    """The identity a console (password) login acts as, holding the account's grant."""
    if account.user_id is None:
        user = User.create(nickname=account.display_name or account.username)
        account.user = user
        account.save()
        RoleGrant.create(user=user, role=account.role, area=account.area_id, staff=account)
    return account.user


# What `create-staff --role` also accepts: the street admin is role `admin` on a street.
ROLE_ALIASES = {"street": "admin"}
ROLE_LABELS = {"staff": "社区工作人员", "admin": "街道管理员"}


def create_staff(
    username: str, password: str, area, role: str, display_name: str = "", label: str = "命令行"
) -> StaffAccount:
    """Make a console account; staff belong to a community, admins to a street. `street` is
    the street admin's (街道管理员) other name: the same role, `admin`, scoped to the street's
    every community."""
    role = ROLE_ALIASES.get(role, role)
    expected_kind = {"staff": "community", "admin": "street"}[role]
    if area.kind != expected_kind:
        kind_name = "社区/村" if expected_kind == "community" else "街道/镇"
        raise bad_request(
            f"{ROLE_LABELS[role]}账号须挂在{kind_name}上", {"area": f"应选择{kind_name}"}
        )
    if len(password) < 8:
        raise bad_request("密码至少 8 位", {"password": "密码至少 8 位"})
    if StaffAccount.select().where(fn.LOWER(StaffAccount.username) == username.lower()).exists():
        raise ApiError(409, "username_taken", "该用户名已被使用")
    with db.atomic():
        account = StaffAccount.create(
            username=username,
            password_hash=generate_password_hash(
                password, method=current_app.config["PASSWORD_HASH_METHOD"]
            ),
            display_name=display_name or username,
            role=role,
            area=area,
        )
        ensure_console_user(account)
        audit.record(
            "staff.create", "staff", account.id, label=label, area=area, data={"role": role}
        )
    return account


def set_staff_active(account: StaffAccount, active: bool, *, actor: User | None = None) -> None:
    """Disable (or re-enable) a console account. Disabling ends its sessions at once: the
    account's tokens are revoked and `Principal.for_user` ignores grants of inactive accounts."""
    with db.atomic():
        StaffAccount.update(active=active).where(StaffAccount.id == account.id).execute()
        if not active and account.user_id:
            revoke_user_tokens(account.user)
        audit.record(
            "staff.enable" if active else "staff.disable",
            "staff",
            account.id,
            actor=actor,
            area=account.area_id,
        )
    account.active = active


def issue_bind_code(
    *,
    steward: Steward | None = None,
    staff: StaffAccount | None = None,
    issued_by: str,
    actor: User | None = None,
) -> tuple[str, datetime]:
    """A one-time code, valid for BIND_CODE_TTL_HOURS, for exactly one steward or staff."""
    if (steward is None) == (staff is None):
        raise ValueError("a bind code is for one steward or one staff account")
    code = codes.random_code(BIND_CODE_LENGTH)
    ttl = timedelta(hours=int(current_app.config["BIND_CODE_TTL_HOURS"]))
    expires_at = utcnow().replace(microsecond=0) + ttl
    with db.atomic():
        BindCode.create(
            code_hash=codes.digest(code),
            steward=steward,
            staff=staff,
            issued_by=issued_by,
            expires_at=expires_at,
        )
        subject = ("steward", steward.id) if steward else ("staff", staff.id)
        audit.record("bind_code.issue", *subject, actor=actor, label=issued_by)
    return code, expires_at


def redeem_bind_code(user: User, code: str) -> RoleGrant:
    """Make `user` the steward or staff member the code was issued for. One use only."""
    if not user.openid:
        raise ApiError(403, "wechat_required", "请在微信中登录后再绑定")
    with db.atomic():
        row = BindCode.get_or_none(BindCode.code_hash == codes.digest(code))
        now = utcnow()
        if row is None:
            raise ApiError(404, "bind_code_not_found", "绑定码不存在，请核对后重试")
        if row.expires_at <= now:
            raise ApiError(410, "bind_code_expired", "绑定码已过期，请联系社区重新获取")
        claimed = (
            BindCode.update(used_at=now, used_by=user)
            .where((BindCode.id == row.id) & BindCode.used_at.is_null())
            .execute()
        )
        if not claimed:
            raise ApiError(409, "bind_code_used", "绑定码已被使用，请联系社区重新获取")
        if row.steward_id:
            return bind_steward(user, row.steward)
        return _bind_staff(user, row.staff)


def bind_steward(user: User, steward: Steward, via: str = "bind_code") -> RoleGrant:
    """Make `user` the steward's WeChat identity (a bind code, or the roster's WeCom id)."""
    if not steward.active:
        raise ApiError(409, "steward_dismissed", "该管家已离任，无法绑定")
    # One WeChat per steward: a re-bind (new phone, new account) ends the old one's access.
    RoleGrant.update(revoked_at=utcnow()).where(
        (RoleGrant.steward == steward) & RoleGrant.revoked_at.is_null()
    ).execute()
    steward.user = user
    steward.updated_at = utcnow()
    steward.save()
    if not user.nickname:
        user.nickname = steward.name
        user.save()
    grant = RoleGrant.create(user=user, role="steward", steward=steward)
    audit.record("steward.bind", "steward", steward.id, actor=user, data={"via": via})
    return grant


def link_wecom(steward: Steward, wecom_userid: str, actor: User | None = None) -> None:
    """The steward's WeCom account is the one that bound in the group: commands from it are
    theirs from now on."""
    Steward.update(wecom_userid=wecom_userid, updated_at=utcnow()).where(
        Steward.id == steward.id
    ).execute()
    audit.record("steward.link_wecom", "steward", steward.id, actor=actor)


def _bind_staff(user: User, account: StaffAccount) -> RoleGrant:
    if not account.active:
        raise ApiError(409, "staff_inactive", "该工作人员账号已停用，无法绑定")
    RoleGrant.update(revoked_at=utcnow()).where(
        (RoleGrant.staff == account)
        & (RoleGrant.user != account.user_id)
        & RoleGrant.revoked_at.is_null()
    ).execute()
    if not user.nickname:
        user.nickname = account.display_name
        user.save()
    grant = RoleGrant.create(user=user, role=account.role, area=account.area_id, staff=account)
    audit.record("staff.bind", "staff", account.id, actor=user, area=account.area_id)
    return grant


def dismiss_steward(
    steward: Steward, *, actor: User | None = None, label: str | None = None, reason: str = ""
) -> int:
    """A steward leaves office: grants end and their sessions stop working at once.

    Returns how many open issues are still assigned to them: staff reassign those (the daily
    report and the reminders keep showing them until they do).
    """

    if not steward.active:
        raise ApiError(409, "already_dismissed", "该管家已离任")
    with db.atomic():
        steward.active = False
        steward.dismissed_at = utcnow()
        steward.save()
        grants = list(
            RoleGrant.select().where(
                (RoleGrant.steward == steward) & RoleGrant.revoked_at.is_null()
            )
        )
        RoleGrant.update(revoked_at=utcnow()).where(
            RoleGrant.id.in_([g.id for g in grants])
        ).execute()
        for grant in grants:
            revoke_user_tokens(grant.user)
        # The dismissed steward must come off the boards of their alleys: mark them for reprint.
        boards.bump_for_steward(steward)
        still_open = (
            IssueAssignee.select()
            .join(Issue)
            .where((IssueAssignee.steward == steward) & Issue.status.in_(ISSUE_OPEN))
            .count()
        )
        audit.record(
            "steward.dismiss",
            "steward",
            steward.id,
            actor=actor,
            label=label,
            data={"reason": reason, "open_issues": still_open},
        )
    return still_open
