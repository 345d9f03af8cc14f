"""The scheduler: one APScheduler, explicit job ids, coalescing, a generous misfire grace.

`flask --app app jobs` runs it in the foreground (the one production scheduler process);
`flask --app app serve` (what `make run` starts) runs it in the background of the demo
server. Every job opens its own app context and database connection and is idempotent, so a
rerun is harmless.
"""

from __future__ import annotations

import functools
import logging

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from core import outbox
from core.db import db

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}


def in_app_context(app: Flask, fn):
    """Run `fn` inside an app context with its own connection, logging instead of dying."""

    @functools.wraps(fn)
    def run():
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                return fn()
            except Exception:
                log.exception("job %s failed", fn.__name__)
            finally:
                db.close()

    return run


def deliver_outbox():
    counts = outbox.deliver_due()
    if any(counts.values()):
        log.info("outbox: %s", counts)
    return counts


def configure(app: Flask, scheduler: BaseScheduler) -> BaseScheduler:
    """Register every job on `scheduler` (schedules come from configuration)."""
    scheduler.configure(timezone=app.config["TZ"], job_defaults=JOB_DEFAULTS)
    scheduler.add_job(
        in_app_context(app, deliver_outbox),
        "interval",
        seconds=int(app.config["OUTBOX_INTERVAL_SECONDS"]),
        id="outbox.deliver",
        name="投递待发消息",
        replace_existing=True,
        **JOB_DEFAULTS,
    )
    return scheduler
