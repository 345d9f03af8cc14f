"""Open issues like a new one: what a resident is shown before (and after) reporting, so
they can follow one (`core.items.issues.follow`) instead of repeating it. `core.items.issues`
re-exports both functions for its callers."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from infra.db import Param, Prepared
from infra.timeutil import utcnow
from models import ISSUE_OPEN, Issue


def similar_open(issue: Issue) -> list[Issue]:
    """Open issues of the same alley and category as a new one, newest first."""
    return similar_to(issue.alley_id, issue.category, exclude=issue.id)


def similar_to(alley_id: int, category: str, exclude: int | None = None) -> list[Issue]:
    """Open issues of this alley and category reported within `SIMILAR_WINDOW_DAYS`: what a
    resident is shown before reporting, so they can follow one instead of repeating it. Only
    the columns that list shows are read: number, category, content, visibility, status and
    created_at."""
    since = utcnow() - timedelta(days=int(current_app.config["SIMILAR_WINDOW_DAYS"]))
    # Ids start at 1: excluding 0 excludes nothing.
    rows = _SIMILAR_OPEN.rows(alley=alley_id, category=category, since=since, id=exclude or 0)
    return list(rows)


# Asked before and after every new report: compiled once (infra.db.Prepared), and only what
# the list shows is read (a report's row has some forty columns).
_SIMILAR_OPEN = Prepared(
    lambda: (
        Issue.select(
            Issue.id,
            Issue.number,
            Issue.category,
            Issue.content,
            Issue.visibility,
            Issue.status,
            Issue.created_at,
        )
        .where(
            (Issue.alley == Param("alley"))
            & (Issue.category == Param("category"))
            & Issue.status.in_(ISSUE_OPEN)
            & (Issue.created_at >= Param("since"))
            & (Issue.id != Param("id"))
        )
        .order_by(Issue.created_at.desc(), Issue.id.desc())
        .limit(5)
    )
)
