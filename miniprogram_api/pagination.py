"""Paginated lists: `?page=&per_page=` → `{"items", "total", "page", "per_page"}`."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field


class PageQuery(BaseModel):
    page: int = Field(default=1, ge=1, le=1_000_000, description="页码，从 1 开始")
    per_page: int = Field(default=20, ge=1, le=100, description="每页条数，最多 100")


def paginate(query, q: PageQuery, serialize: Callable) -> dict:
    total = query.count()
    rows = list(query.paginate(q.page, q.per_page))
    return {"items": serialize(rows), "total": total, "page": q.page, "per_page": q.per_page}
