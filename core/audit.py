"""Writing the audit trail: one `Event` row per action, inside the caller's transaction."""

from __future__ import annotations

from flask import has_request_context, request

from core.observability import metrics, requestid
from infra.db import PreparedInsert
from models import Area, Event, User
from models.partial_indexes import READ_ACTIONS

# Every change writes one: compiled once (`Model.create` rebuilds its SQL each time).
_INSERT = PreparedInsert(Event)
# Where a request keeps its one reading of the trail's tail (`core.figures.kept.tail`): writing
# a change's event drops it, so what the request reads after its own change is counted afresh
# (a record of a read, `READ_ACTIONS`, moves no tail).
TAIL_READ = "xiaoxiang.trail_tail"


def actor_label(user: User | None) -> str:
    if user is None:
        return "系统"
    return user.nickname or (f"用户{user.id}")


def record(
    action: str,
    subject_type: str,
    subject_id: int | None,
    *,
    actor: User | None = None,
    label: str | None = None,
    area: Area | int | None = None,
    data: dict | None = None,
) -> Event:
    """Append an event. `label` names an actor who is not a user (a CLI operator, a job)."""
    # Counted when written: a change rolled back after its event (rare) is still counted.
    metrics.inc(metrics.ACTIONS, action=action)
    if has_request_context() and action not in READ_ACTIONS:
        request.environ.pop(TAIL_READ, None)
    return _INSERT.create(
        actor=actor,
        actor_label=label or actor_label(actor),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        area=area,
        data=data or {},
        request_id=requestid.current(),
    )
