"""One active scheduler: a lease row in the database, renewed by its holder.

Any number of scheduler processes may run (by mistake, or one per host for failover). Each
tries to take the lease; only the holder runs jobs. If the holder dies, its lease expires
(`SCHEDULER_LEASE_SECONDS`) and the next standby heartbeat takes it over. The take-over is a
single conditional UPDATE, so two standbys can never both win.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from flask import current_app
from peewee import IntegrityError

from infra.db import db
from infra.timeutil import utcnow
from models import SchedulerLease

LEASE_NAME = "scheduler"


def new_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(holder: str, name: str = LEASE_NAME) -> bool:
    """Take or renew the lease; True when `holder` holds it afterwards."""
    now = utcnow()
    until = now + timedelta(seconds=int(current_app.config["SCHEDULER_LEASE_SECONDS"]))
    with db.atomic():
        taken = (
            SchedulerLease.update(holder=holder, expires_at=until)
            .where(
                (SchedulerLease.name == name)
                & ((SchedulerLease.holder == holder) | (SchedulerLease.expires_at < now))
            )
            .execute()
        )
    if taken:
        return True
    try:
        with db.atomic():
            SchedulerLease.create(name=name, holder=holder, expires_at=until)
        return True
    except IntegrityError:
        return False  # someone else holds a live lease


def release(holder: str, name: str = LEASE_NAME) -> None:
    """Give the lease up at a clean shutdown so a standby need not wait for it to expire."""
    SchedulerLease.delete().where(
        (SchedulerLease.name == name) & (SchedulerLease.holder == holder)
    ).execute()


def current_holder(name: str = LEASE_NAME) -> str | None:
    row = SchedulerLease.get_or_none(SchedulerLease.name == name)
    return row.holder if row is not None and row.expires_at >= utcnow() else None
