"""Private messages from the WeCom self-built app (`core.delivery.private`): queued in the
outbox as kind `private`, delivered through `cgi-bin/message/send` of the fake WeCom with the
app's token, split to the app's 2,048 bytes, paced at 30 a minute per member, retried or dead
like every row; nothing is queued without an app; offline they are kept at `/dev/outbox`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.delivery import outbox, private
from infra.db import write_transaction
from models import OutboxMessage
from tests.conftest import make_app
from tests.console_world import console_login
from tests.factories import login_staff, make_district, make_staff

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
SEND_PATH = "/cgi-bin/message/send"
NOTHING = {"sent": 0, "retry": 0, "dead": 0, "uncertain": 0, "deferred": 0}


@pytest.fixture
def app_with_wecom(tmp_path, fake_wechat):
    """Online, with the self-built app configured against the fake (agent id as the
    environment gives it: text)."""
    application = make_app(
        tmp_path,
        WECHAT_APPID=fake_wechat.appid,
        WECHAT_SECRET=fake_wechat.secret,
        WECHAT_API_BASE=fake_wechat.base_url,
        WECOM_API_BASE=fake_wechat.base_url,
        WECOM_CORP_ID=fake_wechat.corp_id,
        WECOM_SECRET=fake_wechat.corp_secret,
        WECOM_AGENT_ID=str(fake_wechat.agent_id),
    )
    with application.app_context():
        yield application


def send(userid: str | None, text: str, key: str = "private:test:1") -> bool:
    with write_transaction():
        return private.send_text(userid, text, key)


def rows() -> list[OutboxMessage]:
    return list(OutboxMessage.select().order_by(OutboxMessage.id))


def test_a_private_message_reaches_its_one_recipient(app_with_wecom, fake_wechat):
    assert send("wx_wang", "#12 联系电话：13800001234")
    (row,) = rows()
    assert (row.kind, row.target, row.status) == ("private", "wx_wang", "pending")
    assert outbox.deliver_due() == {**NOTHING, "sent": 1}
    (message,) = fake_wechat.app_messages
    assert message["body"] == {
        "touser": "wx_wang",
        "msgtype": "text",
        "agentid": fake_wechat.agent_id,  # an integer, as WeCom wants it
        "text": {"content": "#12 联系电话：13800001234"},
        "safe": 1,
        "enable_duplicate_check": 1,
        "duplicate_check_interval": 1800,
    }
    assert fake_wechat.corp_token_fetches == 1
    assert OutboxMessage.get_by_id(row.id).result["msgid"] == message["msgid"]
    assert send("wx_wang", "again", key="private:test:1") and len(rows()) == 1  # the key


def test_a_long_text_goes_in_parts_the_app_accepts(app_with_wecom, fake_wechat):
    text = "\n".join(f"第{n}行：" + "很长的说明" * 20 for n in range(20))
    assert send("wx_wang", text)
    parts = rows()
    assert len(parts) > 1
    assert [r.idempotency_key for r in parts] == [
        f"private:test:1:part{n}" for n in range(1, len(parts) + 1)
    ]
    assert all(len(r.payload["text"]["content"].encode()) <= 2048 for r in parts)
    assert "\n".join(r.payload["text"]["content"] for r in parts) == text
    assert outbox.deliver_due()["sent"] == len(parts)


def test_busy_is_retried_and_a_recipient_outside_the_app_is_dead(app_with_wecom, fake_wechat):
    with time_machine.travel(T0, tick=False) as clock:
        send("wx_wang", "你好", key="private:test:busy")
        send("wx_gone", "你好", key="private:test:gone")
        fake_wechat.fail_next(SEND_PATH, -1)
        fake_wechat.fail_next(SEND_PATH, 81013)
        assert outbox.deliver_due() == {**NOTHING, "retry": 1, "dead": 1}
        busy, gone = rows()
        assert busy.status == "pending" and "系统繁忙" in busy.last_error
        assert gone.status == "dead" and "不在应用的可见范围内" in gone.last_error
        clock.shift(timedelta(hours=1))
        assert outbox.deliver_due() == {**NOTHING, "sent": 1}
    assert [m["body"]["touser"] for m in fake_wechat.app_messages] == ["wx_wang"]


def test_a_wrong_app_secret_sends_nothing_and_is_retried(tmp_path, fake_wechat):
    app = make_app(
        tmp_path,
        WECHAT_APPID=fake_wechat.appid,
        WECOM_API_BASE=fake_wechat.base_url,
        WECOM_CORP_ID=fake_wechat.corp_id,
        WECOM_SECRET="not-the-secret",
        WECOM_AGENT_ID=fake_wechat.agent_id,
    )
    with app.app_context():
        send("wx_wang", "你好")
        assert outbox.deliver_due() == {**NOTHING, "retry": 1}
        (row,) = rows()
        assert "获取企业微信 access_token 失败" in row.last_error
    assert fake_wechat.calls_to(SEND_PATH) == []


def test_one_member_gets_at_most_thirty_a_minute(app_with_wecom, fake_wechat):
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(31):
            send("wx_wang", f"第{n}条", key=f"private:test:{n}")
        send("wx_liu", "别人的", key="private:test:other")
        assert outbox.deliver_due() == {**NOTHING, "sent": 31, "deferred": 1}
        clock.shift(timedelta(seconds=61))
        assert outbox.deliver_due() == {**NOTHING, "sent": 1}
    assert len(fake_wechat.app_messages) == 32


def test_without_an_app_or_a_user_id_nothing_is_queued(online_app):
    assert not private.available()  # online, no WECOM_* settings
    assert not send("wx_wang", "你好")
    online_app.config.update(WECOM_CORP_ID="ww", WECOM_SECRET="s", WECOM_AGENT_ID="1000002")
    assert private.available()
    assert not send(None, "你好") and not send("", "你好")
    assert rows() == []


def test_offline_they_are_kept_and_shown_at_dev_outbox(app, client):
    assert private.available()  # offline: every message is only kept
    send("wx_wang", "#12 联系电话：13800001234")
    assert outbox.deliver_due() == {**NOTHING, "sent": 1}
    html = client.get("/dev/outbox").get_data(as_text=True)
    assert "应用私信" in html and "企业微信成员 wx_wang" in html
    assert "#12 联系电话：13800001234" in html


def test_staff_find_private_messages_by_kind(app, client):
    d = make_district()
    staff = make_staff(d.communities[0])
    headers = login_staff(client, staff)
    with write_transaction():
        private.send_text("wx_wang", "你好", "private:test:mine", area=d.alleys[0])
    res = client.get("/api/v1/outbox?kind=private&status=pending", headers=headers)
    assert res.status_code == 200, res.get_json()
    (item,) = res.get_json()["items"]
    assert (item["kind"], item["target"]) == ("private", "wx_w…")
    OutboxMessage.update(status="dead").execute()  # the console lists failed ones first
    console_login(client, staff.username)
    page = client.get("/console/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<small class="muted">应用私信</small>' in html  # the kind, under the time it was queued
