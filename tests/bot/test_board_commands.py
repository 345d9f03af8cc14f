"""`牌子好的` / `牌子坏了` — a steward's answer to the board check (core/boards/health.py), as
dialogues through all three signed callbacks: the question in the group, the answer, the
photo that goes with a broken board, and the refusals."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from core.boards import health
from infra.timeutil import to_local
from models import Board, BoardCheck, ChatGroup, OutboxMessage, ScanDaily
from tests.bot.clients import T0, jpeg, run


def quiet_board(board) -> None:
    """Scanned every day for four weeks, then not for two: the check flags it at T0."""
    today = to_local(T0).date()
    last = today - timedelta(days=15)
    for n in range(28):
        ScanDaily.create(board=board, day=last - timedelta(days=n), count=2)


def flag(w) -> None:
    d = w["district"]
    ChatGroup.create(area=d.communities[0], name="第1社区管家群", webhook_key="key-b")
    Board.update(created_at=T0.replace(tzinfo=None) - timedelta(days=90)).execute()
    for board in d.boards:  # every other board busy to this day
        for n in range(1, 43):
            ScanDaily.create(board=board, day=to_local(T0).date() - timedelta(days=n), count=1)
    ScanDaily.delete().where(ScanDaily.board == d.boards[0]).execute()
    quiet_board(d.boards[0])
    assert health.scan(T0) == {"flagged": 1, "asked": 1}


def test_the_group_is_asked_and_the_steward_answers_fine(chat, world):  # noqa: F811
    with time_machine.travel(T0, tick=False):
        flag(world)
        (asked,) = OutboxMessage.select()
        assert asked.payload["text"]["content"] == (
            "1区1巷的公示牌近两周没人扫码，路过时请看一眼：回复 牌子好的 / 牌子坏了 并拍照"
        )
        run(
            chat,
            [
                ("wx_s1", "牌子好的", "未能记下公示牌情况：您负责的街巷没有需要查看的公示牌"),
                ("wx_s0", "牌子", "未能记下公示牌情况：请说明牌子好不好，例如：牌子好的"),
                ("wx_s0", "@小巷管家 牌子好的", "谢谢！已记下1区1巷的公示牌完好，30 天内不再提醒"),
                ("wx_s0", "牌子坏了", "未能记下公示牌情况：您负责的街巷没有需要查看的公示牌"),
            ],
        )
    check = BoardCheck.get()
    assert check.answer == "ok" and check.answered_by.openid == "wecom:wx_s0"


def test_broken_with_a_photo_goes_to_the_reprint_list(chat, world):  # noqa: F811
    d = world["district"]
    with time_machine.travel(T0, tick=False):
        flag(world)
        got = chat.reply(chat.post("wx_s0", "牌子坏了", images=[jpeg("grey")]))
        if chat.channel == "app":  # the app delivers a photo as a message of its own
            assert got == (
                "已收到照片 1 张，公示牌坏了请在 2 分钟内发送“牌子坏了”，照片将随牌子列入待重印；"
                "办结诉求请发送“办结 编号 说明”"
            )
            got = chat.say("wx_s0", "牌子坏了")
        assert got == "谢谢！1区1巷的公示牌已列入待重印，照片已收到，社区会尽快换新"
    (queued,) = health.reprint_queue(d.street)
    assert queued.board_id == d.boards[0].id and queued.photo_id is not None


def test_broken_without_a_photo_is_queued_too(chat, world):  # noqa: F811
    d = world["district"]
    with time_machine.travel(T0, tick=False):
        flag(world)
        run(chat, [("wx_s0", "牌子坏了", "谢谢！1区1巷的公示牌已列入待重印，社区会尽快换新")])
    (queued,) = health.reprint_queue(d.street)
    assert queued.photo_id is None
