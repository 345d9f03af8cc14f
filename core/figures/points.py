"""A steward's points (积分) for the current quarter, computed from their record.

There is no points ledger yet: this interim rule counts what the database already holds and
weights it with `POINT_RULES` (config; every rule can be changed or set to 0):

* ``resolved`` — each issue the steward resolved themselves (`Issue.resolved_by`; 办结, 随手做
  included) in the quarter, not reopened since — a co-steward's work earns them nothing;
* ``on_time`` — of those, each resolved by its deadline;
* ``patrol_day`` — each local calendar day of the quarter with at least one patrol check-in;
* ``wish_fulfilled`` — each wish credited to the steward as fulfilled in the quarter
  (`Wish.fulfilled_by`);
* ``overdue`` — each assigned issue whose deadline fell in the quarter (up to now) and that
  was not resolved by then (still open, or resolved late); cancelled ones do not count.

The bot's `积分` command and, later, the assessment read it. Quarters are local (TZ) quarters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from core.figures.assessment import Quarter
from core.timeutil import local_midnight_utc, to_local, utcnow
from models import Issue, IssueAssignee, Patrol, Steward, Wish

RULE_LABELS = {
    "resolved": ("办结", "件"),
    "on_time": ("按时", "件"),
    "patrol_day": ("巡查", "天"),
    "wish_fulfilled": ("心愿", "个"),
    "overdue": ("超期", "件"),
}


@dataclass
class Points:
    period: str  # "2026Q4"
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    points: dict[str, int] = field(default_factory=dict)

    def breakdown(self) -> str:
        """One line: 办结 3 件 +6、按时 2 件 +2、巡查 4 天 +4、心愿 1 个 +3、超期 1 件 −1"""
        parts = []
        for rule, (label, unit) in RULE_LABELS.items():
            count = self.counts.get(rule, 0)
            if not count:
                continue
            value = self.points.get(rule, 0)
            sign = "+" if value >= 0 else "−"
            parts.append(f"{label} {count} {unit} {sign}{abs(value)}")
        return "、".join(parts) or "本季度还没有记录"


def quarter_of(moment: datetime) -> tuple[str, datetime, datetime]:
    """(label, start, end) of the local quarter containing `moment` (naive UTC in and out)."""
    quarter = Quarter.of(to_local(moment).date())
    return str(quarter), local_midnight_utc(quarter.start), local_midnight_utc(quarter.end)


def rules() -> dict[str, int]:
    return {k: int(v) for k, v in current_app.config["POINT_RULES"].items()}


def for_stewards(stewards: list[Steward], now: datetime | None = None) -> Points:
    """Points of this quarter for one person (who may hold several steward records)."""
    now = now or utcnow()
    label, start, end = quarter_of(now)
    result = Points(period=label)
    steward_ids = [s.id for s in stewards]
    if not steward_ids:
        return result
    horizon = min(now, end)

    assigned = (
        Issue.select(Issue.id, Issue.status, Issue.resolved_at, Issue.deadline)
        .join(IssueAssignee)
        .where(IssueAssignee.steward.in_(steward_ids))
        .distinct()
    )
    resolved = list(
        Issue.select(Issue.id, Issue.status, Issue.resolved_at, Issue.deadline).where(
            Issue.resolved_by.in_(steward_ids)
            & Issue.resolved_at.is_null(False)
            & (Issue.resolved_at >= start)
            & (Issue.resolved_at < end)
            & Issue.status.in_(("resolved", "closed"))
        )
    )
    overdue = assigned.where(
        (Issue.deadline >= start)
        & (Issue.deadline < horizon)
        & (Issue.status != "cancelled")
        & (Issue.resolved_at.is_null() | (Issue.resolved_at > Issue.deadline))
    ).count()
    patrol_days = {
        to_local(p.created_at).date()
        for p in Patrol.select(Patrol.created_at).where(
            Patrol.steward.in_(steward_ids)
            & (Patrol.created_at >= start)
            & (Patrol.created_at < end)
        )
    }
    wishes = (
        Wish.select()
        .where(
            Wish.fulfilled_by.in_(steward_ids)
            & Wish.fulfilled_at.is_null(False)
            & (Wish.fulfilled_at >= start)
            & (Wish.fulfilled_at < end)
        )
        .count()
    )
    result.counts = {
        "resolved": len(resolved),
        "on_time": sum(1 for i in resolved if i.resolved_at <= i.deadline),
        "patrol_day": len(patrol_days),
        "wish_fulfilled": wishes,
        "overdue": overdue,
    }
    weights = rules()
    result.points = {k: n * weights.get(k, 0) for k, n in result.counts.items()}
    result.total = sum(result.points.values())
    return result
