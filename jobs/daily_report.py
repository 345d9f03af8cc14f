"""Sending the daily 通报 to every group, exactly once per group and day.

The job ticks every minute. Between `REPORT_TIME` (08:30) and `REPORT_CUTOFF` (12:00) local
time it sends yesterday's report to each group that has not had it: a scheduler that was down
at 08:30 catches up when it comes back before the cut-off and never sends a stale report
after it. Each group's report is claimed by a run key in the same transaction that queues its
messages, so reruns, restarts and a second scheduler never send it twice. A street's leaders'
group (a staff group on the street) gets the street edition, one message with every
community's line (`core.figures.street_report`), claimed the same way.

The report's @-reminder of overdue items leaves out those the reminder scan already escalated
or reminded about this morning, and claims today's reminder of the rest (the run keys of
`jobs.reminders`), so a steward hears about an overdue item once a day, not twice.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app

from core import runs
from core.delivery import groups, robot
from core.figures import report_batch, report_card, report_text, reports, street_report
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


def street_groups():
    """The streets' leaders' groups: each gets the street edition (`core.figures.street_report`)."""
    return (
        ChatGroup.select(ChatGroup, Area)
        .join(Area)
        .where(
            ChatGroup.active
            & (ChatGroup.audience == groups.STREET_AUDIENCE)
            & (Area.kind == "street")
            & ChatGroup.unit.is_null()
        )
        .order_by(ChatGroup.id)
    )


def send_street(group: ChatGroup, day: date) -> bool:
    """Queue the street edition of `day` for a street's group, claimed by its run key in the
    same transaction (as each community group's report); False when it was already sent."""
    key = run_key(day, group)
    if runs.done(key):
        return False
    report = street_report.build(group.area, day)
    with write_transaction():
        if not runs.claim(key):
            return False
        robot.push_markdown(group, street_report.markdown(report), key=f"{key}:markdown")
        runs.finish(key, {"street": group.area_id, "overdue": report.overdue_total})
    return True


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
    reminder = report_text.overdue_reminder(report, skip=already)
    with write_transaction():
        if not runs.claim(key):
            return False
        if reminder is not None:
            for item_id, daily_key in daily.items():
                if item_id not in already:
                    runs.claim(daily_key)  # this is today's reminder of it
        robot.push_markdown(group, report_text.markdown(report), key=f"{key}:markdown")
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
    sent = sum(1 for g, r, card in zip(due, built, cards, strict=True) if _queue(g, day, r, card))
    # Then the streets' leaders' groups, each one message with every community's line.
    return sent + sum(1 for g in list(street_groups()) if send_street(g, day))


def tick(now: datetime | None = None) -> int:
    """Send what is due at `now` (naive UTC); returns how many groups got their report."""
    local = to_local(now or utcnow())
    config = current_app.config
    if not (_clock(config["REPORT_TIME"]) <= local.time() < _clock(config["REPORT_CUTOFF"])):
        return 0
    return send_all(local.date() - timedelta(days=1))
