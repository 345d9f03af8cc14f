"""When a household's next visit falls due: each active plan's `due_at` is the latest visit
(or, before any, the plan's start) plus its interval, and the household's `visit_due_at` is
the earliest of them. Kept on the rows in the transaction of every visit and plan change, so
"overdue first" is an index scan and the reminder digest one query."""

from __future__ import annotations

from datetime import datetime, timedelta

from models import CarePlan, Household


def refresh(household: Household) -> None:
    """Recompute the household's plans' due times and its own (call inside the change's
    transaction, after the visit or plan is written)."""
    earliest: datetime | None = None
    for plan in CarePlan.select().where(CarePlan.household == household):
        start = household.last_visit_at or plan.created_at
        if household.last_visit_at and plan.created_at > household.last_visit_at:
            start = plan.created_at  # a plan made after the last visit starts its own clock
        due = start + timedelta(days=plan.interval_days)
        if due != plan.due_at:
            CarePlan.update(due_at=due).where(CarePlan.id == plan.id).execute()
        if plan.active and (earliest is None or due < earliest):
            earliest = due
    household.visit_due_at = earliest
    Household.update(visit_due_at=earliest, last_visit_at=household.last_visit_at).where(
        Household.id == household.id
    ).execute()


def is_overdue(household: Household, now: datetime) -> bool:
    return household.visit_due_at is not None and household.visit_due_at < now
