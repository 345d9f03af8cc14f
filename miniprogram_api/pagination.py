"""Paginated lists: `?page=&per_page=` → `{"items", "total", "page", "per_page"}`."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from pydantic import BaseModel, Field

from core.items.list_cache import lists
from core.paging import page_of


class PageQuery(BaseModel):
    page: int = Field(default=1, ge=1, le=1_000_000, description="页码，从 1 开始")
    per_page: int = Field(default=20, ge=1, le=100, description="每页条数，最多 100")


def paginate(query, q: PageQuery, serialize: Callable) -> dict:
    """The page's rows (LIMIT and OFFSET as numbers, `core.paging.page_of`: SQLite plans a
    short queue such as 超期 from its index then) and the exact total the contract promises."""
    total = query.count()
    rows = page_of(query, q.page, q.per_page)
    return {"items": serialize(rows), "total": total, "page": q.page, "per_page": q.per_page}


def cached_page(
    key: tuple,
    fingerprint: Callable[[], tuple],
    build: Callable[[], dict],
    response: type[BaseModel],
):
    """The JSON of a list page, from this worker's copy while what `fingerprint()` reads from
    the database is unchanged (read at most once a second, and after any change this worker
    makes) and the copy younger than LIST_CACHE_SECONDS; built with `build` and kept otherwise
    (`core.items.list_cache`)."""
    ttl = float(current_app.config["LIST_CACHE_SECONDS"])
    if ttl <= 0:
        return _reply(_serialized(build(), response))
    text, read = lists.get(key, fingerprint, ttl)
    if text is None:
        # The fingerprint before the rows: a change landing in between is caught next time.
        current = read if read is not None else fingerprint()
        text = _serialized(build(), response)
        lists.put(key, current, text)
    return _reply(text)


def _serialized(page: dict, response: type[BaseModel]) -> str:
    if current_app.testing:
        response.model_validate(page)  # keeps the OpenAPI document honest
    return current_app.json.dumps(page)


def _reply(text: str):
    return current_app.response_class(text + "\n", mimetype="application/json")
