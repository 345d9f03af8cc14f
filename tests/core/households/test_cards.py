"""The contact card's checks and changes (core.households.cards) where the API's schema and
matrix do not look: every field's bound exactly at and one past its limit with the Chinese
message naming it, members and tags as a form or the import sends them, who files a card under
which steward, what a change may touch and who may make it, and the audit of both."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.households import cards
from core.people import phones
from core.people.permissions import Principal
from infra.errors import ApiError
from models import Event, Household, Steward, StewardAlley, User
from tests.core.households.world import staff as _staff
from tests.factories import make_district, next_phone

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 1, 9, 0, tzinfo=SH)
START_UTC = datetime(2026, 12, 1, 1, 0)


def _steward(steward: Steward) -> Principal:
    """A steward's principal, as `Principal.for_user` builds it for a bound WeChat user."""
    user = User.create(openid=f"dev:steward-{steward.id}", nickname="")
    alleys = {
        link.alley_id for link in StewardAlley.select().where(StewardAlley.steward == steward)
    }
    return Principal(user=user, roles={"steward"}, stewards=[steward], alley_ids=alleys)


@pytest.fixture
def w(app):
    d = make_district()
    return {
        "d": d,
        "staff": _staff(d.communities[0]),
        "admin": _staff(d.street, role="admin"),
        "steward": _steward(d.stewards[0]),
    }


def _body(w, **extra) -> dict:
    body = {
        "alley_id": w["d"].alleys[0].id,
        "steward_id": w["d"].stewards[0].id,
        "address": "1区1巷3号",
        "head_name": "王大爷",
    }
    body.update(extra)
    return body


def _refusal(call) -> tuple[int, str, dict]:
    with pytest.raises(ApiError) as err:
        call()
    return err.value.status, err.value.message, err.value.fields


def _code(call) -> tuple[int, str, str]:
    with pytest.raises(ApiError) as err:
        call()
    return err.value.status, err.value.code, err.value.message


# --- members ------------------------------------------------------------------------------


def test_members_left_out_are_none_and_anything_but_a_list_is_refused(app):
    assert cards.check_members(None) == []
    assert cards.check_members([]) == []
    for raw in ("李秀兰", {"name": "李秀兰"}):
        assert _refusal(lambda raw=raw: cards.check_members(raw)) == (
            400,
            "成员：须为列表",
            {"members": "须为列表"},
        )


def test_thirty_members_are_kept_and_a_thirty_first_is_refused(app):
    many = [{"name": f"成员{i}"} for i in range(30)]
    assert [m["name"] for m in cards.check_members(many)] == [f"成员{i}" for i in range(30)]
    assert _refusal(lambda: cards.check_members([*many, {"name": "多一位"}])) == (
        400,
        "成员：最多 30 人",
        {"members": "最多 30 人"},
    )


def test_a_member_that_is_not_a_record_is_refused_by_its_position(app):
    assert _refusal(lambda: cards.check_members([{"name": "甲"}, "乙"])) == (
        400,
        "成员：第2位成员格式不正确",
        {"members": "第2位成员格式不正确"},
    )


def test_each_member_field_at_its_limit_is_kept_trimmed_and_one_more_is_refused(app):
    member = {
        "name": " " + "李" * 50 + " ",
        "relation": " " + "亲" * 20 + " ",
        "notes": " " + "注" * 200 + " ",
        "phone": "137 0000 1111",
        "birth_year": " 1950年 ",
    }
    assert cards.check_members([member]) == [
        {
            "name": "李" * 50,
            "relation": "亲" * 20,
            "notes": "注" * 200,
            "phone": "13700001111",
            "birth_year": 1950,
        }
    ]
    for key, label, limit in (
        ("name", "姓名", 50),
        ("relation", "与户主关系", 20),
        ("notes", "备注", 200),
    ):
        long = {"name": "甲", key: "字" * (limit + 1)}
        reason = f"第2位成员的{label}最多 {limit} 个字"
        assert _refusal(lambda long=long: cards.check_members([{"name": "乙"}, long])) == (
            400,
            f"成员：{reason}",
            {f"members.1.{key}": reason},
        )


def test_a_member_needs_a_name_and_the_rest_may_be_left_out(app):
    reason = "第1位成员的姓名不能为空"
    for blank in ({"relation": "子"}, {"name": "   ", "relation": "子"}, {"name": None}):
        assert _refusal(lambda blank=blank: cards.check_members([blank])) == (
            400,
            f"成员：{reason}",
            {"members.0.name": reason},
        )
    assert cards.check_members([{"name": "小明", "birth_year": ""}]) == [
        {"name": "小明", "relation": "", "notes": "", "birth_year": None, "phone": ""}
    ]


def test_a_birth_year_runs_from_1900_to_this_year_on_shanghais_calendar(app):
    def year(value):
        return cards.check_members([{"name": "甲", "birth_year": value}])[0]["birth_year"]

    # 1 January 2027, 01:00 in Shanghai: still 2026 in UTC
    with time_machine.travel(datetime(2027, 1, 1, 1, 0, tzinfo=SH), tick=False):
        assert (year(1900), year("2027"), year(2027)) == (1900, 2027, 2027)
        reason = "第1位成员的出生年份须在 1900 到 2027 之间"
        for bad in (1899, 2028, "五零年", "1950.5"):
            assert _refusal(lambda bad=bad: year(bad)) == (
                400,
                f"成员：{reason}",
                {"members.0.birth_year": reason},
            )


def test_a_members_phone_is_cleaned_and_a_bad_one_refused_with_the_phone_rule(app):
    reason = f"第1位成员的电话不正确（{phones.CONTACT_ERROR}）"
    assert _refusal(lambda: cards.check_members([{"name": "甲", "phone": "12345"}])) == (
        400,
        f"成员：{reason}",
        {"members.0.phone": reason},
    )
    got = cards.check_members(
        [{"name": "甲", "phone": "0539-1234567"}, {"name": "乙", "phone": None}]
    )
    assert [m["phone"] for m in got] == ["0539-1234567", ""]


# --- tags and the card's own fields ---------------------------------------------------------


def test_tags_are_the_configured_ones_trimmed_and_each_kept_once_in_the_order_given(app):
    assert cards.check_tags(None) == []
    assert cards.check_tags([" 低保 ", "独居老人", "低保"]) == ["低保", "独居老人"]
    for raw in ("低保", ["低保", 3]):
        assert _refusal(lambda raw=raw: cards.check_tags(raw)) == (
            400,
            "标签：须为标签列表",
            {"tags": "须为标签列表"},
        )
    app.config["HOUSEHOLD_TAGS"] = ["独居老人", "低保"]
    reason = "“富豪”不是可选的标签（可选：独居老人、低保）"
    assert _refusal(lambda: cards.check_tags(["低保", " 富豪 "])) == (
        400,
        f"标签：{reason}",
        {"tags": reason},
    )


def test_each_card_field_at_its_limit_is_kept_trimmed_and_one_more_is_refused(app):
    got = cards.check_card(
        {
            "address": " " + "址" * 200 + " ",
            "head_name": " " + "王" * 50 + " ",
            "notes": " " + "注" * 1000 + " ",
            "head_phone": "138 1111 2222",
        }
    )
    assert got == {
        "address": "址" * 200,
        "head_name": "王" * 50,
        "notes": "注" * 1000,
        "head_phone": "13811112222",
        "members": [],
        "tags": [],
    }
    whole = {"address": "1号", "head_name": "王"}
    for field, label, limit in (
        ("address", "地址", 200),
        ("head_name", "户主", 50),
        ("notes", "备注", 1000),
    ):
        body = {**whole, field: "字" * (limit + 1)}
        assert _refusal(lambda body=body: cards.check_card(body)) == (
            400,
            f"{label}：最多 {limit} 个字",
            {field: f"最多 {limit} 个字"},
        )
    assert _refusal(lambda: cards.check_card({**whole, "head_phone": "12345"})) == (
        400,
        f"户主电话：{phones.CONTACT_ERROR}",
        {"head_phone": phones.CONTACT_ERROR},
    )


def test_a_card_needs_its_address_and_head_but_not_notes_or_a_phone(app):
    assert cards.check_card({"address": "1号", "head_name": "王"}) == {
        "address": "1号",
        "head_name": "王",
        "notes": "",
        "head_phone": None,
        "members": [],
        "tags": [],
    }
    for field, label in (("address", "地址"), ("head_name", "户主")):
        body = {"address": "1号", "head_name": "王", field: None}
        assert _refusal(lambda body=body: cards.check_card(body)) == (
            400,
            f"{label}：不能为空",
            {field: "不能为空"},
        )


def test_a_partial_check_reads_only_the_fields_given(app):
    assert cards.check_card({}, partial=True) == {}
    assert cards.check_card({"notes": " 已装扶手 "}, partial=True) == {"notes": "已装扶手"}
    assert cards.check_card({"head_phone": None, "tags": ["低保"]}, partial=True) == {
        "head_phone": None,
        "tags": ["低保"],
    }
    assert (
        cards.check_card({"members": [{"name": "甲"}]}, partial=True)["members"][0]["name"] == "甲"
    )


# --- filing a card ----------------------------------------------------------------------------


def test_staff_file_a_card_under_the_alleys_steward_made_and_changed_now_and_audited(w):
    with time_machine.travel(START, tick=False):
        h = cards.create(w["staff"], _body(w, tags=["低保"], notes="腿脚不便"))
    h = Household.get_by_id(h.id)
    d = w["d"]
    assert (h.community_id, h.alley_id, h.steward_id) == (
        d.communities[0].id,
        d.alleys[0].id,
        d.stewards[0].id,
    )
    assert (h.address, h.head_name, h.tags, h.notes) == (
        "1区1巷3号",
        "王大爷",
        ["低保"],
        "腿脚不便",
    )
    assert (h.created_at, h.updated_at) == (START_UTC, START_UTC)
    event = Event.get(Event.action == "household.create")
    assert (event.subject_type, event.subject_id) == ("household", h.id)
    assert (event.actor_id, event.area_id) == (w["staff"].user.id, d.alleys[0].id)
    assert event.data == {
        "fields": ["address", "head_name", "head_phone", "members", "notes", "tags"]
    }


def test_a_card_names_its_alley_and_staff_name_its_steward(w):
    for blank in (None, ""):
        body = _body(w, alley_id=blank)
        assert _refusal(lambda body=body: cards.create(w["staff"], body)) == (
            400,
            "街巷：必填",
            {"alley_id": "必填"},
        )
        body = _body(w, steward_id=blank)
        assert _refusal(lambda body=body: cards.create(w["staff"], body)) == (
            400,
            "包联管家：必填",
            {"steward_id": "必填"},
        )
    assert Household.select().count() == 0


def test_a_card_in_no_alley_or_out_of_reach_is_refused(w):
    d = w["d"]
    for where in ("x", 999_999, d.communities[0].id, [1]):
        body = _body(w, alley_id=where)
        assert _refusal(lambda body=body: cards.create(w["staff"], body)) == (
            400,
            "街巷：街巷不存在",
            {"alley_id": "街巷不存在"},
        )
    other = _body(w, alley_id=d.alleys[2].id, steward_id=d.stewards[2].id)
    assert _code(lambda: cards.create(w["staff"], other)) == (
        403,
        "out_of_scope",
        "该街巷不在您的管辖范围内",
    )
    assert Household.select().count() == 0
    assert cards.create(w["admin"], other).community_id == d.communities[1].id


def test_a_card_is_kept_only_by_a_serving_steward_of_its_alley(w):
    d = w["d"]
    gone = Steward.create(name="离任管家", phone=next_phone(), active=False)
    StewardAlley.create(steward=gone, alley=d.alleys[0])
    for who in (d.stewards[1].id, gone.id, 999_999, "管家11"):
        body = _body(w, steward_id=who)
        assert _refusal(lambda body=body: cards.create(w["staff"], body)) == (
            400,
            "包联管家：须为该街巷在任的管家",
            {"steward_id": "须为该街巷在任的管家"},
        )
    assert Household.select().count() == 0


def test_a_steward_files_a_card_they_keep_themselves_in_their_own_alley(w):
    d = w["d"]
    mate = Steward.create(name="同巷管家", phone=next_phone())
    StewardAlley.create(steward=mate, alley=d.alleys[0])
    me = w["steward"]
    left_out = cards.create(me, _body(w, steward_id=None, address="1号"))
    named = cards.create(me, _body(w, steward_id=d.stewards[0].id, address="2号"))
    assert (left_out.steward_id, named.steward_id) == (d.stewards[0].id, d.stewards[0].id)
    assert _code(lambda: cards.create(me, _body(w, steward_id=mate.id, address="3号"))) == (
        403,
        "not_your_household",
        "管家只能登记自己包联的住户",
    )
    theirs = _body(w, alley_id=d.alleys[1].id, steward_id=None, address="4号")
    assert _code(lambda: cards.create(me, theirs))[:2] == (403, "out_of_scope")
    assert Household.select().count() == 2


def test_a_steward_leaving_the_steward_blank_files_the_card_as_their_own(w):
    # a form's empty field reads as not named, as for staff ("必填")
    made = cards.create(w["steward"], _body(w, steward_id=""))
    assert made.steward_id == w["d"].stewards[0].id
    assert Household.select().count() == 1


def test_the_same_address_twice_in_a_community_is_a_conflict_in_chinese(w):
    cards.create(w["staff"], _body(w))
    twin = _body(w, alley_id=w["d"].alleys[1].id, steward_id=w["d"].stewards[1].id)
    assert _code(lambda: cards.create(w["staff"], twin)) == (
        409,
        "household_exists",
        "该社区已登记过这个地址的住户，请直接修改",
    )
    assert Event.select().where(Event.action == "household.create").count() == 1


# --- changing a card ------------------------------------------------------------------------


def _made(w, **extra) -> Household:
    with time_machine.travel(START, tick=False):
        return cards.create(w["staff"], _body(w, **extra))


def test_a_change_saves_the_fields_changed_at_that_moment_and_audits_them(w):
    h = _made(w)
    later = datetime(2026, 12, 2, 9, 0, tzinfo=SH)
    with time_machine.travel(later, tick=False):
        cards.update(
            w["steward"], h, {"notes": " 已装扶手 ", "head_name": "王大爷", "tags": ["低保"]}
        )
    stored = Household.get_by_id(h.id)
    assert (stored.notes, stored.tags, stored.head_name) == ("已装扶手", ["低保"], "王大爷")
    assert (stored.created_at, stored.updated_at) == (START_UTC, datetime(2026, 12, 2, 1, 0))
    event = Event.get(Event.action == "household.update")
    assert (event.subject_type, event.subject_id) == ("household", h.id)
    assert (event.actor_id, event.area_id) == (w["steward"].user.id, w["d"].alleys[0].id)
    assert event.data == {"fields": ["notes", "tags"]}


def test_a_change_that_changes_nothing_is_neither_saved_nor_audited(w):
    h = _made(w)
    d = w["d"]
    same = {
        "address": "1区1巷3号",
        "alley_id": d.alleys[0].id,
        "steward_id": d.stewards[0].id,
        "active": True,
    }
    with time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=SH), tick=False):
        cards.update(w["staff"], h, same)
    assert Household.get_by_id(h.id).updated_at == START_UTC
    assert not Event.select().where(Event.action == "household.update").exists()


def test_only_staff_of_the_households_community_move_it_or_take_it_off_the_register(w):
    d = w["d"]
    h = _made(w)
    # the household's own steward, also staff of the other community
    me = w["steward"]
    me.roles.add("staff")
    me.area_roots.append(d.communities[1])
    for change in (
        {"alley_id": d.alleys[1].id},
        {"steward_id": d.stewards[1].id},
        {"active": False},
    ):
        assert _code(lambda change=change: cards.update(me, h, change)) == (
            403,
            "staff_only",
            "只有社区工作人员可以调整街巷、包联管家或在册状态",
        )
    stored = Household.get_by_id(h.id)
    assert (stored.alley_id, stored.steward_id, stored.active) == (
        d.alleys[0].id,
        d.stewards[0].id,
        True,
    )


def test_staff_move_a_household_within_its_community_to_a_serving_steward(w):
    d = w["d"]
    h = _made(w)
    mate = Steward.create(name="同巷管家", phone=next_phone())
    StewardAlley.create(steward=mate, alley=d.alleys[0])
    cards.update(w["staff"], h, {"steward_id": mate.id})
    assert Household.get_by_id(h.id).steward_id == mate.id
    # the alley alone: the steward kept must serve the new alley too
    assert _refusal(lambda: cards.update(w["staff"], h, {"alley_id": d.alleys[1].id})) == (
        400,
        "包联管家：须为该街巷在任的管家",
        {"steward_id": "须为该街巷在任的管家"},
    )
    cards.update(w["staff"], h, {"alley_id": d.alleys[1].id, "steward_id": d.stewards[1].id})
    stored = Household.get_by_id(h.id)
    assert (stored.alley_id, stored.steward_id, stored.community_id) == (
        d.alleys[1].id,
        d.stewards[1].id,
        d.communities[0].id,
    )
    assert Event.select().where(Event.action == "household.update").order_by(
        Event.id.desc()
    ).first().data == {"fields": ["alley", "steward"]}


def test_not_even_the_streets_admin_moves_a_household_to_another_community(w):
    d = w["d"]
    h = _made(w)
    body = {"alley_id": d.alleys[2].id, "steward_id": d.stewards[2].id}
    assert _refusal(lambda: cards.update(w["admin"], h, body)) == (
        400,
        "街巷：只能调整到本社区的街巷",
        {"alley_id": "只能调整到本社区的街巷"},
    )
    assert _code(lambda: cards.update(w["staff"], h, body))[:2] == (403, "out_of_scope")
    assert Household.get_by_id(h.id).alley_id == d.alleys[0].id


def test_staff_take_a_household_off_the_register_with_a_yes_or_no(w):
    h = _made(w)
    for bad in ("false", 0, None):
        assert _refusal(lambda bad=bad: cards.update(w["staff"], h, {"active": bad})) == (
            400,
            "是否在册：须为是或否",
            {"active": "须为是或否"},
        )
    assert Household.get_by_id(h.id).active is True
    cards.update(w["staff"], h, {"active": False})
    assert Household.get_by_id(h.id).active is False


def test_a_change_to_an_address_already_registered_is_a_conflict_in_chinese(w):
    _made(w)
    other = _made(w, address="1区1巷5号")
    assert _code(lambda: cards.update(w["staff"], other, {"address": "1区1巷3号"})) == (
        409,
        "household_exists",
        "该社区已登记过这个地址的住户",
    )
    assert Household.get_by_id(other.id).address == "1区1巷5号"


def test_a_new_card_is_made_and_last_changed_at_the_same_moment(w):
    # on the running clock: the two times come from one reading of it
    h = Household.get_by_id(cards.create(w["staff"], _body(w)).id)
    assert h.updated_at == h.created_at


def test_a_person_keeping_two_stewards_of_one_alley_files_under_the_one_named(w):
    d = w["d"]
    second = Steward.create(name="管家11乙", phone=next_phone())
    StewardAlley.create(steward=second, alley=d.alleys[0])
    me = w["steward"]
    me.stewards.append(second)
    named = cards.create(me, _body(w, steward_id=second.id))
    first = cards.create(me, _body(w, steward_id=d.stewards[0].id, address="2号"))
    assert (named.steward_id, first.steward_id) == (second.id, d.stewards[0].id)


def test_a_household_moved_to_another_alley_alone_keeps_a_steward_who_serves_both(w):
    d = w["d"]
    h = _made(w)
    StewardAlley.create(steward=d.stewards[0], alley=d.alleys[1])
    cards.update(w["staff"], h, {"alley_id": d.alleys[1].id})
    stored = Household.get_by_id(h.id)
    assert (stored.alley_id, stored.steward_id) == (d.alleys[1].id, d.stewards[0].id)
