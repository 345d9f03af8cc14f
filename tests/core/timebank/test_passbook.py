"""Reading passbooks and finding them for staff (core.timebank.passbook): the quarter runs on
Shanghai's calendar with both edges where they belong, a quarter's summary counts only its own
entries, staff find a person only in the communities they manage, a steward's passbook is
opened only where the steward's alleys lie, and a reversal is refused on a redemption or on
one's own passbook; every refusal names its reason in Chinese."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.people.permissions import Principal
from core.timebank import passbook, postings
from core.timebank.postings import Holder
from infra.db import write_transaction
from infra.errors import ApiError
from models import Event, PointAccount, PointEntry, User
from tests.factories import make_district, make_staff


def _p(account) -> Principal:
    return Principal.for_user(User.get_by_id(account.user_id))


def _refusal(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as err:
        call(*args, **kwargs)
    return err.value


def _entry(account, points, rule="meeting", at=None) -> PointEntry:
    with write_transaction():
        entry = postings.post(account, points, rule=rule, source_type="adjustment", reason="x")
    if at is not None:
        PointEntry.update(created_at=at).where(PointEntry.id == entry.id).execute()
    return entry


@pytest.fixture
def w(app):
    d = make_district()
    staff = make_staff(d.communities[0])
    resident = User.create(openid="dev:张大妈", nickname="张大妈")
    return {
        "d": d,
        "staff_account": staff,
        "staff": _p(staff),
        "other_staff": _p(make_staff(d.communities[1])),
        "resident": resident,
        "account": postings.account_for(d.communities[0], Holder(user_id=resident.id)),
    }


# --- the quarter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "label", "start", "end"),
    [
        # 1 April 00:00 in Shanghai is 31 March 16:00 UTC: already the second quarter
        (
            datetime(2026, 3, 31, 16, 0),
            "2026Q2",
            datetime(2026, 3, 31, 16),
            datetime(2026, 6, 30, 16),
        ),
        (
            datetime(2026, 3, 31, 15, 59),
            "2026Q1",
            datetime(2025, 12, 31, 16),
            datetime(2026, 3, 31, 16),
        ),
        # the last quarter ends at the next year's first local midnight
        (
            datetime(2026, 12, 31, 15, 59),
            "2026Q4",
            datetime(2026, 9, 30, 16),
            datetime(2026, 12, 31, 16),
        ),
        (
            datetime(2026, 12, 31, 16, 0),
            "2027Q1",
            datetime(2026, 12, 31, 16),
            datetime(2027, 3, 31, 16),
        ),
        (
            datetime(2026, 8, 15, 4, 0),
            "2026Q3",
            datetime(2026, 6, 30, 16),
            datetime(2026, 9, 30, 16),
        ),
    ],
)
def test_the_quarter_follows_the_shanghai_calendar(now, label, start, end):
    assert passbook.quarter_bounds(now) == (label, start, end)


def test_a_quarters_summary_counts_only_its_own_entries_by_rule(w):
    account = w["account"]
    _entry(account, 5, at=datetime(2026, 9, 30, 15, 59))  # the quarter before
    _entry(account, 1, at=datetime(2026, 9, 30, 16, 0))  # the first moment of Q4
    _entry(account, 1, at=datetime(2026, 11, 1))
    _entry(account, -1, rule="absent", at=datetime(2026, 12, 31, 15, 59))
    _entry(account, 7, at=datetime(2026, 12, 31, 16, 0))  # next year
    summary = passbook.quarter_summary([PointAccount.get_by_id(account.id)], datetime(2026, 11, 5))
    assert (summary.period, summary.total, summary.balance) == ("2026Q4", 1, 13)
    assert summary.lines == [
        ("参加社区例会、议事会", "次", 2, 2),
        ("无故缺席例会或集中行动", "次", 1, -1),
    ]
    assert summary.breakdown() == "参加社区例会、议事会 2 次 +2、无故缺席例会或集中行动 1 次 −1"


def test_an_empty_quarter_says_so(w):
    summary = passbook.quarter_summary([], datetime(2026, 11, 5))
    assert (summary.period, summary.total, summary.lines) == ("2026Q4", 0, [])
    assert summary.breakdown() == "本季度还没有积分记录"
    zero = passbook.Summary(period="2026Q4", lines=[("调整", "次", 2, 0)])
    assert zero.breakdown() == "调整 2 次 +0"


def test_stewards_quarter_points_sum_their_passbooks_in_the_period_only(w):
    s0, s1 = w["d"].stewards[0], w["d"].stewards[1]
    a0 = postings.account_for(w["d"].communities[0], Holder(steward_id=s0.id))
    a1 = postings.account_for(w["d"].communities[0], Holder(steward_id=s1.id))
    start, end = datetime(2026, 9, 30, 16), datetime(2026, 12, 31, 16)
    _entry(a0, 3, at=start)
    _entry(a0, 2, at=datetime(2026, 12, 31, 15, 59))
    _entry(a0, 9, at=end)
    _entry(a1, 4, at=datetime(2026, 9, 30, 15, 59))
    _entry(w["account"], 6, at=datetime(2026, 11, 1))  # a resident's, not a steward's
    assert passbook.quarter_points_of_stewards([s0.id, s1.id], start, end) == {s0.id: 5}
    assert passbook.quarter_points_of_stewards([], start, end) == {}


# --- holders ----------------------------------------------------------------------------------


def test_a_passbook_names_its_holder(w):
    steward = w["d"].stewards[0]
    book = postings.account_for(w["d"].communities[0], Holder(steward_id=steward.id))
    shown = passbook.account_dict(book)
    assert shown["holder"] == {"kind": "steward", "id": steward.id, "name": "管家11（管家）"}
    assert (shown["community_id"], shown["community_name"]) == (w["d"].communities[0].id, "第1社区")
    assert passbook.account_dict(w["account"])["holder"] == {
        "kind": "user",
        "id": w["resident"].id,
        "name": "张大妈",
    }
    nameless = User.create(openid="dev:x")
    book = postings.account_for(w["d"].communities[0], Holder(user_id=nameless.id))
    assert passbook.holder_name(book) == f"用户{nameless.id}"


# --- finding a person -------------------------------------------------------------------------


def test_staff_find_a_person_only_in_communities_they_manage(w):
    code = w["account"].member_code
    assert passbook.find_person(w["staff"], f"  {code} ") == [w["account"]]
    assert passbook.find_person(w["staff"], f"user:{w['resident'].id}") == [w["account"]]
    err = _refusal(passbook.find_person, w["other_staff"], code)
    assert (err.status, err.code, err.message) == (403, "out_of_scope", "该存折不在您的管辖范围内")
    # the person's passbook in the other community is theirs to see, this one is not
    there = postings.account_for(w["d"].communities[1], Holder(user_id=w["resident"].id))
    assert passbook.find_person(w["other_staff"], f"user:{w['resident'].id}") == [there]


def test_finding_a_person_names_what_is_wrong_in_chinese(w):
    err = _refusal(passbook.find_person, w["staff"], "steward:十二")
    assert (err.status, err.message) == (400, "编号须为数字")
    assert err.fields == {"person": "格式为 steward:编号 或 user:编号"}
    for blank in ("", "   ", None):
        err = _refusal(passbook.find_person, w["staff"], blank)
        assert (err.status, err.message) == (400, "请填写会员码")
        assert err.fields == {"person": "请填写会员码、姓名或电话"}
    err = _refusal(passbook.find_person, w["staff"], f"steward:{w['d'].stewards[0].id}")
    assert (err.status, err.code, err.message) == (
        404,
        "passbook_not_found",
        "没有找到这个人的存折",
    )


def test_a_passbook_by_id_only_within_scope(w):
    assert passbook.account_in_scope(w["staff"], w["account"].id) == w["account"]
    err = _refusal(passbook.account_in_scope, w["other_staff"], w["account"].id)
    assert (err.status, err.code) == (403, "out_of_scope")
    err = _refusal(passbook.account_in_scope, w["staff"], 999_999)
    assert (err.status, err.code, err.message) == (404, "passbook_not_found", "找不到该存折")


def test_a_stewards_passbook_opens_only_where_their_alleys_lie(w):
    d = w["d"]
    mine, theirs = d.stewards[0], d.stewards[2]  # alleys of the first and second community
    book = passbook.steward_account(w["staff"], mine.id, None)
    assert (book.steward_id, book.community_id) == (mine.id, d.communities[0].id)
    assert passbook.steward_account(w["staff"], mine.id, d.communities[0].id) == book
    before = PointAccount.select().count()
    for steward, community in ((theirs, None), (mine, d.communities[1].id)):
        err = _refusal(passbook.steward_account, w["staff"], steward.id, community)
        assert (err.status, err.code, err.message) == (
            403,
            "out_of_scope",
            "该管家不在您的管辖范围内",
        )
    err = _refusal(passbook.steward_account, w["staff"], 999_999, None)
    assert (err.status, err.code, err.message) == (404, "steward_not_found", "找不到该管家")
    assert PointAccount.select().count() == before


# --- reversing --------------------------------------------------------------------------------


def test_a_reversal_is_refused_for_a_redemption_one_own_passbook_or_another_community(w):
    staff_user = User.get_by_id(w["staff_account"].user_id)
    own = postings.account_for(w["d"].communities[0], Holder(user_id=staff_user.id))
    err = _refusal(passbook.reverse, w["staff"], _entry(own, 1).id, "错了")
    assert (err.status, err.code) == (403, "own_passbook")
    assert err.message == "不能冲正自己存折的记录，请由其他工作人员办理"
    _entry(w["account"], 5)
    redemption = _entry(w["account"], -3, rule="redemption")
    err = _refusal(passbook.reverse, w["staff"], redemption.id, "退")
    assert (err.status, err.code) == (409, "invalid_transition")
    assert err.message == "兑换记录不能冲正：兑错了请在“最近兑换”中作废这笔兑换"
    wrong = _entry(w["account"], 2)
    err = _refusal(passbook.reverse, w["other_staff"], wrong.id, "错了")
    assert (err.status, err.code) == (403, "out_of_scope")
    err = _refusal(passbook.reverse, w["staff"], 999_999, "错了")
    assert (err.status, err.code, err.message) == (404, "entry_not_found", "找不到这条积分记录")
    assert PointEntry.select().where(PointEntry.reverses.is_null(False)).count() == 0


def test_a_reversal_is_the_exact_opposite_and_audited_with_its_author(w):
    wrong = _entry(w["account"], 2)
    reversal = passbook.reverse(w["staff"], wrong.id, "记错人了")
    assert (reversal.points, reversal.reverses_id, reversal.actor_id) == (
        -2,
        wrong.id,
        w["staff"].user.id,
    )
    event = Event.get(Event.action == "points.reverse")
    assert (event.subject_type, event.subject_id, event.actor_id, event.area_id) == (
        "point_account",
        w["account"].id,
        w["staff"].user.id,
        w["d"].communities[0].id,
    )
    assert event.data == {"entry_id": wrong.id, "reversal_id": reversal.id, "reason": "记错人了"}
    assert PointAccount.get_by_id(w["account"].id).balance == 0
