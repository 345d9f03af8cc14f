"""Staff adjustments under maker-checker (core.timebank.adjustments): nobody adjusts their own
passbook; above POINTS_APPROVAL_THRESHOLD an adjustment is pending — counted nowhere, not
spendable — until a second staff member approves it (both names on the entry) or someone
refuses it; two deciding at once: one wins. Through the API, the console, the dashboard and
the bot's 待办, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading

import pytest
import requests

from core.people.permissions import Principal
from core.timebank import adjustments, postings
from core.timebank.postings import Holder
from infra.errors import ApiError
from models import Event, PointAccount, PointAdjustment, PointEntry, ShopItem, User
from tests.api.test_timebank_routes import give, user_named
from tests.console_world import console_login, csrf
from tests.factories import login, login_staff, make_district, make_staff
from tests.live import serving

API = "/api/v1"


def _world(client):
    d = make_district()
    maker, checker = make_staff(d.communities[0]), make_staff(d.communities[0])
    admin = make_staff(d.street, role="admin")
    headers = {
        "resident": login(client, "张大妈"),
        "maker": login_staff(client, maker),
        "checker": login_staff(client, checker),
        "admin": login_staff(client, admin),
        "other_staff": login_staff(client, make_staff(d.communities[1])),
    }
    account = postings.account_for(d.communities[0], Holder(user_id=user_named("张大妈").id))
    return {
        "d": d,
        "maker": maker,
        "checker": checker,
        "admin_account": admin,
        "h": headers,
        "account": account,
    }


@pytest.fixture
def w(client):
    return _world(client)


@pytest.fixture
def cw(capp):
    return _world(capp.test_client())


def adjust(client, w, points, who="maker", **extra):
    body = {"member_code": w["account"].member_code, "rule": "adjustment", "points": points}
    body.update({"reason": "见义勇为，经街道核实", **extra})
    return client.post(f"{API}/points/adjustments", json=body, headers=w["h"][who])


def decide(client, w, adjustment_id, action, who="checker", reason=None):
    body = {"reason": reason} if reason is not None else {}
    return client.post(
        f"{API}/points/adjustments/{adjustment_id}/{action}", json=body, headers=w["h"][who]
    )


def balance(w) -> int:
    return PointAccount.get_by_id(w["account"].id).balance


def test_up_to_the_threshold_counts_at_once_above_it_waits(client, w, app):
    at = adjust(client, w, 50)
    assert at.status_code == 201 and at.get_json()["status"] == "counted"
    assert at.get_json()["entry"]["points"] == 50 and at.get_json()["adjustment"] is None
    above = adjust(client, w, 51).get_json()
    assert above["status"] == "pending" and above["entry"] is None
    assert above["adjustment"]["points"] == 51 and above["adjustment"]["status"] == "pending"
    assert above["balance"] == 50 == balance(w)
    # Deductions alike, and catalogue rules by their total (good_deed: 10 points × 6).
    assert adjust(client, w, -51).get_json()["status"] == "pending"
    many = adjust(client, w, None, rule="good_deed", units=6).get_json()
    assert many["status"] == "pending" and many["adjustment"]["points"] == 60
    assert many["adjustment"]["units"] == 6 and many["adjustment"]["rule_label"]
    # The threshold is configuration.
    app.config["POINTS_APPROVAL_THRESHOLD"] = 10
    assert adjust(client, w, 11).get_json()["status"] == "pending"
    assert adjust(client, w, -10).get_json()["status"] == "counted"
    assert balance(w) == 40 and postings.audit_balances() == []


def test_a_pending_adjustment_is_not_spendable_until_a_second_person_approves(client, w):
    item = ShopItem.create(
        community=w["d"].communities[0], name="大米", category="粮油副食", price=60, stock=3
    )
    pending = adjust(client, w, 200).get_json()["adjustment"]
    book = client.get(f"{API}/points/me", headers=w["h"]["resident"]).get_json()["items"][0]
    assert book["balance"] == 0 and book["entries"]["items"] == []
    refused = client.post(f"{API}/shop/items/{item.id}/redeem", json={}, headers=w["h"]["resident"])
    assert (
        refused.status_code == 409 and refused.get_json()["error"]["code"] == "insufficient_points"
    )
    assert postings.audit_balances() == []

    # The maker cannot approve it; the second staff member can.
    own = decide(client, w, pending["id"], "approve", who="maker")
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "own_adjustment"
    assert "另一位工作人员" in own.get_json()["error"]["message"]
    done = decide(client, w, pending["id"], "approve")
    assert done.status_code == 200, done.get_json()
    out = done.get_json()
    assert out["status"] == "counted" and out["balance"] == 200
    entry = out["entry"]
    maker, checker = w["maker"].user.nickname, w["checker"].user.nickname
    assert (entry["points"], entry["actor"], entry["approved_by"]) == (200, maker, checker)
    assert out["adjustment"]["status"] == "approved" and out["adjustment"]["decided_by"] == checker
    stored = PointEntry.get_by_id(entry["id"])
    assert stored.actor_id == w["maker"].user_id and stored.approved_by_id == w["checker"].user_id
    assert (stored.source_type, stored.source_id) == ("adjustment", pending["id"])
    # Once only; and now the points are there to spend.
    again = decide(client, w, pending["id"], "approve", who="admin")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_decided"
    assert checker in again.get_json()["error"]["message"]
    ok = client.post(f"{API}/shop/items/{item.id}/redeem", json={}, headers=w["h"]["resident"])
    assert ok.status_code == 200 and ok.get_json()["balance"] == 140
    book = client.get(f"{API}/points/me", headers=w["h"]["resident"]).get_json()["items"][0]
    assert [e["approved_by"] for e in book["entries"]["items"]] == [None, checker]
    actions = [e.action for e in Event.select().order_by(Event.id) if e.action.startswith("points")]
    assert actions == ["points.adjust_request", "points.adjust_approve"]
    approval = Event.get(Event.action == "points.adjust_approve")
    assert approval.actor_id == w["checker"].user_id and approval.data["made_by"] == maker
    assert postings.audit_balances() == []


def test_refusing_writes_nothing_and_needs_a_reason(client, w):
    pending = adjust(client, w, 300).get_json()["adjustment"]
    missing = decide(client, w, pending["id"], "reject", reason="")
    assert missing.status_code == 400 and "reason" in missing.get_json()["error"]["fields"]
    refused = decide(client, w, pending["id"], "reject", reason="证明材料不全")
    assert refused.status_code == 200
    assert refused.get_json()["status"] == "refused"
    assert refused.get_json()["refuse_reason"] == "证明材料不全"
    late = decide(client, w, pending["id"], "approve", who="admin")
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "already_decided"
    assert balance(w) == 0 and PointEntry.select().count() == 0
    # The maker may withdraw their own (refusing moves nothing).
    second = adjust(client, w, 90).get_json()["adjustment"]
    withdrawn = decide(client, w, second["id"], "reject", who="maker", reason="填错了分值")
    assert withdrawn.status_code == 200 and balance(w) == 0
    assert Event.get(Event.action == "points.adjust_refuse").data["reason"] == "证明材料不全"
    unknown = decide(client, w, 999999, "approve")
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == (
        "adjustment_not_found"
    )


def test_the_pending_list_says_who_may_decide_within_scope(client, w):
    pending = adjust(client, w, 120).get_json()["adjustment"]
    as_maker = client.get(
        f"{API}/points/adjustments", query_string={"status": "pending"}, headers=w["h"]["maker"]
    ).get_json()
    assert as_maker["threshold"] == 50 and as_maker["total"] == 1
    mine = as_maker["items"][0]
    assert mine["id"] == pending["id"] and mine["made_by"] == w["maker"].user.nickname
    assert (mine["can_approve"], mine["can_refuse"]) == (False, True)
    actionable = {"status": "pending", "actionable": "true"}
    assert (
        client.get(
            f"{API}/points/adjustments", query_string=actionable, headers=w["h"]["maker"]
        ).get_json()["total"]
        == 0
    )
    for who in ("checker", "admin"):
        page = client.get(
            f"{API}/points/adjustments", query_string=actionable, headers=w["h"][who]
        ).get_json()
        assert [(i["id"], i["can_approve"]) for i in page["items"]] == [(pending["id"], True)]
    other = client.get(f"{API}/points/adjustments", headers=w["h"]["other_staff"]).get_json()
    assert other["total"] == 0
    outside = decide(client, w, pending["id"], "approve", who="other_staff")
    assert outside.status_code == 403
    assert client.get(f"{API}/points/adjustments", headers=w["h"]["resident"]).status_code == 403
    decide(client, w, pending["id"], "approve")
    approved = client.get(
        f"{API}/points/adjustments", query_string={"status": "approved"}, headers=w["h"]["maker"]
    ).get_json()["items"]
    assert [(a["status"], a["can_approve"], a["can_refuse"]) for a in approved] == [
        ("approved", False, False)
    ]


def test_approve_and_refuse_at_once_one_wins(app, client, w):
    pending = adjust(client, w, 500).get_json()["adjustment"]
    barrier = threading.Barrier(3)
    results = []
    with serving(app) as base:

        def tap(action, who, body):
            barrier.wait()
            res = requests.post(
                f"{base}{API}/points/adjustments/{pending['id']}/{action}",
                json=body,
                headers=w["h"][who],
                timeout=60,
            )
            results.append((action, res.status_code, res.json()))

        threads = [
            threading.Thread(target=tap, args=("approve", "checker", {})),
            threading.Thread(target=tap, args=("approve", "admin", {})),
            threading.Thread(target=tap, args=("reject", "maker", {"reason": "撤回"})),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    codes = sorted(code for _, code, _ in results)
    assert codes == [200, 409, 409], results
    assert {b["error"]["code"] for _, c, b in results if c == 409} == {"already_decided"}
    winner = next(action for action, code, _ in results if code == 200)
    stored = PointAdjustment.get_by_id(pending["id"])
    assert stored.status == ("approved" if winner == "approve" else "refused")
    assert PointEntry.select().count() == (1 if winner == "approve" else 0)
    assert balance(w) == (500 if winner == "approve" else 0)
    assert postings.audit_balances() == []


def test_openapi_documents_the_approval_routes(client):
    doc = client.get(f"{API}/openapi.json").get_json()
    paths = doc["paths"]
    assert "get" in paths[f"{API}/points/adjustments"]
    for action in ("approve", "reject"):
        op = paths[f"{API}/points/adjustments/{{adjustment_id}}/{action}"]["post"]
        assert {"403", "409"} <= set(op["responses"])
    statuses = doc["components"]["schemas"]["AdjustmentOut"]["properties"]["status"]
    assert "pending" in statuses["description"]


# --- the console and the to-do ---------------------------------------------------------------


def test_the_dashboard_counts_every_adjustment_waiting_not_only_the_first(capp, cw):
    """The 首页 reads the newest waiting adjustment (for its link) and their number: three
    waiting are three (a count taken from the query the newest was read with said 1)."""
    w = cw
    for points in (120, -70, 90):
        PointAdjustment.create(
            account=w["account"].id,
            rule="adjustment",
            points=points,
            reason="核实",
            made_by=w["maker"].user,
        )
    checker = console_login(capp.test_client(), w["checker"].username)
    html = checker.get("/console/").get_data(as_text=True)
    assert "待您审核的积分调整 <b>3</b>" in html
    assert f"/console/timebank?community={w['d'].communities[0].id}#pending-adjustments" in html


def test_console_lists_pending_with_approve_and_refuse_and_the_dashboard_counts_them(capp, cw):
    w = cw
    maker = console_login(capp.test_client(), w["maker"].username)
    token = csrf(maker, f"/console/timebank?person={w['account'].member_code}")
    form = {
        "csrf_token": token,
        "account_id": w["account"].id,
        "rule": "adjustment",
        "points": "120",
        "reason": "抗洪抢险",
    }
    res = maker.post("/console/timebank/adjust", data=form, follow_redirects=True)
    html = res.get_data(as_text=True)
    assert "已提交审核" in html and "另一位工作人员" in html and balance(w) == 0
    pending = PointAdjustment.get()
    assert f"/console/timebank/adjustments/{pending.id}/approve" not in html  # not the maker's
    assert "您提交的，须由其他工作人员审核" in html
    assert "待您审核的积分调整 <b>0</b>" in maker.get("/console/").get_data(as_text=True)

    checker = console_login(capp.test_client(), w["checker"].username)
    assert "待您审核的积分调整 <b>1</b>" in checker.get("/console/").get_data(as_text=True)
    page = checker.get(f"/console/timebank?community={w['d'].communities[0].id}")
    html = page.get_data(as_text=True)
    assert f"/console/timebank/adjustments/{pending.id}/approve" in html and "抗洪抢险" in html
    token = csrf(checker, "/console/timebank")
    forged = checker.post(f"/console/timebank/adjustments/{pending.id}/approve", data={})
    assert forged.status_code == 400 and balance(w) == 0
    done = checker.post(
        f"/console/timebank/adjustments/{pending.id}/approve",
        data={"csrf_token": token, "community": w["d"].communities[0].id},
        follow_redirects=True,
    )
    assert "已审核通过" in done.get_data(as_text=True) and balance(w) == 120
    entry = PointEntry.get()
    assert entry.approved_by_id == w["checker"].user_id

    # Refusing from the console, with its reason.
    second = PointAdjustment.create(
        account=w["account"].id,
        rule="adjustment",
        points=-70,
        reason="多记",
        made_by=w["maker"].user,
    )
    no_reason = checker.post(
        f"/console/timebank/adjustments/{second.id}/reject",
        data={"csrf_token": token, "reason": ""},
        follow_redirects=True,
    )
    assert "请写明驳回原因" in no_reason.get_data(as_text=True)
    refused = checker.post(
        f"/console/timebank/adjustments/{second.id}/reject",
        data={"csrf_token": token, "reason": "核实无误，不扣"},
        follow_redirects=True,
    )
    assert "已驳回" in refused.get_data(as_text=True)
    assert PointAdjustment.get_by_id(second.id).status == "refused" and balance(w) == 120


def test_the_console_offers_no_adjusting_of_ones_own_passbook(capp, cw):
    w = cw
    own = give(w["d"].communities[0], w["maker"].user, 5)
    maker = console_login(capp.test_client(), w["maker"].username)
    html = maker.get(f"/console/timebank?person={own.member_code}").get_data(as_text=True)
    assert "这是您本人的存折" in html and 'action="/console/timebank/adjust"' not in html
    token = csrf(maker, "/console/timebank")
    forged = maker.post(
        "/console/timebank/adjust",
        data={"csrf_token": token, "account_id": own.id, "rule": "meeting", "reason": "例会"},
        follow_redirects=True,
    )
    assert "不能给自己的存折加减分" in forged.get_data(as_text=True)
    assert PointAccount.get_by_id(own.id).balance == 5


# --- refusals and bounds, called as the console's forms call them -----------------------------


def _p(account) -> Principal:
    return Principal.for_user(User.get_by_id(account.user_id))


def _refusal(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as err:
        call(*args, **kwargs)
    return err.value


def test_a_free_adjustment_may_be_as_large_as_the_maximum_either_way_and_no_larger(w):
    maker = _p(w["maker"])
    for points in (adjustments.MAX_FREE_POINTS, -adjustments.MAX_FREE_POINTS):
        done = adjustments.adjust(
            maker, w["account"], rule="adjustment", reason="核实", points=points
        )
        assert done.pending.points == points
    for points in (adjustments.MAX_FREE_POINTS + 1, -adjustments.MAX_FREE_POINTS - 1, 0, None):
        err = _refusal(
            adjustments.adjust, maker, w["account"], rule="adjustment", reason="核实", points=points
        )
        assert (err.status, err.message) == (400, "请填写调整分值（非零，绝对值不超过 1000）")
        assert err.fields == {"points": "须为非零整数，绝对值不超过 1000"}
    assert PointAdjustment.select().count() == 2


def test_a_catalogue_rule_takes_its_own_points_per_unit_up_to_the_maximum_units(w):
    maker = _p(w["maker"])
    one = adjustments.adjust(maker, w["account"], rule="meeting", reason="例会", points=1)
    assert (one.entry.points, one.entry.rule) == (1, "meeting")
    # The form may send the points it shows: accepted when they are the rule's × units.
    three = adjustments.adjust(
        maker, w["account"], rule="meeting", reason="例会", units=3, points=3
    )
    assert three.entry.points == 3
    most = adjustments.adjust(maker, w["account"], rule="meeting", reason="例会", units=100)
    assert (most.pending.points, most.pending.units) == (100, 100)
    for units in (0, adjustments.MAX_UNITS + 1):
        err = _refusal(
            adjustments.adjust, maker, w["account"], rule="meeting", reason="例会", units=units
        )
        assert (err.status, err.message) == (400, "数量有误")
        assert err.fields == {"units": "须在 1 至 100 之间"}
    err = _refusal(adjustments.adjust, maker, w["account"], rule="meeting", reason="例会", points=5)
    assert (err.status, err.message) == (400, "该规则的分值是固定的，请只填写数量")
    assert err.fields == {"points": "“参加社区例会、议事会”每次 +1 分，不能改"}
    assert PointEntry.select().count() == 2


def test_a_rule_switched_off_or_automatic_cannot_be_chosen(app, w):
    maker = _p(w["maker"])
    app.config["TIMEBANK_RULES"] = {"meeting": {"points": 0}}
    err = _refusal(adjustments.adjust, maker, w["account"], rule="meeting", reason="例会")
    assert (err.status, err.message, err.fields) == (400, "该规则已停用", {"rule": "该规则已停用"})
    err = _refusal(adjustments.adjust, maker, w["account"], rule="issue_resolved", reason="x")
    assert (err.status, err.message) == (400, "该规则由系统自动记分，不能手工选择")
    assert err.fields == {"rule": "请选择可手工记分的规则"}
    assert PointEntry.select().count() == 0


def test_an_adjustment_needs_a_reason_and_keeps_it_trimmed_and_cut(w):
    maker = _p(w["maker"])
    for blank in ("", "   ", None):
        err = _refusal(adjustments.adjust, maker, w["account"], rule="meeting", reason=blank)
        assert (err.status, err.message, err.fields) == (
            400,
            "请写明加减分原因",
            {"reason": "请写明加减分原因"},
        )
    long = "因" * (adjustments.REASON_MAX + 10)
    entry = adjustments.adjust(maker, w["account"], rule="meeting", reason=f"  {long} ").entry
    assert entry.reason == "因" * adjustments.REASON_MAX
    pending = adjustments.adjust(maker, w["account"], rule="adjustment", reason=long, points=99)
    assert pending.pending.reason == "因" * adjustments.REASON_MAX


def test_exactly_the_threshold_counts_at_once_and_one_more_waits_with_both_audited(w):
    maker = _p(w["maker"])
    at = adjustments.adjust(maker, w["account"], rule="adjustment", reason="核实", points=-50)
    assert at.pending is None and at.entry.points == -50 and at.entry.actor_id == maker.user.id
    event = Event.get(Event.action == "points.adjust")
    assert (event.subject_type, event.subject_id, event.actor_id, event.area_id) == (
        "point_account",
        w["account"].id,
        maker.user.id,
        w["d"].communities[0].id,
    )
    assert event.data == {
        "rule": "adjustment",
        "units": 1,
        "points": -50,
        "reason": "核实",
        "entry_id": at.entry.id,
    }
    above = adjustments.adjust(maker, w["account"], rule="adjustment", reason="核实", points=51)
    assert above.entry is None
    assert (above.pending.made_by_id, above.pending.made_by_label) == (
        maker.user.id,
        w["maker"].user.nickname,
    )
    assert (above.pending.rule, above.pending.units, above.pending.status) == (
        "adjustment",
        1,
        "pending",
    )
    request = Event.get(Event.action == "points.adjust_request")
    assert (request.subject_type, request.subject_id, request.actor_id, request.area_id) == (
        "point_account",
        w["account"].id,
        maker.user.id,
        w["d"].communities[0].id,
    )
    assert request.data == {
        "rule": "adjustment",
        "units": 1,
        "points": 51,
        "reason": "核实",
        "adjustment_id": above.pending.id,
        "threshold": 50,
    }
    assert PointAccount.get_by_id(w["account"].id).balance == -50


def test_staff_of_another_community_cannot_adjust_approve_or_refuse_here(w, client):
    outsider = _p(make_staff(w["d"].communities[1]))
    err = _refusal(adjustments.adjust, outsider, w["account"], rule="meeting", reason="例会")
    assert (err.status, err.code) == (403, "out_of_scope")
    pending = adjustments.adjust(
        _p(w["maker"]), w["account"], rule="adjustment", reason="核实", points=80
    ).pending
    for decide_as in (
        lambda: adjustments.approve(outsider, pending.id),
        lambda: adjustments.refuse(outsider, pending.id, "不同意"),
    ):
        err = _refusal(decide_as)
        assert (err.status, err.code) == (403, "out_of_scope")
    assert PointAdjustment.get_by_id(pending.id).status == "pending"
    err = _refusal(adjustments.approve, _p(w["checker"]), 999_999)
    assert (err.status, err.code, err.message) == (404, "adjustment_not_found", "找不到该积分调整")


def test_nobody_adjusts_or_decides_on_their_own_passbook(w):
    checker = _p(w["checker"])
    own = postings.account_for(w["d"].communities[0], Holder(user_id=checker.user.id))
    err = _refusal(adjustments.adjust, checker, own, rule="meeting", reason="例会")
    assert (err.status, err.code) == (403, "own_passbook")
    assert err.message == "不能给自己的存折加减分，请由其他工作人员办理"
    pending = adjustments.adjust(
        _p(w["maker"]), own, rule="adjustment", reason="核实", points=70
    ).pending
    for decide_as in (
        lambda: adjustments.approve(checker, pending.id),
        lambda: adjustments.refuse(checker, pending.id, "不要"),
    ):
        err = _refusal(decide_as)
        assert (err.status, err.code) == (403, "own_passbook")
        assert err.message == "不能审核自己存折的积分调整，须由其他工作人员审核"
    assert PointAdjustment.get_by_id(pending.id).status == "pending"


def test_a_decision_is_recorded_with_its_author_and_a_late_one_names_the_first(w):
    maker, checker, admin = _p(w["maker"]), _p(w["checker"]), _p(w["admin_account"])
    pending = adjustments.adjust(
        maker, w["account"], rule="good_deed", reason="救人", units=6
    ).pending
    done = adjustments.approve(checker, pending.id)
    assert (done.status, done.decided_by_id, done.decided_by_label) == (
        "approved",
        checker.user.id,
        w["checker"].user.nickname,
    )
    assert done.decided_at is not None
    entry = PointEntry.get_by_id(done.entry_id)
    assert (entry.points, entry.rule, entry.reason, entry.actor_label) == (
        60,
        "good_deed",
        "救人",
        w["maker"].user.nickname,
    )
    assert (entry.actor_id, entry.approved_by_id) == (maker.user.id, checker.user.id)
    event = Event.get(Event.action == "points.adjust_approve")
    assert (event.subject_type, event.subject_id, event.actor_id, event.area_id) == (
        "point_account",
        w["account"].id,
        checker.user.id,
        w["d"].communities[0].id,
    )
    assert event.data == {
        "adjustment_id": pending.id,
        "entry_id": entry.id,
        "points": 60,
        "rule": "good_deed",
        "made_by": w["maker"].user.nickname,
    }
    err = _refusal(adjustments.refuse, admin, pending.id, "晚了")
    assert (err.status, err.code) == (409, "already_decided")
    assert err.message == f"该积分调整已通过（{w['checker'].user.nickname}）"

    second = adjustments.adjust(maker, w["account"], rule="adjustment", reason="核实", points=-90)
    refused = adjustments.refuse(admin, second.pending.id, "  证明不全 ")
    assert (refused.status, refused.refuse_reason, refused.decided_by_id) == (
        "refused",
        "证明不全",
        admin.user.id,
    )
    assert refused.decided_by_label == w["admin_account"].user.nickname
    assert refused.decided_at is not None and refused.decided_at >= second.pending.created_at
    event = Event.get(Event.action == "points.adjust_refuse")
    assert (event.subject_type, event.subject_id, event.actor_id, event.area_id) == (
        "point_account",
        w["account"].id,
        admin.user.id,
        w["d"].communities[0].id,
    )
    assert event.data == {
        "adjustment_id": second.pending.id,
        "points": -90,
        "reason": "证明不全",
        "made_by": w["maker"].user.nickname,
    }
    err = _refusal(adjustments.approve, checker, second.pending.id)
    assert err.message == f"该积分调整已驳回（{w['admin_account'].user.nickname}）"
    third = adjustments.adjust(maker, w["account"], rule="adjustment", reason="核实", points=77)
    long = "因" * (adjustments.REASON_MAX + 10)
    assert adjustments.refuse(checker, third.pending.id, long).refuse_reason == long[:200]
    err = _refusal(adjustments.refuse, checker, second.pending.id, "   ")
    assert (err.status, err.message, err.fields) == (
        400,
        "原因：请写明驳回原因",
        {"reason": "请写明驳回原因"},
    )


def test_the_maker_cannot_approve_their_own_adjustment_but_may_withdraw_it(w):
    maker, checker = _p(w["maker"]), _p(w["checker"])
    pending = adjustments.adjust(
        maker, w["account"], rule="adjustment", reason="核实", points=60
    ).pending
    err = _refusal(adjustments.approve, maker, pending.id)
    assert (err.status, err.code) == (403, "own_adjustment")
    assert err.message == "不能审核自己提交的积分调整，须由另一位工作人员审核"
    assert PointAdjustment.get_by_id(pending.id).status == "pending"
    withdrawn = adjustments.refuse(maker, pending.id, "填错了")
    assert (withdrawn.status, withdrawn.decided_by_id) == ("refused", maker.user.id)
    assert PointEntry.select().count() == 0
    # Roles the other way round: the approved entry names its own maker (not the first staff).
    theirs = adjustments.adjust(checker, w["account"], rule="adjustment", reason="核实", points=60)
    entry = PointEntry.get_by_id(adjustments.approve(maker, theirs.pending.id).entry_id)
    assert (entry.actor_id, entry.approved_by_id) == (checker.user.id, maker.user.id)


def test_an_approved_deduction_may_go_below_zero_and_names_its_maker_as_they_were(w):
    maker, checker = _p(w["maker"]), _p(w["checker"])
    made_as = w["maker"].user.nickname
    pending = adjustments.adjust(
        maker, w["account"], rule="adjustment", reason="重复记分更正", points=-90
    ).pending
    User.update(nickname="改了昵称").where(User.id == maker.user.id).execute()
    entry = PointEntry.get_by_id(adjustments.approve(checker, pending.id).entry_id)
    assert (entry.points, entry.actor_label) == (-90, made_as)
    assert PointAccount.get_by_id(w["account"].id).balance == -90
