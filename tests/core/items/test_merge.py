"""Merging a duplicate report into the open item it repeats: the duplicate closes as 重复 with a
pointer, its reporter follows the original and is told, both trails say it and name the staff
member. And what is refused with nothing written: into itself, a closed or held item, another
community's, by a steward, an item no longer open, an unknown one; two merges at once."""

from __future__ import annotations

import threading

import pytest

from core.people import auth
from models import Event, Issue, IssueFollower, OutboxMessage
from tests.bot.clients import report as bot_report
from tests.bot.fixtures import bot_app, chat  # noqa: F401 (fixtures)
from tests.console_world import console_login, csrf
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"


@pytest.fixture
def w(client):
    d = make_district()
    world = {
        "d": d,
        "first": login(client, "张大妈"),
        "second": login(client, "李大爷"),
        "steward": login_steward(client, d.stewards[0]),
        "staff": login_staff(client, make_staff(d.communities[0], username="zhangsan")),
        "street": login_staff(client, make_staff(d.street, role="admin", username="jiedao")),
    }
    for who in ("first", "second"):
        consent = {"template_id": "tpl_dev_status"}
        client.post(f"{API}/subscriptions", json=consent, headers=world[who])
    return world


def post(client, headers, path, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, (path, res.get_json())
    return res.get_json()


def report(client, w, who="first", alley=0, content="3号楼路灯不亮") -> int:
    body = {"board_code": w["d"].boards[alley].code, "category": "设施损坏", "content": content}
    return post(client, w[who], "/issues", body, status=201)["id"]


def nothing_written(issue_ids, before_events: int) -> None:
    assert Event.select().count() == before_events
    for i in issue_ids:
        assert Issue.get_by_id(i).outcome is None
    assert IssueFollower.select().count() == 0


def test_a_duplicate_is_merged_its_reporter_follows_the_original_and_is_told(client, w):
    original = report(client, w)
    dup = report(client, w, who="second", alley=1, content="楼下路灯坏了好几天")
    out = post(client, w["staff"], f"/issues/{dup}/merge", {"into": original, "note": "同一盏灯"})
    assert (out["status"], out["outcome"], out["duplicate_of"]) == ("closed", "duplicate", original)
    assert out["close_reason"] == "merged" and out["resolved_at"] is None

    # the duplicate's reporter reads it in plain words, and now follows the original
    seen = client.get(f"{API}/issues/{dup}", headers=w["second"]).get_json()
    assert seen["outcome_label"] == f"与 #{original} 重复，已合并"
    mine = client.get(f"{API}/issues?scope=mine", headers=w["second"]).get_json()
    assert {i["id"] for i in mine["items"]} == {original, dup}
    followed = client.get(f"{API}/issues/{original}", headers=w["second"]).get_json()
    assert followed["is_following"] is True and followed["followers"] == 1

    # and is told by subscribe message, which opens the original
    (message,) = OutboxMessage.select().where(
        (OutboxMessage.kind == "subscribe")
        & OutboxMessage.idempotency_key.startswith(f"subscribe:issue:{dup}:merge:")
    )
    words = " ".join(v["value"] for v in message.payload["data"].values())
    assert f"与 #{original} 重复，已合并" in words and "已合并" in words
    assert message.payload["page"].endswith(f"id={original}")

    # a line on each trail, naming the staff member
    (on_dup,) = [e for e in Event.for_subject("issue", dup) if e.action == "issue.merge"]
    assert (on_dup.actor_label, on_dup.data["into"]) == ("zhangsan", original)
    (on_orig,) = [e for e in Event.for_subject("issue", original) if e.action == "issue.merge_in"]
    assert (on_orig.actor_label, on_orig.data["from"]) == ("zhangsan", dup)
    staff_view = client.get(f"{API}/issues/{original}", headers=w["staff"]).get_json()
    assert any(e["label"] == f"合并重复诉求 #{dup}" for e in staff_view["timeline"])
    assert any(e["label"] == f"合并到 #{original}" for e in seen["timeline"])
    # the original goes on as before; the duplicate cannot be acted on any more
    post(client, w["steward"], f"/issues/{original}/accept")
    post(client, w["staff"], f"/issues/{dup}/accept", status=409)


def test_merge_is_offered_to_staff_on_open_items_only(client, w):
    original = report(client, w)
    dup = report(client, w, who="second")
    staff = client.get(f"{API}/issues/{dup}", headers=w["staff"]).get_json()
    steward = client.get(f"{API}/issues/{dup}", headers=w["steward"]).get_json()
    assert "merge" in staff["actions"] and "merge" not in steward["actions"]
    post(client, w["staff"], f"/issues/{dup}/merge", {"into": original})
    after = client.get(f"{API}/issues/{dup}", headers=w["staff"]).get_json()
    assert "merge" not in after["actions"]


def test_resolve_with_outcome_duplicate_merges(client, w):
    original = report(client, w)
    dup = report(client, w, who="second")
    body = {"note": "同一问题", "outcome": "duplicate", "into": original}
    out = post(client, w["staff"], f"/issues/{dup}/resolve", body)
    assert (out["outcome"], out["duplicate_of"]) == ("duplicate", original)
    assert IssueFollower.get(IssueFollower.issue == original).user_id is not None


def test_merging_into_itself_is_refused(client, w):
    dup = report(client, w)
    before = Event.select().count()
    err = post(client, w["staff"], f"/issues/{dup}/merge", {"into": dup}, 400)["error"]
    assert "into" in err["fields"] and "自己" in err["message"]
    nothing_written([dup], before)


def test_merging_into_a_closed_item_is_refused(client, w):
    original = report(client, w)
    post(client, w["steward"], f"/issues/{original}/resolve", {"note": "已修好"})
    dup = report(client, w, who="second")
    before = Event.select().count()
    err = post(client, w["staff"], f"/issues/{dup}/merge", {"into": original}, 400)["error"]
    assert "into" in err["fields"] and "已办结" in err["message"]
    assert Event.select().count() == before
    assert Issue.get_by_id(dup).status == "submitted"


def test_merging_into_a_held_item_is_refused(client, w):
    original = report(client, w)
    Issue.update(visibility="held").where(Issue.id == original).execute()
    dup = report(client, w, who="second")
    before = Event.select().count()
    err = post(client, w["staff"], f"/issues/{dup}/merge", {"into": original}, 400)["error"]
    assert "into" in err["fields"] and "待审核" in err["message"]
    nothing_written([dup], before)


def test_merging_across_communities_is_refused(client, w):
    original = report(client, w, alley=2)  # the second community
    dup = report(client, w, who="second")
    before = Event.select().count()
    err = post(client, w["street"], f"/issues/{dup}/merge", {"into": original}, 400)["error"]
    assert "into" in err["fields"] and "同一社区" in err["message"]
    nothing_written([dup], before)
    # a community's staff cannot even see the other community's item
    err = post(client, w["staff"], f"/issues/{dup}/merge", {"into": original}, 404)["error"]
    assert "into" in err["fields"]
    nothing_written([dup], before)


def test_an_unknown_original_or_a_steward_or_a_closed_duplicate_is_refused(client, w):
    original = report(client, w)
    dup = report(client, w, who="second")
    before = Event.select().count()
    err = post(client, w["staff"], f"/issues/{dup}/merge", {"into": 999999}, 404)["error"]
    assert "into" in err["fields"]
    err = post(client, w["staff"], f"/issues/{dup}/merge", {}, 400)["error"]
    assert "into" in err["fields"]
    post(client, w["steward"], f"/issues/{dup}/merge", {"into": original}, 403)
    nothing_written([dup, original], before)
    post(client, w["second"], f"/issues/{dup}/cancel", {})
    err = post(client, w["staff"], f"/issues/{dup}/merge", {"into": original}, 409)["error"]
    assert err["code"] == "invalid_transition"


def test_two_staff_merging_at_once_one_wins(app, w):
    client = app.test_client()
    original = report(client, w)
    dup = report(client, w, who="second")
    other_staff = login_staff(client, make_staff(w["d"].communities[0], username="lisi"))
    results = []

    def merge(headers):
        with app.test_client() as own:
            res = own.post(f"{API}/issues/{dup}/merge", json={"into": original}, headers=headers)
            results.append(res.status_code)

    threads = [threading.Thread(target=merge, args=(h,)) for h in (w["staff"], other_staff)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    merges = [e for e in Event.for_subject("issue", dup) if e.action == "issue.merge"]
    assert len(merges) == 1
    assert IssueFollower.select().where(IssueFollower.issue == original).count() == 1


def test_the_console_merges_and_says_why_it_cannot(client, w):
    original = report(client, w)
    dup = report(client, w, who="second")
    console_login(client, "zhangsan")
    url = f"/console/issues/{dup}"
    page = client.get(url).get_data(as_text=True)
    assert "合并重复诉求" in page and 'name="into"' in page
    token = csrf(client, url)
    itself = client.post(f"{url}/merge", data={"csrf_token": token, "into": str(dup)})
    assert itself.status_code == 302
    shown = client.get(url).get_data(as_text=True)
    assert "未能合并" in shown and "自己" in shown
    assert Issue.get_by_id(dup).status == "submitted"

    done = client.post(
        f"{url}/merge", data={"csrf_token": token, "into": str(original)}, follow_redirects=True
    ).get_data(as_text=True)
    assert f"已合并到 #{original}" in done
    assert f'与 <a href="/console/issues/{original}">#{original}</a> 重复，已合并' in done
    assert Issue.get_by_id(dup).duplicate_of_id == original
    (line,) = [e for e in Event.for_subject("issue", dup) if e.action == "issue.merge"]
    assert line.actor_label == "zhangsan"


# --- the group bot ---------------------------------------------------------------------------


def test_staff_merge_in_the_chat(chat, bot_app):  # noqa: F811
    d = make_district()
    staff = make_staff(d.communities[0])
    code, _ = auth.issue_bind_code(staff=staff, issued_by="test")
    assert chat.say("wx_staff", f"绑定 {code}").startswith("绑定成功")
    original = bot_report(d.alleys[0], content="路灯不亮").id
    dup = bot_report(d.alleys[1], content="路灯坏了").id
    itself = chat.say("wx_staff", f"合并 {dup} 到 {dup}")
    assert itself.startswith("未能合并：不能把诉求合并到它自己")
    assert chat.say("wx_staff", f"合并 {dup}").startswith("未能合并：请写上诉求编号")
    reply = chat.say("wx_staff", f"合并 {dup} 到 #{original} 同一盏灯")
    assert reply.startswith(f"已把 #{dup} 合并到 #{original} 1区1巷：路灯不亮")
    issue = Issue.get_by_id(dup)
    assert (issue.outcome, issue.duplicate_of_id) == ("duplicate", original)
    (line,) = [e for e in Event.for_subject("issue", dup) if e.action == "issue.merge"]
    assert line.data["note"] == "同一盏灯"


def test_the_boards_rate_counts_a_merged_duplicate_once(client, w):
    original = report(client, w)
    dup = report(client, w, who="second")
    report(client, w, content="另一件，还没办")
    post(client, w["staff"], f"/issues/{dup}/merge", {"into": original})
    post(client, w["steward"], f"/issues/{original}/resolve", {"note": "已修好"})
    board = client.get(f"{API}/boards/{w['d'].boards[0].code}").get_json()
    # the original done, the other open; the duplicate is neither
    assert board["figures"]["resolution_rate"] == 0.5
