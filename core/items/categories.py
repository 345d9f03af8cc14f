"""The issue categories residents choose from (configured in `ISSUE_CATEGORIES`, each with its
tier), as a client's report form offers them, and the check of a chosen one."""

from __future__ import annotations

from flask import current_app

from core.items.privacy import is_private_category
from infra.errors import bad_request


def categories() -> dict[str, str]:
    return dict(current_app.config["ISSUE_CATEGORIES"])


def category_list() -> list[dict]:
    """The categories in their configured order, each with its tier, its days and whether its
    reports stay off public pages: what a client offers on its report form."""
    days = current_app.config["DEADLINE_DAYS"]
    return [
        {
            "name": name,
            "priority": tier,
            "deadline_days": int(days[tier]),
            "private": is_private_category(name),
        }
        for name, tier in categories().items()
    ]


def check_category(category: str) -> None:
    """400 naming the field unless `category` is one of the configured categories."""
    tiers = categories()
    if category not in tiers:
        raise bad_request("请选择问题类别", {"category": "可选：" + "、".join(tiers)})
