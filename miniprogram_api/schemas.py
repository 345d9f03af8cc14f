"""Response shapes shared by several resources (documented in the OpenAPI file)."""

from __future__ import annotations

from pydantic import BaseModel


class UserOut(BaseModel):
    id: int
    nickname: str | None
    has_wechat: bool


class AreaBrief(BaseModel):
    id: int
    kind: str
    name: str
    path_label: str


class StewardBrief(BaseModel):
    id: int
    name: str
    alley_ids: list[int]


class MeOut(BaseModel):
    user: UserOut
    roles: list[str]
    areas: list[AreaBrief]
    stewards: list[StewardBrief]
    offline: bool


class OkOut(BaseModel):
    ok: bool


def user_out(user) -> dict:
    return {"id": user.id, "nickname": user.nickname, "has_wechat": bool(user.openid)}


def area_brief(area) -> dict:
    return {"id": area.id, "kind": area.kind, "name": area.name, "path_label": area.label_path}
