"""Reading passbooks and finding them for staff (core.timebank.passbook): the quarter runs on
Shanghai's calendar with both edges where they belong, a quarter's summary counts only its own
entries, staff find a person only in the communities they manage, a steward's passbook is
opened only where the steward's alleys lie, and a reversal is refused on a redemption or on
one's own passbook; every refusal names its reason in Chinese."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
import zxingcpp
from PIL import Image

from core.people import areas
from core.people.permissions import Principal
from core.timebank import passbook, postings
from core.timebank.postings import Holder
from infra.db import write_transaction
from infra.errors import ApiError
from models import Event, PointAccount, PointEntry, Steward, StewardAlley, User, Volunteer
from tests.factories import make_district, make_staff, next_phone


def _p(account) -> Principal:
    return Principal.for_user(User.get_by_id(account.user_id))


def _refusal(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as err:
        call(*args, **kwargs)
    return err.value


def _volunteer(user, community, name, phone=None) -> Volunteer:
    return Volunteer.create(user=user, community=community, name=name, phone=phone or next_phone())


def _entry(account, points, rule="meeting", at=None, **extra) -> PointEntry:
    """A line of `points` on `account` (an adjustment), dated `at` when given."""
    with write_transaction():
        entry = postings.post(
            account, points, rule=rule, source_type="adjustment", reason="x", **extra
        )
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
    second = postings.account_for(w["d"].communities[0], Holder(steward_id=w["d"].stewards[1].id))
    assert passbook.holder_name(second) == "管家12（管家）"
    assert (shown["community_id"], shown["community_name"]) == (w["d"].communities[0].id, "第1社区")
    assert passbook.account_dict(w["account"])["holder"] == {
        "kind": "user",
        "id": w["resident"].id,
        "name": "张大妈",
    }
    nameless = User.create(openid="dev:x")
    book = postings.account_for(w["d"].communities[0], Holder(user_id=nameless.id))
    assert passbook.holder_name(book) == f"用户{nameless.id}"


def test_a_volunteers_passbook_is_named_by_their_registered_name_in_that_community_only(w):
    d, resident = w["d"], w["resident"]
    _volunteer(resident, d.communities[0], "张秀英")
    neighbour = User.create(openid="dev:邻居", nickname="老李")
    _volunteer(neighbour, d.communities[0], "李建国")
    here = w["account"]
    there = postings.account_for(d.communities[1], Holder(user_id=resident.id))
    stranger = User.create(openid="dev:路人", nickname="路人甲")
    strangers = postings.account_for(d.communities[0], Holder(user_id=stranger.id))
    # the counter reads the real name aloud where the person volunteers ...
    assert passbook.holder_name(here) == "张秀英"
    # ... and the nickname where they do not, nor someone else's name in either case
    assert passbook.holder_name(there) == "张大妈"
    assert passbook.holder_name(strangers) == "路人甲"


def test_a_member_code_is_a_qr_code_the_counter_scanner_reads_back(app):
    code = "K7M2Q9XW3D"
    image = Image.open(io.BytesIO(passbook.member_code_png(code)))
    assert image.format == "PNG"
    found = [r for r in zxingcpp.read_barcodes(image.convert("L")) if r.valid]
    assert [(r.format, r.text, r.ec_level) for r in found] == [
        (zxingcpp.BarcodeFormat.QRCode, code, "M")
    ]
    # 21 modules (version 1) and a quiet zone of 2 on each side, 10 pixels a module: dark
    # modules on a light ground (the finder's corner is dark, the quiet zone light)
    assert image.size == (250, 250)
    grey = image.convert("L")
    assert (grey.getpixel((0, 0)), grey.getpixel((20, 20)), grey.getpixel((249, 249))) == (
        255,
        0,
        255,
    )
    # a smaller module for a small screen keeps the same quiet zone in modules
    small = Image.open(io.BytesIO(passbook.member_code_png(code, box=4)))
    assert small.size == (100, 100)
    assert [r.text for r in zxingcpp.read_barcodes(small.convert("L")) if r.valid] == [code]


# --- finding a person -------------------------------------------------------------------------


def test_staff_find_a_person_only_in_communities_they_manage(w):
    code = w["account"].member_code
    assert passbook.find_person(w["staff"], f"  {code} ") == [w["account"]]
    assert passbook.find_person(w["staff"], f"user:{w['resident'].id}") == [w["account"]]
    # a code pasted with its label, as some scanner apps give it, is still the code
    assert passbook.find_person(w["staff"], f"会员码:{code}") == [w["account"]]
    err = _refusal(passbook.find_person, w["other_staff"], code)
    assert (err.status, err.code, err.message) == (403, "out_of_scope", "该存折不在您的管辖范围内")
    # the person's passbook in the other community is theirs to see, this one is not
    there = postings.account_for(w["d"].communities[1], Holder(user_id=w["resident"].id))
    assert passbook.find_person(w["other_staff"], f"user:{w['resident'].id}") == [there]


def test_a_person_with_passbooks_in_two_communities_is_listed_in_the_order_they_were_opened(w):
    d, resident = w["d"], w["resident"]
    there = postings.account_for(d.communities[1], Holder(user_id=resident.id))
    _entry(w["account"], 2)  # the first passbook changes after the second was opened
    admin = _p(make_staff(d.street, role="admin"))
    assert passbook.find_person(admin, f"user:{resident.id}") == [w["account"], there]


def test_finding_a_person_names_what_is_wrong_in_chinese(w):
    for bad in ("steward:十二", "steward:1:2"):
        err = _refusal(passbook.find_person, w["staff"], bad)
        assert (err.status, err.message) == (400, "编号须为数字"), bad
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


def test_staff_find_stewards_and_volunteers_by_name_or_phone_only_with_a_passbook_in_scope(w):
    d, staff = w["d"], w["staff"]
    s11, s12, s21 = d.stewards[0], d.stewards[1], d.stewards[2]
    # 管家12's passbook was opened before 管家11's: passbooks are listed as they were opened
    b12 = postings.account_for(d.communities[0], Holder(steward_id=s12.id))
    b11 = postings.account_for(d.communities[0], Holder(steward_id=s11.id))
    b21 = postings.account_for(d.communities[1], Holder(steward_id=s21.id))
    helper = User.create(openid="dev:李阿姨", nickname="李阿姨")
    postings.account_for(d.communities[1], Holder(user_id=helper.id))  # where she does not help
    v = _volunteer(helper, d.communities[0], "李管家", phone="13912345678")
    vb = postings.account_for(d.communities[0], Holder(user_id=helper.id))
    newcomer = User.create(openid="dev:王阿姨", nickname="王阿姨")
    _volunteer(newcomer, d.communities[0], "王阿姨")  # no passbook yet: no points to show
    # a part of a name finds the stewards' passbooks first, then the volunteers'
    assert passbook.find_person(staff, "管家") == [b12, b11, vb]
    assert passbook.find_person(staff, "李管家") == [vb]
    assert passbook.find_person(staff, "5678") == [vb]  # the last digits of a phone
    assert passbook.find_person(staff, f"volunteer:{v.id}") == [vb]
    # each community's staff find their own community's stewards by name
    assert passbook.find_person(w["other_staff"], "管家2") == [b21]
    for nobody in ("王阿姨", "管家21"):
        err = _refusal(passbook.find_person, staff, nobody)
        assert (err.status, err.code, err.message) == (
            404,
            "member_not_found",
            "没有找到这个会员码或这个人的存折",
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


def test_a_staff_member_who_is_also_a_steward_cannot_open_their_steward_passbook_to_adjust(w):
    mine = w["d"].stewards[0]
    Steward.update(user=w["staff"].user.id).where(Steward.id == mine.id).execute()
    before = PointAccount.select().count()
    err = _refusal(passbook.steward_account, w["staff"], mine.id, None)
    assert (err.status, err.code, err.message) == (
        403,
        "own_passbook",
        "不能给自己的存折加减分，请由其他工作人员办理",
    )
    assert PointAccount.select().count() == before
    # another steward of the same community is theirs to adjust
    book = passbook.steward_account(w["staff"], w["d"].stewards[1].id, None)
    assert book.steward_id == w["d"].stewards[1].id


def test_a_steward_of_two_communities_gets_the_first_or_the_asked_ones_passbook(w):
    d = w["d"]
    both = d.stewards[0]
    StewardAlley.create(steward=both, alley=d.alleys[2])  # an alley of the second community too
    admin = _p(make_staff(d.street, role="admin"))
    first = passbook.steward_account(admin, both.id, None)
    assert first.community_id == d.communities[0].id
    second = passbook.steward_account(admin, both.id, d.communities[1].id)
    assert (second.steward_id, second.community_id) == (both.id, d.communities[1].id)
    # the first community's staff reach only their own community's passbook of the steward
    assert passbook.steward_account(w["staff"], both.id, None) == first


def test_a_stewards_alley_outside_any_community_is_passed_over_for_one_inside(w):
    d = w["d"]
    loose, _ = areas.child(d.street, "alley", "街道直管巷")  # no community above it
    steward = d.stewards[0]
    StewardAlley.create(steward=steward, alley=loose)
    admin = _p(make_staff(d.street, role="admin"))
    book = passbook.steward_account(admin, steward.id, None)
    assert (book.steward_id, book.community_id) == (steward.id, d.communities[0].id)


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


def test_a_staff_member_cannot_reverse_an_entry_of_their_own_steward_passbook(w):
    mine = w["d"].stewards[0]
    Steward.update(user=w["staff"].user.id).where(Steward.id == mine.id).execute()
    book = postings.account_for(w["d"].communities[0], Holder(steward_id=mine.id))
    _entry(book, 3)
    deduction = _entry(book, -1, rule="absent")
    err = _refusal(passbook.reverse, w["staff"], deduction.id, "不该扣")
    assert (err.status, err.code) == (403, "own_passbook")
    assert PointAccount.get_by_id(book.id).balance == 2


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
