"""A scheduled job's run, recorded: its `job_status` row (what the console and `/metrics` read
for the scheduler's health), its log line, and the request id its work carries.

The scheduler (`jobs/scheduler.py`) calls `run` for each job it runs while holding the lease.
A success is one upsert of the job's row; a failure is recorded too, then raised again for the
scheduler to log (with its traceback) and carry on.

The log line: with `LOG_FORMAT=json`, one line for every run (`job`, `outcome`, `duration_ms`,
`request_id`); in the human format a line only when the job did something, as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from peewee import PeeweeException

from core.observability import logs
from infra.timeutil import utcnow
from models import JobStatus

log = logging.getLogger("jobs.scheduler")  # the scheduler's own lines, whatever records them

ERROR_CHARS = 300


def _error_text(exc: BaseException) -> str:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line}"[:ERROR_CHARS]


def record(
    name: str,
    label: str,
    interval_seconds: int,
    holder: str,
    started,
    duration_ms: int,
    error: BaseException | None = None,
) -> None:
    """Upsert the job's row with this run (one statement, whoever else reads it)."""
    now = utcnow()
    ok = error is None
    values = {
        JobStatus.name: name,
        JobStatus.label: label,
        JobStatus.interval_seconds: int(interval_seconds),
        JobStatus.holder: holder[:128],
        JobStatus.last_started_at: started,
        JobStatus.last_finished_at: now,
        JobStatus.last_success_at: now if ok else None,
        JobStatus.last_failure_at: None if ok else now,
        JobStatus.last_error: None if ok else _error_text(error),
        JobStatus.last_duration_ms: duration_ms,
        JobStatus.runs: 1,
        JobStatus.failures: 0 if ok else 1,
    }
    update = {
        JobStatus.label: label,
        JobStatus.interval_seconds: int(interval_seconds),
        JobStatus.holder: holder[:128],
        JobStatus.last_started_at: started,
        JobStatus.last_finished_at: now,
        JobStatus.last_duration_ms: duration_ms,
        JobStatus.runs: JobStatus.runs + 1,
    }
    if ok:
        update[JobStatus.last_success_at] = now
    else:
        update.update(
            {
                JobStatus.last_failure_at: now,
                JobStatus.last_error: _error_text(error),
                JobStatus.failures: JobStatus.failures + 1,
            }
        )
    JobStatus.insert(values).on_conflict(conflict_target=[JobStatus.name], update=update).execute()


def run(
    name: str,
    label: str,
    interval_seconds: int,
    holder: str,
    work: Callable[[], object],
    describe: Callable[[object], str],
):
    """Run `work` as job `name` and record the run; returns its result, raises its exception.

    `describe(result)` says in a few words what the run did ("" when it did nothing)."""
    started = utcnow()
    clock = time.perf_counter()
    try:
        result = work()
    except Exception as exc:
        duration_ms = round((time.perf_counter() - clock) * 1000)
        try:
            record(name, label, interval_seconds, holder, started, duration_ms, exc)
        except PeeweeException:  # the database is what failed: the run's own error says so
            pass
        raise
    duration_ms = round((time.perf_counter() - clock) * 1000)
    record(name, label, interval_seconds, holder, started, duration_ms)
    done = describe(result)
    fields = {"job": name, "outcome": "ok", "duration_ms": duration_ms}
    if done:
        log.info("%s：%s", label, done, extra=fields)
    elif logs.json_enabled():
        log.info("%s：无事可做", label, extra=fields)
    return result
