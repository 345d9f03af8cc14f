"""What each transition leaves behind: every column it writes and the trail entry it appends.

Lifecycle tests check the status after each step; these read the whole row and its event
afterwards, with the clock pinned, so a transition that forgot a timestamp, wrote the wrong
actor or dropped a field from its trail entry is noticed.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from PIL import Image

from core.items import issues as issue_flow
from core.items import wishes as wish_flow
from core.people.permissions import Principal
from infra.errors import ApiError
from infra.timeutil import iso
from models import Department, Event, Issue, IssueAssignee, Patrol, RoleGrant, StaffAccount, Wish
from tests.factories import make_world

API = "/api/v1"
T0 = datetime(2026, 4, 6, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai
NAIVE = T0.replace(tzinfo=None)


def _at(**delta) -> datetime:
    return NAIVE + timedelta(**delta)


@pytest.fixture
def world(client):
    return make_world(
        client,
        residents={"resident": "张大妈", "volunteer": "志愿者小李"},
        stewards={"steward": 0},
        staff={"staff": 0},
    )


def _user_of(headers, client):
    return client.get(f"{API}/me", headers=headers).get_json()["user"]["id"]


def _post(client, path, headers, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, (path, res.get_json())
    return res.get_json()


def _photo(client, headers) -> int:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, "JPEG")
    res = client.post(
        f"{API}/media",
        data={"file": (io.BytesIO(buf.getvalue()), "p.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def _last_event(subject: str, subject_id: int) -> Event:
    return (
        Event.select()
        .where((Event.subject_type == subject) & (Event.subject_id == subject_id))
        .order_by(Event.id.desc())
        .first()
    )


def test_wish_rows_and_trail_after_each_step(client, world):
    w = world
    d = w["d"]
    staff_user = StaffAccount.get_by_id(w["staff_account"].id).user_id
    volunteer = _user_of(w["volunteer"], client)
    with time_machine.travel(T0, tick=False) as clock:
        body = {
            "board_code": d.boards[0].code,
            "beneficiary_type": "elderly",
            "display_name": "王奶奶",
            "title": "一台收音机",
            "content": "想听戏",
            "photo_ids": [_photo(client, w["resident"])],
        }
        wish_id = _post(client, "/wishes", w["resident"], body, status=201)["id"]
        wish = Wish.get_by_id(wish_id)
        assert (wish.alley_id, wish.community_id) == (d.alleys[0].id, d.communities[0].id)
        assert wish.photo_ids == body["photo_ids"]
        ev = _last_event("wish", wish_id)
        assert ev.action == "wish.create" and ev.area_id == d.alleys[0].id
        assert ev.data == {"content_check": "pass", "on_behalf_of": None}

        clock.shift(timedelta(hours=1))
        _post(client, f"/wishes/{wish_id}/approve", w["staff"])
        wish = Wish.get_by_id(wish_id)
        assert wish.status == "published" and wish.published_at == _at(hours=1)
        assert wish.reviewed_by_id == staff_user and wish.check_verdict == "pass"
        ev = _last_event("wish", wish_id)
        assert (ev.action, ev.actor_id, ev.data) == (
            "wish.approve",
            staff_user,
            {"content_check": "pass"},
        )

        clock.shift(timedelta(hours=1))
        _post(client, f"/wishes/{wish_id}/claim", w["volunteer"], {"role": "party_member"})
        wish = Wish.get_by_id(wish_id)
        assert (wish.claimer_id, wish.claimer_role, wish.claimed_at) == (
            volunteer,
            "party_member",
            _at(hours=2),
        )
        ev = _last_event("wish", wish_id)
        assert (ev.action, ev.actor_id, ev.data) == (
            "wish.claim",
            volunteer,
            {"role": "party_member"},
        )

        clock.shift(timedelta(hours=1))
        _post(client, f"/wishes/{wish_id}/release", w["volunteer"], {"reason": "临时出差"})
        wish = Wish.get_by_id(wish_id)
        assert wish.status == "published"
        assert (wish.claimer_id, wish.claimer_role, wish.claimed_at) == (None, None, None)
        ev = _last_event("wish", wish_id)
        assert ev.data == {"note": "临时出差", "previous_claimer": volunteer}

        _post(client, f"/wishes/{wish_id}/claim", w["steward"])
        assert Wish.get_by_id(wish_id).claimer_role == "steward"  # a steward's default role
        clock.shift(timedelta(days=1))
        photo = _photo(client, w["steward"])
        _post(
            client,
            f"/wishes/{wish_id}/fulfil",
            w["steward"],
            {"note": "送到了", "photo_ids": [photo]},
        )
        wish = Wish.get_by_id(wish_id)
        assert (wish.status, wish.fulfil_note, wish.fulfil_photo_ids, wish.fulfilled_at) == (
            "fulfilled",
            "送到了",
            [photo],
            _at(days=1, hours=3),
        )
        ev = _last_event("wish", wish_id)
        assert ev.data == {"note": "送到了", "photo_ids": [photo]}

        clock.shift(timedelta(hours=5))
        _post(client, f"/wishes/{wish_id}/confirm", w["resident"], {"score": 4, "text": "谢谢"})
        wish = Wish.get_by_id(wish_id)
        assert (wish.status, wish.closed_at, wish.rating, wish.rating_text) == (
            "closed",
            _at(days=1, hours=8),
            4,
            "谢谢",
        )
        ev = _last_event("wish", wish_id)
        assert (ev.action, ev.actor_label, ev.data) == (
            "wish.confirm",
            "张大妈",  # the resident by name, not the web page's anonymous "提交人"
            {"score": 4, "note": "谢谢"},
        )
        assert wish.updated_at == _at(days=1, hours=8)


def test_rejected_wish_keeps_reason_and_reviewer(client, world):
    w = world
    staff_user = StaffAccount.get_by_id(w["staff_account"].id).user_id
    body = {
        "board_code": w["d"].boards[0].code,
        "beneficiary_type": "other",
        "display_name": "刘先生",
        "title": "修自行车",
        "content": "车链断了",
    }
    wish_id = _post(client, "/wishes", w["resident"], body, status=201)["id"]
    _post(client, f"/wishes/{wish_id}/reject", w["staff"], {"reason": "不属于微心愿范围"})
    wish = Wish.get_by_id(wish_id)
    assert (wish.status, wish.reject_reason, wish.reviewed_by_id) == (
        "rejected",
        "不属于微心愿范围",
        staff_user,
    )
    assert _last_event("wish", wish_id).data == {"note": "不属于微心愿范围"}
    seen = client.get(f"{API}/wishes/{wish_id}", headers=w["resident"]).get_json()
    assert seen["reject_reason"] == "不属于微心愿范围"


def test_issue_rows_and_trail_after_each_step(client, world, app):
    w = world
    d = w["d"]
    steward_user = RoleGrant.get(RoleGrant.steward == d.stewards[0]).user_id
    days = app.config["DEADLINE_DAYS"]
    with time_machine.travel(T0, tick=False) as clock:
        body = {"board_code": d.boards[0].code, "category": "环境卫生", "content": "垃圾堆放"}
        issue_id = _post(client, "/issues", w["resident"], body, status=201)["id"]
        issue = Issue.get_by_id(issue_id)
        assert (issue.priority, issue.deadline, issue.visibility, issue.hold_reason) == (
            "ordinary",
            _at(days=days["ordinary"]),
            "public",
            None,
        )
        assert (issue.created_at, issue.source, issue.board_id) == (
            NAIVE,
            "resident",
            d.boards[0].id,
        )
        ev = _last_event("issue", issue_id)
        assert ev.data == {
            "category": "环境卫生",
            "priority": "ordinary",
            "stewards": [d.stewards[0].id],
            "content_check": "pass",
        }

        clock.shift(timedelta(hours=2))
        _post(client, f"/issues/{issue_id}/accept", w["steward"])
        issue = Issue.get_by_id(issue_id)
        assert (issue.status, issue.accepted_at) == ("accepted", _at(hours=2))
        assert (_last_event("issue", issue_id).actor_id, _last_event("issue", issue_id).data) == (
            steward_user,
            {},
        )

        clock.shift(timedelta(hours=1))
        _post(client, f"/issues/{issue_id}/assign", w["staff"], {"priority": "important"})
        issue = Issue.get_by_id(issue_id)
        # The deadline follows the tier, counted from the report, not from the change.
        assert (issue.priority, issue.deadline) == ("important", _at(days=days["important"]))
        assert issue.status == "accepted"  # a tier change alone does not hand it back
        assert _last_event("issue", issue_id).data == {
            "note": None,
            "priority": "important",
            "priority_from": "ordinary",
            "deadline": iso(_at(days=days["important"])),
        }

        clock.shift(timedelta(hours=1))
        _post(client, f"/issues/{issue_id}/escalate", w["steward"], {"note": "需要物业"})
        issue = Issue.get_by_id(issue_id)
        assert (issue.status, issue.accepted_at) == ("escalated", _at(hours=2))
        assert _last_event("issue", issue_id).data == {"note": "需要物业"}

        clock.shift(timedelta(hours=1))
        photo = _photo(client, w["steward"])
        _post(
            client,
            f"/issues/{issue_id}/resolve",
            w["steward"],
            {"note": "物业已清运", "photo_ids": [photo]},
        )
        issue = Issue.get_by_id(issue_id)
        assert (
            issue.status,
            issue.resolved_at,
            issue.resolution_level,
            issue.resolution_note,
            issue.resolution_photo_ids,
        ) == ("resolved", _at(hours=5), "上报社区", "物业已清运", [photo])
        assert _last_event("issue", issue_id).data == {
            "note": "物业已清运",
            "photo_ids": [photo],
            "outcome": "solved",
            "level": "上报社区",
        }

        clock.shift(timedelta(days=2))
        _post(client, f"/issues/{issue_id}/reopen", w["resident"], {"note": "又堆了"})
        issue = Issue.get_by_id(issue_id)
        assert (issue.status, issue.reopen_count, issue.accepted_at, issue.resolved_at) == (
            "submitted",
            1,
            None,
            None,
        )
        assert issue.deadline == _at(days=2 + days["important"], hours=5)
        assert _last_event("issue", issue_id).data == {"note": "又堆了", "count": 1}

        clock.shift(timedelta(hours=1))
        _post(client, f"/issues/{issue_id}/resolve", w["steward"], {"note": "清理干净"})
        issue = Issue.get_by_id(issue_id)
        # Resolved without accepting first: accepted now; the level follows from the state.
        assert (issue.accepted_at, issue.resolution_level) == (_at(days=2, hours=6), "现场解决")

        clock.shift(timedelta(hours=1))
        _post(client, f"/issues/{issue_id}/rate", w["resident"], {"score": 5, "text": "满意"})
        issue = Issue.get_by_id(issue_id)
        assert (
            issue.status,
            issue.rating,
            issue.rating_text,
            issue.rated_at,
            issue.closed_at,
            issue.close_reason,
        ) == ("closed", 5, "满意", _at(days=2, hours=7), _at(days=2, hours=7), "rated")
        assert _last_event("issue", issue_id).data == {"score": 5, "note": "满意"}


def test_whistle_and_cancel_leave_their_marks(client, world, app):
    w = world
    d = w["d"]
    dept = Department.create(area=d.street, name="城管执法中队", phone="12319")
    with time_machine.travel(T0, tick=False) as clock:
        body = {"board_code": d.boards[0].code, "category": "环境卫生", "content": "违建"}
        issue_id = _post(client, "/issues", w["resident"], body, status=201)["id"]
        clock.shift(timedelta(hours=3))
        _post(
            client,
            f"/issues/{issue_id}/whistle",
            w["staff"],
            {"department_id": dept.id, "note": "请城管"},
        )
        issue = Issue.get_by_id(issue_id)
        # an old client (department_id, no tier): the tier and the deadline stay, and the
        # trail says so (core.units.handling) — never raised silently to 重大
        assert (issue.status, issue.department_id, issue.priority) == (
            "whistled",
            dept.id,
            "ordinary",
        )
        assert issue.deadline == _at(days=app.config["DEADLINE_DAYS"]["ordinary"])
        assert (issue.accepted_at, issue.whistled_at) == (_at(hours=3), _at(hours=3))
        whistle = Event.get((Event.subject_id == issue_id) & (Event.action == "issue.whistle"))
        assert whistle.data == {
            "department_id": dept.id,
            "department": "城管执法中队",
            "unit_id": dept.id,
            "unit": "城管执法中队",
            "unit_kind": "department",
            "tier": "ordinary",
            "tier_chosen": False,
            "deadline": issue.deadline.isoformat(),
            "note": "请城管",
            "summary": "已转交 城管执法中队 处理",
        }
        kept = _last_event("issue", issue_id)
        assert kept.action == "issue.tier" and "未选择紧急程度，保持“一般”" in kept.data["note"]
        _post(client, f"/issues/{issue_id}/resolve", w["staff"], {"note": "已拆除"})
        assert Issue.get_by_id(issue_id).resolution_level == "联合处置"

        other = _post(client, "/issues", w["resident"], body, status=201)["id"]
        clock.shift(timedelta(hours=1))
        res = client.post(f"{API}/issues/{other}/cancel", json={}, headers=w["staff"])
        assert res.status_code == 400 and "reason" in res.get_json()["error"]["fields"]
        _post(client, f"/issues/{other}/cancel", w["staff"], {"reason": "重复反映"})
        issue = Issue.get_by_id(other)
        assert (issue.status, issue.closed_at, issue.close_reason) == (
            "cancelled",
            _at(hours=4),
            "cancelled",
        )
        assert _last_event("issue", other).data == {"note": "重复反映"}


def test_reassigning_an_accepted_issue_hands_it_back_for_acceptance(client, world):
    w = world
    d = w["d"]
    body = {"board_code": d.boards[0].code, "category": "环境卫生", "content": "垃圾"}
    issue_id = _post(client, "/issues", w["resident"], body, status=201)["id"]
    _post(client, f"/issues/{issue_id}/accept", w["steward"])
    _post(client, f"/issues/{issue_id}/assign", w["staff"], {"steward_ids": [d.stewards[1].id]})
    issue = Issue.get_by_id(issue_id)
    assert issue.status == "submitted"
    assert [a.steward_id for a in IssueAssignee.select().where(IssueAssignee.issue == issue)] == [
        d.stewards[1].id
    ]
    assert _last_event("issue", issue_id).data == {
        "note": None,
        "stewards": [d.stewards[1].id],
        "from": [d.stewards[0].name],  # the names as they were: the trail reads 管家11 → 管家12
        "to": [d.stewards[1].name],
    }
    # Both at once: one trail entry with both changes.
    _post(
        client,
        f"/issues/{issue_id}/assign",
        w["staff"],
        {"steward_ids": [d.stewards[0].id], "priority": "major", "note": "加急"},
    )
    assert _last_event("issue", issue_id).data == {
        "note": "加急",
        "stewards": [d.stewards[0].id],
        "from": [d.stewards[1].name],
        "to": [d.stewards[0].name],
        "priority": "major",
        "priority_from": "ordinary",
        "deadline": iso(Issue.get_by_id(issue_id).deadline),
    }
    res = client.post(f"{API}/issues/{issue_id}/assign", json={}, headers=w["staff"])
    assert res.status_code == 400


def test_close_unrated_and_the_autoclose_query(app, client, world):
    w = world
    body = {"board_code": w["d"].boards[0].code, "category": "环境卫生", "content": "垃圾"}
    days = app.config["AUTOCLOSE_DAYS"]
    with time_machine.travel(T0, tick=False) as clock:
        issue_id = _post(client, "/issues", w["resident"], body, status=201)["id"]
        _post(client, f"/issues/{issue_id}/resolve", w["steward"], {"note": "好了"})
        clock.shift(timedelta(days=days) - timedelta(seconds=1))
        assert [i.id for i in issue_flow.due_for_autoclose()] == []
        clock.shift(timedelta(seconds=1))
        assert [i.id for i in issue_flow.due_for_autoclose()] == [issue_id]
        issue_flow.close_unrated(issue_id)
        issue = Issue.get_by_id(issue_id)
        assert (issue.status, issue.close_reason, issue.closed_at) == (
            "closed",
            "unrated",
            _at(days=days),
        )
        ev = _last_event("issue", issue_id)
        assert (ev.action, ev.actor_id, ev.data) == ("issue.close", None, {})
        assert [i.id for i in issue_flow.due_for_autoclose()] == []


def test_wish_functions_answer_who_is_who(client, world):
    w = world
    body = {
        "board_code": w["d"].boards[0].code,
        "beneficiary_type": "elderly",
        "display_name": "王奶奶",
        "title": "收音机",
        "content": "想听戏",
    }
    wish_id = _post(client, "/wishes", w["resident"], body, status=201)["id"]
    wish = Wish.get_by_id(wish_id)
    anon = Principal.anonymous()
    assert not wish_flow.is_author(anon, wish) and not wish_flow.is_claimer(anon, wish)
    assert not wish_flow.can_view_private(anon, wish)


def test_similar_open_reports_are_the_five_latest_open_ones_in_the_alley(client, world, app):
    w = world
    d = w["d"]
    window = app.config["SIMILAR_WINDOW_DAYS"]

    def report(board=0, category="环境卫生"):
        body = {"board_code": d.boards[board].code, "category": category, "content": "垃圾"}
        return _post(client, "/issues", w["resident"], body, status=201)

    with time_machine.travel(T0, tick=False) as clock:
        too_old = report()["id"]
        clock.shift(timedelta(seconds=1))
        oldest_in_window = report()["id"]
        ids = []
        for _ in range(6):
            clock.shift(timedelta(hours=1))
            ids.append(report()["id"])
        _post(client, f"/issues/{ids[-1]}/resolve", w["steward"], {"note": "好了"})
        report(board=1)  # the next alley
        report(category="设施损坏")  # another category
        clock.shift(timedelta(days=window, seconds=1) - timedelta(hours=6))
        new = report()
        # Six open ones in the window (the resolved one is not offered); the five latest, newest
        # first; never the new report itself; the one reported just before the window is out.
        expected = list(reversed([oldest_in_window] + ids[:-1]))[:5]
        assert [s["id"] for s in new["similar"]] == expected
        assert too_old not in expected
        assert all(s["status_label"] == "待接单" for s in new["similar"])


def test_similar_window_counts_back_from_now(client, world, app):
    w = world
    window = timedelta(days=app.config["SIMILAR_WINDOW_DAYS"])
    body = {"board_code": w["d"].boards[0].code, "category": "环境卫生", "content": "垃圾"}
    with time_machine.travel(T0, tick=False) as clock:
        first = _post(client, "/issues", w["resident"], body, status=201)["id"]
        clock.shift(timedelta(hours=1))
        second = _post(client, "/issues", w["resident"], body, status=201)["id"]
        clock.shift(window)  # exactly the window after the second: it is still offered
        third = _post(client, "/issues", w["resident"], body, status=201)
        assert [s["id"] for s in third["similar"]] == [second]
        assert first not in [s["id"] for s in third["similar"]]


def test_on_the_spot_fix_rows(client, world):
    w = world
    d = w["d"]
    steward_user = RoleGrant.get(RoleGrant.steward == d.stewards[0]).user_id
    with time_machine.travel(T0, tick=False):
        photo = _photo(client, w["steward"])
        body = {
            "board_code": d.boards[0].code,
            "category": "设施损坏",
            "content": "井盖松动",
            "location": {"lat": 30.5, "lng": 114.3},
            "fixed_on_spot": {"note": "已垫稳井盖", "photo_ids": [photo]},
        }
        created = _post(client, "/issues", w["steward"], body, status=201)
        assert created["similar"] == []
        issue = Issue.get_by_id(created["id"])
        assert (issue.status, issue.source, issue.close_reason, issue.resolution_level) == (
            "closed",
            "steward",
            "on_the_spot",
            "现场解决",
        )
        assert (issue.accepted_at, issue.resolved_at, issue.closed_at) == (NAIVE, NAIVE, NAIVE)
        assert (issue.resolution_note, issue.resolution_photo_ids) == ("已垫稳井盖", [photo])
        assert [
            a.steward_id for a in IssueAssignee.select().where(IssueAssignee.issue == issue)
        ] == [d.stewards[0].id]
        patrol = Patrol.get(Patrol.issue == issue)
        assert (patrol.steward_id, patrol.alley_id, patrol.note, patrol.photo_ids) == (
            d.stewards[0].id,
            d.alleys[0].id,
            "随手做：已垫稳井盖",
            [photo],
        )
        assert patrol.location == {"lat": 30.5, "lng": 114.3, "address": None}
        ev = _last_event("issue", issue.id)
        assert (ev.action, ev.actor_id, ev.data) == (
            "issue.on_the_spot",
            steward_user,
            {"note": "已垫稳井盖", "photo_ids": [photo]},
        )
        # Without a note, the report's own text is the resolution.
        body = {"board_code": d.boards[0].code, "category": "其他", "content": "捡走碎玻璃"}
        body["fixed_on_spot"] = {}
        other = _post(client, "/issues", w["steward"], body, status=201)["id"]
        assert Issue.get_by_id(other).resolution_note == "捡走碎玻璃"
        assert Patrol.get(Patrol.issue == other).note == "随手做：捡走碎玻璃"


def test_moderation_and_comments_leave_their_marks(client, world):
    w = world
    staff_user = StaffAccount.get_by_id(w["staff_account"].id).user_id
    body = {
        "board_code": w["d"].boards[0].code,
        "category": "其他",
        "content": "楼下有人赌博",
        "contact_phone": "13800000000",
        "anonymous": True,
    }
    with time_machine.travel(T0, tick=False) as clock:
        issue_id = _post(client, "/issues", w["resident"], body, status=201)["id"]
        issue = Issue.get_by_id(issue_id)
        assert (issue.visibility, issue.hold_reason) == ("held", "内容检查：risky")
        assert (issue.contact_phone, issue.anonymous) == ("13800000000", True)
        clock.shift(timedelta(minutes=5))
        _post(
            client,
            f"/issues/{issue_id}/moderate",
            w["staff"],
            {"publish": False, "note": "涉及他人"},
        )
        issue = Issue.get_by_id(issue_id)
        assert (issue.visibility, issue.hold_reason, issue.updated_at) == (
            "hidden",
            "涉及他人",
            _at(minutes=5),
        )
        ev = _last_event("issue", issue_id)
        assert (ev.action, ev.actor_id, ev.data) == ("issue.hide", staff_user, {"note": "涉及他人"})
        _post(client, f"/issues/{issue_id}/moderate", w["staff"], {"publish": False})
        assert Issue.get_by_id(issue_id).hold_reason == "涉及他人"  # kept when no new note
        _post(client, f"/issues/{issue_id}/moderate", w["staff"], {"publish": True})
        issue = Issue.get_by_id(issue_id)
        assert (issue.visibility, issue.hold_reason) == ("public", None)
        assert _last_event("issue", issue_id).action == "issue.publish"

        photo = _photo(client, w["resident"])
        _post(
            client,
            f"/issues/{issue_id}/comment",
            w["resident"],
            {"text": "还在", "photo_ids": [photo]},
        )
        ev = _last_event("issue", issue_id)
        assert (ev.action, ev.data) == ("issue.comment", {"note": "还在", "photo_ids": [photo]})
        _post(client, f"/issues/{issue_id}/comment", w["steward"], {"text": "马上到"})
        _post(client, f"/issues/{issue_id}/cancel", w["staff"], {"reason": "重复"})
        res = client.post(
            f"{API}/issues/{issue_id}/comment", json={"text": "x"}, headers=w["resident"]
        )
        assert res.status_code == 409  # cancelled: nothing more to say


def test_resolve_with_a_level_that_does_not_exist(client, world):
    w = world
    body = {"board_code": w["d"].boards[0].code, "category": "环境卫生", "content": "垃圾"}
    issue_id = _post(client, "/issues", w["resident"], body, status=201)["id"]
    p = Principal.for_user(RoleGrant.get(RoleGrant.steward == w["d"].stewards[0]).user)
    with pytest.raises(ApiError) as refused:
        issue_flow.resolve(p, issue_id, "好了", level="随便")
    assert refused.value.status == 400 and "level" in refused.value.fields
    assert Issue.get_by_id(issue_id).status == "submitted"
    done = issue_flow.resolve(p, issue_id, "好了", level="联合处置")
    assert done.resolution_level == "联合处置"
    # The other names a steward types in the group (core.items.handling.LEVEL_NAMES) are
    # stored as the level they mean.
    for typed, stored in (("吹哨联合", "联合处置"), ("当场解决", "现场解决")):
        issue_id = _post(client, "/issues", w["resident"], body, status=201)["id"]
        issue_flow.resolve(p, issue_id, "好了", level=typed)
        assert Issue.get_by_id(issue_id).resolution_level == stored


def test_resolve_through_the_api_infers_or_takes_the_level(client, world):
    """The API closes as the bot does (core.items.handling): a level given is kept; none
    given, the note's words and the history decide, the higher of the two."""
    w = world
    body = {"board_code": w["d"].boards[0].code, "category": "环境卫生", "content": "垃圾"}

    def closed(note: str, level: str | None = None, escalate: bool = False) -> str:
        issue_id = _post(client, "/issues", w["resident"], body, status=201)["id"]
        if escalate:
            _post(client, f"/issues/{issue_id}/escalate", w["steward"], {"note": "需物业"})
        said = {"note": note} | ({"level": level} if level else {})
        return _post(client, f"/issues/{issue_id}/resolve", w["steward"], said)["resolution_level"]

    assert closed("已清运") == "现场解决"
    assert closed("经社区协调，物业已清运") == "上报社区"
    assert closed("城管联合执法后已清除") == "联合处置"
    assert closed("现场清理了", escalate=True) == "上报社区"  # a note cannot lower the history
    assert closed("已清运", level="联合处置") == "联合处置"
    assert closed("城管来过了", level="现场解决") == "现场解决"  # as the closer says


def _notes_told(user_headers, client) -> list[tuple[str, str]]:
    """(status, note) of each "your item changed" message queued for this user, in order."""
    from models import OutboxMessage

    rows = (
        OutboxMessage.select().where(OutboxMessage.kind == "subscribe").order_by(OutboxMessage.id)
    )
    return [
        (m.payload["data"]["phrase3"]["value"], m.payload["data"]["thing5"]["value"]) for m in rows
    ]


def test_what_the_reporter_is_told_after_each_change(client, world, app):
    from models import Department

    w = world
    d = w["d"]
    for _ in range(8):
        res = client.post(
            f"{API}/subscriptions", json={"template_id": "tpl_dev_status"}, headers=w["resident"]
        )
        assert res.status_code == 201, res.get_json()
    dept = Department.create(area=d.street, name="城管执法中队", phone="12319")
    body = {"board_code": d.boards[0].code, "category": "环境卫生", "content": "垃圾"}
    first = _post(client, "/issues", w["resident"], body, status=201)["id"]
    _post(client, f"/issues/{first}/accept", w["steward"])
    _post(client, f"/issues/{first}/escalate", w["steward"], {"note": "需要物业出车"})
    _post(client, f"/issues/{first}/whistle", w["staff"], {"department_id": dept.id, "note": "请"})
    _post(client, f"/issues/{first}/resolve", w["staff"], {"note": "已清运完毕"})
    second = _post(client, "/issues", w["resident"], body, status=201)["id"]
    _post(client, f"/issues/{second}/cancel", w["staff"], {"reason": "重复反映"})
    third = _post(client, "/issues", w["resident"], body, status=201)["id"]
    _post(client, f"/issues/{third}/resolve", w["steward"], {"note": "好了"})
    issue_flow.close_unrated(third)
    assert _notes_told(w["resident"], client) == [
        ("处理中", "处理中"),  # no note: the status itself
        ("已上报社区", "需要物业出车"),
        ("已吹哨", "已吹哨城管执法中队"),
        ("已解决", "已清运完毕"),
        ("已撤销", "重复反映"),
        ("已解决", "好了"),
        ("已完结", "未评价，已自动完结"),
    ]


def test_what_the_wish_author_is_told_after_each_change(client, world):
    w = world
    for _ in range(6):
        client.post(
            f"{API}/subscriptions", json={"template_id": "tpl_dev_status"}, headers=w["resident"]
        )
    body = {
        "board_code": w["d"].boards[0].code,
        "beneficiary_type": "elderly",
        "display_name": "王奶奶",
        "title": "收音机",
        "content": "想听戏",
    }
    wish_id = _post(client, "/wishes", w["resident"], body, status=201)["id"]
    _post(client, f"/wishes/{wish_id}/approve", w["staff"])
    _post(client, f"/wishes/{wish_id}/claim", w["volunteer"])
    _post(client, f"/wishes/{wish_id}/fulfil", w["volunteer"], {"note": "收音机送到了"})
    other = _post(client, "/wishes", w["resident"], body, status=201)["id"]
    _post(client, f"/wishes/{other}/reject", w["staff"], {"reason": "已有人捐赠"})
    assert _notes_told(w["resident"], client) == [
        ("待认领", "待认领"),
        ("已认领", "已认领"),
        ("已实现", "收音机送到了"),
        ("未通过", "已有人捐赠"),
    ]
