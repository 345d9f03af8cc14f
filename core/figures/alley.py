"""Live figures shown on a board's public page (and reused by statistics)."""

from __future__ import annotations

import statistics
from datetime import timedelta

from peewee import fn

from infra.timeutil import utcnow
from models import ISSUE_OPEN, Issue

WINDOW_DAYS = 30


def alley_figures(alley_id: int) -> dict:
    """Counts and rates for one alley. Windows: the last 30 days unless a field says otherwise.

    - open_now: unfinished issues right now
    - resolved_30d: issues resolved in the window
    - resolution_rate: of issues reported in the window (cancelled ones left out), the share
      resolved or closed; None when nothing was reported
    - median_accept_minutes: median time from report to acceptance of issues accepted in the
      window (on-the-spot fixes left out, they need no acceptance)
    - average_rating / rated: mean resident rating of issues rated in the window
    """
    now = utcnow()
    since = now - timedelta(days=WINDOW_DAYS)
    in_alley = Issue.alley == alley_id
    open_now = Issue.select().where(in_alley & Issue.status.in_(ISSUE_OPEN)).count()
    resolved = Issue.select().where(in_alley & (Issue.resolved_at >= since)).count()
    reported = Issue.select(Issue.status).where(
        in_alley & (Issue.created_at >= since) & (Issue.status != "cancelled")
    )
    statuses = [row.status for row in reported]
    done = sum(1 for s in statuses if s in ("resolved", "closed"))
    accepted = Issue.select(Issue.created_at, Issue.accepted_at).where(
        in_alley & (Issue.accepted_at >= since) & (Issue.source != "steward")
    )
    waits = [(row.accepted_at - row.created_at).total_seconds() / 60 for row in accepted]
    rating = (
        Issue.select(fn.AVG(Issue.rating), fn.COUNT(Issue.rating))
        .where(in_alley & (Issue.rated_at >= since))
        .tuples()
        .first()
    )
    avg, rated = rating if rating else (None, 0)
    return {
        "open_now": open_now,
        "resolved_30d": resolved,
        "resolution_rate": round(done / len(statuses), 4) if statuses else None,
        "median_accept_minutes": round(statistics.median(waits)) if waits else None,
        "average_rating": round(float(avg), 2) if avg is not None else None,
        "rated": rated or 0,
    }
