"""Run keys: a job's unit of work happens once per key, however often the job runs."""

from __future__ import annotations

from peewee import IntegrityError

from core.db import db
from core.timeutil import utcnow
from models import JobRun


def claim(run_key: str) -> bool:
    """True for the first caller with this key; False for every later one (a rerun)."""
    try:
        with db.atomic():
            JobRun.create(run_key=run_key)
        return True
    except IntegrityError:
        return False


def finish(run_key: str, result: dict | None = None) -> None:
    JobRun.update(finished_at=utcnow(), result=result).where(JobRun.run_key == run_key).execute()


def done(run_key: str) -> bool:
    return JobRun.select().where(JobRun.run_key == run_key).exists()
