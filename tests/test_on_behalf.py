"""代居民登记: staff register an item for a resident (12345 hotline, phone, visit, grid worker),
which then runs the workflow of a scanned report; 12345 tickets are unique per street and are
counted as 上级转办件 with their own 按时办结率 in the ledger and the figures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from core.delivery import groups
from models import Event, Issue, IssueIntake, OutboxMessage
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
PHONE = "13912345678"
NAME = "赵秀兰"


@pytest.fixture
def world(client):
    d = make_district()
    groups.create(d.communities[0], "key-stewards", name="管家群")
    staff = make_staff(d.communities[0], username="zhangsan")
    return {
        "d": d,
        "alley": d.alleys[0],
        "staff_account": staff,
        "staff": login_staff(client, staff),
        "other_staff": login_staff(client, make_staff(d.communities[1], username="lisi")),
        "admin": login_staff(client, make_staff(d.street, role="admin", username="jiedao")),
        "resident": login(client, "居民甲"),
        "steward": login_steward(client, d.stewards[0]),
    }


def hotline(world, **extra) -> dict:
    body = {
        "alley_id": world["alley"].id,
        "source": "hotline",
        "ticket_no": "2611230001",
        "contact_name": NAME,
        "contact_phone": PHONE,
        "category": "环境卫生",
        "content": "巷口垃圾三天没人清运",
    }
    body.update(extra)
    return body


def register(client, world, headers=None, status=201, **extra) -> dict:
    res = client.post(
        f"{API}/issues", json=hotline(world, **extra), headers=headers or world["staff"]
    )
    assert res.status_code == status, res.get_json()
    return res.get_json()


def robot_texts(key: str) -> list[str]:
    rows = OutboxMessage.select().where(
        (OutboxMessage.kind == "robot") & (OutboxMessage.target == key)
    )
    return [str(r.payload) for r in rows.order_by(OutboxMessage.id)]


def nothing_written(before: int) -> bool:
    return Issue.select().count() == before and IssueIntake.select().count() == 0


# --- registering ---------------------------------------------------------------------------------


def test_a_hotline_ticket_runs_the_scanned_report_workflow_and_names_the_staff_member(
    client, world
):
    with time_machine.travel(T0, tick=False):
        out = register(client, world)
    issue = Issue.get_by_id(out["id"])
    assert issue.source == "hotline" and issue.reporter_id is None
    assert issue.contact_phone == PHONE and issue.status == "submitted"
    # the alley's steward is assigned and told in the group, as for a scanned report
    assert [s["id"] for s in out["stewards"]] == [world["d"].stewards[0].id]
    (told,) = robot_texts("key-stewards")
    assert "【新诉求】" in told and "巷口垃圾" in told
    # the hotline's deadline is the tier's (环境卫生: ordinary, 2 days) when none is entered
    intake = IssueIntake.get(IssueIntake.issue == issue.id)
    assert intake.ticket_deadline == issue.deadline == datetime(2026, 11, 25, 1, 0)
    assert intake.street_id == world["d"].street.id and intake.contact_name == NAME
    # the trail names the staff member and says how it came in
    line = next(e for e in out["timeline"] if e["action"] == "on_behalf")
    assert line["label"] == "代居民登记" and line["note"] == "12345 热线，工单号 2611230001"
    event = Event.get(Event.action == "issue.on_behalf")
    assert event.actor_id == world["staff_account"].user_id and event.subject_id == issue.id
    # staff read how it came in, the resident's name and phone
    assert out["intake"] == {
        "source": "hotline",
        "source_label": "12345 热线",
        "superior": True,
        "ticket_no": "2611230001",
        "ticket_deadline": "2026-11-25T09:00:00+08:00",
        "contact_name": NAME,
    }
    assert out["contact_phone"] == PHONE
    # the steward it went to accepts and resolves it as any other item
    for action, body in (("accept", {}), ("resolve", {"note": "已清运"})):
        res = client.post(f"{API}/issues/{issue.id}/{action}", json=body, headers=world["steward"])
        assert res.status_code == 200, res.get_json()
