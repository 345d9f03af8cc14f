"""Sending the daily 通报 to every group, exactly once per group and day.

The job ticks every minute. Between `REPORT_TIME` (08:30) and `REPORT_CUTOFF` (12:00) local
time it sends yesterday's report to each group that has not had it: a scheduler that was down
at 08:30 catches up when it comes back before the cut-off and never sends a stale report
after it. Each group's report is claimed by a run key in the same transaction that queues its
messages, so reruns, restarts and a second scheduler never send it twice.

The report's @-reminder of overdue items leaves out those the reminder scan already escalated
or reminded about this morning, and claims today's reminder of the rest (the run keys of
`jobs.reminders`), so a steward hears about an overdue item once a day, not twice.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app

from core import runs
from core.delivery import robot
from core.figures import report_batch, report_card, reports
from infra.db import write_transaction
from infra.timeutil import to_local, utcnow
from models import Area, ChatGroup


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def report_groups():
    return (
        ChatGroup.select(ChatGroup, Area)
        .join(Area)  # the report's area with the group: one query, not one per group
        .where(ChatGroup.active & (ChatGroup.audience == "stewards"))
        .order_by(ChatGroup.id)
    )


def run_key(day: date, group: ChatGroup) -> str:
    return f"report:{day.isoformat()}:group:{group.id}"


def send_for_group(group: ChatGroup, day: date) -> bool:
    """Queue the report of `day` for `group`; False when it was already sent."""
    if runs.done(run_key(day, group)):
        return False
    report = reports.build(group.area, day)
    card = None if report.quiet else report_card.image(report)
    return _queue(group, day, report, card)


def _queue(group: ChatGroup, day: date, report, card: bytes | None) -> bool:
    """The report's messages in the claim transaction. The @-reminder leaves out overdue
    items the morning's reminder scan already named, and counts as today's reminder of the
    rest, so nobody is told the same thing twice before lunch."""
    key = run_key(day, group)
    today = (day + timedelta(days=1)).isoformat()
    daily = {item.id: f"overdue:daily:{item.id}:{today}" for item in report.overdue_items}
    already = {i for i, k in daily.items() if runs.done(k)}
    reminder = reports.overdue_reminder(report, skip=already)
    with write_transaction():
        if not runs.claim(key):
            return False
        if reminder is not None:
            for item_id, daily_key in daily.items():
                if item_id not in already:
                    runs.claim(daily_key)  # this is today's reminder of it
        robot.push_markdown(group, reports.markdown(report), key=f"{key}:markdown")
        if card is not None:
            robot.push_image(group, card, key=f"{key}:image")
        if reminder is not None:
            text, phones = reminder
            robot.push_text(group, text, key=f"{key}:overdue", mentions=phones)
        runs.finish(key, {"quiet": report.quiet, "overdue": report.counts["overdue"]})
    return True


def send_all(day: date) -> int:
    """Queue the report of `day` for every group that has not had it; returns how many.

    The figures of every due group are read first, in one pass over the district
    (`report_batch.build_all`: a fixed handful of queries, not a handful per group), and
    before any write: on SQLite a SELECT still being iterated holds a read snapshot, and a
    write under it fails at once if another job committed in between. The cards are then
    drawn in a process pool, and each group's messages are queued in its own claim
    transaction as `send_for_group` does.
    """
    due = [g for g in list(report_groups()) if not runs.done(run_key(day, g))]
    built = report_batch.build_all([g.area for g in due], day)
    # A pool that stalls or loses a worker raises PoolFailed before anything is claimed: the
    # job fails and the next tick (a minute later) draws the cards again.
    cards = report_card.images(built, timeout=current_app.config["POOL_TIMEOUT_SECONDS"])
    return sum(1 for g, r, card in zip(due, built, cards, strict=True) if _queue(g, day, r, card))


def tick(now: datetime | None = None) -> int:
    """Send what is due at `now` (naive UTC); returns how many groups got their report."""
    local = to_local(now or utcnow())
    config = current_app.config
    if not (_clock(config["REPORT_TIME"]) <= local.time() < _clock(config["REPORT_CUTOFF"])):
        return 0
    return send_all(local.date() - timedelta(days=1))
