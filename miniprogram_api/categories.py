"""`GET /categories`: the issue categories this deployment takes (`ISSUE_CATEGORIES`), so the
mini program's report form offers exactly what the API accepts, however a district configured
them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.items import issues
from miniprogram_api.router import Router

router = Router("categories")


class CategoryOut(BaseModel):
    name: str
    priority: str = Field(description="默认紧急程度：ordinary / important / major")
    deadline_days: int = Field(description="按“2310”规则的办理天数")
    private: bool = Field(description="内容不在公开页面显示（如邻里纠纷）")


class CategoryList(BaseModel):
    items: list[CategoryOut]


@router.get(
    "/categories",
    summary="可以反映的问题类别（按配置顺序），及其办理期限和是否公开",
    auth=False,
    response=CategoryList,
)
def list_categories():
    return {"items": issues.category_list()}
