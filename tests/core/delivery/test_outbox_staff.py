"""The outbox as staff and operators meet it: dead letters listed in scope and retried (who and
what recorded), uncertain rows retried by hand, the staff API and its paging, offline mode and
`/dev/outbox`."""

from __future__ import annotations

from datetime import datetime, timedelta

import time_machine

from core.delivery import outbox
from core.people.permissions import Principal
from infra.timeutil import utcnow
from models import Area, Event, OutboxMessage
from tests.core.delivery.outbox_world import (
    NOTHING,
    SEND_PATH,
    T0,
    TEMPLATE,
    fresh,
    queue,
)
from tests.factories import login, login_staff, make_district, make_staff

# --- staff: dead letters and retry ---------------------------------------------------------------


def test_the_dashboards_dead_letter_count_is_each_viewers_and_each_areas(online_app, fake_wechat):
    """The 首页's 发送失败的消息 (`outbox.count_within`) runs a statement compiled once per
    shape of the viewer's scope: each viewer and area in turn gets its own count, the same as
    `query_for` filtered there (a message without an area is in no area's count)."""
    d = make_district()
    rows = [
        *queue(1, "a", area=d.alleys[0]),
        *queue(2, "b", area=d.alleys[2]),
        *queue(1, "n"),  # no area
    ]
    for row in rows:
        fake_wechat.subscribe_quota[(row.target, TEMPLATE)] = 0
    assert outbox.deliver_due()["dead"] == 4
    queue(1, "pending", area=d.alleys[0])  # waiting, not dead
    first, second = (Principal.for_user(make_staff(c).user) for c in d.communities)
    admin = Principal.for_user(make_staff(d.street, role="admin").user)
    cases = (
        (first, d.communities[0], 1),
        (second, d.communities[1], 2),
        (first, d.communities[0], 1),
        (first, d.communities[1], 0),  # not theirs
        (admin, d.communities[1], 2),
        (admin, d.street, 3),
        (Principal.anonymous(), d.street, 0),
    )
    for p, area, expected in cases:
        dead = outbox.query_for(p, status="dead").where(Area.path.startswith(area.path))
        assert outbox.count_within(p, area, "dead") == dead.count() == expected
    assert outbox.count_within(first, d.communities[0], "pending") == 1


def test_staff_list_dead_letters_in_scope_and_retry_them(online_app, fake_wechat):
    client = online_app.test_client()
    d = make_district()
    staff = login_staff(client, make_staff(d.communities[0]))
    admin = login_staff(client, make_staff(d.street, role="admin"))
    mine = queue(1, "mine", area=d.alleys[0])[0]
    theirs = queue(1, "theirs", area=d.alleys[2])[0]  # another community
    nobody = queue(1, "nobody")[0]  # no area: admins only
    for row in (mine, theirs, nobody):
        fake_wechat.subscribe_quota[(row.target, TEMPLATE)] = 0
    assert outbox.deliver_due()["dead"] == 3

    res = client.get("/api/v1/outbox?status=dead", headers=staff)
    assert res.status_code == 200, res.get_json()
    page = res.get_json()
    assert (page["total"], page["page"], page["per_page"]) == (1, 1, 20)
    (item,) = page["items"]
    assert item["id"] == mine.id and item["status"] == "dead" and item["attempts"] == 1
    assert item["target"] == mine.target[:4] + "…"
    assert "43101" in item["last_error"]
    assert item["created_at"].endswith("+08:00")
    admin_ids = {i["id"] for i in client.get("/api/v1/outbox", headers=admin).get_json()["items"]}
    assert admin_ids == {mine.id, theirs.id, nobody.id}
    assert client.get("/api/v1/outbox?status=sent", headers=staff).get_json()["total"] == 0
    assert client.get("/api/v1/outbox?status=nope", headers=staff).status_code == 400

    # out of scope looks like it does not exist
    assert client.post(f"/api/v1/outbox/{theirs.id}/retry", headers=staff).status_code == 404
    assert client.post(f"/api/v1/outbox/{nobody.id}/retry", headers=staff).status_code == 404

    del fake_wechat.subscribe_quota[(mine.target, TEMPLATE)]  # the resident subscribed again
    res = client.post(f"/api/v1/outbox/{mine.id}/retry", headers=staff)
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["status"] == "pending" and res.get_json()["attempts"] == 0
    event = Event.get(Event.action == "outbox.retry")
    assert event.subject_id == mine.id and event.data["from"] == "dead"
    assert outbox.deliver_due() == {**NOTHING, "sent": 1}
    assert fresh(mine).status == "sent"
    assert [m["body"]["touser"] for m in fake_wechat.subscribe_sent] == [mine.target]

    res = client.post(f"/api/v1/outbox/{mine.id}/retry", headers=staff)
    assert res.status_code == 409
    assert res.get_json()["error"]["code"] == "invalid_transition"


def test_a_street_admin_sees_its_street_and_unplaced_rows_not_another_streets(app, client):
    """An admin's scope is two conditions (their street, and rows with no area): joined with
    OR, neither may widen into every street's rows."""
    d = make_district()
    other = make_district(street_name="别的街道")
    admin = login_staff(client, make_staff(d.street, role="admin"))
    ours = queue(1, "ours", area=d.alleys[3])[0]
    nobody = queue(1, "nobody")[0]
    queue(1, "theirs", area=other.alleys[0])
    listed = client.get("/api/v1/outbox?per_page=100", headers=admin).get_json()
    assert sorted(i["id"] for i in listed["items"]) == [ours.id, nobody.id]
    assert listed["total"] == 2


def test_uncertain_rows_can_be_retried_by_staff(online_app, fake_wechat):
    client = online_app.test_client()
    d = make_district()
    staff = login_staff(client, make_staff(d.communities[0]))
    (row,) = queue(1, area=d.alleys[0])
    OutboxMessage.update(status="uncertain", attempts=1).where(OutboxMessage.id == row.id).execute()
    listed = client.get("/api/v1/outbox?status=uncertain", headers=staff).get_json()
    assert [i["id"] for i in listed["items"]] == [row.id]
    assert client.post(f"/api/v1/outbox/{row.id}/retry", headers=staff).status_code == 200
    assert outbox.deliver_due()["sent"] == 1


def test_outbox_api_is_for_staff_only(app, client):
    headers = login(client, "居民")
    assert client.get("/api/v1/outbox", headers=headers).status_code == 403
    assert client.get("/api/v1/outbox").status_code == 401


def test_outbox_pagination(app, client):
    d = make_district()
    staff = login_staff(client, make_staff(d.communities[0]))
    with time_machine.travel(T0, tick=False) as clock:
        for i in range(5):
            queue(1, f"p{i}", area=d.alleys[1])
            clock.shift(timedelta(minutes=1))
    page = client.get("/api/v1/outbox?page=2&per_page=2", headers=staff).get_json()
    assert page["total"] == 5 and len(page["items"]) == 2
    assert page["items"][0]["created_at"] == "2026-11-22T09:02:00+08:00"  # newest first


# --- offline mode -------------------------------------------------------------------------------


def test_offline_mode_marks_rows_sent_without_calling_wechat(app, client, runner):
    with time_machine.travel(T0, tick=False):
        (row,) = queue(1)
        result = runner.invoke(args=["outbox", "--once"])
    assert result.exit_code == 0, result.output
    assert "已发送 1 条" in result.output
    row = fresh(row)
    assert row.status == "sent" and row.result == {"offline": True}
    assert row.sent_at == T0.replace(tzinfo=None)

    page = client.get("/dev/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "离线演示模式" in html and "外发消息" in html
    assert row.target in html and "管家已接单，请耐心等待" in html and "已发送" in html


def test_dev_outbox_is_offline_only(online_app):
    assert online_app.test_client().get("/dev/outbox").status_code == 404


def test_outbox_once_also_sends_messages_waiting_for_a_retry(online_app, fake_wechat):
    runner = online_app.test_cli_runner()
    with time_machine.travel(T0, tick=False):
        (row,) = queue(1)
        fake_wechat.fail_next(SEND_PATH, -1)
        assert outbox.deliver_due()["retry"] == 1
        assert fresh(row).next_attempt_at > T0.replace(tzinfo=None)  # backing off
        assert outbox.deliver_due() == NOTHING  # the scheduler's pass waits for it
        result = runner.invoke(args=["outbox", "--once"])
    assert result.exit_code == 0, result.output
    assert "已发送 1 条" in result.output
    assert fresh(row).status == "sent" and len(fake_wechat.subscribe_sent) == 1


def test_retry_resets_the_row_and_records_who_and_what(app, client):
    d = make_district(communities=1, alleys_per_community=1)
    account = make_staff(d.communities[0])
    staff = login_staff(client, account)
    with time_machine.travel(T0, tick=False) as clock:
        row = outbox.enqueue(
            "robot", "robot-key", {"text": "早报"}, key="retry:1", area=d.alleys[0]
        )
        OutboxMessage.update(
            status="dead",
            attempts=8,
            last_error="已尝试 8 次仍失败",
            lease_until=utcnow(),
            next_attempt_at=utcnow(),
        ).where(OutboxMessage.id == row.id).execute()
        clock.shift(timedelta(hours=3))
        res = client.post(f"/api/v1/outbox/{row.id}/retry", headers=staff)
        assert res.status_code == 200, res.get_json()
        row = fresh(row)
        assert (row.status, row.attempts, row.lease_until, row.last_error) == (
            "pending",
            0,
            None,
            None,
        )
        assert row.next_attempt_at == utcnow()  # due at once, not at the old time
        ev = Event.select().where(Event.action == "outbox.retry").get()
        assert (ev.subject_type, ev.subject_id, ev.area_id) == ("outbox", row.id, d.alleys[0].id)
        assert ev.actor_id == account.user_id
        assert ev.data == {"from": "dead", "attempts": 8, "last_error": "已尝试 8 次仍失败"}
        again = client.post(f"/api/v1/outbox/{row.id}/retry", headers=staff)
        assert again.status_code == 409
        assert again.get_json()["error"]["message"] == "只有发送失败或结果不明的消息可以重新发送"
        missing = client.post("/api/v1/outbox/999999/retry", headers=staff)
        assert missing.status_code == 404
        assert missing.get_json()["error"]["message"] == "找不到该消息，或它不在您的管辖范围内"


def test_outbox_list_is_newest_first_by_creation_then_id(app, client):
    d = make_district(communities=1, alleys_per_community=1)
    staff = login_staff(client, make_staff(d.communities[0]))
    base = datetime(2026, 11, 22, 1, 0)
    rows = [
        OutboxMessage.create(
            kind="robot",
            target="robot-key",
            payload={},
            idempotency_key=f"order:{i}",
            area=d.alleys[0],
            created_at=created,
        )
        for i, created in enumerate(
            [base, base + timedelta(hours=2), base + timedelta(hours=1), base]
        )
    ]
    listed = client.get("/api/v1/outbox?per_page=100", headers=staff).get_json()
    assert [i["id"] for i in listed["items"]] == [rows[1].id, rows[2].id, rows[3].id, rows[0].id]
