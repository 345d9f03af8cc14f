"""Run keys: a job's unit of work happens once per key, however often the job runs.

A scan that looks at thousands of items (the deadline scan over a district's open issues)
asks about their keys in bulk: `unclaimed` answers for the lot in one query (PostgreSQL) or a
few compiled ones (SQLite), and `claim_all` claims a batch in one INSERT per chunk, each key
won by exactly one caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from peewee import IntegrityError

from infra.db import Param, Prepared, db, is_sqlite
from infra.timeutil import utcnow
from models import JobRun

# Keys per statement: far below SQLite's 32,766 and PostgreSQL's 65,535 parameters. Every
# chunk is padded to this length, so the statement is compiled once and reused.
CHUNK = 2000

_CLAIMED = Prepared(
    lambda: JobRun.select(JobRun.run_key).where(JobRun.run_key.in_(Param("keys", many=True))),
    many=("keys",),
)


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


_UNCLAIMED_PG = (
    "SELECT k FROM unnest(%s::text[]) AS k WHERE NOT EXISTS "
    f'(SELECT 1 FROM "{JobRun._meta.table_name}" AS j WHERE j.run_key = k)'
)


def _chunks(keys: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def unclaimed(keys: Iterable[str]) -> set[str]:
    """Of `keys`, those no run has claimed yet."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return set()
    if not is_sqlite():
        # PostgreSQL: all the keys as one array, anti-joined against the table, so each key
        # is looked up once whatever plan is chosen. As a 2,000-parameter IN list it had been
        # compared with every row of a sequential scan, which the planner picked while
        # job_run's statistics still counted it empty (a first pass had just filled it):
        # ~1 s per chunk, 14 s for a district's scan.
        cursor = db.execute_sql(_UNCLAIMED_PG, [wanted])
        return {row[0] for row in cursor}
    taken: set[str] = set()
    for chunk in _chunks(wanted):
        padded = chunk + [chunk[-1]] * (CHUNK - len(chunk))
        _, cursor = _CLAIMED.cursor(keys=padded)
        taken.update(row[0] for row in cursor)
    return set(wanted) - taken


def claim_all(
    keys: Iterable[str], finished: datetime | None = None, results: dict | None = None
) -> set[str]:
    """Claim every key at once; returns the ones this caller won (the rest someone holds).

    `finished` and `results` (a result per key) record the work as done in the same row, for a
    caller whose work commits in the same transaction as the claim."""
    wanted = list(dict.fromkeys(keys))
    won: set[str] = set()
    now = utcnow()
    results = results or {}
    for chunk in _chunks(wanted):
        rows = [
            {
                JobRun.run_key: k,
                JobRun.started_at: now,
                JobRun.finished_at: finished,
                JobRun.result: results.get(k),
            }
            for k in chunk
        ]
        query = JobRun.insert_many(rows).on_conflict_ignore().returning(JobRun.run_key)
        won.update(row[0] for row in query.tuples().execute())
    return won
