"""The scheduler's set-up and its outbox job (run directly: no sleeps, no real timers)."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from core.delivery import outbox
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
