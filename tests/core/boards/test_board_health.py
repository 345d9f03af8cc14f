"""Boards that report their own health (core/boards/health.py), through time: a board whose
scans stop, or never start, is flagged and its steward asked in the group once; the answer
clears the flag for a while or queues the board for reprint; thresholds come from config."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from core.boards import health
from core.people.permissions import Principal
from infra.errors import ApiError
from models import Board, BoardCheck, ChatGroup, Event, OutboxMessage, RoleGrant, ScanDaily, User
from tests.conftest import make_app
from tests.factories import make_district

# 2026-12-07 10:00 in Shanghai: the scan's usual time.
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
TODAY = date(2026, 12, 7)


@pytest.fixture
def world(app):
    d = make_district(communities=1, alleys_per_community=2)
    group = ChatGroup.create(area=d.communities[0], name="第1社区管家群", webhook_key="key-1")
    # Put up two months ago: not a "never started" board for these tests unless asked.
    Board.update(created_at=NOW.replace(tzinfo=None) - timedelta(days=60)).execute()
    return d, group


def scans(board, first: date, last: date, per_day: int = 1) -> None:
    day = first
    while day <= last:
        ScanDaily.create(board=board, day=day, count=per_day)
        day += timedelta(days=1)


def busy_then_quiet(board, quiet_days: int = 14) -> None:
    """Scanned daily for the four weeks before the last `quiet_days` days, then not at all."""
    last = TODAY - timedelta(days=quiet_days + 1)
    scans(board, last - timedelta(days=27), last)


def group_texts() -> list[dict]:
    return [m.payload["text"] for m in OutboxMessage.select().order_by(OutboxMessage.id)]


def steward_principal(steward) -> Principal:
    user = User.create(openid=f"dev:{steward.name}", nickname=steward.name)
    RoleGrant.create(user=user, role="steward", steward=steward)
    return Principal.for_user(user)


def test_a_board_whose_scans_stopped_is_flagged_and_its_steward_asked_once(world):
    d, _ = world
    busy_then_quiet(d.boards[0])
    scans(d.boards[1], TODAY - timedelta(days=41), TODAY - timedelta(days=1))  # still scanned
    with time_machine.travel(NOW, tick=False) as clock:
        assert health.scan() == {"flagged": 1, "asked": 1}
        (text,) = group_texts()
        assert text["content"] == (
            "1区1巷的公示牌近两周没人扫码，路过时请看一眼：回复 牌子好的 / 牌子坏了 并拍照"
        )
        assert text["mentioned_mobile_list"] == [d.stewards[0].phone]
        # the same day again, and the days after while nobody has answered: asked once
        assert health.scan() == {"flagged": 0, "asked": 0}
        clock.shift(timedelta(days=3))
        assert health.scan() == {"flagged": 0, "asked": 0}
    assert len(group_texts()) == 1
    check = BoardCheck.get()
    assert (check.board_id, check.reason, check.steward_id) == (
        d.boards[0].id,
        "stopped",
        d.stewards[0].id,
    )
    assert Event.get(Event.action == "board.flag").subject_id == d.boards[0].id


def test_thirteen_quiet_days_or_a_thin_week_are_not_a_stopped_board(world):
    d, _ = world
    busy_then_quiet(d.boards[0], quiet_days=13)  # scanned 14 days ago: not two weeks yet
    last = TODAY - timedelta(days=15)
    scans(d.boards[1], last - timedelta(days=27), last)
    # one week before the quiet fortnight with only 2 scans: never "at least 3 a week"
    ScanDaily.delete().where(
        (ScanDaily.board == d.boards[1]) & (ScanDaily.day > last - timedelta(days=7))
    ).execute()
    scans(d.boards[1], last - timedelta(days=1), last)
    with time_machine.travel(NOW, tick=False):
        assert health.scan() == {"flagged": 0, "asked": 0}
    assert BoardCheck.select().count() == 0


def test_a_board_nobody_ever_scanned_is_flagged_after_thirty_days(world):
    d, _ = world
    scans(d.boards[1], TODAY - timedelta(days=41), TODAY - timedelta(days=1))
    Board.update(created_at=NOW.replace(tzinfo=None) - timedelta(days=29)).where(
        Board.id == d.boards[0].id
    ).execute()
    with time_machine.travel(NOW, tick=False) as clock:
        assert health.scan()["flagged"] == 0
        clock.shift(timedelta(days=2))
        assert health.scan() == {"flagged": 1, "asked": 1}
    assert BoardCheck.get().reason == "never"
    assert group_texts()[0]["content"] == (
        "1区1巷的公示牌贴出一个月了还没人扫码，路过时请看一眼：回复 牌子好的 / 牌子坏了 并拍照"
    )


def test_ok_clears_the_flag_for_thirty_days(world):
    d, _ = world
    busy_then_quiet(d.boards[0])
    scans(d.boards[1], TODAY - timedelta(days=41), TODAY + timedelta(days=40))  # always scanned
    p = steward_principal(d.stewards[0])
    with time_machine.travel(NOW, tick=False) as clock:
        assert health.scan()["flagged"] == 1
        check = health.answer(p, health.OK)
        assert (check.answer, check.answered_by_id) == ("ok", p.user.id)
        clock.shift(timedelta(days=29))
        assert health.scan()["flagged"] == 0
        clock.shift(timedelta(days=2))  # still nobody scans it, a month on: asked again
        assert health.scan() == {"flagged": 1, "asked": 1}
    assert len(group_texts()) == 2
    assert Event.get(Event.action == "board.check_answer").actor_id == p.user.id


def test_broken_queues_the_board_for_reprint_until_it_is_printed(world):
    d, _ = world
    busy_then_quiet(d.boards[0])
    p = steward_principal(d.stewards[0])
    with time_machine.travel(NOW, tick=False) as clock:
        health.scan()
        health.answer(p, health.BROKEN)
        (queued,) = health.reprint_queue(d.street)
        assert queued.board_id == d.boards[0].id
        clock.shift(timedelta(days=40))  # waiting for its reprint: not asked again meanwhile
        assert health.scan()["flagged"] == 0
        assert health.mark_reprinted([d.boards[0].id]) == 1
    assert health.reprint_queue(d.street) == []


def test_answers_are_refused_for_another_alley_and_a_second_time(world):
    d, _ = world
    other = steward_principal(d.stewards[1])
    with pytest.raises(ApiError, match="没有需要查看的公示牌"):
        health.answer(other, health.OK)
    busy_then_quiet(d.boards[0])
    scans(d.boards[1], TODAY - timedelta(days=41), TODAY - timedelta(days=1))
    p = steward_principal(d.stewards[0])
    with time_machine.travel(NOW, tick=False):
        health.scan()
        with pytest.raises(ApiError, match="没有需要查看的公示牌"):  # not their alley's board
            health.answer(other, health.OK)
        check = health.open_checks(p.alley_ids)[0]
        health.answer(p, health.BROKEN)
        # a second answer for the same check finds it answered
        with pytest.raises(ApiError, match="没有需要查看的公示牌"):
            health.answer(p, health.OK)
    assert BoardCheck.get_by_id(check.id).answer == "broken"


def test_thresholds_come_from_the_configuration(tmp_path):
    application = make_app(tmp_path, BOARD_QUIET_DAYS=7, BOARD_ACTIVE_WEEKS=2)
    with application.app_context():
        d = make_district(communities=1, alleys_per_community=1)
        ChatGroup.create(area=d.communities[0], name="群", webhook_key="key-7")
        last = TODAY - timedelta(days=8)
        scans(d.boards[0], last - timedelta(days=13), last)
        with time_machine.travel(NOW, tick=False):
            assert health.scan() == {"flagged": 1, "asked": 1}
        assert group_texts()[0]["content"].startswith("1区1巷的公示牌近一周没人扫码")


def test_weekly_scans_and_the_sparkline(world):
    d, _ = world
    scans(d.boards[0], TODAY - timedelta(days=14), TODAY - timedelta(days=1), per_day=2)
    weeks = health.weekly_scans([d.boards[0].id], weeks=4, today=TODAY)
    assert weeks == {d.boards[0].id: [0, 0, 14, 14]}
    line = health.sparkline([0, 0, 14, 14], width=32, height=12)
    assert line["points"] == "1.0,11.0 11.0,11.0 21.0,1.0 31.0,1.0" and line["peak"] == 14
