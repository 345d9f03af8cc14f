"""The scheduler's set-up and its outbox job (run directly: no sleeps, no real timers)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from core.delivery import outbox
from infra import timeutil
from jobs.scheduler import configure
from models import OutboxMessage


def test_jobs_have_explicit_ids_and_safe_defaults(app):
    scheduler = configure(app, BackgroundScheduler())
    job = scheduler.get_job("outbox.deliver")
    assert job is not None
    assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time >= 60
    assert str(scheduler.timezone) == "Asia/Shanghai"
    assert job.trigger.interval.total_seconds() == app.config["OUTBOX_INTERVAL_SECONDS"]


def test_outbox_job_delivers_and_survives_a_rerun(app):
    msg = outbox.enqueue("subscribe", "o_someone", {"touser": "o_someone"}, key="t:1")
    scheduler = configure(app, BackgroundScheduler())
    run = scheduler.get_job("outbox.deliver").func
    first = run()
    assert OutboxMessage.get_by_id(msg.id).status == "sent"  # offline: marked, not sent
    assert first["sent"] == 1
    assert not any(run().values())  # a rerun finds nothing to do


def test_a_job_logs_one_line_when_it_did_something_and_none_when_idle(app, caplog):
    scheduler = configure(app, BackgroundScheduler())
    run = scheduler.get_job("outbox.deliver").func
    caplog.set_level(logging.INFO, logger="jobs.scheduler")
    run()
    assert caplog.records == []  # idle: nothing to say
    outbox.enqueue("subscribe", "o_someone", {"touser": "o_someone"}, key="t:2")
    run()
    (line,) = [r.getMessage() for r in caplog.records]
    assert line == "投递消息：sent 1"


def test_log_times_are_in_the_configured_zone(app):
    # 2026-12-01 00:30 UTC is 08:30 in Shanghai: what an operator there reads in the log.
    moment = datetime(2026, 12, 1, 0, 30, tzinfo=UTC).timestamp()
    formatter = logging.Formatter("%(asctime)s")
    formatter.converter = timeutil.local_timetuple
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    record.created = moment
    assert formatter.format(record).startswith("2026-12-01 08:30:00")
    assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.WARNING
