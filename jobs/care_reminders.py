"""关怀提醒's reminder, run with the deadline scan (`reminders.scan`): a steward whose
households of a care alert are still unanswered `CARE_REMINDER_HOURS` after it was sent is
told once (privately, with the numbers; the group reads only how many). The selection, the
claim (each target's `reminded_at`, set in the transaction that queues the message, so a rerun
or a second scheduler sends nothing twice) and the texts are `core.households.care_alerts`."""

from __future__ import annotations

from datetime import datetime

from core.households import care_alerts


def remind_care(now: datetime) -> dict[str, int]:
    return {"care_unanswered": care_alerts.remind_due(now)}
