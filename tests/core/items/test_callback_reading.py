"""How the 回访 list and the month's callbacks read (`core.items.callbacks.describe` and
`recent`): every field of a waiting item as staff see it, and the console's list of recorded
callbacks — its area, its start, newest first and its length."""

from __future__ import annotations

from datetime import datetime

from core.items import callbacks
from models import Callback, Issue
from tests.core.figures.test_reports import at
from tests.core.items.test_callbacks import Town


def test_a_waiting_item_reads_with_its_place_words_and_last_attempt(client):
    t = Town(client)
    with at(12, 1, 9):
        a = t.report("甲", board=1, anonymous=True, contact_phone="13900000001")
        t.resolve(a, t.s2)
    with at(12, 4, 15):
        t.call(a, "unreached")
        first = t.waiting()["items"][0]
    d = t.d
    assert first["community"] == {"id": d.communities[0].id, "name": "第1社区"}
    assert first["alley"] == {"id": d.alleys[1].id, "name": "1区2巷"}
    assert (first["category"], first["content"]) == ("环境卫生", "甲")
    assert (first["status"], first["status_label"]) == ("resolved", "已办结")
    assert first["resolved_by"] == d.stewards[1].name and first["resolution_note"] == "已处理"
    assert first["anonymous"] is True and first["contact_phone"] == "13900000001"
    assert first["waiting_days"] == 3 and first["attempts"] == 1
    assert first["last_attempt_by"] == "liu"
    assert first["last_attempt_at"] == "2026-12-04T15:00:00+08:00"
    # with no attempt yet, nobody and no time
    with at(12, 1, 9):
        b = t.report("乙", contact_phone="13900000002")
        t.resolve(b)
    with at(12, 4, 16):
        second = next(i for i in t.waiting()["items"] if i["id"] == b)
    assert (second["attempts"], second["last_attempt_at"], second["last_attempt_by"]) == (
        0,
        None,
        None,
    )


def _callback(issue_id: int, community_id: int, when: datetime) -> Callback:
    # 未接通 rows settle nothing, so one item may hold many: the list's length is then cheap
    return Callback.create(
        issue=issue_id,
        community=community_id,
        result="unreached",
        actor_label="liu",
        created_at=when,
    )


def test_the_months_callbacks_are_the_areas_newest_first_from_its_start(client):
    t = Town(client)
    with at(12, 1, 9):
        mine = t.report("甲", contact_phone="13900000001")
        away = t.report("乙", board=2, contact_phone="13900000002")  # community 2
    c1, c2 = t.d.communities
    before = _callback(mine, c1.id, datetime(2026, 11, 30, 15, 59, 59))
    early = _callback(mine, c1.id, datetime(2026, 11, 30, 16, 0))  # 1 Dec 00:00 in Shanghai
    late = _callback(mine, c1.id, datetime(2026, 12, 2, 1, 0))
    _callback(away, c2.id, datetime(2026, 12, 2, 2, 0))
    since = datetime(2026, 11, 30, 16, 0)
    rows = callbacks.recent(c1, since)
    assert [(c.id, i.id) for c, i in rows] == [(late.id, mine), (early.id, mine)]
    assert isinstance(rows[0][1], Issue) and before.id not in [c.id for c, _ in rows]
    assert [c.id for c, _ in callbacks.recent(c1, since, limit=1)] == [late.id]
    # fifty at most unless asked otherwise: the newest fifty
    made = [_callback(mine, c1.id, datetime(2026, 12, 3, 1, n)) for n in range(49)]
    rows = callbacks.recent(c1, since)
    assert len(rows) == 50 and rows[0][0].id == made[-1].id and rows[-1][0].id == late.id


def test_reopen_is_offered_only_for_an_unsatisfied_callback_of_the_current_round_still_closed():
    def offered(result, settles, status, reopen_count=1):
        callback = Callback(result=result, settles=settles)
        return callbacks.may_reopen(callback, Issue(status=status, reopen_count=reopen_count))

    assert offered("unsatisfied", 1, "resolved") and offered("unsatisfied", 1, "closed")
    assert not offered("unsatisfied", 1, "submitted")  # reopened since
    assert not offered("unsatisfied", 0, "resolved")  # an earlier round's answer
    assert not offered("unsatisfied", None, "resolved")
    assert not offered("satisfied", 1, "closed")
    assert not offered("refused", 1, "resolved")


def test_a_staff_members_list_as_of_a_moment_holds_what_was_due_then(client):
    from datetime import timedelta

    from tests.core.items.test_callbacks import _principal

    t = Town(client)
    with at(12, 1, 10):
        a = t.report("甲", contact_phone="13900000001")
        t.resolve(a)
    closed = Issue.get_by_id(a).resolved_at
    p, c1 = _principal("liu"), t.d.communities[0]
    with at(12, 20, 9):  # asked later, about two earlier moments
        assert list(callbacks.waiting(p, c1, closed + timedelta(days=3, seconds=-1))) == []
        assert [i.id for i in callbacks.waiting(p, c1, closed + timedelta(days=3))] == [a]
        assert [i.id for i in callbacks.waiting(p, c1)] == [a]


def test_an_item_on_an_alley_the_street_runs_directly_reads_without_a_community(client):
    from core.boards import boards
    from core.people import areas
    from models import Steward, StewardAlley

    t = Town(client)
    loose, _ = areas.child(t.d.street, "alley", "街道直管巷")  # no community above it
    steward = Steward.create(name="直管管家", phone="13800000099")
    StewardAlley.create(steward=steward, alley=loose)
    board = boards.create_board(loose)
    with at(12, 1, 9):
        body = {"board_code": board.code, "category": "环境卫生", "content": "直管"}
        res = client.post("/api/v1/issues", json=body, headers=t.resident("甲"))
        a = res.get_json()["id"]
    # closed by hand: the time bank's award on resolving fails without a community (reported)
    Issue.update(
        status="resolved",
        resolved_at=datetime(2026, 12, 1, 2, 0),
        resolved_by=steward.id,
        contact_phone="13900000001",
    ).where(Issue.id == a).execute()
    assert Issue.get_by_id(a).community_id is None
    with at(12, 4, 10):
        (row,) = callbacks.describe(list(callbacks.due(loose)))  # the alley chosen
    assert (row["id"], row["community"]) == (a, None)
    assert row["alley"] == {"id": loose.id, "name": "街道直管巷"}
    assert row["resolved_by"] == "直管管家"
