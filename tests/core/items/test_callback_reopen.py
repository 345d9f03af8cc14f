"""Staff reopening an item after a 不满意 callback (`core.items.callbacks.reopen`), as the
console's reopen button reaches it: the reason's length limit exactly at its bound, and the
refusals — an item no longer closed, a round not answered 不满意 — in Chinese, naming the
field and what the round's answer was, writing nothing."""

from __future__ import annotations

import pytest

from core.items import callbacks
from infra.errors import ApiError
from models import Callback, Event, Issue
from tests.core.figures.test_reports import at
from tests.core.items.test_callbacks import Town, _principal


def _refusal(p, issue_id, note=None):
    with pytest.raises(ApiError) as refused:
        callbacks.reopen(p, issue_id, note)
    e = refused.value
    return e.status, e.code, e.message, e.fields


def _reopens():
    return Event.select().where(Event.action == "issue.reopen").count()


@pytest.fixture
def closed_pair(client):
    """Two items of community 1, resolved on 1 December; staff liu as a principal."""
    t = Town(client)
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        b = t.report("乙", contact_phone="13900000002")
        t.resolve(a)
        t.resolve(b)
    return t, a, b, _principal("liu")


def test_a_reopening_reason_may_be_500_characters_but_not_501(closed_pair):
    t, a, _, p = closed_pair
    with at(12, 4, 10):
        t.call(a, "unsatisfied", "门口还是脏")
        assert _refusal(p, a, "字" * 501) == (
            400,
            "validation_error",
            "说明最多 500 字",
            {"note": "最多 500 字"},
        )
        assert Issue.get_by_id(a).status == "resolved" and _reopens() == 0
        callbacks.reopen(p, a, "字" * 500)
    reason = Event.get(Event.action == "issue.reopen").data["note"]
    assert reason == "回访不满意：" + "字" * 500


def test_an_item_reopened_already_is_refused_naming_its_status(closed_pair):
    """The console's list of the month's callbacks keeps its reopen button until the page is
    reloaded: a second press finds the item back at 待接单."""
    t, a, _, p = closed_pair
    with at(12, 4, 10):
        t.call(a, "unsatisfied")
        callbacks.reopen(p, a)
        assert _refusal(p, a) == (
            409,
            "invalid_transition",
            "该诉求当前为“待接单”，不能重新打开",
            {"status": "当前为“待接单”"},
        )
    assert Issue.get_by_id(a).reopen_count == 1 and _reopens() == 1


def test_staff_reopen_only_after_unsatisfied_and_the_refusal_names_the_rounds_answer(
    closed_pair,
):
    t, a, b, p = closed_pair
    with at(12, 4, 10):
        assert _refusal(p, a) == (
            409,
            "not_unsatisfied",
            "只有回访结果为“不满意”的诉求可以由工作人员重新打开（本轮：尚未回访）",
            {"result": "本轮回访：尚未回访"},
        )
        t.call(b, "basically_satisfied")
        status, code, message, fields = _refusal(p, b)
    assert (status, code) == (409, "not_unsatisfied")
    assert message == "只有回访结果为“不满意”的诉求可以由工作人员重新打开（本轮：基本满意）"
    assert fields == {"result": "本轮回访：基本满意"}
    assert Issue.get_by_id(a).status == Issue.get_by_id(b).status == "resolved"
    assert _reopens() == 0 and Callback.select().count() == 1


def test_the_reopening_is_named_by_the_staff_members_console_name(closed_pair):
    t, a, _, _ = closed_pair
    t.staff_account.display_name = "刘主任"
    t.staff_account.save()
    with at(12, 4, 10):
        t.call(a, "unsatisfied")
        callbacks.reopen(_principal("liu"), a)
    event = Event.get(Event.action == "issue.reopen")
    assert (event.actor_id, event.actor_label) == (t.staff_account.user_id, "刘主任")
