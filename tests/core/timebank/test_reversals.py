"""冲正 at the ledger (`core.timebank.postings.reverse`): the exact opposite line, on the same
passbook only, and every refusal with its code and the words a person reads."""

from __future__ import annotations

import pytest

from core.timebank import postings
from core.timebank.postings import Holder
from infra.db import write_transaction
from infra.errors import ApiError
from models import PointAccount, PointEntry, User
from tests.factories import at_once, make_district


@pytest.fixture
def world(app):
    d = make_district(communities=2, alleys_per_community=1)
    volunteer = User.create(openid="volunteer-1", nickname="李阿姨")
    staff = User.create(openid="staff-1", nickname="王主任")
    mine = postings.account_for(d.communities[0], Holder(user_id=volunteer.id))
    other = postings.account_for(d.communities[1], Holder(user_id=volunteer.id))
    return d, staff, mine, other


def refusal(action) -> tuple[int, str, str, dict]:
    with pytest.raises(ApiError) as caught:
        action()
    e = caught.value
    return e.status, e.code, e.message, e.fields


def test_a_reversal_is_the_exact_opposite_line_written_by_the_staff_member(world):
    _, staff, mine, _ = world
    award = postings.post(
        mine, 4, rule="service_hour", source_type="wish", source_id=31, reason="陪同就医"
    )
    reversal = postings.reverse(award.id, reason="  服务时长填错了  ", actor=staff)
    line = PointEntry.get_by_id(reversal.id)
    assert line.account_id == mine.id
    assert line.points == -4
    assert line.rule == "reversal"
    assert (line.source_type, line.source_id) == ("wish", 31)
    assert line.reason == "服务时长填错了"
    assert line.reverses_id == award.id
    assert line.actor_id == staff.id
    assert line.actor_label == "王主任"
    assert line.key is None


def test_a_reversal_by_the_system_names_the_label_it_was_given(world):
    _, _, mine, _ = world
    award = postings.post(mine, 2, rule="issue_resolved", source_type="issue", source_id=5)
    by_system = postings.reverse(award.id, reason="被群众重新打开", label="系统")
    assert PointEntry.get_by_id(by_system.id).actor_label == "系统"
    assert PointEntry.get_by_id(by_system.id).actor_id is None


def test_a_long_reason_is_kept_to_two_hundred_characters(world):
    _, staff, mine, _ = world
    award = postings.post(mine, 1, rule="service_hour", source_type="activity", source_id=1)
    reversal = postings.reverse(award.id, reason="错" * 250, actor=staff)
    assert PointEntry.get_by_id(reversal.id).reason == "错" * 200


def test_a_reversal_moves_only_its_own_passbooks_balance(world):
    _, staff, mine, other = world
    award = postings.post(mine, 5, rule="service_hour", source_type="activity", source_id=1)
    postings.post(other, 7, rule="service_hour", source_type="activity", source_id=2)
    postings.reverse(award.id, reason="签到有误", actor=staff)
    assert PointAccount.get_by_id(mine.id).balance == 0 == postings.balance_of(mine)
    assert PointAccount.get_by_id(other.id).balance == 7 == postings.balance_of(other)
    assert postings.audit_balances() == []


def test_reversing_a_deduction_gives_the_points_back(world):
    _, staff, mine, _ = world
    postings.post(mine, 5, rule="service_hour", source_type="activity", source_id=1)
    deduction = postings.post(mine, -3, rule="adjustment", source_type="adjustment", reason="扣")
    reversal = postings.reverse(deduction.id, reason="扣错了", actor=staff)
    assert reversal.points == 3
    assert PointAccount.get_by_id(mine.id).balance == 5 == postings.balance_of(mine)


def test_the_entry_asked_for_is_the_one_reversed_and_others_stay_reversible(world):
    _, staff, mine, other = world
    first = postings.post(mine, 1, rule="service_hour", source_type="activity", source_id=1)
    second = postings.post(other, 3, rule="service_hour", source_type="activity", source_id=2)
    postings.reverse(first.id, reason="第一条有误", actor=staff)
    # another entry's reversal does not count as this one's
    reversal = postings.reverse(second.id, reason="第二条有误", actor=staff)
    assert (reversal.reverses_id, reversal.account_id, reversal.points) == (second.id, other.id, -3)


def test_a_reversal_without_a_reason_is_refused_naming_the_field(world):
    _, staff, mine, _ = world
    award = postings.post(mine, 1, rule="service_hour", source_type="activity", source_id=1)
    expected = (400, "validation_error", "请写明冲正原因", {"reason": "请写明冲正原因"})
    for reason in ("", "   ", None):
        assert refusal(lambda r=reason: postings.reverse(award.id, reason=r, actor=staff)) == (
            expected
        )
    assert PointEntry.select().count() == 1


def test_a_missing_entry_is_not_found_even_when_others_exist(world):
    _, staff, mine, _ = world
    award = postings.post(mine, 1, rule="service_hour", source_type="activity", source_id=1)
    assert refusal(lambda: postings.reverse(award.id + 100, reason="错", actor=staff)) == (
        404,
        "entry_not_found",
        "找不到这条积分记录",
        {},
    )


def test_a_reversal_is_not_itself_reversed_nor_an_entry_reversed_twice(world):
    _, staff, mine, _ = world
    award = postings.post(mine, 2, rule="service_hour", source_type="activity", source_id=1)
    reversal = postings.reverse(award.id, reason="有误", actor=staff)
    assert refusal(lambda: postings.reverse(reversal.id, reason="撤销冲正", actor=staff)) == (
        409,
        "invalid_transition",
        "这条记录本身就是冲正，不能再冲正",
        {},
    )
    assert refusal(lambda: postings.reverse(award.id, reason="再来一次", actor=staff)) == (
        409,
        "already_reversed",
        "这条记录已经冲正过了",
        {},
    )
    assert PointEntry.select().count() == 2
    assert PointAccount.get_by_id(mine.id).balance == 0


def test_two_staff_reversing_the_same_line_at_once_make_one_reversal(app, world):
    _, staff, mine, _ = world
    award = postings.post(mine, 3, rule="service_hour", source_type="activity", source_id=1)

    def reverse():
        with write_transaction():
            postings.reverse(award.id, reason="重复签到", actor=staff)

    # On PostgreSQL both may pass the "already reversed?" check; the unique index on
    # `reverses` then refuses the second with the same answer.
    assert sorted(at_once(app, reverse)) == ["already_reversed", "ok"]
    assert PointEntry.select().where(PointEntry.reverses == award.id).count() == 1
    assert PointAccount.get_by_id(mine.id).balance == 0 == postings.balance_of(mine)
