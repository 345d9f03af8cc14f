"""A passbook as people read it (core.timebank.passbook): its lines newest first and only its own,
each line in words (the rule's label, the source, who made and who approved it, whether it was
reversed, what a redemption handed over), a quarter's sums over several passbooks and a rule
since dropped from the configuration, and the stewards' quarter points one by one."""

from __future__ import annotations

from datetime import datetime

from core import audit
from core.timebank import passbook, postings, shop
from core.timebank.postings import Holder
from infra.timeutil import iso
from models import PointAccount, PointEntry, User
from tests.core.timebank import test_passbook
from tests.core.timebank.test_passbook import _entry
from tests.factories import make_staff

# test_passbook's fixture: a district, a staff member, a resident's passbook in community 1
w = test_passbook.w


def test_a_passbooks_lines_are_its_own_newest_first_the_later_of_two_at_once_first(w):
    account = w["account"]
    other = postings.account_for(w["d"].communities[1], Holder(user_id=w["resident"].id))
    oldest = _entry(account, 1, at=datetime(2026, 11, 1, 2))
    # written later but dated earlier (a back-dated line): the date decides, not the id
    backdated = _entry(account, 2, at=datetime(2026, 10, 1, 2))
    same_a = _entry(account, 3, at=datetime(2026, 11, 5, 2))
    same_b = _entry(account, 4, at=datetime(2026, 11, 5, 2))
    _entry(other, 9, at=datetime(2026, 11, 6, 2))
    expected = [same_b.id, same_a.id, oldest.id, backdated.id]
    assert [e.id for e in passbook.entries_query(account)] == expected
    assert [e.id for e in passbook.entries_query(account.id)] == expected


def test_each_line_reads_in_words_with_its_maker_approver_reversal_and_redemption(w):
    d, staff, account = w["d"], w["staff"], w["account"]
    staff_user = staff.user
    checker = User.get_by_id(make_staff(d.communities[0]).user_id)
    wrong = _entry(account, 5)
    reversal = passbook.reverse(staff, wrong.id, "记错人了")
    approved = _entry(account, 60, rule="adjustment", actor=staff_user, approved_by=checker)
    item = shop.create_item(
        staff, d.communities[0], name="肥皂", category="日用百货", price=4, stock=3
    )
    redemption = shop.redeem(staff, item.id, account.member_code)
    lines = passbook.entry_dicts(list(passbook.entries_query(account)))
    by_id = {line["id"]: line for line in lines}
    assert [line["id"] for line in lines] == [
        redemption.entry_id,
        approved.id,
        reversal.id,
        wrong.id,
    ]
    assert by_id[wrong.id] == {
        "id": wrong.id,
        "points": 5,
        "rule": "meeting",
        "rule_label": "参加社区例会、议事会",
        "source_type": "adjustment",
        "source_label": "人工调整",
        "source_id": None,
        "reason": "x",
        "reverses": None,
        "reversed": True,
        "actor": "系统",
        "approved_by": None,
        "created_at": iso(PointEntry.get_by_id(wrong.id).created_at),
        "redemption": None,
    }
    assert (by_id[reversal.id]["reverses"], by_id[reversal.id]["reversed"]) == (wrong.id, False)
    assert (by_id[reversal.id]["points"], by_id[reversal.id]["reason"]) == (-5, "记错人了")
    assert (by_id[approved.id]["actor"], by_id[approved.id]["approved_by"]) == (
        audit.actor_label(staff_user),
        audit.actor_label(checker),
    )
    assert by_id[approved.id]["reversed"] is False
    spent = by_id[redemption.entry_id]
    assert (spent["points"], spent["source_label"]) == (-4, "兑换")
    assert spent["redemption"] == {
        "id": redemption.id,
        "item_id": item.id,
        "item_name": "肥皂",
        "price": 4,
        "at_counter": True,
        "by": audit.actor_label(staff_user),
    }


def test_a_line_under_a_rule_since_dropped_reads_by_its_code(app, w):
    app.config["TIMEBANK_RULES"] = {
        "river_patrol": {"label": "护河巡查", "points": 3, "manual": True, "unit": "趟"},
    }
    _entry(w["account"], 3, rule="river_patrol", at=datetime(2026, 11, 2))
    _entry(w["account"], 3, rule="river_patrol", at=datetime(2026, 11, 3))
    app.config["TIMEBANK_RULES"] = {}
    book = PointAccount.get_by_id(w["account"].id)
    [line, _] = passbook.entry_dicts(list(passbook.entries_query(book)))
    assert line["rule_label"] == "river_patrol"
    summary = passbook.quarter_summary([book], datetime(2026, 11, 5))
    assert summary.lines == [("river_patrol", "次", 2, 6)]


def test_a_quarter_sums_every_passbook_of_the_person_and_no_one_elses(w):
    d, account = w["d"], w["account"]
    there = postings.account_for(d.communities[1], Holder(user_id=w["resident"].id))
    neighbour = User.create(openid="dev:邻居")
    theirs = postings.account_for(d.communities[0], Holder(user_id=neighbour.id))
    _entry(account, 1, at=datetime(2026, 11, 1))
    _entry(there, 2, at=datetime(2026, 11, 2))
    _entry(there, -1, rule="absent", at=datetime(2026, 11, 3))
    _entry(theirs, 8, at=datetime(2026, 11, 4))
    books = [PointAccount.get_by_id(a.id) for a in (account, there)]
    summary = passbook.quarter_summary(books, datetime(2026, 11, 5))
    assert (summary.total, summary.balance) == (2, 2)
    assert summary.lines == [
        ("参加社区例会、议事会", "次", 2, 3),
        ("无故缺席例会或集中行动", "次", 1, -1),
    ]


def test_each_stewards_quarter_points_are_their_own(w):
    s0, s1, s2 = w["d"].stewards[0], w["d"].stewards[1], w["d"].stewards[2]
    a0 = postings.account_for(w["d"].communities[0], Holder(steward_id=s0.id))
    a1 = postings.account_for(w["d"].communities[0], Holder(steward_id=s1.id))
    a2 = postings.account_for(w["d"].communities[1], Holder(steward_id=s2.id))
    start, end = datetime(2026, 9, 30, 16), datetime(2026, 12, 31, 16)
    _entry(a0, 3, at=datetime(2026, 10, 10))
    _entry(a1, 4, at=datetime(2026, 10, 11))
    _entry(a1, -1, rule="absent", at=datetime(2026, 10, 12))
    _entry(a2, 7, at=datetime(2026, 10, 13))  # asked about two stewards only
    assert passbook.quarter_points_of_stewards([s0.id, s1.id], start, end) == {s0.id: 3, s1.id: 3}
