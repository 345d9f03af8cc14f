"""An activity's times are kept in UTC whatever the server's own time zone: a deployment whose
machine runs on Beijing time (TZ=Asia/Shanghai, as many do) must store 09:00 Beijing as 01:00,
not as the machine's local 09:00 — the check-in window and every list depend on it.

(A clock travelled to with a `ZoneInfo` also sets the process's zone: time-machine's own way of
running a test on a machine set to that zone.)"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import time_machine

from core.volunteering import activities
from models import Activity
from tests.core.volunteering.test_activity_rules import BEFORE, BEIJING, END, START, w

__all__ = ["w"]  # the fixture, shared with the activity rules' tests

ON_A_BEIJING_MACHINE = BEFORE.astimezone(ZoneInfo("Asia/Shanghai"))


def test_times_given_in_beijing_are_stored_in_utc_on_a_machine_set_to_beijing(client, w):
    with time_machine.travel(ON_A_BEIJING_MACHINE, tick=False):
        activity = activities.publish(
            w["staff_p"],
            w["c1"].id,
            "敬老院义务理发",
            "社区敬老院",
            START.astimezone(BEIJING),
            END.astimezone(BEIJING),
            5,
        )
    assert activity.starts_at == START.replace(tzinfo=None)
    assert activity.ends_at == END.replace(tzinfo=None)
    assert Activity.get_by_id(activity.id).starts_at == START.replace(tzinfo=None)
