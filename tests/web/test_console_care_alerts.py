"""关怀提醒 in the console: staff send an alert through a CSRF-protected form (a refusal is a
message on the page), see answered / total in the list and, on the alert's page, each
steward's households with their answers and 需帮助 items, the outstanding ones named; the
page's households are recorded; another community's staff get 404."""

from __future__ import annotations

import pytest

from core.households import cards, care_alerts
from core.people.permissions import Principal
from models import Event, Steward, User
from models.care import CareAlert
from tests.console_world import build, console_login, csrf


@pytest.fixture
def world(app):
    w = build(app)
    admin = Principal.for_user(User.get_by_id(w.admin.user_id))
    for n, (alley, head, tags) in enumerate(
        (
            (0, "王大爷", ["独居老人"]),
            (0, "李奶奶", ["空巢老人"]),
            (1, "周阿婆", ["独居老人"]),
            (2, "孙婆婆", ["独居老人"]),  # 第2社区
        )
    ):
        cards.create(
            admin,
            {
                "alley_id": w.d.alleys[alley].id,
                "steward_id": w.d.stewards[alley].id,
                "address": f"{w.d.alleys[alley].name}{n + 1}号",
                "head_name": head,
                "head_phone": f"1381111000{n}",
                "tags": tags,
            },
        )
    return w


def test_send_an_alert_and_follow_it(app, world):
    w = world
    client = console_login(app.test_client(), "secretary1")
    token = csrf(client, "/console/care-alerts")
    form = {
        "kind": "寒潮",
        "area": str(w.d.communities[0].id),
        "tags": ["独居老人", "空巢老人"],
        "message": "今晚降温，请确认取暖",
    }
    assert client.post("/console/care-alerts", data=form).status_code == 400  # no CSRF token
    assert CareAlert.select().count() == 0
    refused = client.post(
        "/console/care-alerts",
        data={**form, "csrf_token": token, "tags": []},
        follow_redirects=True,
    )
    assert "住户标签：请至少选一个" in refused.get_data(as_text=True)
    res = client.post("/console/care-alerts", data={**form, "csrf_token": token})
    alert = CareAlert.get()
    assert res.status_code == 302 and res.headers["Location"].endswith(
        f"/console/care-alerts/{alert.id}"
    )

    steward = Steward.get_by_id(w.d.stewards[0].id)
    p = Principal.for_user(User.get_by_id(steward.user_id))
    care_alerts.answer(p, 2, "needs_help", "煤气灶打不着火")
    listed = client.get("/console/care-alerts").get_data(as_text=True)
    assert "寒潮" in listed and "1 / 3" in listed

    page = client.get(f"/console/care-alerts/{alert.id}").get_data(as_text=True)
    assert "已回复 1 / 3 户" in page
    assert all(name in page for name in ("王大爷", "李奶奶", "周阿婆")) and "孙婆婆" not in page
    assert (
        "煤气灶打不着火" in page
        and f"诉求 #{care_alerts.CareTarget.get(care_alerts.CareTarget.status == 'needs_help').issue_id}"
        in page
    )
    assert "未回复：第 1 户" in page
    seen = Event.select().where(Event.action == "household.list").order_by(Event.id.desc()).first()
    assert seen.data["via"] == "console" and len(seen.data["ids"]) == 3

    other = console_login(app.test_client(), "secretary2")
    assert other.get(f"/console/care-alerts/{alert.id}").status_code == 404
    assert (
        "寒潮"
        not in other.get("/console/care-alerts").get_data(as_text=True).split("已发出的提醒")[1]
    )
