"""Pushing to group robots through the outbox, against the fake WeCom webhook: a 100-message
burst all delivered, never more than 20 in any 60 seconds, none twice; 45009 backs off;
93000 marks the group broken where staff see it; long texts split on line boundaries under
the byte limits; large images re-compressed; what the workflows push."""

from __future__ import annotations

import base64
import hashlib
import io
import os
from datetime import UTC, datetime, timedelta

import time_machine
from PIL import Image

from core.delivery import groups, outbox, robot
from core.items import issues, wishes
from core.people.permissions import Principal
from infra.db import db
from models import ChatGroup, Event, Issue, Media, OutboxMessage, User
from tests.factories import login_staff, make_district, make_staff

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
KEY = "robot-key-0001"
WEBHOOK = "/cgi-bin/webhook/send"


def setup_group(fake, key=KEY, **kw) -> tuple:
    d = make_district()
    group = groups.create(d.communities[0], key, **kw)
    fake.add_robot(key)
    return d, group


def drain(clock, step_seconds=7, rounds=200) -> None:
    """Run the dispatcher every few seconds of (frozen, shifted) time until nothing waits."""
    for _ in range(rounds):
        outbox.deliver_due()
        if not OutboxMessage.select().where(OutboxMessage.status == "pending").exists():
            return
        clock.shift(timedelta(seconds=step_seconds))
    raise AssertionError("the outbox never drained")


def test_burst_of_100_is_delivered_within_the_robot_limit(online_app, fake_wechat):
    _, group = setup_group(fake_wechat)
    with time_machine.travel(T0, tick=False) as clock:
        with db.atomic():
            for i in range(100):
                robot.push_text(group, f"第 {i} 条消息", key=f"burst:{i}")
        drain(clock)
    received = fake_wechat.robot_messages[KEY]
    contents = [m["body"]["text"]["content"] for m in received]
    assert sorted(contents) == sorted(f"第 {i} 条消息" for i in range(100))  # all, none twice
    times = sorted(m["time"] for m in received)
    for t in times:  # every rolling 60-second window, as the fake recorded it
        assert sum(1 for u in times if t <= u < t + 60) <= 20
    assert len(fake_wechat.calls_to(WEBHOOK)) == 100  # never refused with 45009
    assert times[-1] - times[0] >= 4 * 60  # five windows' worth
    rows = list(OutboxMessage.select().where(OutboxMessage.kind == "robot"))
    assert {(r.status, r.attempts) for r in rows} == {("sent", 1)}


def test_frequency_limit_answer_backs_off_then_sends(online_app, fake_wechat):
    _, group = setup_group(fake_wechat)
    with time_machine.travel(T0, tick=False) as clock:
        (row,) = robot.push_text(group, "通知", key="busy:1")
        fake_wechat.fail_next(WEBHOOK, 45009)
        assert outbox.deliver_due()["retry"] == 1
        row = OutboxMessage.get_by_id(row.id)
        assert row.status == "pending" and "45009" in row.last_error
        assert row.next_attempt_at >= T0.replace(tzinfo=None) + timedelta(seconds=30)
        clock.shift(timedelta(seconds=10))
        assert outbox.deliver_due()["sent"] == 0  # still backing off
        clock.shift(timedelta(seconds=30))
        assert outbox.deliver_due()["sent"] == 1
    assert [m["body"]["text"]["content"] for m in fake_wechat.robot_messages[KEY]] == ["通知"]


def test_robot_gone_marks_the_group_broken_and_staff_see_it(online_app, fake_wechat):
    d, group = setup_group(fake_wechat)
    fake_wechat.remove_robot(KEY)  # someone removed the robot from the group
    with db.atomic():
        for i in range(5):
            robot.push_text(group, f"消息 {i}", key=f"gone:{i}")
    counts = outbox.deliver_due()
    assert counts["dead"] == 5
    assert len(fake_wechat.calls_to(WEBHOOK)) == 1  # the others die without calling WeCom
    group = ChatGroup.get_by_id(group.id)
    assert group.robot_status == "broken" and "93000" in group.broken_reason
    (event,) = Event.select().where(Event.action == "chat_group.robot_broken")
    assert event.area_id == d.communities[0].id

    client = online_app.test_client()
    headers = login_staff(client, make_staff(d.communities[0]))
    listed = client.get("/api/v1/groups", headers=headers).get_json()["items"]
    assert [(g["id"], g["robot_status"], g["robot_status_label"]) for g in listed] == [
        (group.id, "broken", "已失效")
    ]
    dead = client.get("/api/v1/outbox?status=dead&kind=robot", headers=headers).get_json()
    assert dead["total"] == 5 and "93000" in dead["items"][-1]["last_error"]

    # a new robot: staff update the webhook, the group works again, dead rows can be retried
    fake_wechat.add_robot("robot-key-0002")
    res = client.patch(
        f"/api/v1/groups/{group.id}", json={"webhook_key": "robot-key-0002"}, headers=headers
    )
    assert res.status_code == 200 and res.get_json()["robot_status"] == "ok"
    (row,) = robot.push_text(ChatGroup.get_by_id(group.id), "恢复了", key="gone:after")
    assert outbox.deliver_due()["sent"] == 1
    assert fake_wechat.robot_messages["robot-key-0002"][0]["body"]["text"]["content"] == "恢复了"


def test_long_text_is_split_on_line_boundaries_under_the_byte_limits(online_app, fake_wechat):
    _, group = setup_group(fake_wechat)
    lines = [f"第{i}行：" + "南门巷环境整治" * (i % 7 + 1) for i in range(300)]
    text = "\n".join(lines)
    rows = robot.push_text(group, text, key="long", mentions=["13800000001"])
    assert len(rows) > 1
    assert [r.idempotency_key for r in rows] == [f"long:part{i}" for i in range(1, len(rows) + 1)]
    parts = [r.payload["text"]["content"] for r in rows]
    assert all(len(p.encode()) <= 2048 for p in parts)
    assert "\n".join(parts).split("\n") == lines  # cut only between lines
    assert rows[0].payload["text"]["mentioned_mobile_list"] == ["13800000001"]
    assert all("mentioned_mobile_list" not in r.payload["text"] for r in rows[1:])

    md_rows = robot.push_markdown(group, "\n".join(f"> **{line}**" for line in lines), key="md")
    assert all(len(r.payload["markdown"]["content"].encode()) <= 4096 for r in md_rows)
    assert len(md_rows) < len(rows)
    one_line = robot.split_text("字" * 1000, 2048)  # a single over-long line is cut too
    assert [len(p.encode()) for p in one_line] == [2046, 954]

    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        drain(clock)
    assert len(fake_wechat.robot_messages[KEY]) == len(rows) + len(md_rows)  # all accepted


def test_large_image_is_recompressed_with_the_md5_of_the_raw_bytes(online_app, fake_wechat):
    _, group = setup_group(fake_wechat)
    noise = Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3))
    buf = io.BytesIO()
    noise.save(buf, "PNG")
    assert len(buf.getvalue()) > 2 * 1024 * 1024
    (row,) = robot.push_image(group, buf.getvalue(), key="card")
    raw = base64.b64decode(row.payload["image"]["base64"])
    assert len(raw) <= 2 * 1024 * 1024 and raw.startswith(b"\xff\xd8\xff")
    assert row.payload["image"]["md5"] == hashlib.md5(raw).hexdigest()
    small = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(small, "PNG")
    (same,) = robot.push_image(group, small.getvalue(), key="small")
    assert base64.b64decode(same.payload["image"]["base64"]) == small.getvalue()  # untouched
    assert outbox.deliver_due()["sent"] == 2
    assert len(fake_wechat.robot_messages[KEY]) == 2


def test_groups_for_area_most_specific_first(app):
    d = make_district()
    community = groups.create(d.communities[0], "key-community")
    grid = groups.create(d.grids[0], "key-grid")
    groups.create(d.communities[1], "key-other")
    groups.update(groups.create(d.grids[0], "key-grid-off"), {"active": False})
    assert [g.id for g in robot.groups_for_area(d.alleys[0])] == [grid.id, community.id]
    assert robot.groups_for_area(d.communities[0]) == [community]


def test_workflow_changes_are_pushed_to_the_group(app):
    d = make_district()
    steward = d.stewards[0]
    leader = d.stewards[1]
    group = groups.create(d.communities[0], "key-community", leader_ids=[leader.id])
    staff = Principal.for_user(make_staff(d.communities[0]).user)
    reporter = Principal.for_user(User.create(openid="dev:居民", nickname="居民"))
    issue, _ = issues.create(
        reporter, alley=d.alleys[0], board=None, category="环境卫生", content="垃圾堆放"
    )
    issues.escalate(staff, issue.id, "需要物业配合")
    wish = wishes.create(
        reporter,
        alley=d.alleys[0],
        beneficiary_type="elderly",
        display_name="王奶奶",
        title="收音机",
        content="想听戏",
    )
    wishes.approve(staff, wish.id)
    rows = {r.idempotency_key.rsplit(":", 1)[0]: r for r in OutboxMessage.select()}
    create = rows[f"robot:issue:{issue.id}:create"]
    assert create.target == group.webhook_key and create.area_id == d.communities[0].id
    assert create.payload["text"]["mentioned_mobile_list"] == [steward.phone]
    assert create.payload["text"]["content"].startswith(
        f"【新诉求】#{issue.id} 1区1巷·环境卫生：垃圾堆放"
    )
    escalate = rows[f"robot:issue:{issue.id}:escalate"]
    assert escalate.payload["text"]["mentioned_mobile_list"] == [leader.phone]
    approve = rows[f"robot:wish:{wish.id}:approve"]
    assert f"认领请发送“@小巷管家 认领 心愿{wish.id}”" in approve.payload["text"]["content"]
    assert f"接单请发送“@小巷管家 接单 {issue.id}”" in create.payload["text"]["content"]
    event = Event.for_subject("issue", issue.id).first()
    assert create.idempotency_key == f"robot:issue:{issue.id}:create:{event.id}"
    assert Issue.get_by_id(issue.id).status == "escalated"


def test_new_issue_photos_follow_its_text_within_the_robot_limit(online_app, fake_wechat):
    """A new issue with three photos: its text, then its three photos as image messages
    (base64 + md5 of the raw bytes), in that order, among a morning's burst of other issues —
    and never more than 20 messages to the robot in any 60 seconds."""
    from core import media
    from tests.fake_wechat import openid_for

    d, _ = setup_group(fake_wechat)
    openid = openid_for("居民")
    fake_wechat.enforce_recent_visit = False  # the content check passes: the item is public
    reporter = Principal.for_user(User.create(openid=openid, nickname="居民"))
    colours = ("red", "blue", "green")
    raw = []
    for colour in colours:
        buf = io.BytesIO()
        Image.new("RGB", (60, 40), colour).save(buf, "JPEG")
        raw.append(buf.getvalue())
    photo_ids = [media.save_image(data, reporter.user).id for data in raw]
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(18):
            issues.create(
                reporter, alley=d.alleys[1], board=None, category="其他", content=f"其他{n}"
            )
        issue, _ = issues.create(
            reporter,
            alley=d.alleys[0],
            board=None,
            category="环境卫生",
            content="垃圾堆放",
            photo_ids=photo_ids,
        )
        drain(clock)
    received = fake_wechat.robot_messages[KEY]
    assert len(received) == 18 + 1 + 3
    mine = [
        m
        for m in received
        if m["body"]["msgtype"] == "image" or f"#{issue.id} " in m["body"]["text"]["content"]
    ]
    assert [m["body"]["msgtype"] for m in mine] == ["text", "image", "image", "image"]
    assert "照片 3 张见下" in mine[0]["body"]["text"]["content"]
    for message in mine[1:]:
        image = message["body"]["image"]
        data = base64.b64decode(image["base64"])
        assert hashlib.md5(data).hexdigest() == image["md5"] and len(data) <= 2 * 1024 * 1024
        Image.open(io.BytesIO(data)).verify()
    stored = [media.media_path(Media.get_by_id(i)).read_bytes() for i in photo_ids]
    assert [base64.b64decode(m["body"]["image"]["base64"]) for m in mine[1:]] == stored
    times = sorted(m["time"] for m in received)
    for t in times:
        assert sum(1 for u in times if t <= u < t + 60) <= 20
    assert times[-1] - times[0] >= 60  # 22 messages cannot all go in the first minute


def _photo_rows(fake_wechat, colours=("red", "blue", "green")):
    """A group and one queued photo message per colour (a resident's uploads)."""
    from core import media

    _, group = setup_group(fake_wechat)
    user = User.create(openid="o-photos", nickname="居民")
    rows = []
    for n, colour in enumerate(colours):
        buf = io.BytesIO()
        Image.new("RGB", (60, 40), colour).save(buf, "JPEG")
        photo = media.save_image(buf.getvalue(), user)
        assert robot.push_photo(group, photo, key=f"photo{n}")
        rows.append((OutboxMessage.get(OutboxMessage.idempotency_key == f"photo{n}"), photo))
    return rows


def test_a_photo_lost_or_changed_on_disk_dies_with_the_reason_and_the_others_go(
    online_app, fake_wechat
):
    from core import media

    (lost, lost_photo), (changed, changed_photo), (fine, fine_photo) = _photo_rows(fake_wechat)
    media.media_path(lost_photo).unlink()
    media.media_path(changed_photo).write_bytes(b"\xff\xd8\xff not the same photo")
    counts = outbox.deliver_due()
    assert (counts["sent"], counts["dead"], counts["retry"]) == (1, 2, 0)
    lost, changed = OutboxMessage.get_by_id(lost.id), OutboxMessage.get_by_id(changed.id)
    assert (lost.status, changed.status) == ("dead", "dead")
    assert lost.last_error == f"照片文件已不存在（{lost_photo.sha256[:12]}），未发送"
    assert changed.last_error == f"照片文件已被改动（{changed_photo.sha256[:12]}），未发送"
    (received,) = fake_wechat.robot_messages[KEY]
    sent = base64.b64decode(received["body"]["image"]["base64"])
    assert sent == media.media_path(fine_photo).read_bytes()
    assert received["body"]["image"]["md5"] == hashlib.md5(sent).hexdigest()


def test_a_photo_that_cannot_be_read_for_now_is_retried(online_app, fake_wechat):
    from core import media

    ((row, photo),) = _photo_rows(fake_wechat, ("red",))
    path = media.media_path(photo)
    kept = path.read_bytes()
    path.unlink()
    path.mkdir()  # the file is there but cannot be read as one (a mount gone wrong)
    assert outbox.deliver_due()["retry"] == 1
    row = OutboxMessage.get_by_id(row.id)
    assert row.status == "pending" and row.last_error.startswith("照片文件暂时无法读取")
    path.rmdir()
    path.write_bytes(kept)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1), tick=False) as clock:
        drain(clock)
    assert OutboxMessage.get_by_id(row.id).status == "sent"
    (received,) = fake_wechat.robot_messages[KEY]
    assert base64.b64decode(received["body"]["image"]["base64"]) == kept


def test_a_photo_missing_when_queued_is_left_out(online_app, fake_wechat):
    from core import media

    ((row, photo),) = _photo_rows(fake_wechat, ("red",))
    media.media_path(photo).unlink()
    group = ChatGroup.get(ChatGroup.webhook_key == KEY)
    assert robot.push_photo(group, photo, key="again") is False
    assert not OutboxMessage.select().where(OutboxMessage.idempotency_key == "again").exists()


def test_a_webhook_that_never_answers_is_given_up_after_the_timeout_as_uncertain(
    online_app, fake_wechat
):
    """A robot call waits `WECHAT_TIMEOUT` seconds, not forever: a dispatcher stuck on one
    silent connection would hold every group's messages behind it."""
    import socket

    _, group = setup_group(fake_wechat)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections complete in the kernel; nothing ever answers
        port = silent.getsockname()[1]
        online_app.config["WECOM_API_BASE"] = f"http://127.0.0.1:{port}/"
        online_app.config["WECHAT_TIMEOUT"] = 0.3
        robot.push_text(group, "有人在吗", key="silent")
        counts = outbox.deliver_due()
    assert counts["uncertain"] == 1
    row = OutboxMessage.get(OutboxMessage.idempotency_key == "silent")
    assert row.status == "uncertain" and row.last_error.startswith("等待微信应答超时")
