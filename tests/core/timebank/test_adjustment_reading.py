"""How staff read and find adjustments (core.timebank.adjustments): one adjustment as the
console and the API show it (its passbook, rule, status, who decided and when, and what the
viewer may do with it), what waits for a staff member's approval, and the list's scope."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from core.people import identity
from core.people.permissions import Principal
from core.timebank import adjustments, postings
from core.timebank.postings import Holder
from models import PointAccount, PointAdjustment, Steward, User
from tests.api.test_timebank_routes import user_named
from tests.core.timebank.test_adjustments import _world
from tests.factories import make_staff


@pytest.fixture
def w(client):
    return _world(client)


def _p(account) -> Principal:
    return Principal.for_user(User.get_by_id(account.user_id))


def test_staff_read_an_adjustment_with_its_passbook_rule_decision_and_what_they_may_do(w):
    maker, checker = _p(w["maker"]), _p(w["checker"])
    made_at, decided_at = (
        datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        datetime(2026, 12, 2, 2, 30, tzinfo=UTC),
    )
    with time_machine.travel(made_at, tick=False):
        pending = adjustments.adjust(
            maker, w["account"], rule="good_deed", reason="救人", units=6
        ).pending
    account = PointAccount.get_by_id(w["account"].id)
    expected = {
        "id": pending.id,
        "account_id": account.id,
        "member_code": account.member_code,
        "community_id": w["d"].communities[0].id,
        "community_name": w["d"].communities[0].name,
        "holder": {"kind": "user", "id": account.user_id, "name": "张大妈"},
        "balance": 0,
        "rule": "good_deed",
        "rule_label": "好人好事、见义勇为（经核实）",
        "units": 6,
        "points": 60,
        "reason": "救人",
        "status": "pending",
        "status_label": "待审核",
        "made_by": w["maker"].user.nickname,
        "made_at": "2026-12-01T09:00:00+08:00",
        "decided_by": None,
        "decided_at": None,
        "refuse_reason": None,
        "entry_id": None,
        "can_approve": True,
        "can_refuse": True,
    }

    def read(viewer):
        row = adjustments.list_query(checker).where(PointAdjustment.id == pending.id).get()
        return adjustments.as_dict(row, identity.person_of(viewer) if viewer else None)

    assert read(checker) == expected
    assert read(maker) == {**expected, "can_approve": False}
    with time_machine.travel(decided_at, tick=False):
        adjustments.approve(checker, pending.id)
    entry_id = PointAdjustment.get_by_id(pending.id).entry_id
    assert read(checker) == {
        **expected,
        "balance": 60,
        "status": "approved",
        "status_label": "已通过",
        "decided_by": w["checker"].user.nickname,
        "decided_at": "2026-12-02T10:30:00+08:00",
        "entry_id": entry_id,
        "can_approve": False,
        "can_refuse": False,
    }
    assert read(None)["can_refuse"] is False
    second = adjustments.adjust(maker, w["account"], rule="adjustment", reason="核实", points=-70)
    adjustments.refuse(checker, second.pending.id, "证明不全")
    row = adjustments.list_query(checker).where(PointAdjustment.id == second.pending.id).get()
    refused = adjustments.as_dict(row, identity.person_of(maker))
    assert (refused["status_label"], refused["refuse_reason"], refused["rule_label"]) == (
        "已驳回",
        "证明不全",
        "人工调整",
    )


def test_nobody_is_offered_a_decision_on_an_adjustment_to_their_own_passbook(w):
    maker, checker = _p(w["maker"]), _p(w["checker"])
    steward = w["d"].stewards[0]
    books = {
        "user": postings.account_for(w["d"].communities[0], Holder(user_id=checker.user.id)),
        "steward": postings.account_for(w["d"].communities[0], Holder(steward_id=steward.id)),
    }
    # The checker's identities: their login, and the steward record they also serve as.
    holder = identity.Person(frozenset({checker.user.id}), frozenset({steward.id}))
    stranger = identity.Person(frozenset({w["admin_account"].user.id}), frozenset())
    for kind, book in books.items():
        pending = adjustments.adjust(maker, book, rule="adjustment", reason="核实", points=70)
        row = adjustments.list_query(maker).where(PointAdjustment.id == pending.pending.id).get()
        mine = adjustments.as_dict(row, holder)
        assert (kind, mine["can_approve"], mine["can_refuse"]) == (kind, False, False)
        theirs = adjustments.as_dict(row, stranger)
        assert (kind, theirs["can_approve"], theirs["can_refuse"]) == (kind, True, True)


def test_an_adjustment_under_a_rule_since_dropped_from_the_configuration_still_reads(app, w):
    app.config["TIMEBANK_RULES"] = {
        "river_patrol": {"label": "护河巡查", "points": 3, "manual": True},
    }
    maker = _p(w["maker"])
    made = adjustments.adjust(maker, w["account"], rule="river_patrol", reason="巡河", units=20)
    assert made.pending.points == 60
    app.config["TIMEBANK_RULES"] = {}
    row = adjustments.list_query(maker).where(PointAdjustment.id == made.pending.id).get()
    assert adjustments.as_dict(row)["rule_label"] == "river_patrol"


def test_what_waits_for_a_staff_member_is_the_pending_only_within_the_chosen_area(w):
    d, maker, checker = w["d"], _p(w["maker"]), _p(w["checker"])
    there = _p(make_staff(d.communities[1]))
    their_book = postings.account_for(d.communities[1], Holder(user_id=user_named("张大妈").id))

    def request(p, book):
        return adjustments.adjust(p, book, rule="adjustment", reason="核实", points=60).pending.id

    here, approved, refused = (request(maker, w["account"]) for _ in range(3))
    adjustments.approve(checker, approved)
    adjustments.refuse(checker, refused, "不同意")
    elsewhere = request(there, their_book)
    admin = _p(w["admin_account"])

    def waiting(**kwargs):
        return sorted(a.id for a in adjustments.awaiting(admin, **kwargs))

    assert waiting() == [here, elsewhere]
    assert waiting(community_id=d.communities[1].id) == [elsewhere]
    assert waiting(area=d.communities[0]) == [here]
    assert waiting(status="none") == []


def test_the_dashboards_count_of_adjustments_to_review_leaves_out_those_decided(w):
    """The 首页's 待您审核的积分调整 (`awaiting_within`, compiled) counts the pending only: an
    approved and a refused adjustment, newer than the one waiting, are neither counted nor
    shown as the newest."""
    maker, checker = _p(w["maker"]), _p(w["checker"])

    def request():
        return adjustments.adjust(
            maker, w["account"], rule="adjustment", reason="核实", points=60
        ).pending.id

    waiting, approved, refused = request(), request(), request()
    adjustments.approve(checker, approved)
    adjustments.refuse(checker, refused, "不同意")
    count, newest = adjustments.awaiting_within(_p(w["admin_account"]), w["d"].communities[0])
    assert (count, newest.id) == (1, waiting)


def test_a_staff_member_who_also_serves_as_a_steward_is_not_asked_to_approve_that_passbook(w):
    d, maker, checker = w["d"], _p(w["maker"]), _p(w["checker"])
    steward = d.stewards[0]
    Steward.update(user=checker.user.id).where(Steward.id == steward.id).execute()
    as_steward = postings.account_for(d.communities[0], Holder(steward_id=steward.id))
    theirs = adjustments.adjust(maker, as_steward, rule="adjustment", reason="核实", points=60)
    other = adjustments.adjust(maker, w["account"], rule="adjustment", reason="核实", points=60)
    someone_else = postings.account_for(d.communities[0], Holder(steward_id=d.stewards[1].id))
    colleague = adjustments.adjust(maker, someone_else, rule="adjustment", reason="核实", points=60)
    assert [a.id for a in adjustments.awaiting(checker)] == [
        colleague.pending.id,
        other.pending.id,
    ]
    assert [a.id for a in adjustments.awaiting(_p(w["admin_account"]))] == [
        colleague.pending.id,
        other.pending.id,
        theirs.pending.id,
    ]


def test_the_list_covers_every_area_a_staff_member_serves_and_nothing_for_one_with_none(w):
    d, maker = w["d"], _p(w["maker"])
    there = _p(make_staff(d.communities[1]))
    their_book = postings.account_for(d.communities[1], Holder(user_id=user_named("张大妈").id))
    here = adjustments.adjust(maker, w["account"], rule="adjustment", reason="核实", points=60)
    elsewhere = adjustments.adjust(there, their_book, rule="adjustment", reason="核实", points=60)
    both = Principal(user=maker.user, roles={"staff"}, area_roots=list(d.communities[:2]))
    assert sorted(a.id for a in adjustments.list_query(both)) == [
        here.pending.id,
        elsewhere.pending.id,
    ]
    resident = Principal.for_user(user_named("张大妈"))
    assert list(adjustments.list_query(resident)) == []


def test_the_list_is_newest_first_and_of_two_made_at_once_the_later_first(w):
    maker = _p(w["maker"])
    earlier, later = (
        datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        datetime(2026, 12, 3, 1, 0, tzinfo=UTC),
    )

    def request(at):
        with time_machine.travel(at, tick=False):
            made = adjustments.adjust(
                maker, w["account"], rule="adjustment", reason="核实", points=60
            )
        return made.pending.id

    first, second, back_dated = request(later), request(later), request(earlier)
    listed = [a.id for a in adjustments.list_query(maker)]
    assert listed == [second, first, back_dated]


def test_the_dashboards_compiled_count_is_each_viewers_within_each_area(w):
    """The 首页's 待您审核的积分调整 (`awaiting_within`) runs statements compiled once per shape
    (roots; whether the person has users, steward records): each viewer and area in turn gets
    `awaiting`'s count and newest row — not their own, not another's scope, none for nobody."""
    d, maker, checker = w["d"], _p(w["maker"]), _p(w["checker"])
    Steward.update(user=checker.user.id).where(Steward.id == d.stewards[0].id).execute()
    checker = _p(w["checker"])  # now also serves as that steward
    as_steward = postings.account_for(d.communities[0], Holder(steward_id=d.stewards[0].id))
    there = _p(make_staff(d.communities[1]))
    their_book = postings.account_for(d.communities[1], Holder(user_id=user_named("张大妈").id))

    def request(p, book):
        return adjustments.adjust(p, book, rule="adjustment", reason="核实", points=60).pending.id

    other, theirs, elsewhere = (
        request(maker, w["account"]),
        request(maker, as_steward),
        request(there, their_book),
    )
    admin = _p(w["admin_account"])
    cases = (
        (checker, d.communities[0], 1, other),
        (maker, d.communities[0], 0, None),
        (admin, d.communities[0], 2, theirs),
        (admin, d.communities[1], 1, elsewhere),
        (there, d.communities[1], 0, None),
        (maker, d.communities[1], 0, None),  # not theirs to see
        (checker, d.communities[0], 1, other),
        (Principal.anonymous(), d.street, 0, None),
    )
    for p, area, count, newest in cases:
        found, first = adjustments.awaiting_within(p, area)
        plain = adjustments.awaiting(p, area=area)
        assert found == plain.count() == count
        assert (first and first.id) == (plain.first() and plain.first().id) == newest
        if first is not None:
            assert first.account.community_id == area.id  # the passbook comes with it
