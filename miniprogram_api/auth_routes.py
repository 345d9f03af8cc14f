"""Logging in (WeChat code, console password), logging out, binding, and who am I."""

from __future__ import annotations

from flask import current_app
from pydantic import BaseModel, Field, model_validator

from core import ratelimit
from core.items import queues
from core.people import auth
from core.people.permissions import Principal
from infra.errors import ApiError, bad_request, forbidden, not_found
from infra.timeutil import iso
from miniprogram_api.context import bearer_token, current_principal
from miniprogram_api.router import Router
from miniprogram_api.schemas import (
    AreaBrief,
    MeOut,
    OkOut,
    StewardBrief,
    UserOut,
    area_brief,
    user_out,
)
from models import Area, StaffAccount, Steward

router = Router("auth")
PASSWORD_WINDOW = 15 * 60


class LoginIn(BaseModel):
    code: str = Field(min_length=1, max_length=128, description="wx.login 返回的 code")


class PasswordLoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class LoginOut(BaseModel):
    token: str
    user: UserOut
    roles: list[str]
    offline: bool


class BindIn(BaseModel):
    code: str = Field(min_length=4, max_length=32, description="社区发放的一次性绑定码")


class BindOut(BaseModel):
    role: str
    steward: StewardBrief | None = None
    area: AreaBrief | None = None


class BindCodeIn(BaseModel):
    steward_id: int | None = None
    staff_username: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def exactly_one(self):
        if (self.steward_id is None) == (self.staff_username is None):
            raise ValueError("请指定一位管家（steward_id）或一个工作人员账号（staff_username）")
        return self


class BindCodeOut(BaseModel):
    code: str
    expires_at: str


def _login_answer(user, token) -> dict:
    principal = Principal.for_user(user)
    return {
        "token": token,
        "user": user_out(user),
        "roles": sorted(principal.roles),
        "offline": current_app.config["OFFLINE"],
    }


@router.post(
    "/auth/login",
    summary="用 wx.login 的 code 登录，换取令牌",
    auth=False,
    body=LoginIn,
    response=LoginOut,
    errors=(403, 429, 503),
)
def login(body: LoginIn):
    """离线模式下 code 形如 `dev:姓名`，同名即同一用户。"""
    user, token = auth.login_with_code(body.code)
    return _login_answer(user, token)


@router.post(
    "/auth/password",
    summary="工作人员用账号密码登录（管理后台）",
    auth=False,
    body=PasswordLoginIn,
    response=LoginOut,
    errors=(429,),
)
def password_login(body: PasswordLoginIn):
    """同一来源每 15 分钟最多尝试 `PASSWORD_ATTEMPTS` 次，防止猜密码。"""
    limit = int(current_app.config["PASSWORD_ATTEMPTS"])
    if not ratelimit.hit(ratelimit.client_key("password"), limit, PASSWORD_WINDOW):
        raise ApiError(
            429,
            "rate_limited",
            "尝试次数太多，请 15 分钟后再试",
            headers={"Retry-After": str(ratelimit.retry_after(PASSWORD_WINDOW))},
        )
    user, token = auth.login_with_password(body.username, body.password)
    return _login_answer(user, token)


@router.post("/auth/logout", summary="注销当前令牌", response=OkOut)
def logout():
    auth.revoke_token(bearer_token())
    return {"ok": True}


@router.post(
    "/auth/bind",
    summary="用社区发放的一次性绑定码，成为对应的管家或工作人员",
    body=BindIn,
    response=BindOut,
    errors=(404, 409, 410),
)
def bind(body: BindIn):
    grant = auth.redeem_bind_code(current_principal().user, body.code)
    out: dict = {"role": grant.role}
    if grant.steward_id:
        s = grant.steward
        out["steward"] = {"id": s.id, "name": s.name, "alley_ids": [a.id for a in s.alleys()]}
    if grant.area_id:
        out["area"] = area_brief(grant.area)
    return out


@router.get("/me", summary="当前用户、角色与管辖范围", response=MeOut)
def me():
    p = current_principal()
    areas = list(p.area_roots)
    if p.alley_ids:
        areas += list(Area.select().where(Area.id.in_(sorted(p.alley_ids))).order_by(Area.id))
    return {
        "user": user_out(p.user),
        "roles": sorted(p.roles),
        "areas": [area_brief(a) for a in areas],
        "stewards": [
            {"id": s.id, "name": s.name, "alley_ids": [a.id for a in s.alleys()]}
            for s in p.stewards
        ],
        "offline": current_app.config["OFFLINE"],
    }


class WorkbenchOut(BaseModel):
    todo: int | None
    review: int | None
    overdue: int | None


@router.get(
    "/me/workbench",
    summary="工作台角标：待办、待审核、超期的件数（无此角色为 null）",
    response=WorkbenchOut,
)
def workbench():
    return queues.workbench(current_principal())


@router.post(
    "/bind-codes",
    summary="为管家或工作人员生成一次性绑定码（72 小时内有效）",
    roles=("staff", "admin"),
    body=BindCodeIn,
    response=BindCodeOut,
    status=201,
    errors=(404,),
)
def create_bind_code(body: BindCodeIn):
    p = current_principal()
    issued_by = f"{p.user.nickname or '工作人员'}(用户{p.user.id})"
    if body.steward_id is not None:
        steward = Steward.get_or_none(Steward.id == body.steward_id)
        if steward is None:
            raise not_found("找不到该管家", code="steward_not_found")
        if not p.can_manage_steward(steward):
            raise forbidden("该管家不在您的管辖范围内", code="out_of_scope")
        if not steward.active:
            raise bad_request("该管家已离任", {"steward_id": "该管家已离任"})
        code, expires_at = auth.issue_bind_code(steward=steward, issued_by=issued_by, actor=p.user)
    else:
        account = StaffAccount.get_or_none(StaffAccount.username == body.staff_username)
        if account is None:
            raise not_found("找不到该工作人员账号", code="staff_not_found")
        p.require_manage(account.area)
        code, expires_at = auth.issue_bind_code(staff=account, issued_by=issued_by, actor=p.user)
    return {"code": code, "expires_at": iso(expires_at)}
