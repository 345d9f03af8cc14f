"""常用回复 over HTTP: the mini program's resolve form offers a community's reply templates;
staff keep them (as in the console). Every change is `core.items.reply_templates`'s."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from core.items import reply_templates as templates
from miniprogram_api.context import current_principal
from miniprogram_api.router import Router
from miniprogram_api.validation import required_text

router = Router("reply_templates", tag="reply-templates")

STAFF = ("staff", "admin")
Outcome = Literal["solved", "answered", "not_ours", "unsolvable"]


class TemplateQuery(BaseModel):
    issue_id: int | None = Field(default=None, description="要办结的诉求：给出它所在社区的常用回复")
    community_id: int | None = Field(default=None, description="社区 ID")


class TemplateIn(BaseModel):
    community_id: int = Field(description="社区 ID")
    title: required_text(templates.TITLE_MAX) = Field(description="标题，如“政策解释：养老补贴”")
    text: required_text(templates.TEXT_MAX) = Field(description="回复内容（办结说明）")
    outcome: Outcome | None = Field(default=None, description="适用的办结结果；不填为都适用")


class TemplatePatch(BaseModel):
    title: required_text(templates.TITLE_MAX) | None = None
    text: required_text(templates.TEXT_MAX) | None = None
    outcome: Outcome | None = None


class TemplateOut(BaseModel):
    id: int
    community_id: int
    title: str
    text: str
    outcome: str | None
    outcome_name: str | None


class TemplateList(BaseModel):
    items: list[TemplateOut]


class Deleted(BaseModel):
    id: int
    deleted: bool


@router.get(
    "/reply-templates",
    summary="常用回复（办结说明模板）",
    query=TemplateQuery,
    response=TemplateList,
    errors=(403, 404),
)
def list_templates(query: TemplateQuery):
    """给 `issue_id` 时为该诉求所在社区的常用回复（能办结它的人：工作人员、它的管家、
    承办单位成员）；给 `community_id` 时为该社区的；都不给时为本人所在各社区的。"""
    rows = templates.listing(current_principal(), query.community_id, query.issue_id)
    return {"items": [templates.out(t) for t in rows]}


@router.post(
    "/reply-templates",
    summary="新增常用回复（工作人员）",
    roles=STAFF,
    body=TemplateIn,
    response=TemplateOut,
    status=201,
    errors=(403, 404),
)
def create_template(body: TemplateIn):
    t = templates.create(
        current_principal(), body.community_id, body.title, body.text, body.outcome
    )
    return templates.out(t), 201


@router.route(
    "/reply-templates/<int:template_id>",
    "PATCH",
    summary="修改常用回复（工作人员）",
    roles=STAFF,
    body=TemplatePatch,
    response=TemplateOut,
    errors=(404,),
)
def update_template(template_id: int, body: TemplatePatch):
    p = current_principal()
    current = templates.out(templates.owned(p, template_id))
    merged = {**current, **body.model_dump(exclude_unset=True)}
    t = templates.update(p, template_id, merged["title"], merged["text"], merged["outcome"])
    return templates.out(t)


@router.route(
    "/reply-templates/<int:template_id>",
    "DELETE",
    summary="删除常用回复（工作人员）",
    roles=STAFF,
    response=Deleted,
    errors=(404,),
)
def delete_template(template_id: int):
    templates.delete(current_principal(), template_id)
    return {"id": template_id, "deleted": True}
