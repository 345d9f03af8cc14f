"""The console's people pages (`web.console.people`): who may ask for a steward's bind code or
dismiss them, a group's repair and the outbox's image and retry scoped to the staff's area,
and what the forms accept — a dismissal's reason, a group's name and 停用 / 启用, a repaired
robot's new key, the outbox's status filter and the assessments' period."""

from __future__ import annotations

from core.delivery import groups
from models import Assessment, BindCode, ChatGroup, Event, OutboxMessage, Steward
from tests.console_world import build, console_login, csrf

KEY = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
NEW_KEY = "9f8e7d6c-5b4a-3210-fedc-ba9876543210"


def _staff(capp, username="secretary1"):
    client = console_login(capp.test_client(), username)
    return client, csrf(client, "/console/stewards")


# --- stewards: bind codes and dismissal ---------------------------------------------------------


def test_staff_of_another_community_cannot_get_a_code_for_or_dismiss_this_steward(capp):
    w = build(capp)
    steward = w.d.stewards[0]  # 第1社区's
    codes = BindCode.select().where(BindCode.steward == steward.id).count()
    other, token = _staff(capp, "secretary2")
    res = other.post(f"/console/stewards/{steward.id}/bind-code", data={"csrf_token": token})
    assert res.status_code == 404
    res = other.post(
        f"/console/stewards/{steward.id}/dismiss", data={"csrf_token": token, "reason": "越权"}
    )
    assert res.status_code == 404
    assert Steward.get_by_id(steward.id).active
    assert BindCode.select().where(BindCode.steward == steward.id).count() == codes
    assert Event.select().where(Event.action == "steward.dismiss").count() == 0
    res = other.post("/console/stewards/99999/bind-code", data={"csrf_token": token})
    assert res.status_code == 404


def test_a_dismissed_steward_gets_no_bind_code_and_is_not_dismissed_twice(capp):
    w = build(capp)
    steward = w.d.stewards[1]
    client, token = _staff(capp)
    url = f"/console/stewards/{steward.id}"
    client.post(f"{url}/dismiss", data={"csrf_token": token, "reason": "搬家"})
    assert not Steward.get_by_id(steward.id).active
    res = client.post(f"{url}/bind-code", data={"csrf_token": token, "from": "page"})
    assert res.status_code == 302 and res.headers["Location"] == url
    html = client.get(url).get_data(as_text=True)
    assert f"{steward.name} 已离任，不能发放绑定码" in html
    assert BindCode.select().where(BindCode.steward == steward.id).count() == 0
    res = client.post(f"{url}/dismiss", data={"csrf_token": token, "reason": "再次离任"})
    assert res.status_code == 302 and res.headers["Location"] == "/console/stewards"
    assert "该管家已离任" in client.get("/console/stewards").get_data(as_text=True)
    assert Event.select().where(Event.action == "steward.dismiss").count() == 1


def test_a_dismissal_reason_is_trimmed_cut_at_500_and_blank_is_refused(capp):
    w = build(capp)
    steward = w.d.stewards[1]  # no open issue assigned
    client, token = _staff(capp)
    url = f"/console/stewards/{steward.id}/dismiss"
    res = client.post(url, data={"csrf_token": token, "reason": "   ", "from": "page"})
    assert res.headers["Location"] == f"/console/stewards/{steward.id}"
    assert "请填写离任原因" in client.get("/console/stewards").get_data(as_text=True)
    assert Steward.get_by_id(steward.id).active
    reason = " 调往街道 " + "长" * 600
    res = client.post(url, data={"csrf_token": token, "reason": reason}, follow_redirects=True)
    html = res.get_data(as_text=True)
    assert f"{steward.name} 已离任，权限立即失效" in html and "未办结的诉求" not in html
    event = Event.get(Event.action == "steward.dismiss")
    assert event.data["reason"] == reason.strip()[:500]


def test_a_bind_code_from_the_list_goes_back_to_the_list(capp):
    w = build(capp)
    client, token = _staff(capp)
    html = client.post(
        f"/console/stewards/{w.d.stewards[1].id}/bind-code", data={"csrf_token": token}
    ).get_data(as_text=True)
    assert 'href="/console/stewards"' in html and "返回管家列表" in html


# --- 工作群 ---------------------------------------------------------------------------------------


def test_staff_of_another_community_cannot_see_change_or_repair_this_group(capp):
    w = build(capp)
    group = ChatGroup.create(area=w.d.communities[0], name="一社区管家群", webhook_key=KEY)
    other, token = _staff(capp, "secretary2")
    for path in ("edit", "test", "repaired"):
        res = other.post(
            f"/console/groups/{group.id}/{path}",
            data={"csrf_token": token, "name": "改名", "active": "0", "webhook_key": NEW_KEY},
        )
        assert res.status_code == 404, path
    assert other.get(f"/console/groups/{group.id}").status_code == 404
    stored = ChatGroup.get_by_id(group.id)
    assert (stored.name, stored.active, stored.webhook_key) == ("一社区管家群", True, KEY)
    assert Event.select().where(Event.action.startswith("chat_group.")).count() == 0


def test_a_group_renamed_cut_at_100_and_stopped_then_started_again(capp):
    w = build(capp)
    group = ChatGroup.create(area=w.d.communities[0], name="一社区管家群", webhook_key=KEY)
    client, token = _staff(capp)
    url = f"/console/groups/{group.id}/edit"
    res = client.post(url, data={"csrf_token": token, "name": " 槐" + "树" * 120})
    assert res.headers["Location"] == f"/console/groups/{group.id}"
    html = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "已保存" in html and "已停用该群" not in html  # a rename stops nothing
    assert ChatGroup.get_by_id(group.id).name == ("槐" + "树" * 120)[:100]
    # a blank name keeps the name; an unknown 停用 value changes nothing
    client.post(url, data={"csrf_token": token, "name": "  ", "active": "yes"})
    stored = ChatGroup.get_by_id(group.id)
    assert stored.name == ("槐" + "树" * 120)[:100] and stored.active
    res = client.post(url, data={"csrf_token": token, "active": "0"}, follow_redirects=True)
    assert "已停用该群" in res.get_data(as_text=True)
    assert not ChatGroup.get_by_id(group.id).active
    res = client.post(url, data={"csrf_token": token, "active": "1"}, follow_redirects=True)
    html = res.get_data(as_text=True)
    assert "已保存" in html and "已停用该群" not in html
    assert ChatGroup.get_by_id(group.id).active


def test_a_group_is_registered_with_its_name_trimmed_and_a_wrong_key_named(capp):
    w = build(capp)
    c1 = w.d.communities[0]
    client, token = _staff(capp, "secretary1")
    res = client.post(
        "/console/groups",
        data={"csrf_token": token, "area": str(c1.id), "name": "群", "webhook_key": "bad"},
        follow_redirects=True,
    )
    html = res.get_data(as_text=True)
    assert ChatGroup.select().count() == 0
    assert (
        '<div class="flash error" role="status">'
        "群机器人 webhook key 格式不对，请复制机器人资料页的 webhook 地址（格式不对）</div>"
    ) in html  # the field's reason follows the message
    res = client.post(
        "/console/groups",
        data={
            "csrf_token": token,
            "area": str(c1.id),
            "name": " 槐树管家群 ",
            "webhook_key": KEY,
            "chat_id": "  wrAbc  ",
            "audience": "staff",
        },
        follow_redirects=True,
    )
    assert "已登记该群" in res.get_data(as_text=True)
    group = ChatGroup.get()
    assert (group.name, group.chat_id, group.audience) == ("槐树管家群", "wrAbc", "staff")
    client.post(
        "/console/groups",
        data={"csrf_token": token, "area": str(c1.id), "webhook_key": NEW_KEY, "chat_id": " "},
    )
    second = ChatGroup.get(ChatGroup.webhook_key == NEW_KEY)
    assert second.chat_id is None and second.audience == "stewards"


def test_a_repaired_robot_takes_its_new_key_and_is_named(capp):
    w = build(capp)
    group = ChatGroup.create(area=w.d.communities[0], name="", webhook_key=KEY)
    groups.mark_broken(KEY, "机器人被移出群")
    client, token = _staff(capp)
    url = f"/console/groups/{group.id}/repaired"
    res = client.post(url, data={"csrf_token": token, "webhook_key": NEW_KEY})
    assert res.headers["Location"] == "/console/groups"
    stored = ChatGroup.get_by_id(group.id)
    assert (stored.robot_status, stored.webhook_key) == ("ok", NEW_KEY)
    html = client.get("/console/groups").get_data(as_text=True)
    assert f"“{w.d.communities[0].name}”的机器人已标记为正常" in html
    # a blank key keeps the key
    groups.mark_broken(NEW_KEY, "又被移出")
    client.post(url, data={"csrf_token": token, "webhook_key": "  "})
    stored = ChatGroup.get_by_id(group.id)
    assert (stored.robot_status, stored.webhook_key) == ("ok", NEW_KEY)


# --- 发送记录 -----------------------------------------------------------------------------------


def _message(w, status="dead", **extra):
    return OutboxMessage.create(
        kind="robot",
        target=KEY,
        payload={"msgtype": "text", "text": {"content": "x"}},
        idempotency_key=f"people-{status}",
        area=w.d.communities[0],
        status=status,
        attempts=3,
        **extra,
    )


def test_a_message_that_cannot_be_retried_says_why_and_stays_as_it_was(capp):
    w = build(capp)
    sent = _message(w, status="sent")
    client, token = _staff(capp)
    res = client.post(f"/console/outbox/{sent.id}/retry", data={"csrf_token": token})
    assert res.status_code == 302 and res.headers["Location"] == "/console/outbox"
    html = client.get("/console/outbox").get_data(as_text=True)
    assert (
        '<div class="flash error" role="status">只有发送失败或结果不明的消息可以重新发送</div>'
    ) in html
    assert OutboxMessage.get_by_id(sent.id).status == "sent"
    assert client.post("/console/outbox/99999/retry", data={"csrf_token": token}).status_code == (
        404
    )


def test_the_outbox_lists_failures_by_default_and_any_known_status_when_asked(capp):
    w = build(capp)
    dead = _message(w, status="dead")
    sent = _message(w, status="sent")
    client, _ = _staff(capp)

    def listed(query=""):
        html = client.get(f"/console/outbox{query}").get_data(as_text=True)
        return {m.id for m in (dead, sent) if f'id="outbox-{m.id}"' in html}

    assert listed() == {dead.id}
    assert listed("?status=nonsense") == {dead.id}
    assert listed("?status=sent") == {sent.id}
    assert listed("?status=all") == {dead.id, sent.id}


# --- 考核 ---------------------------------------------------------------------------------------


def test_assessments_show_the_period_asked_for_else_the_latest_with_results(capp):
    build(capp)
    client = console_login(capp.test_client(), "secretary1")
    token = csrf(client, "/console/assessments")
    client.post("/console/assessments", data={"csrf_token": token, "period": "2026Q2"})

    def heading(query=""):
        html = client.get(f"/console/assessments{query}").get_data(as_text=True)
        return html.split('<small class="muted">')[1].split("</small>")[0], html

    # nothing asked: the latest quarter with results, and no complaint about the period
    shown, html = heading()
    assert shown == "2026 年第 2 季度" and 'class="flash error"' not in html
    assert heading("?period=2026Q3")[0] == "2026 年第 3 季度"
    assert heading("?period=%202025q4%20")[0] == "2025 年第 4 季度"
    assert heading("?period=2026")[0] == "2026 年度（季度平均）"
    # a period that is none: said as an error, and the latest with results instead
    shown, html = heading("?period=明年")
    assert shown == "2026 年第 2 季度"
    flash = html.split('<div class="flash error" role="status">')[1].split("</div>")[0]
    assert flash.startswith("期间：") and len(flash) > len("期间：")


def test_only_a_quarter_is_assessed_not_a_year(capp):
    build(capp)
    client = console_login(capp.test_client(), "secretary1")
    token = csrf(client, "/console/assessments")
    res = client.post("/console/assessments", data={"csrf_token": token, "period": "2026"})
    assert res.headers["Location"] == "/console/assessments?period=2026"
    html = client.get("/console/assessments?period=2026").get_data(as_text=True)
    assert "只能按季度考核；年度结果由各季度汇总" in html
    assert Assessment.select().count() == 0
