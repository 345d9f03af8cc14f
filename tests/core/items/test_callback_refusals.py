"""Why a callback cannot be recorded (`core.items.callbacks.record`): the item not yet closed,
already rated, a steward's own 随手做, an anonymous resident without a phone, or the caller not
staff of the item's area although they may read it — each refusal's exact Chinese words and
the field it names, nothing written; and who may still be called (a resident who left no
phone but gave their name, an anonymous one who left a phone)."""

from __future__ import annotations

import pytest

from core.items import callbacks
from core.people.permissions import Principal
from infra.errors import ApiError
from models import Callback, Event, Issue, Steward, User
from tests.core.figures.test_reports import at
from tests.core.items.test_callbacks import Town, _post, _principal


def _refusal(p, issue_id, result="satisfied"):
    with pytest.raises(ApiError) as refused:
        callbacks.record(p, issue_id, result)
    e = refused.value
    return e.status, e.code, e.message, e.fields


def _nothing_written():
    return (
        Callback.select().count() == 0
        and Event.select().where(Event.action == "issue.callback").count() == 0
    )


def test_an_item_not_yet_closed_is_refused_with_its_status_named(client):
    t = Town(client)
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
    with at(12, 4, 10):
        assert _refusal(_principal("liu"), a) == (
            409,
            "invalid_transition",
            "该诉求当前为“待接单”，尚未办结，不能回访",
            {"status": "当前为“待接单”，办结后才能回访"},
        )
    assert _nothing_written()


def test_an_item_the_resident_rated_needs_no_call_and_the_refusal_gives_the_stars(client):
    t = Town(client)
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        t.resolve(a)
        _post(client, f"/issues/{a}/rate", t.resident("甲"), {"score": 3})
    with at(12, 4, 10):
        assert _refusal(_principal("liu"), a) == (
            409,
            "already_rated",
            "居民已评价（3 星），无需回访",
            {"rating": "居民已评价 3 星"},
        )
    assert _nothing_written()


def test_a_stewards_own_fix_and_an_anonymous_item_without_a_phone_have_nobody_to_call(client):
    t = Town(client)
    with at(12, 1, 9):
        fix = {"board_code": t.d.boards[0].code, "category": "设施损坏", "content": "随手做"}
        fix["fixed_on_spot"] = {"note": "已修"}
        spot = _post(client, "/issues", t.s1, fix, status=201)["id"]
        hidden = t.report("丙", anonymous=True)
        t.resolve(hidden)
    p = _principal("liu")
    with at(12, 4, 10):
        assert _refusal(p, spot) == (
            409,
            "no_resident",
            "这是管家随手做的事项，没有反映人，无需回访",
            {"source": "管家随手做"},
        )
        assert _refusal(p, hidden) == (
            409,
            "no_contact",
            "居民匿名反映且未留电话，无法回访",
            {"contact_phone": "匿名且未留电话"},
        )
    assert _nothing_written()


def test_a_named_resident_without_a_phone_and_an_anonymous_one_with_a_phone_are_called(client):
    t = Town(client)
    with at(12, 1, 9):
        named = t.report("甲")  # the steward may know them
        anonymous = t.report("乙", anonymous=True, contact_phone="13900000002")
        t.resolve(named)
        t.resolve(anonymous)
    p = _principal("liu")
    with at(12, 4, 10):
        assert callbacks.record(p, named, "satisfied").settles == 0
        assert callbacks.record(p, anonymous, "refused").settles == 0
    assert Callback.select().count() == 2


def test_who_may_read_the_item_but_not_call_back_is_refused_as_out_of_scope(client):
    """The item's steward and its reporter both see it; only staff of its area record a
    callback."""
    t = Town(client)
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        t.resolve(a)
    steward = Steward.get_by_id(t.d.stewards[0].id).user
    reporter = User.get_by_id(Issue.get_by_id(a).reporter_id)
    with at(12, 4, 10):
        for user in (steward, reporter):
            assert _refusal(Principal.for_user(user), a) == (
                403,
                "out_of_scope",
                "只有该社区的工作人员可以回访",
                {},
            )
    assert _nothing_written()


def test_an_unknown_result_and_a_note_over_500_characters_are_refused_before_anything(client):
    t = Town(client)
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        t.resolve(a)
    p = _principal("liu")
    with at(12, 4, 10):
        assert _refusal(p, a, "happy") == (
            400,
            "validation_error",
            "请选择回访结果",
            {
                "result": "可选：satisfied（满意）、basically_satisfied（基本满意）、"
                "unsatisfied（不满意）、unreached（未接通）、refused（拒绝回访）"
            },
        )
        with pytest.raises(ApiError) as too_long:
            callbacks.record(p, a, "satisfied", "字" * 501)
        e = too_long.value
        assert (e.status, e.message, e.fields) == (
            400,
            "回访说明最多 500 字",
            {"note": "最多 500 字"},
        )
        assert _nothing_written()
        assert callbacks.record(p, a, "satisfied", "字" * 500).note == "字" * 500


def test_a_call_the_unique_index_refuses_names_the_call_that_settled_the_round(client):
    """The round's settling call is read before writing; should one be there that the read
    did not see (a writer the row lock did not hold back), the unique (item, round settled)
    index refuses the second, and the 409 names the call that is there, writing nothing."""
    t = Town(client)
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        t.resolve(a)
    with at(12, 3, 15, 30):
        # settles round 0, filed under another round: `record`'s read of round 0 misses it
        Callback.create(issue=a, round=7, result="refused", settles=0, actor_label="王敏")
    with at(12, 4, 10):
        assert _refusal(_principal("liu"), a) == (
            409,
            "already_called_back",
            "该诉求本轮已回访：拒绝回访（王敏，12月3日 15:30），不能重复记录",
            {"result": "已记录“拒绝回访”"},
        )
    assert Callback.select().count() == 1
    assert Event.select().where(Event.action == "issue.callback").count() == 0


def test_once_the_round_is_settled_even_an_unanswered_call_is_refused_and_nothing_written(
    client,
):
    """A 未接通 call writes no settling row, so the unique (item, round settled) index would
    let it through: the round's settling call is what refuses it, naming that call."""
    t = Town(client)
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        t.resolve(a)
    p = _principal("liu")
    with at(12, 4, 10):
        callbacks.record(p, a, "satisfied")
    with at(12, 5, 9):
        assert _refusal(p, a, "unreached") == (
            409,
            "already_called_back",
            "该诉求本轮已回访：满意（liu，12月4日 10:00），不能重复记录",
            {"result": "已记录“满意”"},
        )
    assert Callback.select().count() == 1
    assert Event.select().where(Event.action == "issue.callback").count() == 1
