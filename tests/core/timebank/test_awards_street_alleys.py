"""Duty points on an alley the street runs itself, under no community: the time bank is a
community's (its passbooks, its shop), so the work earns no passbook entry — and none of the
item's steps fails for it (they answered 500 before)."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from core.boards import boards
from core.people import areas
from jobs import reminders
from models import Issue, PointEntry, Steward, StewardAlley
from tests.core.timebank.test_awards import T0, act, report
from tests.factories import login, login_steward, make_district, next_phone


def test_an_item_on_a_street_run_alley_goes_through_every_step_without_points(client, app):
    d = make_district()
    alley, _ = areas.child(d.street, "alley", "街道直管巷")
    steward = Steward.create(name="直管管家", phone=next_phone())
    StewardAlley.create(steward=steward, alley=alley)
    d.boards.append(boards.create_board(alley))
    w = {"d": d, "resident": login(client, "张大妈")}
    headers = login_steward(client, steward)
    with time_machine.travel(T0, tick=False):
        done = report(client, w, board=len(d.boards) - 1)
        assert Issue.get_by_id(done).community_id is None
        act(client, headers, done, "resolve", {"note": "已清理"})
        act(client, w["resident"], done, "rate", {"score": 5})
        again = report(client, w, board=len(d.boards) - 1)
        act(client, headers, again, "resolve", {"note": "已清理"})
        act(client, w["resident"], again, "reopen", {"note": "又堆上了"})
        late = report(client, w, board=len(d.boards) - 1)
        act(client, headers, late, "accept")
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        reminders.scan()  # the overdue round of `late` and of the reopened `again`
    assert Issue.get_by_id(done).rating == 5
    assert Issue.get_by_id(again).reopen_count == 1
    assert PointEntry.select().count() == 0
