"""Is it ready, and is the scheduler working? — for `/readyz`, `/metrics` and the console's
系统状态 page, each reading the same answers from here.

Readiness: the database answers and its schema is the one this code expects (`init-db` has
run). `/healthz` only says the process is alive; a load balancer sends traffic to a worker when
`/readyz` is 200.

The scheduler: its lease (`jobs/lease.py`) is fresh while the active scheduler process renews
it, and every job it runs records its last run in `job_status` (`core.observability.jobruns`).
A job is *late* when its last success is older than its interval plus a grace (a minute and a
tenth of the interval: APScheduler's coalescing, a slow run), and *failing* when its last run
failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import PeeweeException, fn

from core import schema
from infra.db import db
from infra.timeutil import utcnow
from models import JobStatus, OutboxMessage, SchedulerLease

GRACE_SECONDS = 60
GRACE_SHARE = 0.1

JOB_STATES = {"ok": "正常", "late": "超时未运行", "failing": "上次运行失败"}
# The outbox's backlog: every status but `sent` (the bulk of the table, counted as deliveries).
BACKLOG_STATUSES = ("pending", "sending", "uncertain", "dead")


def allowed_age(interval_seconds: int) -> timedelta:
    """How old a job's last success may be before the job counts as late."""
    return timedelta(seconds=interval_seconds * (1 + GRACE_SHARE) + GRACE_SECONDS)


# --- readiness --------------------------------------------------------------------------------


def readiness() -> tuple[bool, dict]:
    """(ready, what each check found): `database` reachable, `migrations` current."""
    checks: dict[str, dict] = {}
    try:
        db.execute_sql("SELECT 1")
    except PeeweeException as exc:
        checks["database"] = {
            "ok": False,
            "message": "数据库无法连接，请检查数据库服务和 DATABASE_URL",
            "error": type(exc).__name__,
        }
        checks["migrations"] = {"ok": False, "message": "数据库无法连接，未能检查"}
        return False, {"ready": False, "checks": checks}
    checks["database"] = {"ok": True}
    current, expected = schema.current_version(), schema.latest_version()
    migrations = {"ok": current == expected, "current": current, "expected": expected}
    if current < expected:
        migrations["message"] = "数据库结构不是最新，请运行 flask --app app init-db"
    elif current > expected:
        migrations["message"] = "数据库结构比程序新，请部署与之相符的程序版本"
    checks["migrations"] = migrations
    ready = all(check["ok"] for check in checks.values())
    return ready, {"ready": ready, "checks": checks}


# --- the scheduler ------------------------------------------------------------------------------


@dataclass
class Lease:
    holder: str | None  # the process holding a fresh lease, or the last one that held it
    expires_at: datetime | None
    fresh: bool


@dataclass
class JobHealth:
    row: JobStatus
    state: str  # ok | late | failing

    @property
    def state_label(self) -> str:
        return JOB_STATES[self.state]


def lease(now: datetime | None = None) -> Lease:
    now = now or utcnow()
    row = SchedulerLease.select().order_by(SchedulerLease.expires_at.desc()).first()
    if row is None:
        return Lease(holder=None, expires_at=None, fresh=False)
    return Lease(holder=row.holder, expires_at=row.expires_at, fresh=row.expires_at >= now)


def job_state(row: JobStatus, now: datetime) -> str:
    if row.last_failure_at is not None and (
        row.last_success_at is None or row.last_failure_at > row.last_success_at
    ):
        return "failing"
    if row.last_success_at is None or now - row.last_success_at > allowed_age(row.interval_seconds):
        return "late"
    return "ok"


def jobs(now: datetime | None = None) -> list[JobHealth]:
    now = now or utcnow()
    return [
        JobHealth(row, job_state(row, now)) for row in JobStatus.select().order_by(JobStatus.name)
    ]


def scheduler(now: datetime | None = None) -> dict:
    """The lease and every job's health; `ok` when the lease is fresh and no job is late or
    failing."""
    now = now or utcnow()
    current = lease(now)
    rows = jobs(now)
    return {
        "lease": current,
        "jobs": rows,
        "ok": current.fresh and all(job.state == "ok" for job in rows),
    }


# --- the outbox ---------------------------------------------------------------------------------


def outbox_backlog() -> dict[tuple[str, str], int]:
    """Messages not sent, by (kind, status): one grouped count on the status index."""
    rows = (
        OutboxMessage.select(OutboxMessage.kind, OutboxMessage.status, fn.COUNT(1))
        .where(OutboxMessage.status.in_(BACKLOG_STATUSES))
        .group_by(OutboxMessage.kind, OutboxMessage.status)
        .tuples()
    )
    return {(kind, status): n for kind, status, n in rows}


def oldest_due(now: datetime | None = None) -> datetime | None:
    """When the longest-waiting due message became due (None: nothing waits)."""
    now = now or utcnow()
    oldest = (
        OutboxMessage.select(fn.MIN(OutboxMessage.next_attempt_at))
        .where((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now))
        .scalar()
    )
    if isinstance(oldest, str):  # SQLite hands an aggregate's datetime back as text
        oldest = datetime.fromisoformat(oldest)
    return oldest
