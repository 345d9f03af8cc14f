"""关怀提醒 over HTTP (issue 32, part 3): staff send a care alert and follow its progress; a
steward reads their own list and answers per household from the mini program. Bad input is a
400 naming the field in Chinese; what is not the caller's is 404; a second 需帮助 is 409."""

from __future__ import annotations

import threading

import pytest

from core.households import cards
from core.people.permissions import Principal
from models import Event, Issue, OutboxMessage, User, Visit
from tests.factories import login_staff, login_steward, make_district, make_staff

API = "/api/v1"


@pytest.fixture
def w(client):
    d = make_district()
    staff = make_staff(d.communities[0])
    p = Principal.for_user(User.get_by_id(staff.user_id))
    for n, (head, tags) in enumerate(
        (("王大爷", ["独居老人"]), ("李奶奶", ["残疾", "低保"]), ("张伯", ["低保"]))
    ):
        cards.create(
            p,
            {
                "alley_id": d.alleys[0].id,
                "steward_id": d.stewards[0].id,
                "address": f"1区1巷{n + 1}号",
                "head_name": head,
                "head_phone": f"1390000000{n}",
                "tags": tags,
            },
        )
    cards.create(
        p,
        {
            "alley_id": d.alleys[1].id,
            "steward_id": d.stewards[1].id,
            "address": "1区2巷1号",
            "head_name": "赵婆婆",
            "tags": ["独居老人"],
        },
    )
    return {
        "d": d,
        "staff": login_staff(client, staff),
        "s0": login_steward(client, d.stewards[0]),
        "s1": login_steward(client, d.stewards[1]),
    }


def body(w, **extra) -> dict:
    return {
        "area_id": w["d"].communities[0].id,
        "kind": "高温",
        "tags": ["独居老人", "残疾"],
        "message": "明天最高 39 度，请提醒防暑",
        **extra,
    }


def send(client, w, **extra) -> dict:
    res = client.post(f"{API}/care-alerts", json=body(w, **extra), headers=w["staff"])
    assert res.status_code == 201, res.get_json()
    return res.get_json()


@pytest.mark.parametrize(
    "extra, field, words",
    [
        ({"kind": "台风"}, "kind", "类型：须为 寒潮、高温、暴雨、停水停电、自定义 之一"),
        ({"tags": []}, "tags", "住户标签"),
        ({"tags": ["独居"]}, "tags", "没有“独居”这个标签"),
        ({"tags": ["特困"]}, "tags", "没有带这些标签的在册住户"),
        ({"kind": "自定义", "message": ""}, "title", "请写明标题或内容"),
        ({"message": "很" * 501}, "message", "500"),
        ({"area_id": "一社区"}, "area_id", "区域"),
    ],
)
def test_a_bad_alert_is_a_400_naming_the_field(client, w, extra, field, words):
    res = client.post(f"{API}/care-alerts", json=body(w, **extra), headers=w["staff"])
    assert res.status_code == 400, res.get_json()
    error = res.get_json()["error"]
    assert field in error["fields"] and words in error["message"], error
    assert OutboxMessage.select().count() == 0


def test_an_area_outside_the_staff_scope_is_not_found(client, w):
    res = client.post(
        f"{API}/care-alerts", json=body(w, area_id=w["d"].communities[1].id), headers=w["staff"]
    )
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "area_not_found"


def test_staff_send_and_follow_an_alert_stewards_answer_from_the_mini_program(client, w):
    alert = send(client, w, kind="自定义", title="燃气检查")
    assert (alert["title"], alert["total"], alert["answered"]) == ("燃气检查", 3, 0)
    assert OutboxMessage.select().where(OutboxMessage.kind == "private").count() == 0  # no ids
    listed = client.get(f"{API}/care-alerts", headers=w["staff"]).get_json()["items"]
    assert [a["id"] for a in listed] == [alert["id"]]

    mine = client.get(f"{API}/care-alerts/mine", headers=w["s0"]).get_json()["items"]
    assert [(h["seq"], h["head_name"], h["status"]) for h in mine[0]["households"]] == [
        (1, "王大爷", "pending"),
        (2, "李奶奶", "pending"),
    ]
    assert Event.get(Event.action == "household.list").data["filters"] == {"care_alerts": "mine"}

    answers = f"{API}/care-alerts/{alert['id']}/answers"
    res = client.post(answers, json={"seq": 1, "result": "visited"}, headers=w["s0"])
    assert res.status_code == 200, res.get_json()
    got = res.get_json()
    assert (got["answered"], got["total"], got["household"]["note"]) == (1, 2, "一切正常")
    res = client.post(answers, json={"seq": 2, "result": "needs_help"}, headers=w["s0"])
    assert res.status_code == 400 and "note" in res.get_json()["error"]["fields"]
    help_body = {"seq": 2, "result": "needs_help", "note": "空调坏了"}
    res = client.post(answers, json=help_body, headers=w["s0"])
    issue = Issue.get_by_id(res.get_json()["household"]["issue_id"])
    assert (issue.status, issue.visibility) == ("escalated", "hidden")
    res = client.post(answers, json=help_body, headers=w["s0"])
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "already_handed_over"
    res = client.post(answers, json={"seq": 9, "result": "contacted"}, headers=w["s0"])
    assert res.status_code == 404 and "第 9 户" in res.get_json()["error"]["message"]
    # another steward's list is not theirs: s1's number 1 is their own household
    res = client.post(answers, json={"seq": 2, "result": "contacted"}, headers=w["s1"])
    assert res.status_code == 404
    assert Visit.select().count() == 2

    progress = client.get(f"{API}/care-alerts/{alert['id']}", headers=w["staff"]).get_json()
    assert (progress["answered"], progress["total"], progress["needs_help"]) == (2, 3, 1)
    by_name = {s["steward"]["name"]: s for s in progress["stewards"]}
    assert by_name[w["d"].stewards[1].name]["outstanding"] == [1]
    assert by_name[w["d"].stewards[0].name]["outstanding"] == []
    assert progress["stewards"][0]["steward"]["id"] == w["d"].stewards[1].id  # waiting first
    # the staff of another community do not see it
    other = login_staff(client, make_staff(w["d"].communities[1]))
    assert client.get(f"{API}/care-alerts/{alert['id']}", headers=other).status_code == 404
    assert client.get(f"{API}/care-alerts", headers=other).get_json()["items"] == []


def test_two_needs_help_at_once_make_one_item(app, client, w):
    """The steward's phone and the mini program on a tablet, both 需帮助 for one household."""
    alert = send(client, w)
    barrier = threading.Barrier(2)
    codes = []

    def call(note):
        with app.app_context():
            c = app.test_client()
            barrier.wait()
            res = c.post(
                f"{API}/care-alerts/{alert['id']}/answers",
                json={"seq": 1, "result": "needs_help", "note": note},
                headers=w["s0"],
            )
            codes.append(res.status_code)

    threads = [threading.Thread(target=call, args=(n,)) for n in ("没有暖气", "需要送药")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(codes) == [200, 409]
    assert Issue.select().where(Issue.category == "助老帮残").count() == 1
    assert Event.select().where(Event.action == "care_alert.answer").count() == 1
