"""Sending a care alert (core.households.care_alerts.create) where the HTTP and chat tests do not
look: every refusal's Chinese message and field, the title of each kind, the bounds exactly at
the limit, which households an alert reaches (active, kept by a serving steward, tagged, under
the area) and in what order, each steward's private list word for word, the group's line, and
the audit of the alert and of each list."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.delivery import groups
from core.households import cards, care_alerts
from core.people.permissions import Principal
from infra.errors import ApiError
from models import Event, Household, OutboxMessage, Steward, StewardAlley, User
from models.care import CareAlert, CareTarget
from tests.core.households.world import staff as _staff
from tests.factories import make_district, next_phone

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 7, 9, 0, tzinfo=SH)
START_UTC = datetime(2026, 12, 7, 1, 0)

# (alley index, head, phone, tags)
PLACES = (
    (0, "赵桂兰", "13900004321", ["独居老人", "低保"]),
    (0, "钱大爷", None, ["低保", "空巢老人"]),
    (1, "周阿婆", "13900004325", ["独居老人"]),
    (0, "李四海", "13900004324", ["残疾"]),
    (2, "郑奶奶", "13900004327", ["独居老人"]),  # the other community
)


@pytest.fixture
def w(app):
    d = make_district()
    admin = _staff(d.street, role="admin")
    made = []
    for n, (alley, head, phone, tags) in enumerate(PLACES):
        made.append(
            cards.create(
                admin,
                {
                    "alley_id": d.alleys[alley].id,
                    "steward_id": d.stewards[alley].id,
                    "address": f"{d.alleys[alley].name}{n + 1}号",
                    "head_name": head,
                    "head_phone": phone,
                    "tags": tags,
                },
            ).id
        )
    return {"d": d, "h": made, "staff": _staff(d.communities[0]), "admin": admin}


def _send(w, **kw) -> CareAlert:
    args = {
        "area_id": w["d"].communities[0].id,
        "kind": "寒潮",
        "tags": ["独居老人", "空巢老人"],
        "message": "今晚降温，请确认取暖",
        **kw,
    }
    return care_alerts.create(kw.pop("p", w["staff"]), **args)


def _refusal(call) -> tuple[int, str, str, dict]:
    with pytest.raises(ApiError) as err:
        call()
    assert CareAlert.select().count() == 0
    return err.value.status, err.value.code, err.value.message, err.value.fields


def test_only_staff_send_an_alert(w):
    steward = Principal(user=User.create(), roles={"steward"}, stewards=[w["d"].stewards[0]])
    status, code, message, _ = _refusal(
        lambda: care_alerts.create(steward, w["d"].communities[0].id, "寒潮", ["独居老人"])
    )
    assert (status, code, message) == (
        403,
        "care_alert_forbidden",
        "只有社区工作人员可以发出关怀提醒",
    )


def test_an_area_unknown_out_of_reach_or_not_a_number_is_not_found(w):
    d = w["d"]
    for area in (str(d.communities[0].id), 999_999, d.communities[1].id, None):
        status, code, message, _ = _refusal(lambda area=area: _send(w, area_id=area))
        assert (status, code, message) == (404, "area_not_found", "找不到该区域")


def test_an_unknown_kind_is_refused_naming_the_kinds(w):
    assert _refusal(lambda: _send(w, kind="台风")) == (
        400,
        "validation_error",
        "提醒类型：须为寒潮、高温、暴雨、停水停电、自定义之一",
        {"kind": "不是可选的提醒类型"},
    )


def test_the_tags_are_at_least_one_of_the_configured_ones(w):
    for tags in ([], None, [3, None]):
        assert _refusal(lambda tags=tags: _send(w, tags=tags)) == (
            400,
            "validation_error",
            "住户标签：请至少选一个",
            {"tags": "请至少选一个"},
        )
    assert _refusal(lambda: _send(w, tags=["独居老人", "独居", "富豪"])) == (
        400,
        "validation_error",
        "住户标签：没有“独居”这个标签",
        {"tags": "没有“独居”这个标签"},
    )


def test_an_alert_that_reaches_no_household_is_refused(w):
    assert _refusal(lambda: _send(w, tags=["特困"])) == (
        400,
        "no_households",
        "该区域没有带这些标签的在册住户",
        {"tags": "没有符合条件的住户"},
    )


def test_a_message_of_500_characters_is_kept_trimmed_and_one_more_refused(w):
    assert _refusal(lambda: _send(w, message="冷" * 501)) == (
        400,
        "validation_error",
        "提醒内容：最多 500 个字",
        {"message": "最多 500 个字"},
    )
    assert _send(w, message=" " + "冷" * 500 + " ").message == "冷" * 500


def test_a_kinds_alert_is_titled_by_its_kind_and_a_custom_one_by_its_own_title(w):
    assert _send(w, kind="高温", title="不用这个").title == "高温"
    assert _send(w, kind="自定义", title=" 燃气检查 ", message="").title == "燃气检查"
    assert _send(w, kind="自定义", title=None, message="请检查燃气").title == "关怀提醒"
    assert _send(w, kind="自定义", title="题" * 20).title == "题" * 20


def test_a_custom_alert_needs_a_title_or_words_and_a_title_of_at_most_20(w):
    assert _refusal(lambda: _send(w, kind="自定义", title="  ", message=None)) == (
        400,
        "validation_error",
        "自定义提醒：请写明标题或内容",
        {"title": "请写明标题"},
    )
    assert _refusal(lambda: _send(w, kind="自定义", title="题" * 21)) == (
        400,
        "validation_error",
        "标题：最多 20 个字",
        {"title": "最多 20 个字"},
    )


def test_an_alert_reaches_the_active_tagged_households_under_its_area_kept_by_serving_stewards(w):
    d, h = w["d"], w["h"]
    # a fourth household of the first steward's, off the register
    off = cards.create(
        w["admin"],
        {
            "alley_id": d.alleys[0].id,
            "steward_id": d.stewards[0].id,
            "address": "停用户",
            "head_name": "停用",
            "tags": ["独居老人"],
        },
    )
    cards.update(w["admin"], off, {"active": False})
    alley = d.alleys[0]
    got = care_alerts.matching_households(alley, ["独居老人", "空巢老人"])
    assert [x.id for x in got] == [h[0], h[1]]
    community = care_alerts.matching_households(d.communities[0], ["独居老人", "空巢老人"])
    assert [x.id for x in community] == [h[0], h[1], h[2]]
    street = care_alerts.matching_households(d.street, ["独居老人"])
    assert [x.id for x in street] == [h[0], h[2], h[4]]
    # a steward gone: their households are nobody's to visit
    Steward.update(active=False).where(Steward.id == d.stewards[1].id).execute()
    assert [x.id for x in care_alerts.matching_households(d.street, ["独居老人"])] == [h[0], h[4]]


def test_each_stewards_households_are_listed_in_the_stewards_order_then_as_registered(w):
    d, h = w["d"], w["h"]
    # a steward created later, serving the first alley, keeps a household registered earlier
    late = Steward.create(name="后来的管家", phone=next_phone())
    StewardAlley.create(steward=late, alley=d.alleys[0])
    Household.update(steward=late).where(Household.id == h[0]).execute()
    got = care_alerts.matching_households(d.communities[0], ["独居老人", "低保"])
    assert [x.id for x in got] == [h[1], h[2], h[0]]


def test_each_steward_gets_their_own_numbered_list_privately_and_the_group_one_line(w):
    d, h = w["d"], w["h"]
    Steward.update(wecom_userid="wx_s0").where(Steward.id == d.stewards[0].id).execute()
    group = groups.create(d.communities[0], "care-key")
    with time_machine.travel(START, tick=False):
        alert = _send(w, tags=["独居老人", "空巢老人", "低保"])
    private = OutboxMessage.get(OutboxMessage.kind == "private")
    assert private.payload["touser"] == "wx_s0"
    # filed under the alert's area: the console's outbox shows it to that community's staff
    assert private.area_id == d.communities[0].id
    assert private.payload["text"]["content"].splitlines() == [
        "【关怀提醒·寒潮】今晚降温，请确认取暖",
        "您包联的以下 2 户请及时电话或上门看望：",
        "1. 赵桂兰（独居老人、低保）1区1巷1号 13900004321",
        "2. 钱大爷（低保、空巢老人）1区1巷2号",
        "请逐户回复：已联系 序号；已上门 序号 情况；需帮助 序号 说明",
        "例如：已上门 1 一切正常。也可在小程序“关怀提醒”中回复。",
    ]
    lines = [
        (m.payload["text"]["content"], m.payload["text"]["mentioned_mobile_list"])
        for m in OutboxMessage.select()
        .where(OutboxMessage.kind == "robot")
        .order_by(OutboxMessage.id)
    ]
    s0, s1 = d.stewards[0], d.stewards[1]
    assert lines == [
        (f"【关怀提醒·寒潮】{s0.name}：请查看私信的关怀名单（2 户）", [s0.phone]),
        (f"【关怀提醒·寒潮】{s1.name}：请在小程序“关怀提醒”中查看关怀名单（1 户）", [s1.phone]),
    ]
    targets = list(CareTarget.select().where(CareTarget.alert == alert.id).order_by(CareTarget.id))
    assert [(t.household_id, t.steward_id, t.seq, t.status) for t in targets] == [
        (h[0], s0.id, 1, "pending"),
        (h[1], s0.id, 2, "pending"),
        (h[2], s1.id, 1, "pending"),
    ]
    sent = {
        e.data["steward_id"]: (e.subject_id, e.actor_id, e.area_id, e.data)
        for e in Event.select().where(Event.action == "care_alert.list_sent")
    }
    # each list's event has the care alert as its subject
    assert {
        e.subject_type for e in Event.select().where(Event.action == "care_alert.list_sent")
    } == {"care_alert"}
    staff_user = w["staff"].user.id
    area = d.communities[0].id
    assert sent == {
        s0.id: (
            alert.id,
            staff_user,
            area,
            {
                "steward_id": s0.id,
                "household_ids": [h[0], h[1]],
                "via": "private",
                "group_id": group.id,
            },
        ),
        s1.id: (
            alert.id,
            staff_user,
            area,
            {
                "steward_id": s1.id,
                "household_ids": [h[2]],
                "via": "miniprogram",
                "group_id": group.id,
            },
        ),
    }


def test_without_a_group_the_lists_go_out_and_no_group_line_is_queued(w):
    d = w["d"]
    Steward.update(wecom_userid="wx_s0").where(Steward.id == d.stewards[0].id).execute()
    _send(w, message="")
    assert not OutboxMessage.select().where(OutboxMessage.kind == "robot").exists()
    private = OutboxMessage.get(OutboxMessage.kind == "private")
    assert private.payload["text"]["content"].splitlines()[0] == "【关怀提醒·寒潮】"
    sent = Event.get(Event.action == "care_alert.list_sent")
    assert sent.data["group_id"] is None


def test_an_alert_is_kept_with_who_sent_it_when_and_audited(w):
    d = w["d"]
    with time_machine.travel(START, tick=False):
        alert = _send(w, tags=["空巢老人", "独居老人", "空巢老人", 7])
    alert = CareAlert.get_by_id(alert.id)
    assert (alert.area_id, alert.kind, alert.title, alert.tags, alert.message) == (
        d.communities[0].id,
        "寒潮",
        "寒潮",
        ["空巢老人", "独居老人"],
        "今晚降温，请确认取暖",
    )
    assert (alert.created_by_id, alert.created_at) == (w["staff"].user.id, START_UTC)
    user = w["staff"].user
    assert alert.created_label == (user.nickname or f"用户{user.id}")
    event = Event.get(Event.action == "care_alert.create")
    assert (event.subject_type, event.subject_id, event.actor_id, event.area_id) == (
        "care_alert",
        alert.id,
        w["staff"].user.id,
        d.communities[0].id,
    )
    assert event.data == {
        "kind": "寒潮",
        "title": "寒潮",
        "tags": ["空巢老人", "独居老人"],
        "households": 3,
        "stewards": [d.stewards[0].id, d.stewards[1].id],
    }
    assert care_alerts.steward_ids(alert) == [d.stewards[0].id, d.stewards[1].id]
    assert care_alerts.alert_title(alert) == "关怀提醒·寒潮"


def test_an_alerts_stewards_are_those_its_own_lists_went_to(w):
    d = w["d"]
    first = _send(w)
    other = care_alerts.create(w["admin"], d.communities[1].id, "寒潮", ["独居老人"], "")
    assert care_alerts.steward_ids(first) == [d.stewards[0].id, d.stewards[1].id]
    assert care_alerts.steward_ids(other) == [d.stewards[2].id]


def test_a_stewards_households_in_two_alleys_are_listed_as_registered_not_alley_by_alley(w):
    d, h = w["d"], w["h"]
    # the first steward serves a second alley too, and households are registered alternately
    StewardAlley.create(steward=d.stewards[0], alley=d.alleys[1])
    made = []
    for n, alley in enumerate((1, 0, 1)):
        made.append(
            cards.create(
                w["admin"],
                {
                    "alley_id": d.alleys[alley].id,
                    "steward_id": d.stewards[0].id,
                    "address": f"{d.alleys[alley].name}{n + 10}号",
                    "head_name": f"吴老伯{n}",
                    "tags": ["独居老人"],
                },
            ).id
        )
    got = care_alerts.matching_households(d.communities[0], ["独居老人", "空巢老人"])
    assert [x.id for x in got] == [h[0], h[1], *made, h[2]]
