"""常用回复: a community's reply templates, kept by its staff (API and console), audited, and
offered to whoever closes its items (`GET /reply-templates`) — never to a resident, never
another community's to change."""

from __future__ import annotations

import pytest

from models import Event, ReplyTemplate
from tests.console_world import console_login, csrf
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"


@pytest.fixture
def w(client):
    d = make_district()
    return {
        "d": d,
        "c1": d.communities[0].id,
        "c2": d.communities[1].id,
        "staff": login_staff(client, make_staff(d.communities[0], username="zhangsan")),
        "other": login_staff(client, make_staff(d.communities[1], username="lisi")),
        "steward": login_steward(client, d.stewards[0]),
        "resident": login(client, "张大妈"),
    }


def call(client, method, headers, path, body=None, status=200, **query):
    res = client.open(f"{API}{path}", method=method, json=body, headers=headers, query_string=query)
    assert res.status_code == status, (path, res.get_json())
    return res.get_json()


def trail(action: str) -> list[Event]:
    return list(Event.select().where(Event.action == f"reply_template.{action}"))


def test_staff_keep_their_communitys_templates_and_every_change_is_audited(client, w):
    body = {"community_id": w["c1"], "title": "已清理", "text": "已安排保洁清理完毕"}
    made = call(client, "POST", w["staff"], "/reply-templates", body, 201)
    assert (made["title"], made["outcome"], made["community_id"]) == ("已清理", None, w["c1"])
    (created,) = trail("create")
    assert (created.actor_label, created.data["text"]) == ("zhangsan", "已安排保洁清理完毕")

    patch = {"text": "已安排保洁清理完毕，感谢反映", "outcome": "solved"}
    changed = call(client, "PATCH", w["staff"], f"/reply-templates/{made['id']}", patch)
    assert (changed["title"], changed["text"]) == ("已清理", "已安排保洁清理完毕，感谢反映")
    assert changed["outcome_name"] == "已解决"
    (updated,) = trail("update")
    assert updated.data["before"]["text"] == "已安排保洁清理完毕"
    assert updated.actor_label == "zhangsan"

    listed = call(client, "GET", w["staff"], "/reply-templates")["items"]
    assert [t["id"] for t in listed] == [made["id"]]

    call(client, "DELETE", w["staff"], f"/reply-templates/{made['id']}")
    assert ReplyTemplate.select().count() == 0
    (deleted,) = trail("delete")
    assert (deleted.actor_label, deleted.data["title"]) == ("zhangsan", "已清理")


def test_another_community_neither_reads_nor_changes_them(client, w):
    body = {"community_id": w["c1"], "title": "已清理", "text": "已安排保洁清理完毕"}
    made = call(client, "POST", w["staff"], "/reply-templates", body, 201)
    call(client, "PATCH", w["other"], f"/reply-templates/{made['id']}", {"text": "改"}, 404)
    call(client, "DELETE", w["other"], f"/reply-templates/{made['id']}", status=404)
    call(client, "GET", w["other"], "/reply-templates", status=403, community_id=w["c1"])
    assert call(client, "GET", w["other"], "/reply-templates")["items"] == []
    into_other = {**body, "community_id": w["c1"]}
    call(client, "POST", w["other"], "/reply-templates", into_other, 403)
    assert ReplyTemplate.get_by_id(made["id"]).text == "已安排保洁清理完毕"
    assert len(trail("create")) == 1 and not trail("update") and not trail("delete")


def test_whoever_closes_an_item_is_offered_its_communitys_templates(client, w):
    for community, title in ((w["c1"], "一社区的"), (w["c2"], "二社区的")):
        ReplyTemplate.create(community=community, title=title, text="……")
    board = w["d"].boards[0].code
    issue = {"board_code": board, "category": "环境卫生", "content": "垃圾"}
    issue_id = call(client, "POST", w["resident"], "/issues", issue, 201)["id"]
    for who in ("steward", "staff"):
        offered = call(client, "GET", w[who], "/reply-templates", issue_id=issue_id)["items"]
        assert [t["title"] for t in offered] == ["一社区的"], who
    mine = call(client, "GET", w["steward"], "/reply-templates")["items"]
    assert [t["title"] for t in mine] == ["一社区的"]
    # the resident who reported it is not one who closes it
    call(client, "GET", w["resident"], "/reply-templates", status=403, issue_id=issue_id)
    call(
        client,
        "POST",
        w["steward"],
        "/reply-templates",
        {"community_id": w["c1"], "title": "x", "text": "y"},
        403,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "", "text": "内容"}, "title"),
        ({"title": "标题", "text": "   "}, "text"),
        ({"title": "标题" * 30, "text": "内容"}, "title"),
        ({"title": "标题", "text": "内容", "outcome": "duplicate"}, "outcome"),
        ({"title": "标题", "text": "内容", "outcome": "whatever"}, "outcome"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(client, w, body, field):
    err = call(
        client, "POST", w["staff"], "/reply-templates", {"community_id": w["c1"], **body}, 400
    )
    assert field in err["error"]["fields"]
    assert ReplyTemplate.select().count() == 0 and not trail("create")


def test_the_console_adds_edits_and_deletes_them(client, w):
    console_login(client, "zhangsan")
    token = csrf(client, "/console/reply-templates")
    form = {
        "csrf_token": token,
        "community": str(w["c1"]),
        "title": "转交供电",
        "text": "已转供电公司",
    }
    page = client.post(
        "/console/reply-templates", data={**form, "outcome": "not_ours"}, follow_redirects=True
    )
    assert "已添加常用回复“转交供电”" in page.get_data(as_text=True)
    t = ReplyTemplate.get()
    assert (t.community_id, t.outcome) == (w["c1"], "not_ours")

    empty = client.post(
        "/console/reply-templates", data={**form, "title": ""}, follow_redirects=True
    )
    assert "请填写标题" in empty.get_data(as_text=True) and ReplyTemplate.select().count() == 1
    merged = {**form, "title": "重复", "outcome": "duplicate"}
    refused = client.post("/console/reply-templates", data=merged, follow_redirects=True)
    assert "适用的办结结果有误" in refused.get_data(as_text=True)
    assert ReplyTemplate.select().count() == 1

    edit = client.get(f"/console/reply-templates?edit={t.id}").get_data(as_text=True)
    assert 'value="转交供电"' in edit
    changed = {
        "csrf_token": token,
        "title": "转交供电公司",
        "text": "已转供电公司抢修",
        "outcome": "",
    }
    client.post(f"/console/reply-templates/{t.id}", data=changed)
    t = ReplyTemplate.get_by_id(t.id)
    assert (t.title, t.text, t.outcome) == ("转交供电公司", "已转供电公司抢修", None)

    client.post(f"/console/reply-templates/{t.id}", data={"csrf_token": token, "delete": "1"})
    assert ReplyTemplate.select().count() == 0
    assert [
        e.actor_label for e in Event.select().where(Event.action.startswith("reply_template."))
    ] == ["zhangsan"] * 3


def test_the_console_of_another_community_cannot_touch_them(client, w):
    t = ReplyTemplate.create(community=w["c1"], title="已清理", text="已清理完毕")
    console_login(client, "lisi")
    token = csrf(client, "/console/reply-templates")
    assert "已清理完毕" not in client.get("/console/reply-templates").get_data(as_text=True)
    res = client.post(f"/console/reply-templates/{t.id}", data={"csrf_token": token, "delete": "1"})
    assert res.status_code == 404
    add = {"csrf_token": token, "community": str(w["c1"]), "title": "x", "text": "y"}
    client.post("/console/reply-templates", data=add)
    assert ReplyTemplate.select().count() == 1
