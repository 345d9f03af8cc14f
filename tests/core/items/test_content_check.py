"""Content safety: msgSecCheck v2 through the fake WeChat (pass / review / risky, and every
failure held as "failed"), and the offline word list with its anti-obfuscation folding; held
items are listed for moderation, and moderating one leaves the others held."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import time_machine

from core.items import content_check, issues
from core.items.content_check import SCENE_FORUM, SCENE_PROFILE, check_text, is_publishable
from core.people.permissions import Principal
from models import (
    Event,
    Issue,
    User,
)
from tests.factories import (
    API,
    api_post,
    login,
    login_staff,
    login_steward,
    make_district,
    make_staff,
    my_user_id,
    submit_issue,
)
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


def _report_text(client, w, content):
    body = {"board_code": w["d"].boards[0].code, "category": "环境卫生", "content": content}
    return api_post(client, "/issues", w["resident"], body, status=201)["id"]


def test_moderating_one_held_issue_leaves_the_others_held(client, neighbours, app):
    w = neighbours
    app.config["SENSITIVE_WORDS"] = ["敏感词"]
    held = [_report_text(client, w, f"第{n}处敏感词") for n in range(3)]
    assert {Issue.get_by_id(i).visibility for i in held} == {"held"}
    api_post(client, f"/issues/{held[1]}/moderate", w["staff_x"], {"publish": True})
    assert [Issue.get_by_id(i).visibility for i in held] == ["held", "public", "held"]
    ev = Event.select().where(Event.action == "issue.publish").get()
    assert (ev.subject_id, ev.area_id, ev.actor_id) == (
        held[1],
        w["d"].alleys[0].id,
        my_user_id(client, w["staff_x"]),
    )


def test_held_items_are_listed_for_moderation_and_stewards_phones_shown(client):
    d = make_district()
    staff = login_staff(client, make_staff(d.communities[0]))
    resident = login(client, "张大妈")
    login_steward(client, d.stewards[0])
    plain = submit_issue(client, resident, d.boards[0].code)
    held = submit_issue(client, resident, d.boards[0].code, "有人在巷子里组织赌博")
    assert held["visibility"] == "held" and plain["visibility"] == "public"

    res = client.get(f"{API}/issues?scope=area&visibility=held", headers=staff)
    assert res.status_code == 200, res.get_json()
    assert [i["id"] for i in res.get_json()["items"]] == [held["id"]]
    res = client.get(f"{API}/issues?scope=area&visibility=public", headers=staff)
    assert [i["id"] for i in res.get_json()["items"]] == [plain["id"]]
    assert client.get(f"{API}/issues?visibility=secret", headers=staff).status_code == 400

    stewards = plain["stewards"]
    assert stewards and all(s["phone"] for s in stewards)
    assert d.stewards[0].phone in {s["phone"] for s in stewards}


def test_an_item_filed_hidden_is_not_checked_and_stays_hidden(app):
    """A care alert's 需帮助 is filed kept back from the start: its words are never public, so
    they are not checked (the trail says so), and it waits for nobody's moderation."""
    app.config["SENSITIVE_WORDS"] = ["敏感词"]
    d = make_district()
    staff = Principal.for_user(make_staff(d.communities[0]).user)
    created = issues.create(
        staff,
        alley=d.alleys[0],
        board=None,
        category="环境卫生",
        content="一户有敏感词",
        hidden=True,
    )
    issue = Issue.get_by_id(created.issue.id)
    assert (issue.visibility, issue.hold_reason) == ("hidden", None)
    event = Event.get((Event.action == "issue.create") & (Event.subject_id == issue.id))
    assert event.data["content_check"] == "skipped"
    # The same words filed the ordinary way are checked and held, with the verdict as reason.
    held = issues.create(
        staff, alley=d.alleys[0], board=None, category="环境卫生", content="一户有敏感词"
    )
    assert (held.issue.visibility, held.issue.hold_reason) == ("held", "内容检查：risky")
