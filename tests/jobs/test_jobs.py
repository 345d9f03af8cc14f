"""Scheduled work with time travel: the daily report's window and catch-up, two schedulers
at once, deadline reminders, closing unrated items. No sleeps: the jobs are called at the
times the scheduler would call them."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler

from core import faults
from core.figures import report_card
from jobs import lease
from jobs.scheduler import configure
from models import ChatGroup, Issue, JobRun, OutboxMessage, StaffAccount
from tests.factories import login, login_steward, make_district, make_staff

SH = ZoneInfo("Asia/Shanghai")
API = "/api/v1"


def local(day, hour, minute=0, second=0):
    return datetime(2026, 11, day, hour, minute, second, tzinfo=SH)


def report_rows(day="2026-11-21"):
    return list(
        OutboxMessage.select().where(OutboxMessage.idempotency_key.startswith(f"report:{day}"))
    )


def groups_reported(day="2026-11-21") -> list[int]:
    keys = {m.idempotency_key.split(":")[3] for m in report_rows(day)}
    return sorted(int(k) for k in keys)


@pytest.fixture
def district(app):
    d = make_district()
    groups = [
        ChatGroup.create(area=c, name=f"{c.name}管家群", webhook_key=f"key-{c.id}")
        for c in d.communities
    ]
    return d, groups


def worker(app, holder):
    return configure(app, BackgroundScheduler(), holder=holder).worker


def run_job(w, name):
    scheduler_job = {
        "report": w.leader_only(w.daily_report, "report"),
        "reminders": w.leader_only(w.reminders, "reminders"),
        "autoclose": w.leader_only(w.close_unrated, "autoclose"),
    }[name]
    return scheduler_job()


def test_report_window_catch_up_and_cutoff(app, district):
    _, groups = district
    w = worker(app, "host-a")
    with time_machine.travel(local(22, 8, 29, 59), tick=False):
        assert run_job(w, "report") == 0
    assert report_rows() == []
    with time_machine.travel(local(22, 8, 30), tick=False):
        assert run_job(w, "report") == len(groups)
    assert groups_reported() == sorted(g.id for g in groups)
    sent = len(report_rows())
    # a restart at 09:00 (a new process, a new holder after the old lease lapsed) sends nothing
    with time_machine.travel(local(22, 9, 0), tick=False):
        assert run_job(worker(app, "host-a-restarted"), "report") == 0
    assert len(report_rows()) == sent
    # the scheduler was down all morning on the 23rd until 11:00: it catches up then
    with time_machine.travel(local(23, 11, 0), tick=False):
        assert run_job(worker(app, "host-b"), "report") == len(groups)
    assert groups_reported("2026-11-22") == sorted(g.id for g in groups)
    # down until 13:00 on the 24th: past the noon cut-off, no stale report, ever
    with time_machine.travel(local(24, 13, 0), tick=False):
        assert run_job(worker(app, "host-c"), "report") == 0
    with time_machine.travel(local(24, 23, 59), tick=False):
        assert run_job(worker(app, "host-c"), "report") == 0
    assert groups_reported("2026-11-23") == []


def test_report_messages_reach_the_fake_robot(online_app, fake_wechat):
    d = make_district()
    ChatGroup.create(area=d.communities[0], name="群", webhook_key="robot-1")
    fake_wechat.add_robot("robot-1")
    from core.delivery import outbox

    w = worker(online_app, "solo")
    with time_machine.travel(local(22, 8, 30), tick=False):
        run_job(w, "report")
        outbox.deliver_due()
    bodies = [m["body"] for m in fake_wechat.robot_messages["robot-1"]]
    assert [b["msgtype"] for b in bodies] == ["markdown"]  # a quiet day: one line, no card
    content = bodies[0]["markdown"]["content"]
    assert "平稳无事" in content and f"{d.communities[0].name} 每日通报" in content


def test_two_schedulers_work_once_and_the_standby_takes_over(app, district, client):
    d, groups = district
    a, b = worker(app, "host-a"), worker(app, "host-b")
    with time_machine.travel(local(22, 8, 30), tick=False) as clock:
        assert a.heartbeat() is True
        assert b.heartbeat() is False
        # both processes fire the same jobs at the same minute
        assert run_job(a, "report") == len(groups)
        assert run_job(b, "report") is None  # the standby does no work
        assert len(groups_reported()) == len(groups)
        issue_id = _report_issue(client, d)
        clock.shift(timedelta(hours=40))  # due within 12 h now
        a.heartbeat(), b.heartbeat()
        first = run_job(a, "reminders")
        assert first["due_soon"] == 1 and run_job(b, "reminders") is None
        # host-a dies: it stops renewing; within a minute host-b is in charge
        clock.shift(timedelta(seconds=30))
        assert b.heartbeat() is False
        clock.shift(timedelta(seconds=30))
        assert b.heartbeat() is True and lease.current_holder() == "host-b"
        assert run_job(b, "reminders")["due_soon"] == 0  # already reminded, never twice
        # the old holder, should it come back, finds the lease taken and does nothing
        assert a.heartbeat() is False and run_job(a, "reminders") is None
    reminders = OutboxMessage.select().where(
        OutboxMessage.idempotency_key.startswith("remind:digest:")
    )
    assert reminders.count() == 1 and f"#{issue_id} " in reminders[0].payload["text"]["content"]


def test_a_revived_old_leader_cannot_steal_a_live_lease(app, district):
    a, b = worker(app, "host-a"), worker(app, "host-b")
    t0 = local(22, 10, 0)
    with time_machine.travel(t0, tick=False) as clock:
        assert a.heartbeat()
        clock.shift(timedelta(seconds=46))
        assert b.heartbeat()
        assert a.heartbeat() is False  # b renewed nothing yet, but its lease is live


def _report_issue(client, d, board=0, category="环境卫生"):
    res = client.post(
        f"{API}/issues",
        json={"board_code": d.boards[board].code, "category": category, "content": "垃圾堆放"},
        headers=login(client, "居民"),
    )
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def test_deadline_reminders_escalation_and_daily(app, district, client):
    d, groups = district
    groups[0].leader_ids = [d.stewards[1].id]
    groups[0].save()
    staff = make_staff(d.communities[0])
    StaffAccount.update(phone="13900001111").where(StaffAccount.id == staff.id).execute()
    w = worker(app, "solo")
    start = local(22, 9, 0)
    with time_machine.travel(start, tick=False) as clock:
        issue_id = _report_issue(client, d)  # ordinary: due in 48 h
        assert run_job(w, "reminders")["due_soon"] == 0
        clock.shift(timedelta(hours=37))  # 11 h left
        counts = run_job(w, "reminders")
        assert counts["due_soon"] == 1
        assert run_job(w, "reminders")["due_soon"] == 0  # once only
        clock.shift(timedelta(hours=12))  # 1 h overdue
        counts = run_job(w, "reminders")
        assert counts["escalated"] == 1 and counts["overdue_daily"] == 0
        clock.shift(timedelta(minutes=15))
        assert run_job(w, "reminders")["escalated"] == 0
        clock.shift(timedelta(days=1))  # the next day: one daily reminder, only one
        assert run_job(w, "reminders")["overdue_daily"] == 1
        assert run_job(w, "reminders")["overdue_daily"] == 0
    digests = list(
        OutboxMessage.select()
        .where(OutboxMessage.idempotency_key.startswith("remind:digest:"))
        .order_by(OutboxMessage.id)
    )
    assert [m.payload["text"]["content"].split("\n")[0] for m in digests] == [
        "【即将到期】",
        "【已超期】",
        "【超期提醒】",
    ]
    assert all(f"#{issue_id} " in m.payload["text"]["content"] for m in digests)
    due, escalation, _ = digests
    mentioned = escalation.payload["text"]["mentioned_mobile_list"]
    assert d.stewards[1].phone in mentioned and "13900001111" in mentioned
    assert due.payload["text"]["mentioned_mobile_list"] == [d.stewards[0].phone]


def test_a_burst_of_overdue_items_is_one_message_per_group(app, district, client):
    """Ten items run past their deadline together: each group hears one digest, listing all
    ten with every steward's @, and the next scan says nothing more."""
    d, groups = district
    w = worker(app, "solo")
    with time_machine.travel(local(22, 9, 0), tick=False) as clock:
        ids = [_report_issue(client, d, board=i % 2) for i in range(10)]
        clock.shift(timedelta(hours=49))  # every one of them 1 h overdue
        before = OutboxMessage.select().count()
        counts = run_job(w, "reminders")
        assert counts["escalated"] == 10
        new = list(OutboxMessage.select().where(OutboxMessage.id > 0).order_by(OutboxMessage.id))[
            before:
        ]
        by_group = {}
        for m in new:
            by_group.setdefault(m.target, []).append(m)
        assert all(len(msgs) == 1 for msgs in by_group.values()), by_group
        assert counts["messages"] == len(by_group) >= 1
        text = "\n".join(m.payload["text"]["content"] for m in new)
        assert all(f"#{i} " in text for i in ids)
        mentioned = {p for m in new for p in m.payload["text"].get("mentioned_mobile_list", [])}
        assert {d.stewards[0].phone, d.stewards[1].phone} <= mentioned
        clock.shift(timedelta(minutes=15))
        assert run_job(w, "reminders")["messages"] == 0


def test_items_another_scan_has_claimed_are_left_to_it(app, district, client):
    """Another scheduler's scan already holds the escalation of some of the items that went
    overdue: this scan escalates only the rest, and its digests list only those."""
    from core import runs

    d, groups = district
    w = worker(app, "solo")
    with time_machine.travel(local(22, 9, 0), tick=False) as clock:
        ids = [_report_issue(client, d, board=i % 2) for i in range(6)]
        clock.shift(timedelta(hours=49))
        for issue in Issue.select().where(Issue.id.in_(ids[:2])):  # as that scan claims them
            runs.claim(f"overdue:escalate:{issue.id}:{issue.deadline.isoformat()}")
            runs.claim(f"overdue:daily:{issue.id}:2026-11-24")
        before = OutboxMessage.select().count()
        counts = run_job(w, "reminders")
        assert counts["escalated"] == 4
        new = list(OutboxMessage.select().order_by(OutboxMessage.id))[before:]
        text = "\n".join(m.payload["text"]["content"] for m in new)
        assert all(f"#{i} " in text for i in ids[2:])
        assert not any(f"#{i} " in text for i in ids[:2])
        # the escalation stood for today's reminder too: nothing more until tomorrow
        assert run_job(w, "reminders")["overdue_daily"] == 0


def test_a_digest_sends_only_the_keys_it_wins(app, district):
    """A concurrent scan claimed an entry between this scan's look and its send: the digest
    leaves that entry out, and claims the extra keys of the entries it sent."""
    from core import runs
    from jobs.reminders import Digest

    d, groups = district
    digest = Digest()
    digest.add("t:a", "escalated", "【已超期】", "甲巷 超期", [groups[0]], also=["t:a:daily"])
    digest.add("t:b", "escalated", "【已超期】", "乙巷 超期", [groups[0]], also=["t:b:daily"])
    runs.claim("t:b")
    counts = {"escalated": 0}
    assert digest.send(counts) == 1
    assert counts == {"escalated": 1}
    (message,) = OutboxMessage.select().where(OutboxMessage.target == groups[0].webhook_key)
    assert "甲巷" in message.payload["text"]["content"]
    assert "乙巷" not in message.payload["text"]["content"]
    assert runs.done("t:a:daily") and not runs.done("t:b:daily")


def test_wish_reminders(app, district, client):
    d, groups = district
    w = worker(app, "solo")
    author = login(client, "王奶奶")
    body = {
        "board_code": d.boards[0].code,
        "beneficiary_type": "elderly",
        "display_name": "王奶奶",
        "title": "收音机",
        "content": "想听戏",
    }
    start = local(22, 9, 0)
    with time_machine.travel(start, tick=False) as clock:
        wid = client.post(f"{API}/wishes", json=body, headers=author).get_json()["id"]
        clock.shift(timedelta(hours=25))
        assert run_job(w, "reminders")["wish_review"] == 1
        assert run_job(w, "reminders")["wish_review"] == 0
        from core.items import wishes
        from core.people.permissions import Principal
        from models import User

        staff_user = make_staff(d.communities[0]).user
        wishes.approve(Principal.for_user(User.get_by_id(staff_user.id)), wid)
        clock.shift(timedelta(days=3, minutes=1))
        assert run_job(w, "reminders")["wish_unclaimed"] == 1
        steward = login_steward(client, d.stewards[0])
        assert client.post(f"{API}/wishes/{wid}/claim", json={}, headers=steward).status_code == 200
        clock.shift(timedelta(days=7, minutes=1))
        assert run_job(w, "reminders")["wish_unfulfilled"] == 1
        assert run_job(w, "reminders")["wish_unfulfilled"] == 0


def test_unrated_items_close_after_seven_days(app, district, client):
    d, _ = district
    w = worker(app, "solo")
    steward = login_steward(client, d.stewards[0])
    with time_machine.travel(local(22, 9, 0), tick=False) as clock:
        issue_id = _report_issue(client, d)
        client.post(f"{API}/issues/{issue_id}/resolve", json={"note": "已清理"}, headers=steward)
        clock.shift(timedelta(days=6, hours=23))
        assert run_job(w, "autoclose") == 0
        clock.shift(timedelta(hours=2))
        assert run_job(w, "autoclose") == 1
        assert run_job(w, "autoclose") == 0
    issue = Issue.get_by_id(issue_id)
    assert (issue.status, issue.close_reason, issue.rating) == ("closed", "unrated", None)


def test_scheduler_registers_every_job(app):
    scheduler = configure(app, BackgroundScheduler())
    ids = {job.id for job in scheduler.get_jobs()}
    assert ids == {
        "lease.heartbeat",
        "outbox.deliver",
        "report.daily",
        "reminders.scan",
        "issues.autoclose",
        "assessment.quarterly",
        "bulletin.monthly",
        "boards.health",
        "housekeeping.prune",
    }
    for job in scheduler.get_jobs():
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time >= 60
    assert str(scheduler.timezone) == "Asia/Shanghai"


def test_housekeeping_forgets_old_counters_and_photos(app):
    from core import ratelimit
    from infra.timeutil import utcnow
    from models import BotPhoto, Media, RateCounter

    w = worker(app, "solo")
    with time_machine.travel(local(20, 9, 0), tick=False):
        assert ratelimit.hit("submit:old-client", limit=5, window=600)
        media = Media.create(
            sha256="0" * 64,
            mime="image/jpeg",
            ext="jpg",
            width=1,
            height=1,
            size=1,
            thumb_width=1,
            thumb_height=1,
        )
        BotPhoto.create(sender="wx_s0", media=media, received_at=utcnow())
    with time_machine.travel(local(22, 9, 0), tick=False):
        assert ratelimit.hit("submit:new-client", limit=5, window=600)  # today's stays
        done = w.leader_only(w.housekeeping, "housekeeping")()
    assert done == {"rate_counters": 1, "bot_photos": 1}
    assert RateCounter.select().count() == 1 and BotPhoto.select().count() == 0


def test_a_clean_stop_hands_the_lease_over_at_once(app):
    a, b = worker(app, "host-a"), worker(app, "host-b")
    with time_machine.travel(local(22, 10, 0), tick=False):
        assert a.heartbeat() and not b.heartbeat()
        lease.release("host-a")
        assert b.heartbeat() and lease.current_holder() == "host-b"


def test_the_daily_report_does_not_repeat_a_reminder_already_sent_that_morning(
    app, district, client
):
    """An item escalated by the 07:00 scan is left out of the 08:30 report's @-reminder; an
    item the report reminded about is not reminded again by the scans that follow."""
    d, groups = district
    w = worker(app, "solo")
    with time_machine.travel(local(20, 6, 0), tick=False) as clock:
        early = _report_issue(client, d)  # due 22nd 06:00
        clock.move_to(local(20, 9, 0))
        late = _report_issue(client, d)  # due 22nd 09:00
        clock.move_to(local(21, 10, 0))
        run_job(w, "reminders")  # due-soon reminders of both: not about overdue
        clock.move_to(local(22, 7, 0))
        assert run_job(w, "reminders")["escalated"] == 1  # `early` only
        clock.move_to(local(22, 8, 30))
        assert run_job(w, "report") == len(groups)

        def overdue_reminders():
            return [
                m.payload["text"]["content"]
                for m in OutboxMessage.select().where(
                    OutboxMessage.idempotency_key.endswith(":overdue")
                )
            ]

        # the report's reminder (for the 21st) lists nothing: `late` was not yet overdue on
        # the 21st and `early` is not repeated
        assert all(f"#{early}（" not in text for text in overdue_reminders())
        clock.move_to(local(23, 7, 0))
        counts = run_job(w, "reminders")
        assert counts["escalated"] == 1  # `late`, first time
        assert counts["overdue_daily"] == 1  # `early`, today's one reminder
        clock.move_to(local(23, 8, 30))
        before = len(overdue_reminders())
        run_job(w, "report")
        # both were reminded about this morning already: the report @-s nobody again
        assert len(overdue_reminders()) == before
        clock.move_to(local(24, 8, 30))
        run_job(w, "report")  # the report comes first today …
        text = "\n".join(overdue_reminders()[before:])
        assert f"#{early}（" in text and f"#{late}（" in text
        clock.move_to(local(24, 9, 0))
        assert run_job(w, "reminders")["overdue_daily"] == 0  # … and is today's reminder


def test_a_stuck_card_pool_fails_the_report_which_the_next_tick_sends(app, caplog):
    """The cards are drawn in a process pool before anything is claimed. A pool that hands back
    nothing in time fails the run — logged, counted, no run key taken, nothing queued — and
    the next minute's tick draws and sends every report."""
    d = make_district(communities=report_card.POOL_MIN_CARDS, alleys_per_community=1)
    groups = [
        ChatGroup.create(area=c, name=f"{c.name}管家群", webhook_key=f"key-{c.id}")
        for c in d.communities
    ]
    w = worker(app, "host-a")
    faults.reset()
    app.config["POOL_TIMEOUT_SECONDS"] = 0.001  # no pool hands back its first cards this soon
    with caplog.at_level(logging.ERROR), time_machine.travel(local(22, 8, 30), tick=False):
        assert run_job(w, "report") is None
    assert report_rows() == []
    assert JobRun.select().where(JobRun.run_key.startswith("report:")).count() == 0
    assert faults.counts() == {faults.WORKER_POOL_FAILED: 1}
    assert "任务 report 失败，下次运行时重试" in caplog.text
    assert "job report failed, retried on its next run" in caplog.text
    assert "通报图片卡的工作进程出错" in caplog.text
    app.config["POOL_TIMEOUT_SECONDS"] = 120
    with time_machine.travel(local(22, 8, 31), tick=False):
        assert run_job(w, "report") == len(groups)
    assert groups_reported() == sorted(g.id for g in groups)
