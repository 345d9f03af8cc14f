"""The outbox for staff: what was sent, what waits, what failed; and retrying a failed one.

Staff see the messages of the areas they manage; messages tied to no area only admins see.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from core.delivery import outbox
from infra.timeutil import iso
from miniprogram_api.context import current_principal
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.router import Router

router = Router("outbox")

STATUS_LABELS = {
    "pending": "等待发送",
    "sending": "发送中",
    "sent": "已发送",
    "uncertain": "结果不明",
    "dead": "发送失败",
}


class OutboxQuery(PageQuery):
    status: Literal["pending", "sending", "sent", "uncertain", "dead"] | None = Field(
        default=None, description="按状态筛选；dead=多次失败已放弃，uncertain=微信可能已收到"
    )
    kind: Literal["subscribe", "robot", "private"] | None = Field(
        default=None, description="消息类型：订阅消息、群机器人、企业微信应用私信"
    )


class OutboxItemOut(BaseModel):
    id: int
    kind: str
    target: str = Field(description="接收方（openid 只显示前 4 位）")
    status: str
    status_label: str
    attempts: int
    last_error: str | None
    area_id: int | None
    created_at: str
    next_attempt_at: str | None
    sent_at: str | None
    request_id: str | None = Field(
        default=None, description="产生这条消息的请求（或定时任务）编号，与日志中的 request_id 对应"
    )


class OutboxPageOut(BaseModel):
    items: list[OutboxItemOut]
    total: int
    page: int
    per_page: int


def mask_target(target: str) -> str:
    """Enough to tell messages apart, not enough to identify or reuse the recipient."""
    return target[:4] + "…" if len(target) > 4 else target


def item_out(msg) -> dict:
    return {
        "id": msg.id,
        "kind": msg.kind,
        "target": mask_target(msg.target),
        "status": msg.status,
        "status_label": STATUS_LABELS.get(msg.status, msg.status),
        "attempts": msg.attempts,
        "last_error": msg.last_error,
        "area_id": msg.area_id,
        "created_at": iso(msg.created_at),
        "next_attempt_at": iso(msg.next_attempt_at) if msg.status == "pending" else None,
        "sent_at": iso(msg.sent_at),
        "request_id": msg.request_id,
    }


@router.get(
    "/outbox",
    summary="外发消息列表（订阅消息、群机器人推送、应用私信）",
    roles=("staff", "admin"),
    query=OutboxQuery,
    response=OutboxPageOut,
)
def list_outbox(query: OutboxQuery):
    """工作人员看到本社区的消息，街道管理员看到本街道的消息及不属于任何区域的消息。
    `status=dead` 列出多次失败已放弃的消息，`status=uncertain` 列出微信可能已收到但未确认的消息。"""
    rows = outbox.query_for(current_principal(), status=query.status, kind=query.kind)
    return paginate(rows, query, lambda page: [item_out(m) for m in page])


@router.post(
    "/outbox/<int:message_id>/retry",
    summary="重新发送一条失败或结果不明的消息",
    roles=("staff", "admin"),
    response=OutboxItemOut,
    errors=(404, 409),
)
def retry_message(message_id: int):
    """只有“发送失败”（dead）或“结果不明”（uncertain）的消息可以重发；重发结果不明的消息，
    居民可能收到两次。"""
    return item_out(outbox.retry(message_id, current_principal()))
