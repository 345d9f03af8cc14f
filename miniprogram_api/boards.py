"""`GET /boards/{code}`: the public view of a signboard (built in `core.boards.public`)."""

from __future__ import annotations

from flask import current_app
from pydantic import BaseModel

from core.boards import public
from miniprogram_api.router import Router
from miniprogram_api.serializers import IssuePublicOut, Ref, WishPublicOut

router = Router("boards")


class BoardSteward(BaseModel):
    id: int
    name: str
    phone: str
    duties: str
    posts: list[str]
    households: int
    photo_url: str | None
    is_leader: bool


class Figures(BaseModel):
    open_now: int
    resolved_30d: int
    resolution_rate: float | None
    median_accept_minutes: int | None
    average_rating: float | None
    rated: int


class CommunityOut(BaseModel):
    id: int
    name: str
    phone: str | None


class BoardOut(BaseModel):
    code: str
    alley: Ref
    path_label: str
    community: CommunityOut | None
    stewards: list[BoardSteward]
    figures: Figures
    recent_issues: list[IssuePublicOut]
    wishes: list[WishPublicOut]


@router.get(
    "/boards/<code>",
    summary="公示牌对应的街巷：管家、实时数据、近期诉求、心愿墙",
    auth=False,
    response=BoardOut,
    errors=(404, 410),
)
def board_view(code: str):
    """停用的公示牌返回 410，并给出社区电话。"""
    entry = public.active(code)
    # The JSON is the same for everyone scanning the board: encoded once per cached view.
    text = entry.memo.get("json")
    if text is None:
        if current_app.testing:
            BoardOut.model_validate(entry.view)  # keeps the OpenAPI document honest
        text = entry.memo["json"] = current_app.json.dumps(entry.view)
    return current_app.response_class(text + "\n", mimetype="application/json")
