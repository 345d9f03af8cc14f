"""发送记录 in the console: what was sent and to whom — a group by its name, a steward or a
resident by name (never the robot's key or an openid) — the text or the card image, the
attempts and the last error; scoped to the staff's area."""

from __future__ import annotations

import io

from PIL import Image

from core.delivery import images, outbox, private
from models import ChatGroup, OutboxMessage, User
from tests.console_world import build, console_login

KEY = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buf, "PNG")
    return buf.getvalue()


def test_what_was_sent_to_whom(capp):
    w = build(capp)
    c0, c1 = w.d.communities
    ChatGroup.create(area=c0, name="槐树社区管家群", webhook_key=KEY)
    steward = w.d.stewards[0]
    steward.wecom_userid = "wang.xiuying"
    steward.save()
    daily = "【每日通报】12月7日\n新反映 3 件，办结 1 件"
    text_row = outbox.enqueue(
        "robot", KEY, {"msgtype": "text", "text": {"content": daily}}, "t1", c0
    )
    card = outbox.enqueue("robot", KEY, images.body(_png()), "t2", c0)
    dm = outbox.enqueue(
        "private",
        "wang.xiuying",
        private.text_body("wang.xiuying", "您有 1 件诉求即将超期"),
        "t3",
        c0,
    )
    User.create(openid="oRESIDENT123", nickname="张大妈")
    sub = outbox.enqueue(
        "subscribe",
        "oRESIDENT123",
        {"touser": "oRESIDENT123", "template_id": "x", "data": {"thing1": {"value": "路灯已修好"}}},
        "t4",
        c0,
    )
    other = outbox.enqueue(
        "robot", "k2", {"msgtype": "text", "text": {"content": "二社区的通报"}}, "t5", c1
    )
    OutboxMessage.update(status="dead", attempts=5, last_error="errcode 93000").where(
        OutboxMessage.id == text_row.id
    ).execute()
    OutboxMessage.update(status="sent").where(OutboxMessage.id != text_row.id).execute()
    client = console_login(capp.test_client(), "secretary1")
    html = client.get("/console/outbox").get_data(as_text=True)  # failed and uncertain only
    assert f'id="outbox-{text_row.id}"' in html and f'id="outbox-{card.id}"' not in html
    row = html.split(f'id="outbox-{text_row.id}"')[1].split("</tr>")[0]
    assert "群：槐树社区管家群" in row and "【每日通报】12月7日\n新反映 3 件" in row
    assert "errcode 93000" in row and "<td>5</td>" in row
    html = client.get("/console/outbox?status=all").get_data(as_text=True)
    assert "私信：管家11" in html and "您有 1 件诉求即将超期" in html
    assert "居民：张大妈" in html and "路灯已修好" in html
    assert KEY not in html and "oRESIDENT123" not in html  # named, never addressed
    assert f'id="outbox-{other.id}"' not in html and f'id="outbox-{dm.id}"' in html
    assert f'id="outbox-{sub.id}"' in html
    assert f'src="/console/outbox/{card.id}/image"' in html
    res = client.get(f"/console/outbox/{card.id}/image")
    assert res.status_code == 200 and res.mimetype == "image/png"
    assert res.data[:8] == b"\x89PNG\r\n\x1a\n"
    # the other community's staff: neither the row nor its image
    other_staff = console_login(capp.test_client(), "secretary2")
    assert other_staff.get(f"/console/outbox/{card.id}/image").status_code == 404
    assert client.get(f"/console/outbox/{text_row.id}/image").status_code == 404  # no image
