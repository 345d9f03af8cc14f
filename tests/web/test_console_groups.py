"""工作群 in the console: a group's page with its last delivery and the members the bot knows,
rename and 停用 (audited), and 发送测试消息 through the outbox (once a minute; not to a
deactivated group) — scoped to the staff's area."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from infra.timeutil import utcnow
from models import ChatGroup, Event, OutboxMessage
from tests.console_world import build, console_login, csrf

KEY = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"


def test_group_page_test_message_and_deactivate(capp):
    w = build(capp)
    c0 = w.d.communities[0]
    group = ChatGroup.create(
        area=c0, name="一社区管家群", webhook_key=KEY, leader_ids=[w.d.stewards[1].id]
    )
    known = w.d.stewards[0]
    known.wecom_userid = "guanjia11"
    known.save()
    client = console_login(capp.test_client(), "secretary1")
    html = client.get(f"/console/groups/{group.id}").get_data(as_text=True)
    assert "还没有消息送达" in html
    members = html.split('id="group-members"')[1].split("</table>")[0]
    assert members.index("管家11") < members.index("管家12")  # the known one first
    assert "认识" in members and "未绑定" in members and "队长" in members
    assert "管家21" not in members  # another community's steward
    token = csrf(client, f"/console/groups/{group.id}")
    url = f"/console/groups/{group.id}/test"
    res = client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "测试消息已排队发送" in res.get_data(as_text=True)
    row = OutboxMessage.get(OutboxMessage.target == KEY)
    assert row.kind == "robot" and "【测试消息】" in row.payload["text"]["content"]
    res = client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "一分钟内已发送过" in res.get_data(as_text=True)
    assert OutboxMessage.select().where(OutboxMessage.target == KEY).count() == 1
    assert Event.select().where(Event.action == "chat_group.test").count() == 1
    # once delivered, the list and the page say when
    OutboxMessage.update(status="sent", sent_at=utcnow()).execute()
    assert "还没有消息送达" not in client.get(f"/console/groups/{group.id}").get_data(True)
    listed = client.get("/console/groups").get_data(as_text=True)
    assert listed.split(f'id="group-{group.id}"')[1].split("</tr>")[0].count("—") == 0
    # rename, then deactivate: no test message to a deactivated group
    client.post(
        f"/console/groups/{group.id}/edit", data={"csrf_token": token, "name": "槐树管家群"}
    )
    assert ChatGroup.get_by_id(group.id).name == "槐树管家群"
    res = client.post(
        f"/console/groups/{group.id}/edit",
        data={"csrf_token": token, "active": "0"},
        follow_redirects=True,
    )
    assert "已停用该群" in res.get_data(as_text=True)
    assert not ChatGroup.get_by_id(group.id).active
    assert Event.select().where(Event.action == "chat_group.update").count() == 2
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=False):
        later = console_login(capp.test_client(), "secretary1")
        res = later.post(
            url, data={"csrf_token": csrf(later, "/console/groups")}, follow_redirects=True
        )
        assert "该群已停用" in res.get_data(as_text=True)
    # the other community's staff: no such group
    other = console_login(capp.test_client(), "secretary2")
    assert other.get(f"/console/groups/{group.id}").status_code == 404
    assert other.post(url, data={"csrf_token": csrf(other, "/console/groups")}).status_code == 404
