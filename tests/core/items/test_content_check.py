"""Content safety: msgSecCheck v2 through the fake WeChat (pass / review / risky, and every
failure held as "failed"), and the offline word list with its anti-obfuscation folding."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import time_machine

from core.items import content_check
from core.items.content_check import SCENE_FORUM, SCENE_PROFILE, check_text, is_publishable
from models import User
from tests.fake_wechat import openid_for

CHECK_PATH = "/wxa/msg_sec_check"
T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def author(fake, name="王秀英", visited=True) -> User:
    user = User.create(openid=openid_for(name))
    if visited:
        fake.mark_visited(user.openid)
    return user


# --- online --------------------------------------------------------------------------------------


def test_pass_review_risky_through_the_fake(online_app, fake_wechat):
    user = author(fake_wechat)
    assert check_text("三号楼门口的路灯坏了", user, SCENE_FORUM) == "pass"
    assert check_text("听说明天有人组织游行", user, SCENE_FORUM) == "review"
    assert check_text("巷子里有人聚众赌博", user, SCENE_FORUM) == "risky"
    first = fake_wechat.calls_to(CHECK_PATH)[0]["json"]
    assert first == {
        "version": 2,
        "openid": user.openid,
        "scene": SCENE_FORUM,
        "content": "三号楼门口的路灯坏了",
    }


def test_wechat_down_or_erroring_is_failed(online_app, fake_wechat):
    user = author(fake_wechat)
    fake_wechat.down = True
    assert check_text("路灯坏了", user, SCENE_FORUM) == "failed"
    fake_wechat.down = False
    fake_wechat.fail_next(CHECK_PATH, -1)
    assert check_text("路灯坏了", user, SCENE_FORUM) == "failed"
    assert check_text("路灯坏了", user, SCENE_FORUM) == "pass"


def test_wechat_unreachable_is_failed(online_app, fake_wechat):
    with socket.socket() as s:  # a port nobody listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    online_app.config["WECHAT_API_BASE"] = f"http://127.0.0.1:{port}/"
    assert check_text("路灯坏了", author(fake_wechat), SCENE_FORUM) == "failed"


def test_author_who_has_not_visited_recently_is_failed(online_app, fake_wechat):
    with time_machine.travel(T0, tick=False) as clock:
        user = author(fake_wechat)
        assert check_text("路灯坏了", user, SCENE_PROFILE) == "pass"
        clock.shift(timedelta(hours=3))  # msgSecCheck v2 needs a visit within two hours
        assert check_text("路灯坏了", user, SCENE_PROFILE) == "failed"


def test_author_without_openid_is_failed_without_asking(online_app, fake_wechat):
    web_user = User.create(nickname="网页提交")
    assert check_text("路灯坏了", web_user, SCENE_FORUM) == "failed"
    assert check_text("路灯坏了", None, SCENE_FORUM) == "failed"
    assert fake_wechat.calls_to(CHECK_PATH) == []


def test_long_text_is_checked_in_chunks_worst_wins(online_app, fake_wechat):
    user = author(fake_wechat)
    text = "路" * 5500 + "赌博"
    assert check_text(text, user, SCENE_FORUM) == "risky"
    contents = [c["json"]["content"] for c in fake_wechat.calls_to(CHECK_PATH)]
    assert [len(c) for c in contents] == [2500, 2500, 502]
    assert "".join(contents) == text

    fake_wechat.reset()
    assert check_text("游行" + "路" * 3000, user, SCENE_FORUM) == "review"
    assert len(fake_wechat.calls_to(CHECK_PATH)) == 2


def test_empty_text_passes_without_asking(online_app, fake_wechat):
    assert check_text("  ", author(fake_wechat), SCENE_FORUM) == "pass"
    assert fake_wechat.calls_to(CHECK_PATH) == []


def test_only_pass_is_publishable():
    assert is_publishable("pass")
    assert not any(is_publishable(v) for v in ("review", "risky", "failed"))
    assert content_check.worst(["pass", "review", "failed"]) == "failed"
    assert content_check.worst(["failed", "risky"]) == "risky"


# --- offline --------------------------------------------------------------------------------------


def test_offline_word_list(app):
    assert check_text("三号楼门口的路灯坏了", None, SCENE_FORUM) == "pass"
    assert check_text("有人在这里赌博", None, SCENE_FORUM) == "risky"
    # spaces, punctuation, symbols and zero-width characters between the characters
    assert check_text("有人 赌 博", None, SCENE_FORUM) == "risky"
    assert check_text("代·开-发_票，加我", None, SCENE_FORUM) == "risky"
    assert check_text("网\u200b赌", None, SCENE_FORUM) == "risky"


def test_offline_extra_words_from_config_fold_width_and_case(app):
    app.config["SENSITIVE_WORDS"] = ["Spam词"]
    assert check_text("这里有 ＳＰＡＭ 词", None, SCENE_FORUM) == "risky"
    assert check_text("s.p.a.m.词", None, SCENE_FORUM) == "risky"
    assert check_text("spa词", None, SCENE_FORUM) == "pass"


def test_offline_needs_no_openid(app):
    assert check_text("路灯坏了", User.create(nickname="网页提交"), SCENE_FORUM) == "pass"
