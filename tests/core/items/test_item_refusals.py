"""Who may act on an issue or a wish, and what a refusal says.

Refusals are tested against the people closest to being allowed: the steward of the next alley,
staff of the next community, a resident acting "as 小巷管家". Each refused action changes
nothing, and each refusal reads its reason (another's order, a finished issue, a state)."""

from __future__ import annotations

import pytest

from core.items import issues as issue_flow
from core.people.permissions import Principal
from infra.errors import ApiError
from models import (
    Department,
    Event,
    Issue,
    IssueAssignee,
    OutboxMessage,
)
from tests.factories import (
    api_post,
    api_refusal,
    login,
    my_user_id,
    open_wish,
    report_issue,
)

API = "/api/v1"


def test_steward_of_the_next_alley_in_the_same_community_cannot_act(client, neighbours):
    w = neighbours
    issue_id = report_issue(client, w)
    for action, body in (
        ("accept", {}),
        ("resolve", {"note": "已清理"}),
        ("escalate", {"note": "需要社区"}),
    ):
        res = client.post(f"{API}/issues/{issue_id}/{action}", json=body, headers=w["steward_b"])
        assert res.status_code == 404, (action, res.get_json())  # not even visible
    for action, body in (
        ("accept", {}),
        ("resolve", {"note": "x"}),
        ("assign", {"priority": "major"}),
    ):
        res = client.post(f"{API}/issues/{issue_id}/{action}", json=body, headers=w["staff_y"])
        assert res.status_code == 404, (action, res.get_json())
    # The alley's steward may accept, but may not dispatch (staff only) nor cancel.
    res = client.post(
        f"{API}/issues/{issue_id}/assign", json={"priority": "major"}, headers=w["steward_a"]
    )
    assert res.status_code == 403
    res = client.post(
        f"{API}/issues/{issue_id}/cancel", json={"reason": "重复"}, headers=w["steward_a"]
    )
    assert res.status_code == 403
    api_post(client, f"/issues/{issue_id}/accept", w["steward_a"])


def test_staff_cannot_assign_a_steward_of_another_community(client, neighbours):
    w = neighbours
    issue_id = report_issue(client, w)
    other = w["d"].stewards[2].id  # alley C, community Y
    res = client.post(
        f"{API}/issues/{issue_id}/assign", json={"steward_ids": [other]}, headers=w["staff_x"]
    )
    assert res.status_code == 403
    assert [
        a.steward_id for a in IssueAssignee.select().where(IssueAssignee.issue == issue_id)
    ] == [w["d"].stewards[0].id]


def test_steward_files_only_for_their_own_alley(client, neighbours):
    w = neighbours
    alley_b = w["d"].boards[1].code
    wish = {
        "board_code": alley_b,
        "beneficiary_type": "elderly",
        "display_name": "王奶奶",
        "title": "收音机",
        "content": "想听戏",
        "on_behalf_of": "王奶奶",
    }
    res = client.post(f"{API}/wishes", json=wish, headers=w["steward_a"])
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "not_your_alley"
    fix = {
        "board_code": alley_b,
        "category": "环境卫生",
        "content": "路灯不亮",
        "fixed_on_spot": {"note": "换了灯泡"},
    }
    res = client.post(f"{API}/issues", json=fix, headers=w["steward_a"])
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "not_your_alley"
    body = {"alley_id": w["d"].alleys[1].id, "note": "巡查"}
    assert client.post(f"{API}/patrols", json=body, headers=w["steward_a"]).status_code == 403
    # Their own alley works for all three.
    wish["board_code"] = fix["board_code"] = w["d"].boards[0].code
    assert client.post(f"{API}/wishes", json=wish, headers=w["steward_a"]).status_code == 201
    assert client.post(f"{API}/issues", json=fix, headers=w["steward_a"]).status_code == 201


def _resolved(client, w):
    issue_id = report_issue(client, w)
    api_post(client, f"/issues/{issue_id}/resolve", w["steward_a"], {"note": "已清理"})
    return issue_id


def _claimed(client, w):
    wish_id = open_wish(client, w)
    api_post(client, f"/wishes/{wish_id}/claim", w["volunteer"])
    return wish_id


def _fulfilled(client, w):
    wish_id = _claimed(client, w)
    api_post(client, f"/wishes/{wish_id}/fulfil", w["volunteer"], {"note": "送到了"})
    return wish_id


def _dead_row(client, w):
    row = OutboxMessage.create(
        kind="robot",
        target="robot-key-x",
        payload={},
        idempotency_key="near:dead",
        status="dead",
        area=w["d"].alleys[0],
    )
    return row.id


ISSUE = lambda client, w: report_issue(client, w)  # noqa: E731


PENDING_WISH = lambda client, w: open_wish(client, w, publish=False)  # noqa: E731


PUBLISHED_WISH = lambda client, w: open_wish(client, w)  # noqa: E731


# (what, how to make the target, path template, body, who tries, the refusal)
NEAR = [
    ("accept", ISSUE, "/issues/{}/accept", {}, "steward_b", 404),
    ("accept", ISSUE, "/issues/{}/accept", {}, "resident", 403),
    ("accept", ISSUE, "/issues/{}/accept", {}, "staff_y", 404),
    ("resolve", ISSUE, "/issues/{}/resolve", {"note": "好了"}, "resident", 403),
    ("resolve", ISSUE, "/issues/{}/resolve", {"note": "好了"}, "steward_c", 404),
    ("escalate", ISSUE, "/issues/{}/escalate", {"note": "难办"}, "resident", 403),
    ("whistle", ISSUE, "/issues/{}/whistle", {"department_id": 1, "note": "请"}, "steward_a", 403),
    ("whistle", ISSUE, "/issues/{}/whistle", {"department_id": 1, "note": "请"}, "staff_y", 404),
    ("assign", ISSUE, "/issues/{}/assign", {"priority": "major"}, "resident", 403),
    ("comment", ISSUE, "/issues/{}/comment", {"text": "我也看到了"}, "volunteer", 404),
    ("comment", ISSUE, "/issues/{}/comment", {"text": "我也看到了"}, "steward_b", 404),
    ("cancel", ISSUE, "/issues/{}/cancel", {"reason": "重复"}, "steward_b", 404),
    ("moderate", ISSUE, "/issues/{}/moderate", {"publish": False}, "steward_a", 403),
    ("moderate", ISSUE, "/issues/{}/moderate", {"publish": False}, "resident", 403),
    ("rate", _resolved, "/issues/{}/rate", {"score": 1}, "volunteer", 404),
    ("reopen", _resolved, "/issues/{}/reopen", {"note": "没好"}, "volunteer", 404),
    ("approve", PENDING_WISH, "/wishes/{}/approve", {}, "resident", 403),
    ("reject", PENDING_WISH, "/wishes/{}/reject", {"reason": "重复"}, "staff_y", 404),
    ("claim", PUBLISHED_WISH, "/wishes/{}/claim", {}, "resident", 403),
    ("claim", PENDING_WISH, "/wishes/{}/claim", {}, "volunteer", 404),
    ("release", _claimed, "/wishes/{}/release", {}, "steward_b", 403),
    ("release", _claimed, "/wishes/{}/release", {}, "staff_y", 403),
    ("fulfil", _claimed, "/wishes/{}/fulfil", {"note": "送到了"}, "resident", 403),
    ("confirm", _fulfilled, "/wishes/{}/confirm", {"score": 5}, "steward_a", 403),
    ("confirm", _fulfilled, "/wishes/{}/confirm", {"score": 5}, "volunteer", 403),
    ("confirm", _fulfilled, "/wishes/{}/confirm", {"score": 5}, "staff_x", 403),
    ("retry", _dead_row, "/outbox/{}/retry", {}, "staff_y", 404),
    ("retry", _dead_row, "/outbox/{}/retry", {}, "steward_a", 403),
]


# What the person refused reads: not-found for what they may not even see, a reason otherwise.
REFUSALS = {
    ("/issues/{}/accept", "steward_b"): ("issue_not_found", "找不到该诉求"),
    ("/issues/{}/accept", "resident"): ("forbidden", "只有负责该街巷的管家或社区工作人员可以接单"),
    ("/issues/{}/accept", "staff_y"): ("issue_not_found", "找不到该诉求"),
    ("/issues/{}/resolve", "resident"): ("forbidden", "只有负责该街巷的管家或社区工作人员可以办结"),
    ("/issues/{}/resolve", "steward_c"): ("issue_not_found", "找不到该诉求"),
    ("/issues/{}/escalate", "resident"): ("forbidden", "只有负责该街巷的管家可以上报"),
    ("/issues/{}/whistle", "steward_a"): ("forbidden", "只有社区工作人员可以吹哨报到"),
    ("/issues/{}/whistle", "staff_y"): ("issue_not_found", "找不到该诉求"),
    ("/issues/{}/assign", "resident"): ("forbidden", "只有社区工作人员可以派单"),
    ("/issues/{}/comment", "volunteer"): ("issue_not_found", "找不到该诉求"),
    ("/issues/{}/comment", "steward_b"): ("issue_not_found", "找不到该诉求"),
    ("/issues/{}/cancel", "steward_b"): ("issue_not_found", "找不到该诉求"),
    ("/issues/{}/moderate", "steward_a"): ("forbidden", "只有社区工作人员可以审核公开内容"),
    ("/issues/{}/moderate", "resident"): ("forbidden", "只有社区工作人员可以审核公开内容"),
    ("/issues/{}/rate", "volunteer"): ("issue_not_found", "找不到该诉求"),
    ("/issues/{}/reopen", "volunteer"): ("issue_not_found", "找不到该诉求"),
    ("/wishes/{}/approve", "resident"): ("forbidden", "只有社区工作人员可以审核心愿"),
    ("/wishes/{}/reject", "staff_y"): ("wish_not_found", "找不到该心愿"),
    ("/wishes/{}/claim", "resident"): ("forbidden", "不能认领自己的心愿"),
    ("/wishes/{}/claim", "volunteer"): ("wish_not_found", "找不到该心愿"),
    ("/wishes/{}/release", "steward_b"): ("forbidden", "只有认领人或社区工作人员可以放弃认领"),
    ("/wishes/{}/release", "staff_y"): ("forbidden", "只有认领人或社区工作人员可以放弃认领"),
    ("/wishes/{}/fulfil", "resident"): ("forbidden", "只有认领人可以标记心愿已实现"),
    ("/wishes/{}/confirm", "steward_a"): ("forbidden", "只有心愿提交人可以确认"),
    ("/wishes/{}/confirm", "volunteer"): ("forbidden", "只有心愿提交人可以确认"),
    ("/wishes/{}/confirm", "staff_x"): ("forbidden", "只有心愿提交人可以确认"),
    ("/outbox/{}/retry", "staff_y"): ("not_found", "找不到该消息，或它不在您的管辖范围内"),
    ("/outbox/{}/retry", "steward_a"): ("forbidden", "您没有权限进行此操作"),
}


@pytest.mark.parametrize(
    "make, path, body, who, status",
    [case[1:] for case in NEAR],
    ids=[f"{case[0]}-{case[4]}" for case in NEAR],
)
def test_near_insider_is_refused_and_nothing_changes(
    client, neighbours, make, path, body, who, status
):
    w = neighbours
    Department.create(area=w["d"].street, name="城管执法中队", phone="12319")
    target = make(client, w)
    events_before = Event.select().count()
    res = client.post(f"{API}{path.format(target)}", json=body, headers=w[who])
    assert res.status_code == status, res.get_json()
    error = res.get_json()["error"]
    assert (error["code"], error["message"]) == REFUSALS[(path, who)]
    assert Event.select().count() == events_before  # no trail entry: nothing happened


def test_follow_refusals_read_their_reason_and_each_follow_is_counted_in_the_trail(
    client, neighbours
):
    w = neighbours
    issue_id = report_issue(client, w)
    with pytest.raises(ApiError) as anon:
        issue_flow.follow(Principal.anonymous(), issue_id)
    assert (anon.value.status, anon.value.code, anon.value.message) == (
        403,
        "login_required",
        "请先登录",
    )
    assert api_refusal(client, f"/issues/{issue_id}/follow", w["resident"]) == (
        409,
        "own_issue",
        "这是您自己反映的诉求，不用再跟进",
    )
    assert api_refusal(client, "/issues/987654/follow", w["volunteer"]) == (
        404,
        "issue_not_found",
        "找不到该诉求",
    )
    neighbour = login(client, "隔壁王叔")
    for n, who in enumerate((w["volunteer"], neighbour), start=1):
        api_post(client, f"/issues/{issue_id}/follow", who)
        ev = (
            Event.select()
            .where((Event.action == "issue.follow") & (Event.subject_id == issue_id))
            .order_by(Event.id.desc())
            .first()
        )
        assert (ev.actor_id, ev.actor_label, ev.area_id, ev.data) == (
            my_user_id(client, who),
            "居民",
            w["d"].alleys[0].id,
            {"followers": n},
        )
    api_post(client, f"/issues/{issue_id}/resolve", w["steward_a"], {"note": "已清运"})
    late = login(client, "后来的刘姐")
    assert api_refusal(client, f"/issues/{issue_id}/follow", late) == (
        409,
        "invalid_transition",
        f"该诉求当前为“{issue_flow.STATUS_LABELS['resolved']}”，不能再跟进，如仍有问题请重新反映",
    )


def test_acting_again_on_a_finished_issue_says_it_is_done(client, neighbours):
    w = neighbours
    report_issue(client, w, alley=2)  # another issue first: the refusal reads the right one
    issue_id = report_issue(client, w)
    rated = report_issue(client, w)
    api_post(client, f"/issues/{issue_id}/resolve", w["steward_a"], {"note": "已清运"})
    api_post(client, f"/issues/{rated}/resolve", w["steward_a"], {"note": "已清运"})
    api_post(client, f"/issues/{rated}/rate", w["resident"], {"score": 5})
    assert Issue.get_by_id(rated).status == "closed"
    done = {"accept": "无需接单", "resolve": "无需重复", "escalate": "无需上报"}
    for target in (issue_id, rated):
        for action, what in done.items():
            body = {"note": "x", "reason": "x"}
            assert api_refusal(client, f"/issues/{target}/{action}", w["steward_a"], body) == (
                409,
                "invalid_transition",
                f"该诉求已办结，{what}",
            )
    # An action with no "done" wording keeps the plain state refusal.
    department = Department.create(name="城管执法队", area=w["d"].street)
    body = {"department_id": department.id, "note": "需要执法"}
    assert api_refusal(client, f"/issues/{issue_id}/whistle", w["staff_x"], body) == (
        409,
        "invalid_transition",
        f"该诉求当前为“{issue_flow.STATUS_LABELS['resolved']}”，"
        f"不能{issue_flow.ACTION_LABELS['whistle']}",
    )


def test_escalating_twice_is_refused_as_a_state_not_as_someone_elses_order(client, neighbours):
    """The "already accepted by …" wording belongs to accepting only."""
    w = neighbours
    issue_id = report_issue(client, w)
    api_post(client, f"/issues/{issue_id}/accept", w["steward_a"])
    api_post(client, f"/issues/{issue_id}/escalate", w["steward_a"], {"note": "需要社区协调"})
    assert api_refusal(
        client, f"/issues/{issue_id}/escalate", w["staff_x"], {"note": "再上报"}
    ) == (
        409,
        "invalid_transition",
        f"该诉求当前为“{issue_flow.STATUS_LABELS['escalated']}”，"
        f"不能{issue_flow.ACTION_LABELS['escalate']}",
    )
    assert api_refusal(client, f"/issues/{issue_id}/accept", w["staff_x"]) == (
        409,
        "invalid_transition",
        f"{w['d'].stewards[0].name}已接单，无需重复接单",
    )
    # Named from the row of the steward who took it, not any steward's.
    in_b = report_issue(client, w, alley=1)
    api_post(client, f"/issues/{in_b}/accept", w["steward_b"])
    assert api_refusal(client, f"/issues/{in_b}/accept", w["staff_x"])[2] == (
        f"{w['d'].stewards[1].name}已接单，无需重复接单"
    )


def test_assigning_outside_the_community_names_the_reason_and_touches_no_other_issue(
    client, neighbours
):
    w = neighbours
    d = w["d"]
    first = report_issue(client, w)
    second = report_issue(client, w)
    body = {"steward_ids": [d.stewards[2].id]}
    assert api_refusal(client, f"/issues/{first}/assign", w["staff_x"], body) == (
        403,
        "out_of_scope",
        "只能派给本社区的管家",
    )
    api_post(client, f"/issues/{first}/assign", w["staff_x"], {"steward_ids": [d.stewards[1].id]})

    def assignees(issue_id):
        rows = IssueAssignee.select().where(IssueAssignee.issue == issue_id)
        return [a.steward_id for a in rows]

    assert assignees(first) == [d.stewards[1].id]
    assert assignees(second) == [d.stewards[0].id]


def test_who_may_comment_on_an_issue(client, neighbours):
    """The reporter, whoever it is with now, and anyone whose alleys include it; a follower
    reads it but does not write in its trail."""
    w = neighbours
    d = w["d"]
    issue_id = report_issue(client, w)
    api_post(
        client, f"/issues/{issue_id}/assign", w["staff_x"], {"steward_ids": [d.stewards[1].id]}
    )
    api_post(client, f"/issues/{issue_id}/follow", w["volunteer"])
    for who in ("resident", "steward_b", "steward_a", "staff_x"):
        api_post(client, f"/issues/{issue_id}/comment", w[who], {"text": f"{who} 的留言"})
    assert api_refusal(
        client, f"/issues/{issue_id}/comment", w["volunteer"], {"text": "我也说两句"}
    ) == (
        403,
        "forbidden",
        "您不能在该诉求下留言",
    )
    notes = [
        e.data["note"]
        for e in Event.select()
        .where((Event.action == "issue.comment") & (Event.subject_id == issue_id))
        .order_by(Event.id)
    ]
    assert notes == [f"{who} 的留言" for who in ("resident", "steward_b", "steward_a", "staff_x")]
    ev = Event.select().where(Event.action == "issue.comment").order_by(Event.id).first()
    assert (ev.area_id, ev.actor_id) == (d.alleys[0].id, my_user_id(client, w["resident"]))


def test_cancel_refusals_read_their_reason(client, neighbours):
    w = neighbours
    issue_id = report_issue(client, w)
    assert api_refusal(client, f"/issues/{issue_id}/cancel", w["staff_x"]) == (
        400,
        "validation_error",
        "请填写撤销原因",
    )
    # The alley's own steward sees it but only the reporter and staff may withdraw it.
    assert api_refusal(
        client, f"/issues/{issue_id}/cancel", w["steward_a"], {"reason": "重复"}
    ) == (
        403,
        "forbidden",
        "您不能撤销该诉求",
    )
    api_post(client, f"/issues/{issue_id}/accept", w["steward_a"])
    assert api_refusal(client, f"/issues/{issue_id}/cancel", w["resident"]) == (
        409,
        "invalid_transition",
        "管家已接单，不能撤销；如有需要请留言",
    )
    assert Issue.get_by_id(issue_id).status == "accepted"
