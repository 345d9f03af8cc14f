"""The street's 回访 sample rule (`core.items.callbacks.set_rule`): only a street's own
administrator sets it, for the street or one of its communities; both numbers whole and
within their bounds, refusals in Chinese naming the field; the change audited and dated."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.items import callbacks
from core.people.permissions import Principal
from models import CallbackRule, Event
from tests.core.figures.test_reports import at
from tests.factories import make_district, make_staff


def _p(account):
    return Principal.for_user(account.user)


@pytest.fixture
def street(app):
    d = make_district()
    return d, make_staff(d.street, role="admin", username="jd")


def test_only_the_streets_own_administrator_sets_the_rule(street):
    d, admin = street
    staff = make_staff(d.communities[0], username="liu")
    other = make_district(street_name="另一街道")
    other_admin = make_staff(other.street, role="admin", username="jd2")
    for who, area in ((staff, d.communities[0]), (other_admin, d.communities[0])):
        with pytest.raises(Exception) as refused:
            callbacks.set_rule(_p(who), area, 10, 0)
        assert (refused.value.status, refused.value.code) == (403, "forbidden")
        assert refused.value.message == "只有街道管理员可以设定回访抽样要求"
    with pytest.raises(Exception) as grid:
        callbacks.set_rule(_p(admin), d.grids[0], 10, 0)
    assert grid.value.status == 400 and grid.value.message == "请选择街道或社区"
    assert grid.value.fields == {"area_id": "只能为街道或社区设定"}
    assert CallbackRule.select().count() == 0


def _refusal(admin, area, percent, per_steward):
    with pytest.raises(Exception) as bad:
        callbacks.set_rule(_p(admin), area, percent, per_steward)
    return bad.value.status, bad.value.message, bad.value.fields


def test_the_rules_numbers_are_whole_and_within_their_bounds(street):
    d, admin = street
    c1 = d.communities[0]
    assert _refusal(admin, c1, "abc", 0) == (
        400,
        "请填写整数",
        {"min_percent": "请填写 0–100 的整数"},
    )
    assert _refusal(admin, c1, None, 0)[1] == "请填写整数"
    assert _refusal(admin, c1, -1, 0) == (
        400,
        "应在 0–100 之间",
        {"min_percent": "请填写 0–100 的整数"},
    )
    assert _refusal(admin, c1, 101, 0)[1] == "应在 0–100 之间"
    assert _refusal(admin, c1, 50, 1001) == (
        400,
        "应在 0–1000 之间",
        {"min_per_steward": "请填写 0–1000 的整数"},
    )
    assert _refusal(admin, c1, 50, "x")[2] == {"min_per_steward": "请填写 0–1000 的整数"}
    assert CallbackRule.select().count() == 0
    rule = callbacks.set_rule(_p(admin), c1, " 0 ", 1000)
    assert (rule.min_percent, rule.min_per_steward) == (0, 1000)
    rule = callbacks.set_rule(_p(admin), c1, 100, 0)
    assert (rule.min_percent, rule.min_per_steward) == (100, 0)


def test_setting_the_rule_again_changes_it_and_each_change_is_audited_and_dated(street):
    d, admin = street
    admin.display_name = "街道王科长"
    admin.save()
    with at(12, 3, 9):
        callbacks.set_rule(_p(admin), d.street, 30, 1)
    with at(12, 4, 10):
        rule = callbacks.set_rule(_p(admin), d.street, 40, 2)
    assert CallbackRule.select().count() == 1
    assert (rule.min_percent, rule.min_per_steward, rule.updated_by) == (40, 2, "街道王科长")
    assert rule.updated_at == datetime(2026, 12, 4, 2, 0)  # 10:00 in Shanghai, stored as UTC
    assert callbacks.rule_for(d.communities[1])["source"] == "street"
    last = Event.select().where(Event.action == "callback_rule.set").order_by(Event.id)[-1]
    assert (last.subject_type, last.subject_id, last.area_id) == ("area", d.street.id, d.street.id)
    assert (last.actor_id, last.actor_label) == (admin.user_id, "街道王科长")
    assert last.data == {"min_percent": 40, "min_per_steward": 2}


def test_a_communitys_own_rule_is_set_beside_its_streets_and_comes_first(street):
    d, admin = street
    c1, c2 = d.communities
    with at(12, 3, 9):
        callbacks.set_rule(_p(admin), d.street, 40, 2)
        mine = callbacks.set_rule(_p(admin), c1, 30, 1)
    assert (mine.area_id, mine.min_percent, mine.min_per_steward) == (c1.id, 30, 1)
    assert CallbackRule.select().count() == 2
    own = callbacks.rule_for(c1)
    assert (own["source"], own["min_percent"], own["min_per_steward"]) == ("community", 30, 1)
    assert own["updated_by"] == "jd" and own["updated_at"] == datetime(2026, 12, 3, 1, 0)
    follows = callbacks.rule_for(c2)
    assert (follows["source"], follows["min_percent"], follows["min_per_steward"]) == (
        "street",
        40,
        2,
    )


def test_without_a_rule_of_its_own_or_its_streets_a_community_follows_the_settings(app, street):
    d, _ = street
    assert callbacks.rule_for(d.communities[0]) == {
        "min_percent": 100,
        "min_per_steward": 0,
        "source": "default",
        "updated_by": "",
        "updated_at": None,
    }
    app.config.update(CALLBACK_SAMPLE_PERCENT=60, CALLBACK_SAMPLE_PER_STEWARD=2)
    rule = callbacks.rule_for(d.communities[1])
    assert (rule["min_percent"], rule["min_per_steward"], rule["source"]) == (60, 2, "default")
