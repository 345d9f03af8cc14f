"""The ledger's writes and reads at their edges (`core.timebank.postings`): each line as
written, the three floors at and around zero, one passbook moved at a time, the lines and the
balance of one passbook only, and the balance audit over passbooks with and without lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from peewee import IntegrityError

from core.timebank import postings
from core.timebank.postings import Holder
from infra.errors import ApiError
from models import PointAccount, PointEntry, User
from tests.factories import make_district

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


@pytest.fixture
def world(app):
    d = make_district(communities=2, alleys_per_community=1)
    volunteer = User.create(openid="volunteer-1", nickname="李阿姨")
    staff = User.create(openid="staff-1", nickname="王主任")
    checker = User.create(openid="staff-2", nickname="赵书记")
    mine = postings.account_for(d.communities[0], Holder(user_id=volunteer.id))
    other = postings.account_for(d.communities[1], Holder(user_id=volunteer.id))
    return {"d": d, "staff": staff, "checker": checker, "mine": mine, "other": other}


def line(entry: PointEntry) -> PointEntry:
    return PointEntry.get_by_id(entry.id)


def test_a_line_is_written_as_given_with_its_maker_and_approver(world):
    mine, staff, checker = world["mine"], world["staff"], world["checker"]
    entry = postings.post(
        mine,
        30,
        rule="adjustment",
        source_type="adjustment",
        source_id=9,
        reason="年终补录",
        floor="allow",
        actor=staff,
        approved_by=checker,
    )
    stored = line(entry)
    assert (stored.account_id, stored.points, stored.rule) == (mine.id, 30, "adjustment")
    assert (stored.source_type, stored.source_id, stored.reason) == ("adjustment", 9, "年终补录")
    assert (stored.actor_id, stored.actor_label) == (staff.id, "王主任")
    assert (stored.approved_by_id, stored.approved_by_label) == (checker.id, "赵书记")


def test_a_line_without_approver_reason_or_maker_is_the_systems(world):
    entry = postings.post(world["mine"], 2, rule="service_hour", source_type="activity")
    stored = line(entry)
    assert (stored.reason, stored.key, stored.source_id) == ("", None, None)
    assert (stored.actor_id, stored.actor_label) == (None, "系统")
    assert (stored.approved_by_id, stored.approved_by_label) == (None, "")


def test_a_label_given_is_written_as_it_is_whoever_the_actor(world):
    entry = postings.post(
        world["mine"],
        1,
        rule="service_hour",
        source_type="activity",
        actor=world["staff"],
        label="社区代录",
    )
    assert (line(entry).actor_id, line(entry).actor_label) == (world["staff"].id, "社区代录")


def test_a_long_reason_is_kept_to_two_hundred_characters(world):
    entry = postings.post(
        world["mine"], 1, rule="service_hour", source_type="activity", reason="长" * 230
    )
    assert line(entry).reason == "长" * 200


def test_two_awards_with_different_keys_both_count(world):
    mine = world["mine"]
    first = postings.post(mine, 1, rule="service_hour", source_type="activity", key="a:1:u1")
    second = postings.post(mine, 2, rule="service_hour", source_type="activity", key="a:2:u1")
    assert first is not None and second is not None
    assert [e.key for e in postings.entries(mine)] == ["a:2:u1", "a:1:u1"]
    assert PointAccount.get_by_id(mine.id).balance == 3


def test_a_line_for_a_passbook_that_does_not_exist_is_an_error_not_dropped(world):
    gone = PointAccount(id=world["other"].id + 100, balance=0)
    with pytest.raises(IntegrityError):
        postings.post(gone, 1, rule="service_hour", source_type="activity")
    assert PointEntry.select().count() == 0


def test_posting_moves_only_its_own_passbook(world):
    mine, other = world["mine"], world["other"]
    postings.post(other, 9, rule="service_hour", source_type="activity")
    postings.post(mine, 4, rule="service_hour", source_type="activity")
    postings.post(mine, -1, rule="adjustment", source_type="adjustment", reason="扣")
    postings.post(mine, -1, rule="redemption", source_type="redemption", floor="refuse")
    postings.post(mine, -1, rule="adjustment", source_type="adjustment", floor="allow")
    assert PointAccount.get_by_id(mine.id).balance == 1 == postings.balance_of(mine.id)
    assert PointAccount.get_by_id(other.id).balance == 9 == postings.balance_of(other.id)
    assert [e.points for e in postings.entries(other.id)] == [9]


def test_a_clamped_deduction_reads_its_own_passbooks_balance(world):
    mine, other = world["mine"], world["other"]
    postings.post(other, 10, rule="service_hour", source_type="activity")
    postings.post(mine, 1, rule="service_hour", source_type="activity")
    entry = postings.post(mine, -3, rule="issue_overdue", source_type="issue")
    assert entry.points == -1
    # no reason of its own: the entry says only what was short
    assert entry.reason == "应扣 3 分，余额仅 1 分"
    assert postings.post(mine, -3, rule="issue_overdue", source_type="issue") is None
    assert PointAccount.get_by_id(other.id).balance == 10


def test_a_deduction_of_exactly_the_balance_takes_it_all_without_a_shortfall(world):
    mine = world["mine"]
    postings.post(mine, 3, rule="service_hour", source_type="activity")
    entry = postings.post(mine, -3, rule="issue_overdue", source_type="issue", reason="超期")
    assert (entry.points, line(entry).reason) == (-3, "超期")
    assert PointAccount.get_by_id(mine.id).balance == 0


def test_an_allowed_deduction_may_go_below_zero(world):
    mine = world["mine"]
    entry = postings.post(mine, -4, rule="adjustment", source_type="adjustment", floor="allow")
    assert entry.points == -4
    assert PointAccount.get_by_id(mine.id).balance == -4 == postings.balance_of(mine)


def test_points_added_to_a_passbook_in_debt_are_never_refused(world):
    mine = world["mine"]
    postings.post(mine, -6, rule="adjustment", source_type="adjustment", floor="allow")
    assert postings.post(mine, 2, rule="service_hour", source_type="activity", floor="refuse")
    # a free item costs nothing, so it is not refused either
    free = postings.post(mine, 0, rule="redemption", source_type="redemption", floor="refuse")
    assert free is not None and free.points == 0
    assert PointAccount.get_by_id(mine.id).balance == -4


def test_a_redemption_refused_says_so_in_chinese(world):
    mine = world["mine"]
    postings.post(mine, 1, rule="service_hour", source_type="activity")
    with pytest.raises(ApiError) as caught:
        postings.post(mine, -2, rule="redemption", source_type="redemption", floor="refuse")
    e = caught.value
    assert (e.status, e.code, e.message) == (409, "insufficient_points", "积分余额不足")


def test_a_caller_naming_an_unknown_source_or_floor_is_told_which(world):
    mine = world["mine"]
    with pytest.raises(ValueError, match="unknown source type 'lottery'"):
        postings.post(mine, 1, rule="service_hour", source_type="lottery")
    with pytest.raises(ValueError, match="unknown floor 'never'"):
        postings.post(mine, 1, rule="service_hour", source_type="activity", floor="never")
    with pytest.raises(ValueError, match="exactly one of a user or a steward"):
        Holder()


def test_a_passbook_without_lines_has_a_balance_of_zero(world):
    postings.post(world["other"], 5, rule="service_hour", source_type="activity")
    assert postings.balance_of(world["mine"]) == 0
    assert postings.balance_of(world["mine"].id) == 0
    assert postings.entries(world["mine"]) == []


def test_lines_come_newest_first_by_their_date_not_by_when_they_were_written(world):
    mine = world["mine"]
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        later = postings.post(mine, 1, rule="service_hour", source_type="activity")
    with time_machine.travel(T0, tick=False):
        earlier = postings.post(mine, 2, rule="service_hour", source_type="activity")
        same_time = postings.post(mine, 3, rule="service_hour", source_type="activity")
    assert [e.id for e in postings.entries(mine)] == [later.id, same_time.id, earlier.id]
    assert [e.id for e in postings.entries(mine.id, limit=2)] == [later.id, same_time.id]


def test_the_balance_audit_passes_consistent_passbooks_with_and_without_lines(world):
    postings.post(world["mine"], 3, rule="service_hour", source_type="activity")
    postings.post(world["other"], 4, rule="service_hour", source_type="activity")
    postings.account_for(world["d"].communities[0], Holder(steward_id=world["d"].stewards[0].id))
    assert postings.audit_balances() == []


def test_the_balance_audit_finds_a_balance_with_no_lines_behind_it(world):
    postings.post(world["other"], 4, rule="service_hour", source_type="activity")
    PointAccount.update(balance=7).where(PointAccount.id == world["mine"].id).execute()
    assert postings.audit_balances() == [(world["mine"].id, 7, 0)]


def test_a_passbook_that_cannot_be_opened_is_refused_as_busy(world):
    gone = world["d"].communities[1].id + 100
    with pytest.raises(ApiError) as caught:
        postings.account_for(gone, Holder(user_id=world["staff"].id))
    e = caught.value
    assert (e.status, e.code, e.message) == (409, "busy", "系统繁忙，请稍后再试")
    assert PointAccount.select().where(PointAccount.community == gone).count() == 0


def test_a_stewards_passbooks_in_two_communities_are_two(world):
    d = world["d"]
    steward = d.stewards[0]
    first = postings.account_for(d.communities[0], Holder(steward_id=steward.id))
    second = postings.account_for(d.communities[1], Holder(steward_id=steward.id))
    assert first.id != second.id
    assert (second.community_id, second.steward_id, second.user_id) == (
        d.communities[1].id,
        steward.id,
        None,
    )


def test_a_persons_passbooks_are_listed_in_the_order_they_were_opened(world):
    d = world["d"]
    person = User.create(openid="steward-user", nickname="张管家")
    as_steward = postings.account_for(d.communities[1], Holder(steward_id=d.stewards[1].id))
    as_user = postings.account_for(d.communities[0], Holder(user_id=person.id))
    # a later write must not move the first passbook behind the second
    postings.post(as_steward, 1, rule="service_hour", source_type="activity")
    found = postings.accounts_of(person, [d.stewards[1]])
    assert [a.id for a in found] == [as_steward.id, as_user.id]


def test_an_unknown_member_code_says_so_in_chinese(world):
    with pytest.raises(ApiError) as caught:
        postings.by_member_code("ZZZZ-ZZZZ")
    e = caught.value
    assert (e.status, e.code, e.message) == (
        404,
        "member_not_found",
        "找不到这个会员码，请让对方刷新后再出示",
    )
