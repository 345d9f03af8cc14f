"""Subscribe-message consents: `POST /subscriptions` records one, `GET` says what to ask for.

The mini program asks `wx.requestSubscribeMessage` for the templates `GET /subscriptions`
lists and posts each one the resident accepted. Every consent pays for one message about the
resident's own items (see `core.delivery.subscriptions`).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.delivery import subscriptions
from miniprogram_api.context import current_principal
from miniprogram_api.router import Router

router = Router("subscriptions")


class ConsentIn(BaseModel):
    template_id: str = Field(
        min_length=1, max_length=64, description="居民在 wx.requestSubscribeMessage 中同意的模板 ID"
    )


class ConsentOut(BaseModel):
    template_id: str
    remaining: int = Field(description="该模板尚未用掉的授权次数（每次授权可发一条消息）")


class TemplateOut(BaseModel):
    template_id: str
    purpose: str = Field(description="模板用途，例如“办理进度通知”")
    remaining: int


class TemplatesOut(BaseModel):
    items: list[TemplateOut]


@router.post(
    "/subscriptions",
    summary="记录一次订阅消息授权（一次授权可发送一条消息）",
    roles=("resident",),
    body=ConsentIn,
    response=ConsentOut,
    status=201,
)
def record_consent(body: ConsentIn):
    """居民在小程序中同意订阅后调用；每次同意记一次，诉求或心愿状态变化时各用掉一次。"""
    user = current_principal().user
    subscriptions.record_consent(user, body.template_id)
    return {
        "template_id": body.template_id,
        "remaining": subscriptions.remaining(user, body.template_id),
    }


@router.get(
    "/subscriptions",
    summary="需要请求授权的订阅消息模板，以及每个模板剩余的授权次数",
    roles=("resident",),
    response=TemplatesOut,
)
def list_templates():
    """小程序据此调用 wx.requestSubscribeMessage；未配置模板时列表为空。"""
    user = current_principal().user
    return {
        "items": [
            {
                "template_id": template_id,
                "purpose": purpose,
                "remaining": subscriptions.remaining(user, template_id),
            }
            for template_id, purpose in subscriptions.templates().items()
        ]
    }
