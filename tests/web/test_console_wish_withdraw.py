"""撤下心愿墙: staff take an approved, unclaimed wish off the wall with a reason — the wall no
longer shows it, the author is told, the trail and the audit log name who did it; a wish
already claimed, an empty or over-long reason, another community's staff and the alley's
steward are refused."""

from __future__ import annotations

import pytest

from core.delivery import subscriptions
from core.items import wishes as wish_flow
from core.people.permissions import Principal
from infra.errors import ApiError
from models import Event, OutboxMessage, RoleGrant, Wish
from tests.console_world import build, console_login, csrf


def _approve(client, wish):
    token = csrf(client, f"/console/wishes/{wish.id}")
    res = client.post(f"/console/wishes/{wish.id}/approve", data={"csrf_token": token})
    assert res.status_code == 302
    assert Wish.get_by_id(wish.id).status == "published"
    return token


def test_withdraw_an_approved_wish(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    token = _approve(client, w.wish)
    page = client.get(f"/console/wishes/{w.wish.id}").get_data(as_text=True)
    assert "撤下心愿墙" in page and 'maxlength="500"' in page
    wall = capp.test_client().get("/api/v1/wishes?scope=wall").get_json()["items"]
    assert w.wish.id in [item["id"] for item in wall]

    res = client.post(
        f"/console/wishes/{w.wish.id}/withdraw",
        data={"csrf_token": token, "reason": "审核时看错了"},
    )
    assert res.status_code == 302
    wish = Wish.get_by_id(w.wish.id)
    assert wish.status == "rejected" and wish.reject_reason == "审核时看错了"
    event = Event.get((Event.action == "wish.withdraw") & (Event.subject_id == wish.id))
    assert event.actor_id == w.staff.user_id and event.data["note"] == "审核时看错了"
    page = client.get(f"/console/wishes/{w.wish.id}").get_data(as_text=True)
    assert "撤下心愿墙" in page.split('class="timeline"')[1]  # the trail says it
    assert "撤下原因" not in page  # no second withdraw
    # not on the public wall any more
    wall = capp.test_client().get("/api/v1/wishes?scope=wall").get_json()["items"]
    assert wish.id not in [item["id"] for item in wall]


def test_withdraw_refusals(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    token = _approve(client, w.wish)
    url = f"/console/wishes/{w.wish.id}/withdraw"
    client.post(url, data={"csrf_token": token, "reason": ""})
    client.post(url, data={"csrf_token": token, "reason": "长" * 501})
    assert Wish.get_by_id(w.wish.id).status == "published"  # refused, never cut
    other = console_login(capp.test_client(), "secretary2")
    token2 = csrf(other, "/console/")
    assert other.post(url, data={"csrf_token": token2, "reason": "x"}).status_code == 404
    # still pending review: nothing to withdraw
    res = client.post(
        f"/console/wishes/{w.wish2.id}/withdraw", data={"csrf_token": token, "reason": "x"}
    )
    assert res.status_code == 302 and Wish.get_by_id(w.wish2.id).status == "pending_review"


def test_a_withdrawal_names_who_did_it_and_tells_the_author_the_reason(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    token = _approve(client, w.wish)
    author = w.wish.author
    subscriptions.record_consent(author, subscriptions.status_template())  # for the next notice
    client.post(
        f"/console/wishes/{w.wish.id}/withdraw",
        data={"csrf_token": token, "reason": "审核时看错了"},
    )
    assert Wish.get_by_id(w.wish.id).reviewed_by_id == w.staff.user_id  # the withdrawer
    event = Event.get((Event.action == "wish.withdraw") & (Event.subject_id == w.wish.id))
    notice = OutboxMessage.get(
        OutboxMessage.idempotency_key == f"subscribe:wish:{w.wish.id}:withdraw:{event.id}"
    )
    assert notice.target == author.openid
    assert "审核时看错了" in [field["value"] for field in notice.payload["data"].values()]


def test_the_alleys_steward_sees_the_wish_but_may_not_withdraw_it(capp):
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    _approve(client, w.wish)
    steward_user = RoleGrant.get(RoleGrant.steward == w.d.stewards[0]).user
    steward = Principal.for_user(steward_user)
    assert wish_flow.get_visible(steward, w.wish.id).id == w.wish.id
    with pytest.raises(ApiError) as caught:
        wish_flow.withdraw(steward, w.wish.id, "不想要了")
    assert (caught.value.status, caught.value.message) == (403, "只有社区工作人员可以撤下心愿")
    assert Wish.get_by_id(w.wish.id).status == "published"
