"""The scheduler: one APScheduler, explicit job ids, coalescing, a generous misfire grace.

`flask --app app jobs` runs it in the foreground (the production scheduler process);
`flask --app app serve` (what `make run` starts) runs it in the background of the demo
server. Several may run at once (by mistake, or one per host): a lease in the database
decides which one works (`jobs/lease.py`); the others stand by and take over within a
minute if it dies. Every job is idempotent by its run keys, so a rerun is harmless.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from core import pools, ratelimit
from core.boards import health as board_health
from core.delivery import outbox
from core.figures import assessment, bulletin_export
from core.observability import jobruns, requestid
from infra.db import db
from infra.timeutil import to_local, utcnow
from jobs import daily_report, lease, reminders
from models import BotPhoto

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}

# How a job's log line names it (the job's short name → what an operator reads).
JOB_LABELS = {
    "outbox": "投递消息",
    "report": "每日通报",
    "reminders": "提醒与督办",
    "autoclose": "自动完结",
    "housekeeping": "清理",
    "assessment": "季度考核",
    "bulletin": "月度通报",
    "boards": "公示牌巡检",
}


def _what_was_done(result) -> str:
    """A job's result in a few words, or "" when it did nothing (False, 0, {}, all zeros)."""
    if isinstance(result, dict):
        return "，".join(f"{key} {value}" for key, value in result.items() if value)
    if not result or isinstance(result, bool):
        return ""
    return str(result)


class Worker:
    """The jobs of one scheduler process, each run only while it holds the lease."""

    def __init__(self, app: Flask, holder: str | None = None):
        self.app = app
        self.holder = holder or lease.new_holder_id()
        # Each job's interval in seconds (from its trigger, by `configure`): recorded with
        # every run, so a reader of `job_status` can tell a late job (core.observability).
        self.intervals: dict[str, int] = {}

    def _in_context(self, fn):
        with self.app.app_context():
            db.connect(reuse_if_open=True)
            try:
                return fn()
            finally:
                db.close()

    def heartbeat(self) -> bool:
        """Take or renew the lease; True while this process is the active scheduler."""
        return self._in_context(lambda: lease.acquire(self.holder))

    def leader_only(self, fn, name: str):
        """Wrap a job so it runs only in the lease holder, logging instead of dying. Each run
        is recorded (`job_status`, for the scheduler's health) and carries its own request id;
        it says one line when it did something (an idle tick says nothing, except in JSON)."""

        @functools.wraps(fn)
        def run(*args, **kwargs):
            def body():
                if not lease.acquire(self.holder):
                    return None
                return jobruns.run(
                    name,
                    JOB_LABELS.get(name, name),
                    self.intervals.get(name, 0),
                    self.holder,
                    lambda: fn(*args, **kwargs),
                    _what_was_done,
                )

            with requestid.bound(requestid.for_job(name)):
                try:
                    return self._in_context(body)
                except pools.PoolFailed as exc:
                    # Its cause is already counted and logged (core.faults). Nothing was
                    # claimed, so the job's next run (the report ticks every minute) does the
                    # work again.
                    log.error(
                        "任务 %s 失败，下次运行时重试 / job %s failed, retried on its next run: %s",
                        name,
                        name,
                        exc,
                        extra={"job": name, "outcome": "failed"},
                    )
                    return None
                except Exception:
                    log.exception("任务 %s 失败", name, extra={"job": name, "outcome": "failed"})
                    return None

        run.job_name = name
        return run

    # the jobs themselves --------------------------------------------------------------------

    def deliver_outbox(self):
        return outbox.deliver_due()

    def daily_report(self, now: datetime | None = None):
        return daily_report.tick(now)

    def reminders(self, now: datetime | None = None):
        return reminders.scan(now)

    def close_unrated(self, now: datetime | None = None):
        return reminders.close_unrated(now)

    def housekeeping(self):
        """Forget what only mattered for a while: old rate-limit windows, stale bot photos."""
        stale = utcnow() - timedelta(days=1)
        photos = BotPhoto.delete().where(BotPhoto.received_at < stale).execute()
        return {"rate_counters": ratelimit.prune(), "bot_photos": photos}

    def quarterly_assessment(self, now: datetime | None = None):
        local = to_local(now or utcnow())
        return assessment.run_if_quarter_started(local.date())

    def monthly_bulletin(self, now: datetime | None = None):
        """On the 1st (after the daily report), last month's bulletin to each street's groups."""
        local = to_local(now or utcnow())
        return bulletin_export.run_if_month_started(local.date())

    def board_health(self, now: datetime | None = None):
        """Boards nobody scans any more: flagged, their stewards asked once (core.boards.health)."""
        return board_health.scan(now)


def _clock(value: str) -> tuple[int, int]:
    hours, minutes = value.split(":")
    return int(hours), int(minutes)


def configure(app: Flask, scheduler: BaseScheduler, holder: str | None = None) -> BaseScheduler:
    """Register every job on `scheduler`; schedules come from configuration."""
    cfg = app.config
    tz = cfg["TZ"]
    scheduler.configure(timezone=tz, job_defaults=JOB_DEFAULTS)
    worker = Worker(app, holder)
    scheduler.worker = worker  # tests and the CLI reach the jobs through it
    assess_h, assess_m = _clock(cfg["ASSESSMENT_TIME"])
    bulletin_h, bulletin_m = _clock(cfg["BULLETIN_TIME"])
    boards_h, boards_m = _clock(cfg["BOARD_HEALTH_TIME"])
    jobs = [
        (
            "lease.heartbeat",
            "保持调度租约",
            worker.heartbeat,
            {"trigger": "interval", "seconds": int(cfg["SCHEDULER_HEARTBEAT_SECONDS"])},
        ),
        (
            "outbox.deliver",
            "投递待发消息",
            worker.leader_only(worker.deliver_outbox, "outbox"),
            {"trigger": "interval", "seconds": int(cfg["OUTBOX_INTERVAL_SECONDS"])},
        ),
        (
            "report.daily",
            "每日通报",
            worker.leader_only(worker.daily_report, "report"),
            {"trigger": CronTrigger(minute="*", timezone=tz)},
        ),
        (
            "reminders.scan",
            "到期提醒与超期督办",
            worker.leader_only(worker.reminders, "reminders"),
            {
                "trigger": CronTrigger(
                    minute=f"*/{int(cfg['REMINDER_INTERVAL_MINUTES'])}", timezone=tz
                )
            },
        ),
        (
            "issues.autoclose",
            "超时未评价自动完结",
            worker.leader_only(worker.close_unrated, "autoclose"),
            {"trigger": CronTrigger(minute=7, timezone=tz)},
        ),
        (
            "housekeeping.prune",
            "清理过期的限流计数与待用照片",
            worker.leader_only(worker.housekeeping, "housekeeping"),
            {"trigger": CronTrigger(hour=3, minute=30, timezone=tz)},
        ),
        (
            "assessment.quarterly",
            "季度考核",
            worker.leader_only(worker.quarterly_assessment, "assessment"),
            {"trigger": CronTrigger(hour=assess_h, minute=assess_m, timezone=tz)},
        ),
        (
            "bulletin.monthly",
            "月度通报",
            worker.leader_only(worker.monthly_bulletin, "bulletin"),
            {"trigger": CronTrigger(hour=bulletin_h, minute=bulletin_m, timezone=tz)},
        ),
        (
            "boards.health",
            "公示牌巡检",
            worker.leader_only(worker.board_health, "boards"),
            {"trigger": CronTrigger(hour=boards_h, minute=boards_m, timezone=tz)},
        ),
    ]
    for job_id, name, func, trigger in jobs:
        job = scheduler.add_job(
            func,
            id=job_id,
            name=name,
            replace_existing=True,
            # run once at start-up too: a scheduler that was down catches up at once
            next_run_time=datetime.now(scheduler.timezone),
            **trigger,
            **JOB_DEFAULTS,
        )
        if hasattr(func, "job_name"):  # a leader_only job: recorded under its short name
            worker.intervals[func.job_name] = interval_seconds(job.trigger)
    return scheduler


def interval_seconds(trigger) -> int:
    """How often a trigger fires: an interval trigger's interval, else the longest gap between
    a cron trigger's next few fire times (`*/15` → 900, daily → 86400)."""
    interval = getattr(trigger, "interval", None)
    if interval is not None:
        return int(interval.total_seconds())
    moment = datetime.now(trigger.timezone)
    times = []
    for _ in range(5):
        moment = trigger.get_next_fire_time(times[-1] if times else None, moment)
        if moment is None:
            break
        times.append(moment)
        moment = moment + timedelta(microseconds=1)
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    return int(max(gaps)) if gaps else 0
