"""When a household falls due (`core.households.due`): a visit or a plan change moves only that
household's plans, and a household due at this very moment is not yet overdue."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from core.households import cards, plans, visits
from models import CarePlan, Household
from tests.core.households.test_plans import START, START_UTC, WEEKLY, w  # noqa: F401


def test_a_visit_moves_the_due_time_of_that_households_plans_only(w):  # noqa: F811
    a, b = w["h"]["a"], w["h"]["b"]
    with time_machine.travel(START, tick=False):
        mine = plans.create(w["staff"], a, WEEKLY)
        theirs = plans.create(w["staff"], b, {**WEEKLY, "interval_days": 30})
    with time_machine.travel(START + timedelta(days=2), tick=False):
        visits.record(w["staff"], a, "上门")
    assert CarePlan.get_by_id(mine.id).due_at == START_UTC + timedelta(days=9)
    assert CarePlan.get_by_id(theirs.id).due_at == START_UTC + timedelta(days=30)
    assert Household.get_by_id(b).visit_due_at == START_UTC + timedelta(days=30)


def test_a_household_due_this_very_moment_is_not_yet_overdue(w):  # noqa: F811
    hid = w["h"]["a"]
    with time_machine.travel(START, tick=False):
        plans.create(w["staff"], hid, WEEKLY)
    due_at = START_UTC + timedelta(days=7)
    household = Household.get_by_id(hid)
    assert cards.summary_out(household, due_at)["overdue"] is False
    assert cards.summary_out(household, due_at + timedelta(microseconds=1))["overdue"] is True
