"""A handling unit at the core (core.units.units): registering and editing one is audited
against the unit and its area with only what changed; a rename onto a colleague unit's name
is a 409; what each unit holds is counted per unit (a deadline reached is not yet overdue);
its members, the whistle's targets and its own group are listed in a fixed order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.people.permissions import Principal
from core.units import actions, members, units
from infra.errors import ApiError
from models import ChatGroup, Department, Event, Issue, User
from tests.factories import login, login_staff, make_district, make_staff

API = "/api/v1"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
def street_admin(app):
    d = make_district()
    admin = make_staff(d.street, role="admin", username="jd")
    return {"d": d, "actor": User.get_by_id(admin.user_id)}


def _events(action: str) -> list[Event]:
    return list(Event.select().where(Event.action == action).order_by(Event.id))


def test_registering_a_unit_is_audited_against_the_unit_and_its_area(street_admin):
    d, actor = street_admin["d"], street_admin["actor"]
    unit = units.create(d.communities[0], "安居物业", kind="property", actor=actor)
    # no phone or contact given: none stored, not a placeholder
    assert (unit.phone, unit.contact_name) == ("", "")
    (event,) = _events("department.create")
    assert (event.subject_type, event.subject_id) == ("department", unit.id)
    assert event.area_id == d.communities[0].id and event.actor_id == actor.id
    assert event.data == {"name": "安居物业", "kind": "property", "phone": "", "contact_name": ""}


def test_editing_a_unit_audits_only_the_fields_that_changed_from_and_to(street_admin):
    d, actor = street_admin["d"], street_admin["actor"]
    unit = units.create(d.street, "住建办")
    # a rename alone: the empty phone and contact stay empty and are not "changed"
    renamed = units.update(unit, "城建办", actor=actor)
    assert (renamed.name, renamed.phone, renamed.contact_name) == ("城建办", "", "")
    (event,) = _events("department.update")
    assert (event.subject_type, event.subject_id) == ("department", unit.id)
    assert event.area_id == d.street.id and event.actor_id == actor.id
    assert event.data == {"changes": {"name": {"from": "住建办", "to": "城建办"}}}

    # the kind given is the kind stored; the contact person is kept as typed
    changed = units.update(renamed, "城建办", "0531-1", "王工", kind="property", actor=actor)
    assert (changed.kind, changed.phone, changed.contact_name) == ("property", "0531-1", "王工")
    assert _events("department.update")[-1].data == {
        "changes": {
            "kind": {"from": "department", "to": "property"},
            "phone": {"from": "", "to": "0531-1"},
            "contact_name": {"from": "", "to": "王工"},
        }
    }

    # no kind given keeps the unit's own; nothing changed writes nothing
    same = units.update(changed, "城建办", "0531-1", "王工", actor=actor)
    assert same.kind == "property" and len(_events("department.update")) == 2


def test_a_unit_cannot_be_renamed_onto_another_unit_of_its_area(street_admin):
    d, actor = street_admin["d"], street_admin["actor"]
    unit = units.create(d.street, "住建办")
    units.create(d.street, "城管中队")
    with pytest.raises(ApiError) as refused:
        units.update(unit, "城管中队", actor=actor)
    assert (refused.value.status, refused.value.code) == (409, "department_exists")
    assert refused.value.message == "示范街道已有单位“城管中队”"
    assert Department.get_by_id(unit.id).name == "住建办" and not _events("department.update")


def _report(client, d, resident) -> int:
    body = {"board_code": d.boards[0].code, "category": "环境卫生", "content": "墙皮脱落"}
    res = client.post(f"{API}/issues", json=body, headers=resident)
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def test_what_each_unit_holds_is_counted_for_that_unit_alone(client):
    d = make_district()
    staff = login_staff(client, make_staff(d.communities[0], username="zhangsan"))
    resident = login(client, "居民甲")
    street_unit = units.create(d.street, "住建办")
    property_unit = units.create(d.communities[0], "安居物业", kind="property")
    idle = units.create(d.street, "城管中队")
    li = members.create_member(street_unit, "zjb-li", "password123", "李工")
    wang = members.create_member(street_unit, "zjb-wang", "password123", "王工")
    members.set_active(wang, False)

    with time_machine.travel(T0, tick=False):
        ids = [_report(client, d, resident) for _ in range(3)]
        for issue_id, unit in zip(ids, (street_unit, street_unit, property_unit), strict=True):
            body = {"unit_id": unit.id, "tier": "ordinary", "note": "请处理"}
            res = client.post(f"{API}/issues/{issue_id}/whistle", json=body, headers=staff)
            assert res.status_code == 200, res.get_json()
        actions.check_in(Principal.for_user(li.account.user), ids[0])

    deadline = Issue.get_by_id(ids[0]).deadline
    all_ids = [street_unit.id, property_unit.id, idle.id]
    at_deadline = units.workload(all_ids, deadline)
    assert at_deadline == {
        street_unit.id: {"members": 1, "open": 2, "overdue": 0, "unchecked": 1},
        property_unit.id: {"members": 0, "open": 1, "overdue": 0, "unchecked": 1},
        idle.id: {"members": 0, "open": 0, "overdue": 0, "unchecked": 0},
    }
    after = units.workload(all_ids, deadline + timedelta(seconds=1))
    assert [after[i]["overdue"] for i in all_ids] == [2, 1, 0]


def test_a_units_members_are_the_serving_ones_in_the_order_added_unless_all_are_asked(app):
    d = make_district()
    unit = units.create(d.street, "住建办")
    li = members.create_member(unit, "zjb-li", "password123", "李工")
    wang = members.create_member(unit, "zjb-wang", "password123", "王工")
    zhao = members.create_member(unit, "zjb-zhao", "password123", "赵工")
    members.set_active(wang, False)
    assert [m.id for m in units.members_of(unit)] == [li.id, zhao.id]
    assert [m.id for m in units.members_of(unit, include_inactive=True)] == [
        li.id,
        wang.id,
        zhao.id,
    ]


def test_whistle_targets_list_departments_first_then_by_name_then_earliest(client):
    d = make_district()
    community = d.communities[0]
    # made out of the order they are listed in: kind, then name, then the older first
    prop_b = units.create(community, "B物业", kind="property")
    prop_a = units.create(d.street, "A物业", kind="property")
    dept_z = units.create(d.street, "Z办")
    community_y = units.create(community, "Y办")
    street_y = units.create(d.street, "Y办")
    resident = login(client, "居民甲")
    issue = Issue.get_by_id(_report(client, d, resident))
    assert [u.id for u in units.whistle_targets(issue)] == [
        community_y.id,
        street_y.id,
        dept_z.id,
        prop_a.id,
        prop_b.id,
    ]


def test_a_unit_as_listed_carries_its_members_and_own_group_only_when_asked(app):
    d = make_district()
    unit = units.create(d.street, "住建办", "0531-1", "王工")
    li = members.create_member(unit, "zjb-li", "password123", "李工", "wecom-li")
    plain = units.as_dict(unit)
    assert "members" not in plain and "group_id" not in plain
    assert plain["kind_label"] == "部门" and plain["area_name"] == "示范街道"

    assert units.as_dict(unit, with_members=True)["group_id"] is None
    group = ChatGroup.create(area=d.street, name="住建办群", webhook_key="key-unit", unit=unit)
    full = units.as_dict(unit, with_members=True)
    assert full["group_id"] == group.id
    assert full["members"] == [
        {
            "id": li.id,
            "account_id": li.account_id,
            "username": "zjb-li",
            "name": "李工",
            "wecom_userid": "wecom-li",
        }
    ]


def test_a_unit_of_a_kind_this_version_does_not_know_is_labelled_by_the_kind_itself(app):
    d = make_district()
    unit = units.create(d.street, "住建办")
    # a row written by a newer version (a kind added later) is shown, not left unlabelled
    Department.update(kind="school").where(Department.id == unit.id).execute()
    assert units.as_dict(Department.get_by_id(unit.id))["kind_label"] == "school"


def _refusal(call) -> tuple:
    with pytest.raises(ApiError) as refused:
        call()
    e = refused.value
    return e.status, e.code, e.message, e.fields


def test_a_unit_is_refused_naming_the_field_at_each_limit_and_kept_trimmed_within_them(app):
    d = make_district()
    street = d.street
    assert _refusal(lambda: units.create(street, "住建办", kind="school")) == (
        400,
        "validation_error",
        "单位类型有误",
        {"kind": "可选：department（部门）、property（物业）"},
    )
    assert _refusal(lambda: units.create(d.alleys[0], "安居物业", kind="property")) == (
        400,
        "validation_error",
        "物业只能登记在街道或社区",
        {"area_id": "须为街道或社区"},
    )
    for blank in ("", " \u200b ", None):
        assert _refusal(lambda blank=blank: units.create(street, blank)) == (
            400,
            "validation_error",
            "请填写部门名称",
            {"name": "不能为空"},
        )
    assert _refusal(lambda: units.create(street, "办" * 101)) == (
        400,
        "validation_error",
        "部门名称最多 100 字",
        {"name": "最多 100 个字"},
    )
    assert _refusal(lambda: units.create(street, "住建办", "1" * 33)) == (
        400,
        "validation_error",
        "电话最多 32 位",
        {"phone": "最多 32 个字"},
    )
    assert _refusal(lambda: units.create(street, "住建办", "", "王" * 51)) == (
        400,
        "validation_error",
        "联系人最多 50 字",
        {"contact_name": "最多 50 个字"},
    )
    assert not Department.select().exists() and not _events("department.create")

    # each at its limit is kept, what was typed trimmed at both ends
    unit = units.create(street, " " + "办" * 100 + " ", " " + "1" * 32 + " ", " " + "王" * 50 + " ")
    assert (unit.name, unit.phone, unit.contact_name) == ("办" * 100, "1" * 32, "王" * 50)
    # phone and contact left out (None from a form) are stored empty
    other = units.create(d.communities[0], "安居物业", None, None, kind="property")
    assert (other.phone, other.contact_name) == ("", "")
    # the same checks guard an edit, with the edited unit's own kind and area
    assert _refusal(lambda: units.update(other, " ")) == (
        400,
        "validation_error",
        "请填写物业名称",
        {"name": "不能为空"},
    )
