"""What recording a callback writes (`core.items.callbacks.record`): the row — its item,
community, round, result, whether it settles the round, the staff account and person who
called — and the audit event on the item, in the item's alley, naming the caller, with the
call's attempt and whether it settled the round."""

from __future__ import annotations

from core.items import callbacks
from models import Callback, Event, Issue, StaffAccount
from tests.core.figures.test_reports import at
from tests.core.items.test_callbacks import Town, _principal


def test_an_unanswered_call_is_stored_unsettled_and_audited_on_the_item(client):
    t = Town(client)
    with at(12, 1, 9):
        a = t.report("甲", board=1, contact_phone="13900000001")
        t.resolve(a, t.s2)
    liu = StaffAccount.get(StaffAccount.username == "liu")
    with at(12, 4, 10):
        made = callbacks.record(_principal("liu"), a, "unreached", " 无人接听 ")
    c = Callback.get_by_id(made.id)
    assert (c.issue_id, c.community_id, c.round, c.result, c.note, c.settles) == (
        a,
        t.d.communities[0].id,
        0,
        "unreached",
        "无人接听",
        None,
    )
    assert (c.staff_id, c.actor_id, c.actor_label) == (liu.id, liu.user_id, "liu")
    event = Event.get(Event.action == "issue.callback")
    assert (event.subject_type, event.subject_id, event.area_id) == ("issue", a, t.d.alleys[1].id)
    assert (event.actor_id, event.actor_label) == (liu.user_id, "liu")
    assert event.data == {
        "result": "unreached",
        "result_label": "未接通",
        "note": "未接通：无人接听",
        "round": 0,
        "attempt": 1,
        "settled": False,
    }


def test_a_call_in_a_reopened_items_new_round_is_stored_in_that_round(client):
    t = Town(client)
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        t.resolve(a)
    p = _principal("liu")
    with at(12, 4, 10):
        callbacks.record(p, a, "unsatisfied")
        callbacks.reopen(p, a)
    with at(12, 5, 10):
        t.resolve(a)
    with at(12, 8, 10):
        made = callbacks.record(p, a, "satisfied")
    assert Issue.get_by_id(a).reopen_count == 1
    assert (made.round, made.settles) == (1, 1)
    last = Event.select().where(Event.action == "issue.callback").order_by(Event.id.desc()).get()
    assert (last.data["round"], last.data["attempt"], last.data["settled"]) == (1, 1, True)
