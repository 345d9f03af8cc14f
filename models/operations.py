"""What the scheduler keeps and the operators watch: which process holds the scheduler's lease
(`SchedulerLease`), the run keys that make a job's rerun do nothing (`JobRun`), and each
scheduled job's last run (`JobStatus`), read by `/metrics` and the console's 系统状态.

The scheduler may run on any host (`jobs/lease.py`), so its health is kept in the database, where
every web worker can read it, rather than in the scheduler process's memory.
"""

from __future__ import annotations

from peewee import CharField, DateTimeField, IntegerField, TextField

from infra.timeutil import utcnow
from models import BaseModel, JSONField


class JobStatus(BaseModel):
    """One row per job (`outbox`, `report`, …), upserted at the end of every run it made while
    holding the lease. `interval_seconds` is the job's own schedule, written by the scheduler, so
    a reader can tell a late job without knowing the schedule."""

    name = CharField(max_length=64, primary_key=True)
    label = CharField(max_length=64)  # what an operator reads: 投递消息, 每日通报 …
    interval_seconds = IntegerField()
    holder = CharField(max_length=128)  # the scheduler process that ran it last
    last_started_at = DateTimeField()
    last_finished_at = DateTimeField()
    last_success_at = DateTimeField(null=True)
    last_failure_at = DateTimeField(null=True)
    last_error = TextField(null=True)  # the exception's type and first line, for staff
    last_duration_ms = IntegerField(default=0)
    runs = IntegerField(default=0)
    failures = IntegerField(default=0)


class SchedulerLease(BaseModel):
    """Which scheduler process is the active one; the standby takes over when it expires."""

    name = CharField(max_length=64, primary_key=True)
    holder = CharField(max_length=128)
    expires_at = DateTimeField()


class JobRun(BaseModel):
    """A job's run key (e.g. "report:2026-11-22:group:3"): a rerun of the same key does nothing."""

    run_key = CharField(max_length=191, unique=True)
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    result = JSONField(null=True)


MODELS = [SchedulerLease, JobRun, JobStatus]
