"""A care alert's answers and what staff and stewards read of it (core.households.care_alerts)
where the HTTP and chat tests do not look: each refusal's Chinese message, which list an
answer lands on (the newest, or the one named), the visit and the 需帮助 item an answer makes,
its audit, the figures per steward and their order, the lists in scope, and the reminder
exactly at its hour, once, privately or by the group's count."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.delivery import groups
from core.households import cards, care_alerts
from core.people.permissions import Principal
from infra.errors import ApiError
from models import Event, Issue, OutboxMessage, Steward, StewardAlley, User, Visit
from models.care import CareAlert, CareTarget
from tests.core.households.world import staff as _staff
from tests.factories import make_district

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 7, 9, 0, tzinfo=SH)
START_UTC = datetime(2026, 12, 7, 1, 0)

# (alley index, head, tags): stewards 0 and 1 in the first community, 2 in the second
PLACES = (
    (0, "赵桂兰", ["独居老人"]),
    (0, "钱大爷", ["空巢老人"]),
    (0, "孙婆婆", ["独居老人"]),
    (1, "周阿婆", ["独居老人"]),
    (2, "郑奶奶", ["独居老人"]),
)


def _steward(steward: Steward) -> Principal:
    user = User.create(openid=f"dev:steward-{steward.id}", nickname=f"微信{steward.name}")
    alleys = {
        link.alley_id for link in StewardAlley.select().where(StewardAlley.steward == steward)
    }
    return Principal(user=user, roles={"steward"}, stewards=[steward], alley_ids=alleys)


@pytest.fixture
def w(app):
    d = make_district()
    admin = _staff(d.street, role="admin")
    made = []
    for n, (alley, head, tags) in enumerate(PLACES):
        body = {
            "alley_id": d.alleys[alley].id,
            "steward_id": d.stewards[alley].id,
            "address": f"{d.alleys[alley].name}{n + 1}号",
            "head_name": head,
            "tags": tags,
        }
        made.append(cards.create(admin, body).id)
    return {
        "d": d,
        "h": made,
        "staff": _staff(d.communities[0]),
        "other_staff": _staff(d.communities[1]),
        "admin": admin,
        "s0": _steward(d.stewards[0]),
        "s1": _steward(d.stewards[1]),
        "s2": _steward(d.stewards[2]),
    }


def _send(w, p="staff", area=None, kind="寒潮"):
    area = area or w["d"].communities[0]
    return care_alerts.create(w[p], area.id, kind, ["独居老人", "空巢老人"], "请确认取暖")


def _refusal(call) -> tuple[int, str, str, dict]:
    with pytest.raises(ApiError) as err:
        call()
    return err.value.status, err.value.code, err.value.message, err.value.fields


# --- answering ------------------------------------------------------------------------------


def test_an_answer_is_one_of_three_with_a_note_of_at_most_300(w):
    _send(w)
    s0 = w["s0"]
    assert _refusal(lambda: care_alerts.answer(s0, 1, "done")) == (
        400,
        "validation_error",
        "回复：须为已联系、已上门或需帮助",
        {"result": "不是可选的回复"},
    )
    assert _refusal(lambda: care_alerts.answer(s0, 1, "visited", "况" * 301)) == (
        400,
        "validation_error",
        "说明：最多 300 个字",
        {"note": "最多 300 个字"},
    )
    for blank in ("  ", None):
        assert _refusal(lambda blank=blank: care_alerts.answer(s0, 1, "needs_help", blank)) == (
            400,
            "validation_error",
            "请写明需要什么帮助",
            {"note": "请写明需要什么帮助"},
        )
    assert Visit.select().count() == 0
    kept = care_alerts.answer(s0, 1, "visited", " " + "况" * 300 + " ")
    assert kept.note == "况" * 300


def test_only_a_steward_with_a_list_answers_and_only_on_their_own_list(w):
    staff = w["staff"]
    assert _refusal(lambda: care_alerts.answer(staff, 1, "contacted")) == (
        403,
        "care_answer_forbidden",
        "只有小巷管家可以回复关怀名单",
        {},
    )
    assert _refusal(lambda: care_alerts.answer(w["s0"], 1, "contacted")) == (
        404,
        "care_alert_not_found",
        "您目前没有关怀名单",
        {},
    )
    alert = _send(w)
    # the second community's steward: no household on this alert
    assert _refusal(lambda: care_alerts.answer(w["s2"], 1, "contacted", alert_id=alert.id)) == (
        404,
        "care_alert_not_found",
        "找不到该关怀提醒",
        {},
    )
    assert _refusal(lambda: care_alerts.answer(w["s0"], 1, "contacted", alert_id=alert.id + 1)) == (
        404,
        "care_alert_not_found",
        "您目前没有关怀名单",
        {},
    )
    for call in (
        lambda: care_alerts.answer(w["s0"], 4, "contacted", alert_id=alert.id),
        lambda: care_alerts.answer(w["s1"], 2, "contacted"),
    ):
        status, code, message, _ = _refusal(call)
        assert (status, code) == (404, "care_target_not_found")
    assert (
        _refusal(lambda: care_alerts.answer(w["s0"], 4, "contacted"))[2] == "关怀名单中没有第 4 户"
    )
    assert CareTarget.select().where(CareTarget.status != "pending").count() == 0


def test_an_answer_lands_on_the_newest_list_unless_an_alert_is_named(w):
    first = _send(w)
    second = _send(w, kind="暴雨")
    assert care_alerts.latest_alert_for(w["s0"]).id == second.id
    assert care_alerts.latest_alert_for(w["staff"]) is None
    newest = care_alerts.answer(w["s0"], 1, "contacted")
    named = care_alerts.answer(w["s0"], 1, "contacted", alert_id=first.id)
    assert (newest.alert_id, named.alert_id) == (second.id, first.id)
    # an alert the steward has no household on is not their newest
    care_alerts.create(w["staff"], w["d"].alleys[1].id, "高温", ["独居老人"], "")
    assert care_alerts.latest_alert_for(w["s0"]).id == second.id


def test_each_answer_is_a_visit_saying_what_was_found_and_is_audited(w):
    d, h = w["d"], w["h"]
    alert = _send(w)
    with time_machine.travel(START, tick=False):
        visited = care_alerts.answer(w["s0"], 1, "visited")
        contacted = care_alerts.answer(w["s0"], 2, "contacted", " 电话里说挺好 ")
        bare = care_alerts.answer(w["s0"], 3, "contacted")
    notes = {v.household_id: v.note for v in Visit.select()}
    assert notes == {
        h[0]: "关怀提醒·寒潮：已上门，一切正常",
        h[1]: "关怀提醒·寒潮：已联系，电话里说挺好",
        h[2]: "关怀提醒·寒潮：已联系",
    }
    target = CareTarget.get_by_id(visited.id)
    assert (target.status, target.note, target.answered_at) == ("visited", "一切正常", START_UTC)
    assert (target.answered_by_id, target.visit_id, target.issue_id) == (
        w["s0"].user.id,
        Visit.get(Visit.household == h[0]).id,
        None,
    )
    assert (contacted.note, bare.note) == ("电话里说挺好", "")
    event = Event.select().where(Event.action == "care_alert.answer").order_by(Event.id).first()
    assert (event.subject_type, event.subject_id, event.actor_id, event.area_id) == (
        "care_alert",
        alert.id,
        w["s0"].user.id,
        d.alleys[0].id,
    )
    assert event.data == {
        "target_id": visited.id,
        "household_id": h[0],
        "seq": 1,
        "result": "visited",
        "visit_id": target.visit_id,
        "issue_id": None,
    }
    assert care_alerts.answered_count(alert.id, d.stewards[0].id) == (3, 3)
    assert care_alerts.answered_count(alert.id, d.stewards[1].id) == (0, 1)


def test_a_later_answer_replaces_the_earlier_and_needs_help_hands_over_once(w):
    d, h = w["d"], w["h"]
    alert = _send(w)
    care_alerts.answer(w["s0"], 3, "visited", "家里很冷")
    target = care_alerts.answer(w["s0"], 3, "needs_help", " 暖气片漏水 ")
    issue = Issue.get_by_id(target.issue_id)
    assert (target.status, target.note) == ("needs_help", "暖气片漏水")
    assert (issue.category, issue.source, issue.visibility, issue.status) == (
        "助老帮残",
        "steward",
        "hidden",
        "escalated",
    )
    assert (issue.alley_id, issue.content) == (
        d.alleys[0].id,
        f"【关怀提醒·寒潮】{d.stewards[0].name} 包联的一户需要帮助：暖气片漏水"
        f"（住户信息见工作台“关怀提醒”第 {alert.id} 号第 3 户）",
    )
    escalated = Event.get((Event.action == "issue.escalate") & (Event.subject_id == issue.id))
    assert escalated.data["note"] == "关怀提醒·寒潮：管家反映一户需要帮助，详情请在工作台查看"
    answered = (
        Event.select().where(Event.action == "care_alert.answer").order_by(Event.id.desc()).first()
    )
    assert (answered.data["result"], answered.data["issue_id"]) == ("needs_help", issue.id)
    assert _refusal(lambda: care_alerts.answer(w["s0"], 3, "needs_help", "又漏了")) == (
        409,
        "already_handed_over",
        f"该户已转社区处理（诉求 #{issue.id}），请在小程序查看进展",
        {},
    )
    # a later answer of another kind is kept, and the item stays
    again = care_alerts.answer(w["s0"], 3, "visited", "修好了")
    assert (again.status, again.issue_id) == ("visited", issue.id)
    assert Issue.select().count() == 1
    assert Visit.select().where(Visit.household == h[2]).count() == 3


# --- what staff and stewards read -----------------------------------------------------------


def test_staff_read_an_alert_in_their_scope_and_nobody_else_does(w):
    alert = _send(w)
    assert care_alerts.load_for_staff(w["admin"], alert.id).id == alert.id
    for who, alert_id in (("other_staff", alert.id), ("s0", alert.id), ("staff", alert.id + 1)):
        assert _refusal(
            lambda who=who, alert_id=alert_id: care_alerts.progress(w[who], alert_id, "api")
        ) == (
            404,
            "care_alert_not_found",
            "找不到该关怀提醒",
            {},
        )
    # a staff member who also keeps households is still read as staff
    both = w["s0"]
    both.roles.add("staff")
    both.area_roots.append(w["d"].communities[0])
    assert care_alerts.load_for_staff(both, alert.id).id == alert.id


def test_the_progress_counts_each_steward_the_most_waiting_first_and_records_the_households(w):
    d, h = w["d"], w["h"]
    with time_machine.travel(START, tick=False):
        alert = _send(w)
    care_alerts.answer(w["s0"], 1, "visited")
    care_alerts.answer(w["s0"], 2, "needs_help", "没米了")
    care_alerts.answer(w["s0"], 3, "contacted")
    got = care_alerts.progress(w["staff"], alert.id, "console")
    issue_id = CareTarget.get(CareTarget.status == "needs_help").issue_id
    assert {
        k: got[k] for k in ("id", "area", "kind", "title", "tags", "message", "created_at")
    } == {
        "id": alert.id,
        "area": {"id": d.communities[0].id, "name": d.communities[0].name},
        "kind": "寒潮",
        "title": "寒潮",
        "tags": ["独居老人", "空巢老人"],
        "message": "请确认取暖",
        "created_at": "2026-12-07T09:00:00+08:00",
    }
    assert (got["total"], got["answered"], got["pending"], got["visited"]) == (4, 3, 1, 1)
    assert (got["contacted"], got["needs_help"]) == (1, 1)
    s0, s1 = got["stewards"][1], got["stewards"][0]
    assert s1["steward"] == {"id": d.stewards[1].id, "name": d.stewards[1].name}
    assert (s1["total"], s1["answered"], s1["outstanding"], s1["reminded"]) == (1, 0, [1], False)
    assert (s0["total"], s0["answered"], s0["outstanding"]) == (3, 3, [])
    assert s0["households"][1] == {
        "seq": 2,
        "household_id": h[1],
        "head_name": "钱大爷",
        "address": "1区1巷2号",
        "head_phone": None,
        "tags": ["空巢老人"],
        "status": "needs_help",
        "status_label": "需帮助",
        "note": "没米了",
        "answered_at": got["stewards"][1]["households"][1]["answered_at"],
        "issue_id": issue_id,
    }
    assert s0["households"][1]["answered_at"] is not None
    assert [t["seq"] for t in s0["households"]] == [1, 2, 3]
    seen = Event.get(Event.action == "household.list")
    assert (seen.actor_id, seen.data["via"], seen.data["filters"]) == (
        w["staff"].user.id,
        "console",
        {"care_alert": alert.id},
    )
    assert sorted(seen.data["ids"]) == sorted([h[0], h[1], h[2], h[3]])


def test_stewards_waiting_the_same_are_listed_by_name(w):
    d = w["d"]
    Steward.update(name="管家A").where(Steward.id == d.stewards[1].id).execute()
    Steward.update(name="管家B").where(Steward.id == d.stewards[0].id).execute()
    alert = _send(w)
    care_alerts.answer(w["s0"], 1, "visited")
    care_alerts.answer(w["s0"], 2, "visited")
    names = [
        s["steward"]["name"] for s in care_alerts.progress(w["staff"], alert.id, "api")["stewards"]
    ]
    assert names == ["管家A", "管家B"]  # one waiting each
    care_alerts.answer(w["s1"], 1, "visited")
    names = [
        s["steward"]["name"] for s in care_alerts.progress(w["staff"], alert.id, "api")["stewards"]
    ]
    assert names == ["管家B", "管家A"]


def test_the_alert_list_is_staffs_own_scope_newest_first_with_its_figures(w):
    d = w["d"]
    mine = _send(w)
    theirs = _send(w, p="other_staff", area=d.communities[1])
    newest = _send(w, kind="暴雨")
    care_alerts.answer(w["s0"], 1, "visited")
    got = care_alerts.listing(w["staff"])
    assert [(a["id"], a["total"], a["answered"]) for a in got] == [
        (newest.id, 4, 1),
        (mine.id, 4, 0),
    ]
    assert [a["id"] for a in care_alerts.listing(w["admin"])] == [newest.id, theirs.id, mine.id]
    assert [a["id"] for a in care_alerts.listing(w["admin"], limit=2)] == [newest.id, theirs.id]
    assert care_alerts.listing(w["other_staff"])[0]["created_by"] == theirs.created_label
    assert _refusal(lambda: care_alerts.listing(w["s0"])) == (
        403,
        "care_alert_forbidden",
        "只有社区工作人员可以查看关怀提醒",
        {},
    )


def test_a_steward_reads_their_own_lists_of_the_newest_alerts_recorded(w):
    h = w["h"]
    alerts = [_send(w) for _ in range(6)]
    got = care_alerts.mine(w["s0"], via="api")
    assert [a["id"] for a in got] == [a.id for a in reversed(alerts[1:])]
    assert [t["household_id"] for t in got[0]["households"]] == [h[0], h[1], h[2]]
    assert (got[0]["total"], got[0]["answered"]) == (3, 0)
    assert [a["id"] for a in care_alerts.mine(w["s0"], via="api", limit=2)] == [
        alerts[5].id,
        alerts[4].id,
    ]
    seen = Event.select().where(Event.action == "household.list").order_by(Event.id).first()
    assert (seen.actor_id, seen.data["via"], seen.data["filters"]) == (
        w["s0"].user.id,
        "api",
        {"care_alerts": "mine"},
    )
    assert seen.data["ids"] == [h[0], h[1], h[2]] * 5
    # a steward with no list reads none, and nothing is recorded
    assert care_alerts.mine(w["s2"], via="api") == []
    assert Event.select().where(Event.action == "household.list").count() == 2
    assert _refusal(lambda: care_alerts.mine(w["staff"], via="api")) == (
        403,
        "care_answer_forbidden",
        "只有小巷管家有关怀名单",
        {},
    )


def test_one_person_keeping_two_stewards_lists_reads_them_steward_by_steward_in_name_order(w):
    d, h = w["d"], w["h"]
    # the first-made steward's name sorts after the second's: the names order, not the ids
    Steward.update(name="王建国").where(Steward.id == d.stewards[0].id).execute()
    Steward.update(name="李秀英").where(Steward.id == d.stewards[1].id).execute()
    both = Principal(
        user=w["s0"].user,
        roles={"steward"},
        stewards=[Steward.get_by_id(d.stewards[0].id), Steward.get_by_id(d.stewards[1].id)],
        alley_ids=w["s0"].alley_ids | w["s1"].alley_ids,
    )
    _send(w)
    (got,) = care_alerts.mine(both, via="api")
    assert [(t["household_id"], t["seq"]) for t in got["households"]] == [
        (h[3], 1),
        (h[0], 1),
        (h[1], 2),
        (h[2], 3),
    ]


# --- the reminder ----------------------------------------------------------------------------


def test_the_unanswered_are_reminded_once_exactly_at_the_hour_privately_or_in_the_group(w, app):
    d, h = w["d"], w["h"]
    app.config["CARE_REMINDER_HOURS"] = 6
    Steward.update(wecom_userid="wx_s0").where(Steward.id == d.stewards[0].id).execute()
    group = groups.create(d.communities[0], "care-key")
    with time_machine.travel(START, tick=False):
        alert = _send(w)
    care_alerts.answer(w["s0"], 2, "visited")
    OutboxMessage.delete().execute()
    due = START_UTC + timedelta(hours=6)
    assert care_alerts.remind_due(due - timedelta(seconds=1)) == 0
    assert care_alerts.remind_due(due) == 2
    assert care_alerts.remind_due(due + timedelta(hours=7)) == 0
    private = OutboxMessage.get(OutboxMessage.kind == "private")
    s0, s1 = d.stewards[0], d.stewards[1]
    assert (private.target, private.area_id) == ("wx_s0", d.communities[0].id)
    assert private.idempotency_key == f"private:care:{alert.id}:{s0.id}:remind"
    assert private.payload["text"]["content"].splitlines() == [
        "【关怀提醒·寒潮·提醒】12月7日 09:00 发出的关怀名单还有 2 户未回复：",
        "1. 赵桂兰 1区1巷1号",
        "3. 孙婆婆 1区1巷3号",
        "请回复：已联系 序号；已上门 序号 情况；需帮助 序号 说明",
    ]
    robot = [
        (m.target, m.idempotency_key, m.payload["text"]["content"])
        for m in OutboxMessage.select()
        .where(OutboxMessage.kind == "robot")
        .order_by(OutboxMessage.id)
    ]
    assert robot == [
        (
            "care-key",
            f"robot:care:{alert.id}:{s0.id}:remind",
            f"【关怀提醒·寒潮】{s0.name}：关怀名单还有 2 户未回复，请查看私信",
        ),
        (
            "care-key",
            f"robot:care:{alert.id}:{s1.id}:remind",
            f"【关怀提醒·寒潮】{s1.name}：关怀名单还有 1 户未回复，请在小程序“关怀提醒”中查看",
        ),
    ]
    mentioned = [
        m.payload["text"]["mentioned_mobile_list"]
        for m in OutboxMessage.select()
        .where(OutboxMessage.kind == "robot")
        .order_by(OutboxMessage.id)
    ]
    assert mentioned == [[s0.phone], [s1.phone]]
    reminded = {t.household_id: t.reminded_at for t in CareTarget.select()}
    assert reminded == {h[0]: due, h[1]: None, h[2]: due, h[3]: due}
    events = list(Event.select().where(Event.action == "care_alert.remind").order_by(Event.id))
    assert [
        (e.subject_type, e.subject_id, e.actor_id, e.actor_label, e.area_id) for e in events
    ] == [("care_alert", alert.id, None, "系统", d.communities[0].id)] * 2
    assert [e.data for e in events] == [
        {"steward_id": s0.id, "household_ids": [h[0], h[2]], "via": "private"},
        {"steward_id": s1.id, "household_ids": [h[3]], "via": "miniprogram"},
    ]
    assert group.area_id == d.communities[0].id


def test_no_reminder_for_a_steward_gone_or_when_the_hours_are_zero(w, app):
    d = w["d"]
    with time_machine.travel(START, tick=False):
        _send(w)
    later = START_UTC + timedelta(days=2)
    app.config["CARE_REMINDER_HOURS"] = 0
    assert care_alerts.remind_due(later) == 0
    app.config["CARE_REMINDER_HOURS"] = "6"
    Steward.update(active=False).where(Steward.id == d.stewards[1].id).execute()
    assert care_alerts.remind_due(later) == 1
    assert [
        t.steward_id for t in CareTarget.select().where(CareTarget.reminded_at.is_null(False))
    ] == [d.stewards[0].id] * 3
    assert not OutboxMessage.select().where(OutboxMessage.kind == "robot").exists()  # no group


def test_a_reminder_hour_of_one_reminds_an_hour_after_the_alert(w, app):
    app.config["CARE_REMINDER_HOURS"] = 1
    with time_machine.travel(START, tick=False):
        _send(w)
    hour = START_UTC + timedelta(hours=1)
    assert care_alerts.remind_due(hour - timedelta(seconds=1)) == 0
    assert care_alerts.remind_due(hour) == 2


def test_reminders_go_out_alert_by_alert_each_in_the_stewards_order(w, app):
    d = w["d"]
    app.config["CARE_REMINDER_HOURS"] = 6
    groups.create(d.communities[0], "care-key")
    with time_machine.travel(START, tick=False):
        first = _send(w)  # stewards 0 (numbers 1-3) and 1 (number 1)
        second = _send(w, area=d.alleys[0])  # steward 0 alone
    # steward 0's first household answered: their earliest waiting number is 2, after
    # steward 1's 1, yet steward 0 is still reminded first
    care_alerts.answer(w["s0"], 1, "contacted", alert_id=first.id)
    OutboxMessage.delete().execute()
    assert care_alerts.remind_due(START_UTC + timedelta(hours=6)) == 3
    keys = [
        m.idempotency_key
        for m in OutboxMessage.select()
        .where(OutboxMessage.kind == "robot")
        .order_by(OutboxMessage.id)
    ]
    s0, s1 = d.stewards[0].id, d.stewards[1].id
    assert keys == [
        f"robot:care:{first.id}:{s0}:remind",
        f"robot:care:{first.id}:{s1}:remind",
        f"robot:care:{second.id}:{s0}:remind",
    ]


@contextmanager
def _just_before_the_first(prefix: str, competing):
    """Run `competing()` on the same connection at the moment the first statement starting
    with `prefix` is sent (peewee logs each statement just before it runs): another scan's
    write landing between this scan's read and its own write."""
    done: list[bool] = []

    def emit(record):
        if not done and str(record.msg[0]).startswith(prefix):
            done.append(True)
            competing()

    handler = logging.Handler()
    handler.emit = emit
    logger = logging.getLogger("peewee")
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    assert done, f"no statement began with {prefix!r}"


def test_a_steward_another_scan_reminded_meanwhile_is_skipped_and_the_next_still_reminded(w, app):
    d = w["d"]
    app.config["CARE_REMINDER_HOURS"] = 6
    with time_machine.travel(START, tick=False):
        alert = _send(w)  # steward 0 (three households), then steward 1 (one)
    OutboxMessage.delete().execute()
    s0, s1 = d.stewards[0].id, d.stewards[1].id
    Steward.update(wecom_userid="wx_s1").where(Steward.id == s1).execute()
    due = START_UTC + timedelta(hours=6)
    other_scan = due - timedelta(seconds=5)
    # another scan claims steward 0's households after this scan read them, before its claim
    with _just_before_the_first(
        f'UPDATE "{CareTarget._meta.table_name}"',
        lambda: CareTarget.update(reminded_at=other_scan).where(CareTarget.steward == s0).execute(),
    ):
        assert care_alerts.remind_due(due) == 1
    assert [m.idempotency_key for m in OutboxMessage.select().order_by(OutboxMessage.id)] == [
        f"private:care:{alert.id}:{s1}:remind"
    ]
    reminded = {t.steward_id: t.reminded_at for t in CareTarget.select()}
    assert reminded == {s0: other_scan, s1: due}
    events = Event.select().where(Event.action == "care_alert.remind")
    assert [e.data["steward_id"] for e in events] == [s1]


def test_staff_see_the_newest_fifty_alerts(w):
    area = w["d"].communities[0]
    made = [
        CareAlert.create(
            area=area,
            kind="寒潮",
            title="寒潮",
            tags=["独居老人"],
            message="",
            created_label="社区",
            created_at=START_UTC,
        ).id
        for _ in range(51)
    ]
    got = [a["id"] for a in care_alerts.listing(w["staff"])]
    assert got == made[:0:-1]  # the newest fifty, newest first; the first one left out


def test_an_alerts_progress_counts_and_shows_only_its_own_households(w):
    first = _send(w)
    _send(w, area=w["d"].alleys[0])  # a second alert to steward 0's alley
    got = care_alerts.progress(w["staff"], first.id, via="console")
    assert (got["id"], got["total"]) == (first.id, 4)
    assert sorted(len(s["households"]) for s in got["stewards"]) == [1, 3]


def test_a_new_alerts_summary_counts_its_own_lists(w):
    alert = _send(w)
    got = care_alerts.summary_out(alert)  # as the mini program's 201 gives it
    assert (got["total"], got["answered"], got["pending"]) == (4, 0, 4)
