"""跟进这一件: the similar-report check before submitting, and following an existing report."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from infra.timeutil import utcnow
from models import Event, IssueFollower
from tests.core.items.test_issues import act
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"


@pytest.fixture
def w(client):
    d = make_district()
    return {
        "d": d,
        "board": d.boards[0].code,
        "other_board": d.boards[1].code,
        "reporter": login(client, "张大妈"),
        "neighbour": login(client, "李大爷"),
        "stranger": login(client, "外社区的王叔"),
        "steward": login_steward(client, d.stewards[0]),
        "staff": login_staff(client, make_staff(d.communities[0])),
    }


def _report(client, w, content="南门巷口垃圾堆放三天了", category="环境卫生", who="reporter"):
    body = {"board_code": w["board"], "category": category, "content": content}
    res = client.post(f"{API}/issues", json=body, headers=w[who])
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def _similar(client, w, who="neighbour", **query):
    params = {"board_code": w["board"], "category": "环境卫生", **query}
    return client.get(f"{API}/issues/similar", query_string=params, headers=w[who])


def test_similar_lists_open_reports_of_the_alley_and_category_before_submitting(client, w):
    first = _report(client, w)
    second = _report(client, w, content="垃圾桶满了没人清")
    _report(client, w, category="车辆乱停", content="电动车堵住消防通道")
    done = _report(client, w, content="已经清掉的那一堆")
    act(client, w["steward"], done["id"], "resolve", {"note": "已清运"})

    res = _similar(client, w)
    assert res.status_code == 200, res.get_json()
    items = res.get_json()["items"]
    # Newest first; the other category and the resolved one are not offered.
    assert [i["id"] for i in items] == [second["id"], first["id"]]
    assert items[0] == {
        "id": second["id"],
        "number": second["number"],
        "content": "垃圾桶满了没人清",
        "status_label": "待接单",
        "created_at": second["created_at"],
    }
    # Another alley's board has none of them.
    other = _similar(client, w, board_code=w["other_board"])
    assert other.get_json()["items"] == []


def test_similar_hides_the_words_of_a_private_category(client, w):
    _report(client, w, category="邻里纠纷", content="楼上天天半夜装修，张某某不讲理")
    items = _similar(client, w, category="邻里纠纷").get_json()["items"]
    assert len(items) == 1 and items[0]["content"] is None


def test_similar_looks_back_only_the_configured_window(client, w, app):
    old = _report(client, w)
    window = app.config["SIMILAR_WINDOW_DAYS"]
    with time_machine.travel(utcnow() + timedelta(days=window, hours=1), tick=False):
        assert _similar(client, w).get_json()["items"] == []
    assert [i["id"] for i in _similar(client, w).get_json()["items"]] == [old["id"]]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"category": "不存在的类别"}, "category"),
        ({"board_code": None, "category": "环境卫生"}, "board_code"),
    ],
)
def test_similar_bad_input_names_the_field(client, w, query, field):
    params = {"board_code": w["board"], "category": "环境卫生", **query}
    params = {k: v for k, v in params.items() if v is not None}
    res = client.get(f"{API}/issues/similar", query_string=params, headers=w["neighbour"])
    assert res.status_code == 400
    body = res.get_json()["error"]
    assert field in body["fields"]


def test_similar_unknown_board_is_404_and_login_is_required(client, w):
    res = _similar(client, w, board_code="NOSUCH")
    assert res.status_code == 404
    assert res.get_json()["error"]["code"] == "board_not_found"
    anonymous = client.get(
        f"{API}/issues/similar", query_string={"board_code": w["board"], "category": "环境卫生"}
    )
    assert anonymous.status_code == 401


def test_following_puts_it_among_mine_and_the_handlers_see_the_count(client, w):
    issue = _report(client, w, content="路灯坏了一个礼拜")
    alone = client.get(f"{API}/issues/{issue['id']}", headers=w["steward"]).get_json()
    assert alone["followers"] == 0  # nobody has joined yet
    followed = act(client, w["neighbour"], issue["id"], "follow")
    assert followed["is_following"] is True and followed["followers"] == 1
    assert followed["is_mine"] is False
    # The follower reads the public view: no reporter, no phone, no location.
    assert followed["contact_phone"] is None and followed["reporter"] is None
    assert followed["content"] == "路灯坏了一个礼拜"
    assert followed["timeline"][-1]["label"] == "又有居民反映同一问题"
    assert followed["timeline"][-1]["actor"] == "居民"

    mine = client.get(f"{API}/issues?scope=mine", headers=w["neighbour"]).get_json()
    assert [i["id"] for i in mine["items"]] == [issue["id"]]
    # Among the follower's own only: another resident's 我的 does not list what others follow.
    others = client.get(f"{API}/issues?scope=mine", headers=w["stranger"]).get_json()
    assert others["items"] == []
    assert client.get(f"{API}/issues/{issue['id']}", headers=w["neighbour"]).status_code == 200

    seen = client.get(f"{API}/issues/{issue['id']}", headers=w["steward"]).get_json()
    assert seen["followers"] == 1 and seen["is_following"] is False
    # Twice is the same as once: one row, one event.
    again = act(client, w["neighbour"], issue["id"], "follow")
    assert again["followers"] == 1
    assert IssueFollower.select().count() == 1
    assert Event.select().where(Event.action == "issue.follow").count() == 1
    # Someone who neither reported nor followed still cannot read it.
    assert client.get(f"{API}/issues/{issue['id']}", headers=w["stranger"]).status_code == 404


def test_follow_refusals(client, w):
    issue = _report(client, w)
    own = act(client, w["reporter"], issue["id"], "follow", status=409)
    assert own["error"]["code"] == "own_issue"
    private = _report(client, w, category="邻里纠纷", content="邻居吵架")
    hidden = act(client, w["neighbour"], private["id"], "follow", status=404)
    assert hidden["error"]["code"] == "issue_not_found"
    assert act(client, w["neighbour"], 999999, "follow", status=404)
    act(client, w["steward"], issue["id"], "resolve", {"note": "已处理"})
    late = act(client, w["neighbour"], issue["id"], "follow", status=409)
    assert late["error"]["code"] == "invalid_transition"
    assert "已办结" in late["error"]["message"]
    res = client.post(f"{API}/issues/{issue['id']}/follow", json={})
    assert res.status_code == 401
    assert IssueFollower.select().count() == 0


def test_a_follower_of_a_held_report_never_reads_its_words(client, w, app):
    app.config["SENSITIVE_WORDS"] = ["敏感词"]
    issue = _report(client, w, content="这里有敏感词的内容")
    assert issue["visibility"] == "held"
    # Not offered, and not followable while held.
    assert _similar(client, w).get_json()["items"][0]["content"] is None
    act(client, w["neighbour"], issue["id"], "follow", status=404)
    # Published, followed, then held again by staff: the follower sees no text.
    act(client, w["staff"], issue["id"], "moderate", {"publish": True})
    act(client, w["neighbour"], issue["id"], "follow")
    act(client, w["staff"], issue["id"], "moderate", {"publish": False, "note": "涉及隐私"})
    seen = client.get(f"{API}/issues/{issue['id']}", headers=w["neighbour"]).get_json()
    assert seen["content"] is None and seen["photos"] == []
    assert (
        client.get(f"{API}/issues/{issue['id']}", headers=w["reporter"]).get_json()["content"]
        == "这里有敏感词的内容"
    )


def test_a_held_report_cannot_be_followed_by_its_own_steward_or_staff_either(client, w, app):
    """Held reports cannot be followed — by anyone: those who may read it anyway (its steward,
    staff) are told so with 409 `not_followable`, others get 404; nothing is written."""
    app.config["SENSITIVE_WORDS"] = ["敏感词"]
    held = _report(client, w, content="这里有敏感词的内容")
    assert held["visibility"] == "held"
    for who in ("steward", "staff"):
        refused = act(client, w[who], held["id"], "follow", status=409)
        assert (refused["error"]["code"], refused["error"]["message"]) == (
            "not_followable",
            "该诉求尚未公开或内容不公开，不能跟进",
        )
    # Others are not told it exists: the same answer as for a number that does not exist.
    unseen = act(client, w["neighbour"], held["id"], "follow", status=404)
    assert (unseen["error"]["code"], unseen["error"]["message"]) == (
        "issue_not_found",
        "找不到该诉求",
    )
    # A private category's report, public or not, is not followed by its steward either.
    private = _report(client, w, category="邻里纠纷", content="楼上漏水")
    assert act(client, w["steward"], private["id"], "follow", status=409)
    assert IssueFollower.select().count() == 0
    assert not Event.select().where(Event.action == "issue.follow").exists()
    # Published, it can be followed by its steward like by anyone.
    act(client, w["staff"], held["id"], "moderate", {"publish": True})
    assert act(client, w["steward"], held["id"], "follow")["followers"] == 1


def test_a_follower_asking_again_after_it_was_held_changes_nothing(client, w):
    issue = _report(client, w, content="井盖松动")
    act(client, w["neighbour"], issue["id"], "follow")
    act(client, w["staff"], issue["id"], "moderate", {"publish": False, "note": "涉及隐私"})
    again = act(client, w["neighbour"], issue["id"], "follow")
    assert again["followers"] == 1 and again["content"] is None
    assert IssueFollower.select().count() == 1
