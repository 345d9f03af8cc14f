"""The time bank's ledger: passbooks, append-only entries, balances that equal the sum."""

from __future__ import annotations

import pytest

from core.timebank import postings, rules
from core.timebank.postings import Holder
from infra.db import write_transaction
from infra.errors import ApiError
from models import PointAccount, PointEntry, User
from tests.factories import make_district


@pytest.fixture
def world(app):
    d = make_district(communities=2, alleys_per_community=1)
    user = User.create(openid="volunteer-1", nickname="李阿姨")
    return d, user


def test_one_passbook_per_holder_and_community(world):
    d, user = world
    first = postings.account_for(d.communities[0], Holder(user_id=user.id))
    again = postings.account_for(d.communities[0].id, Holder(user_id=user.id))
    other = postings.account_for(d.communities[1], Holder(user_id=user.id))
    steward = postings.account_for(d.communities[0], Holder(steward_id=d.stewards[0].id))
    assert first.id == again.id
    assert len({first.id, other.id, steward.id}) == 3
    assert len({first.member_code, other.member_code, steward.member_code}) == 3
    assert len(first.member_code) == postings.MEMBER_CODE_LENGTH
    assert postings.by_member_code(first.member_code.lower()).id == first.id
    with pytest.raises(ValueError):
        Holder()
    with pytest.raises(ValueError):
        Holder(user_id=1, steward_id=1)


def test_unknown_member_code_is_404(world):
    with pytest.raises(ApiError) as caught:
        postings.by_member_code("NOPE")
    assert caught.value.status == 404
    assert caught.value.code == "member_not_found"


def test_accounts_of_a_person_cover_user_and_steward_records(world):
    d, user = world
    mine = postings.account_for(d.communities[0], Holder(user_id=user.id))
    as_steward = postings.account_for(d.communities[0], Holder(steward_id=d.stewards[0].id))
    postings.account_for(d.communities[1], Holder(steward_id=d.stewards[1].id))
    found = postings.accounts_of(user, [d.stewards[0]])
    assert [a.id for a in found] == [mine.id, as_steward.id]
    assert postings.accounts_of(None, []) == []


def test_balance_is_the_sum_and_keys_never_count_twice(world):
    d, user = world
    account = postings.account_for(d.communities[0], Holder(user_id=user.id))
    with write_transaction():
        first = postings.post(
            account, 3, rule="service_hour", source_type="activity", source_id=7, key="a:7:u1"
        )
        twice = postings.post(
            account, 3, rule="service_hour", source_type="activity", source_id=7, key="a:7:u1"
        )
        postings.post(account, 2, rule="adjustment", source_type="adjustment", reason="补录")
    assert first is not None and twice is None
    assert postings.balance_of(account) == 5
    assert PointAccount.get_by_id(account.id).balance == 5
    assert account.balance == 5
    assert [e.points for e in postings.entries(account)] == [2, 3]
    assert postings.audit_balances() == []


def test_refused_redemption_writes_nothing(world):
    d, user = world
    account = postings.account_for(d.communities[0], Holder(user_id=user.id))
    postings.post(account, 4, rule="adjustment", source_type="adjustment", reason="开户")
    with pytest.raises(ApiError) as caught:
        with write_transaction():
            postings.post(account, -5, rule="redemption", source_type="redemption", floor="refuse")
    assert caught.value.status == 409
    assert caught.value.code == "insufficient_points"
    assert PointEntry.select().where(PointEntry.account == account.id).count() == 1
    assert PointAccount.get_by_id(account.id).balance == 4
    spent = postings.post(account, -4, rule="redemption", source_type="redemption", floor="refuse")
    assert spent.points == -4
    assert PointAccount.get_by_id(account.id).balance == 0


def test_a_deduction_takes_only_what_is_there(world):
    d, user = world
    account = postings.account_for(d.communities[0], Holder(user_id=user.id))
    postings.post(account, 2, rule="adjustment", source_type="adjustment", reason="开户")
    entry = postings.post(account, -5, rule="adjustment", source_type="adjustment", reason="扣分")
    assert entry.points == -2
    assert entry.reason == "扣分（应扣 5 分，余额仅 2 分）"
    assert postings.post(account, -1, rule="adjustment", source_type="adjustment") is None
    assert postings.balance_of(account) == 0 == PointAccount.get_by_id(account.id).balance


def test_an_exact_correction_may_go_negative(world):
    d, user = world
    account = postings.account_for(d.communities[0], Holder(user_id=user.id))
    award = postings.post(account, 6, rule="service_hour", source_type="activity", source_id=1)
    postings.post(account, -6, rule="redemption", source_type="redemption", floor="refuse")
    reversal = postings.reverse(award.id, reason="签到记录有误")
    assert reversal.points == -6 and reversal.reverses_id == award.id
    assert reversal.rule == "reversal" and reversal.source_id == 1
    assert postings.balance_of(account) == -6 == PointAccount.get_by_id(account.id).balance
    # Once only, and a reversal is not itself reversed.
    with pytest.raises(ApiError) as again:
        postings.reverse(award.id, reason="再来一次")
    assert (again.value.status, again.value.code) == (409, "already_reversed")
    with pytest.raises(ApiError) as of_reversal:
        postings.reverse(reversal.id, reason="撤销冲正")
    assert (of_reversal.value.status, of_reversal.value.code) == (409, "invalid_transition")
    with pytest.raises(ApiError) as no_reason:
        postings.reverse(award.id, reason="  ")
    assert no_reason.value.fields == {"reason": "请写明冲正原因"}
    assert postings.audit_balances() == []


def test_audit_balances_finds_a_tampered_cache(world):
    d, user = world
    account = postings.account_for(d.communities[0], Holder(user_id=user.id))
    postings.post(account, 3, rule="adjustment", source_type="adjustment", reason="开户")
    PointAccount.update(balance=99).where(PointAccount.id == account.id).execute()
    assert postings.audit_balances() == [(account.id, 99, 3)]


def test_unknown_rule_and_source_are_refused(world):
    d, user = world
    account = postings.account_for(d.communities[0], Holder(user_id=user.id))
    with pytest.raises(ApiError) as caught:
        postings.post(account, 1, rule="no_such_rule", source_type="activity")
    assert caught.value.fields == {"rule": "没有这条积分规则"}
    with pytest.raises(ValueError):
        postings.post(account, 1, rule="service_hour", source_type="lottery")
    assert PointEntry.select().count() == 0


def test_configured_rules_override_and_extend(app):
    app.config["TIMEBANK_RULES"] = {
        "service_hour": {"points": 2},
        "clean_up": {"label": "参加环境整治", "points": 3, "manual": True},
    }
    catalogue = rules.catalogue()
    assert catalogue["service_hour"].points == 2
    assert catalogue["service_hour"].label == "志愿服务时长"
    assert catalogue["clean_up"].manual and catalogue["clean_up"].points == 3
    assert catalogue["redemption"].points == 0
