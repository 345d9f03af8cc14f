"""The outbox's claims on its rows: an idempotency key queued twice is one row, and a dispatcher
whose lease ran out cannot overwrite the outcome of the one that took the row over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from core.delivery import outbox
from core.people import auth
from core.people.permissions import Principal
from models import (
    OutboxMessage,
)
from tests.factories import (
    make_district,
    make_staff,
)

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai


def test_enqueue_twice_with_one_key_is_one_row(app):
    first = outbox.enqueue("robot", "key-1", {"text": "早报"}, key="report:2026-03-02")
    again = outbox.enqueue("robot", "key-2", {"text": "另一条"}, key="report:2026-03-02")
    assert again.id == first.id
    assert again.target == "key-1" and again.payload == {"text": "早报"}
    assert (
        OutboxMessage.select().where(OutboxMessage.idempotency_key == "report:2026-03-02").count()
        == 1
    )


def test_a_dispatcher_whose_lease_expired_cannot_overwrite_the_next_ones_outcome(app):
    d = make_district(communities=1, alleys_per_community=1)
    admin = Principal.for_user(auth.ensure_console_user(make_staff(d.street, role="admin")))
    with time_machine.travel(T0, tick=False) as clock:
        row = outbox.enqueue("robot", "key-1", {"text": "早报"}, key="late:1", area=d.alleys[0])
        slow = outbox._claim(
            row.id, outbox.utcnow(), retries_now=False
        )  # dispatcher 1 starts sending, then hangs
        assert slow is not None and slow.status == "sending"
        clock.shift(timedelta(seconds=outbox.lease_seconds() + 1))
        assert outbox.expire_leases() == 1
        assert OutboxMessage.get_by_id(row.id).status == "uncertain"
        outbox.retry(row.id, admin)  # staff put it back
        clock.shift(timedelta(seconds=1))
        second = outbox._claim(row.id, outbox.utcnow(), retries_now=False)  # dispatcher 2 takes it
        assert second is not None and second.lease_until != slow.lease_until
        # Dispatcher 1 wakes up and reports its (stale) outcome: nothing is written.
        assert outbox._finish(slow, status="dead", last_error="迟到的失败") is False
        current = OutboxMessage.get_by_id(row.id)
        assert current.status == "sending" and current.last_error != "迟到的失败"
        assert current.lease_until == second.lease_until
        # Dispatcher 2's outcome is written.
        assert outbox._finish(second, status="sent", result={"errcode": 0}, lease_until=None)
        assert OutboxMessage.get_by_id(row.id).status == "sent"
        # And dispatcher 1, later still, cannot turn a sent row back.
        assert outbox._finish(slow, status="uncertain", last_error="x") is False
        assert OutboxMessage.get_by_id(row.id).status == "sent"


def test_a_late_real_answer_still_lands_on_its_own_uncertain_row(app):
    """The lease that expired is still the row's lease while nobody else claimed it."""
    with time_machine.travel(T0, tick=False) as clock:
        row = outbox.enqueue("robot", "key-1", {"text": "早报"}, key="late:2")
        slow = outbox._claim(row.id, outbox.utcnow(), retries_now=False)
        clock.shift(timedelta(seconds=outbox.lease_seconds() + 1))
        outbox.expire_leases()
        assert outbox._finish(slow, status="sent", result={"errcode": 0}, lease_until=None)
        assert OutboxMessage.get_by_id(row.id).status == "sent"
