"""One-time subscribe consents: recording them, spending exactly one per message, and the
status message reaching the fake WeChat with values that fit the template."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import time_machine

from core.delivery import outbox, subscriptions
from infra.db import db
from models import OutboxMessage, SubscriptionConsent, User
from tests.factories import login, login_staff, make_district, make_staff
from tests.fake_wechat import openid_for

T0 = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
DEV_TEMPLATE = subscriptions.OFFLINE_TEMPLATE


def status_message(user, item_key="issue:12:accept:3", **overrides):
    values = {
        "number": "S2611220001",
        "title": "路灯不亮",
        "status_label": "已受理",
        "note": "管家已接单",
        "when": T0.replace(tzinfo=None),
        "item_key": item_key,
        "area": None,
    }
    values.update(overrides)
    with db.atomic():
        return subscriptions.queue_status_message(user, **values)


# --- the API ---------------------------------------------------------------------------------


def test_post_and_get_subscriptions(client):
    headers = login(client, "王秀英")
    listed = client.get("/api/v1/subscriptions", headers=headers).get_json()
    assert listed == {
        "items": [{"template_id": DEV_TEMPLATE, "purpose": "办理进度通知", "remaining": 0}]
    }
    for expected in (1, 2):
        res = client.post(
            "/api/v1/subscriptions", json={"template_id": DEV_TEMPLATE}, headers=headers
        )
        assert res.status_code == 201, res.get_json()
        assert res.get_json() == {"template_id": DEV_TEMPLATE, "remaining": expected}
    listed = client.get("/api/v1/subscriptions", headers=headers).get_json()
    assert listed["items"][0]["remaining"] == 2


def test_unknown_template_is_refused_in_chinese(client):
    headers = login(client, "王秀英")
    res = client.post("/api/v1/subscriptions", json={"template_id": "tpl_other"}, headers=headers)
    assert res.status_code == 400
    err = res.get_json()["error"]
    assert err["code"] == "unknown_template" and "模板" in err["message"]
    assert "template_id" in err["fields"]
    res = client.post("/api/v1/subscriptions", json={}, headers=headers)
    assert res.status_code == 400 and "template_id" in res.get_json()["error"]["fields"]
    assert SubscriptionConsent.select().count() == 0


def test_subscriptions_need_a_resident(client):
    assert (
        client.post("/api/v1/subscriptions", json={"template_id": DEV_TEMPLATE}).status_code == 401
    )
    d = make_district(communities=1, alleys_per_community=1)
    staff = login_staff(client, make_staff(d.communities[0]))  # a console login has no openid
    res = client.post("/api/v1/subscriptions", json={"template_id": DEV_TEMPLATE}, headers=staff)
    assert res.status_code == 403


def test_consents_are_capped(app):
    user = User.create(openid="dev:囤积")
    for _ in range(subscriptions.MAX_UNUSED_CONSENTS + 3):
        subscriptions.record_consent(user, DEV_TEMPLATE)
    assert subscriptions.remaining(user, DEV_TEMPLATE) == subscriptions.MAX_UNUSED_CONSENTS


def test_online_templates_come_from_configuration(online_app):
    user = User.create(openid=openid_for("a"))
    assert subscriptions.templates() == {}  # nothing configured: nothing to ask for
    assert status_message(user) is None
    online_app.config["SUBSCRIBE_TEMPLATE_STATUS"] = "tpl_status"
    assert list(subscriptions.templates()) == ["tpl_status"]


# --- one consent = one message ------------------------------------------------------------------


def test_no_consent_nothing_queued(app):
    user = User.create(openid="dev:王秀英")
    assert status_message(user) is None
    assert OutboxMessage.select().count() == 0


def test_one_consent_one_message(app):
    user = User.create(openid="dev:王秀英")
    subscriptions.record_consent(user, DEV_TEMPLATE)
    row = status_message(user, "issue:12:accept:3")
    assert row is not None and row.idempotency_key == "subscribe:issue:12:accept:3"
    assert row.kind == "subscribe" and row.target == "dev:王秀英"
    # the second status change finds no consent left: nothing queued, nothing fails
    assert status_message(user, "issue:12:resolve:4") is None
    assert OutboxMessage.select().count() == 1
    assert subscriptions.remaining(user, DEV_TEMPLATE) == 0


def test_same_change_twice_spends_one_consent(app):
    user = User.create(openid="dev:王秀英")
    for _ in range(2):
        subscriptions.record_consent(user, DEV_TEMPLATE)
    first = status_message(user, "issue:12:accept:3")
    again = status_message(user, "issue:12:accept:3")
    assert again.id == first.id
    assert subscriptions.remaining(user, DEV_TEMPLATE) == 1


def test_user_without_openid_gets_nothing(app):
    user = User.create(nickname="网页用户")
    assert status_message(user) is None
    assert status_message(None) is None


def test_a_rolled_back_change_keeps_its_consent(app):
    user = User.create(openid="dev:王秀英")
    subscriptions.record_consent(user, DEV_TEMPLATE)

    class Boom(Exception):
        pass

    try:
        with db.atomic():
            subscriptions.queue_status_message(
                user,
                number="S1",
                title="t",
                status_label="已受理",
                note="n",
                when=T0.replace(tzinfo=None),
                item_key="issue:1:accept:1",
                area=None,
            )
            raise Boom
    except Boom:
        pass
    assert OutboxMessage.select().count() == 0
    assert subscriptions.remaining(user, DEV_TEMPLATE) == 1


def test_racing_spenders_use_one_consent_once(app):
    user = User.create(openid="dev:王秀英")
    subscriptions.record_consent(user, DEV_TEMPLATE)
    barrier = threading.Barrier(4)
    results = []

    def spend():
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                barrier.wait(5)
                results.append(subscriptions.use_consent(user, DEV_TEMPLATE))
            finally:
                db.close()

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [False, False, False, True]


# --- the message itself -------------------------------------------------------------------------


def test_status_message_body_and_delivery_through_the_fake(online_app, fake_wechat):
    online_app.config["SUBSCRIBE_TEMPLATE_STATUS"] = "tpl_status"
    user = User.create(openid=openid_for("王秀英"))
    subscriptions.record_consent(user, "tpl_status")
    with time_machine.travel(T0, tick=False):
        row = status_message(
            user,
            "issue:12:accept:3",
            title="三号楼北侧路灯已经连续坏了一个多星期，晚上出行很不方便",
            status_label="已受理 ✓",
            note="",
        )
        assert outbox.deliver_due()["sent"] == 1
    body = row.payload
    assert body["touser"] == user.openid and body["template_id"] == "tpl_status"
    assert body["page"] == "pages/item/item?id=12&type=issue"
    assert body["miniprogram_state"] == "formal"
    data = {k: v["value"] for k, v in body["data"].items()}
    assert data == {
        "character_string1": "S2611220001",
        "thing2": "三号楼北侧路灯已经连续坏了一个多星期，…",
        "phrase3": "已受理",
        "time4": "2026年11月22日 09:30",
        "thing5": "无",
    }
    assert len(data["thing2"]) == 20
    (sent,) = fake_wechat.subscribe_sent  # the fake checks every value against its key type
    assert sent["body"] == body


def test_caller_chooses_the_page_query(app):
    user = User.create(openid="dev:王秀英")
    subscriptions.record_consent(user, DEV_TEMPLATE)
    row = status_message(user, "wish:5:approve:2", page_query="id=5&type=wish&tab=timeline")
    assert row.payload["page"] == "pages/item/item?id=5&type=wish&tab=timeline"


def test_fit_value_follows_the_key_type():
    assert subscriptions.fit_value("thing9", "一" * 25) == "一" * 19 + "…"
    assert subscriptions.fit_value("thing9", "换\n行") == "换 行"
    assert subscriptions.fit_value("phrase1", "办结 done") == "办结"
    assert subscriptions.fit_value("phrase1", "abc") == "已更新"
    assert subscriptions.fit_value("character_string3", "编号S12") == "S12"
    assert subscriptions.fit_value("character_string3", "x" * 40) == "x" * 32
    assert subscriptions.fit_value("name1", "欧阳" * 6) == "欧阳欧阳欧阳欧阳欧…"
