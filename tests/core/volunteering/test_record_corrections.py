"""Correcting a certified service record (`core.volunteering.records.correct`) as a steward's
and as the community's ledger see it: the reversal and the replacement stay the steward's
service, and only the reversal takes the reversing ledger entry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.people.permissions import Principal
from core.timebank import postings
from core.volunteering import records
from models import PointEntry, ServiceRecord, User
from tests.factories import make_district, make_staff


@pytest.fixture
def w(client):
    d = make_district()
    staff = make_staff(d.communities[0])
    return {
        "d": d,
        "c1": d.communities[0],
        "steward": d.stewards[0],
        "staff": Principal.for_user(User.get_by_id(staff.user_id)),
    }


def certified(w, key: str, hours: str = "2.0") -> ServiceRecord:
    """A steward's patrol day in 第1社区, certified by the community's staff."""
    record = ServiceRecord.create(
        community=w["c1"],
        steward=w["steward"],
        person_name="管家11",
        source_type="patrol",
        source_id=7,
        source_key=key,
        title="街巷巡查（1区1巷）",
        served_on=date(2026, 12, 5),
        hours=Decimal(hours),
        organiser=w["c1"].name,
    )
    return records.certify(w["staff"], record.id)


def stewards_hours(w) -> Decimal:
    # without the list's order, as every caller sums (PostgreSQL refuses ORDER BY with SUM)
    return records.total_hours(records.visible(w["staff"], steward_id=w["steward"].id).order_by())


def test_a_stewards_corrected_record_is_reversed_and_replaced_in_the_stewards_name(w):
    record = certified(w, "day", hours="3.0")
    out = records.correct(w["staff"], record.id, "巡查时长多记", hours="1.0")
    assert out["reversal"].steward_id == w["steward"].id
    assert out["replacement"].steward_id == w["steward"].id
    # the steward's hours: 3.0 − 3.0 + 1.0 (the replacement, still pending)
    assert stewards_hours(w) == Decimal("1.0")
    account = postings.account_for(w["c1"].id, postings.Holder(steward_id=w["steward"].id))
    assert account.balance == 0


def test_a_correction_leaves_every_other_records_ledger_entry_alone(w):
    record = certified(w, "day")
    other = certified(w, "another day")
    reversal = records.correct(w["staff"], record.id, "重复记录")["reversal"]
    assert ServiceRecord.get_by_id(record.id).entry_id == record.entry_id
    assert ServiceRecord.get_by_id(other.id).entry_id == other.entry_id
    reversing = PointEntry.get_by_id(reversal.entry_id)
    assert reversing.reverses_id == record.entry_id and reversing.points == -2
