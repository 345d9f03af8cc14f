"""代居民登记: staff register an item for a resident (12345 hotline, phone, visit, grid worker),
which then runs the workflow of a scanned report; 12345 tickets are unique per street and are
counted as 上级转办件 with their own 按时办结率 in the ledger and the figures."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime

import pytest
import time_machine
from openpyxl import load_workbook
from peewee import IntegrityError
from PIL import Image

from core.delivery import groups
from infra.db import db
from models import Event, Issue, IssueIntake, OutboxMessage
from tests.console_world import console_login, csrf
from tests.factories import login_staff, make_district, make_staff, make_world

API = "/api/v1"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
PHONE = "13912345678"
NAME = "赵秀兰"


@pytest.fixture
def world(client):
    d = make_district()
    groups.create(d.communities[0], "key-stewards", name="管家群")
    w = make_world(
        client,
        district=d,
        residents={"resident": "居民甲"},
        stewards={"steward": 0},
        staff={"staff": (0, "zhangsan"), "other_staff": (1, "lisi")},
        admins={"admin": "jiedao"},
    )
    w["alley"] = d.alleys[0]
    return w


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


def test_an_entered_hotline_deadline_is_the_one_the_stewards_work_to(client, world):
    with time_machine.travel(T0, tick=False):
        out = register(client, world, ticket_deadline="2026-11-24")
    due = datetime(2026, 11, 24, 15, 59, 59)  # 11月24日 23:59:59 in Shanghai
    issue = Issue.get_by_id(out["id"])
    assert issue.deadline == due
    assert IssueIntake.get(IssueIntake.issue == issue.id).ticket_deadline == due
    assert out["deadline"] == out["intake"]["ticket_deadline"] == "2026-11-24T23:59:59+08:00"
    (told,) = robot_texts("key-stewards")
    assert "请在 11月24日 23:59 前办结" in told


def test_a_phone_call_visit_or_grid_find_is_no_hotline_ticket(client, world):
    for source, label in (("phone", "电话"), ("visit", "来访"), ("grid", "网格员发现")):
        out = register(
            client, world, source=source, ticket_no=None, content=f"{label}反映：路灯不亮"
        )
        assert out["source"] == source and out["intake"]["superior"] is False
        assert out["intake"]["ticket_no"] is None and out["intake"]["ticket_deadline"] is None
        line = next(e for e in out["timeline"] if e["action"] == "on_behalf")
        assert line["note"] == label


def test_the_residents_name_and_phone_stay_private(client, world):
    out = register(client, world)
    code = world["d"].boards[0].code
    # not in any group message, not on the trail's data, not on the public board page or API
    assert all(NAME not in t and PHONE not in t for t in robot_texts("key-stewards"))
    assert all(NAME not in str(e.data) and PHONE not in str(e.data) for e in Event.select())
    for page in (client.get(f"{API}/boards/{code}"), client.get(f"/b/{code}")):
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert "巷口垃圾" in body  # the item is there, its resident is not
        assert NAME not in body and PHONE not in body
    # a resident who did not report it gets its public view at most
    res = client.get(f"{API}/issues/{out['id']}", headers=world["resident"])
    assert res.status_code == 404 or (
        NAME not in res.get_data(as_text=True) and PHONE not in res.get_data(as_text=True)
    )
    # the alley's steward, who handles it, reads who to call
    mine = client.get(f"{API}/issues/{out['id']}", headers=world["steward"]).get_json()
    assert mine["intake"]["contact_name"] == NAME and mine["contact_phone"] == PHONE


# --- one ticket number, one item per street ------------------------------------------------------


def test_a_ticket_number_registered_again_in_the_street_is_refused_naming_the_first(client, world):
    first = register(client, world)
    before = Issue.select().count()
    # the same number from another community of the same street, full-width digits and all
    other_alley = world["d"].alleys[2]
    res = client.post(
        f"{API}/issues",
        json=hotline(world, alley_id=other_alley.id, ticket_no="２６１１２３０００１"),
        headers=world["other_staff"],
    )
    assert res.status_code == 409
    err = res.get_json()["error"]
    assert err["code"] == "duplicate_ticket" and "ticket_no" in err["fields"]
    assert first["number"] in err["message"]
    assert err["existing_issue"] == {"id": first["id"], "number": first["number"]}
    assert Issue.select().count() == before and IssueIntake.select().count() == 1
    # another street has numbers of its own
    # typed in lower case, it is still the same number
    register(client, world, ticket_no="gd-20261123-7", status=201)
    res = client.post(
        f"{API}/issues", json=hotline(world, ticket_no="GD-20261123-7"), headers=world["staff"]
    )
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "duplicate_ticket"
    before = Issue.select().count()
    d2 = make_district("别的街道")
    headers = login_staff(client, make_staff(d2.communities[0], username="wangwu"))
    register(client, world, headers=headers, alley_id=d2.alleys[0].id)
    assert IssueIntake.select().count() == 3 and Issue.select().count() == before + 1


def test_the_database_refuses_a_second_row_with_the_same_street_and_number(client, world):
    """What decides a race the check before it cannot see: the unique index."""
    register(client, world)
    body = {"alley_id": world["d"].alleys[1].id, "category": "环境卫生", "content": "垃圾"}
    other = client.post(f"{API}/issues", json=body, headers=world["resident"]).get_json()
    row = {"issue": other["id"], "street": world["d"].street.id}
    with pytest.raises(IntegrityError), db.atomic():
        IssueIntake.create(**row, ticket_no="2611230001")
    IssueIntake.create(**row, ticket_no=None)  # rows without a number never collide
    assert IssueIntake.select().where(IssueIntake.ticket_no.is_null()).count() == 1


def test_two_registrations_of_one_number_at_once_one_wins(app, world):
    barrier = threading.Barrier(2)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()
    before = Issue.select().count()

    def register_as(headers, alley):
        own = app.test_client()
        barrier.wait()
        res = own.post(f"{API}/issues", json=hotline(world, alley_id=alley.id), headers=headers)
        with lock:
            results.append((res.status_code, res.get_json()))

    threads = [
        threading.Thread(target=register_as, args=(world["staff"], world["d"].alleys[0])),
        threading.Thread(target=register_as, args=(world["admin"], world["d"].alleys[1])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(code for code, _ in results) == [201, 409], results
    winner = next(body for code, body in results if code == 201)
    loser = next(body for code, body in results if code == 409)["error"]
    assert loser["code"] == "duplicate_ticket"
    assert loser["existing_issue"]["id"] == winner["id"]
    # the loser left nothing: one issue, one intake row, one trail
    assert Issue.select().count() == before + 1
    assert [r.issue_id for r in IssueIntake.select()] == [winner["id"]]
    assert Event.select().where(Event.action == "issue.on_behalf").count() == 1


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, extra, status, code, field",
    [
        ("staff", {"source": "fax"}, 400, "validation_error", "source"),
        ("staff", {"source": "phone"}, 400, "validation_error", "ticket_no"),
        (
            "staff",
            {"source": "visit", "ticket_no": None, "ticket_deadline": "2026-11-30"},
            400,
            "validation_error",
            "ticket_deadline",
        ),
        ("staff", {"ticket_no": "12"}, 400, "validation_error", "ticket_no"),
        ("staff", {"ticket_no": "26112300<1>"}, 400, "validation_error", "ticket_no"),
        ("staff", {"ticket_deadline": "2026-11-20"}, 400, "validation_error", "ticket_deadline"),
        ("staff", {"ticket_deadline": "明天"}, 400, "validation_error", "ticket_deadline"),
        ("staff", {"ticket_deadline": "0001-01-01"}, 400, "validation_error", "ticket_deadline"),
        (
            "staff",
            {"ticket_deadline": "0001-01-01T00:00:00+14:00"},
            400,
            "validation_error",
            "ticket_deadline",
        ),
        ("staff", {"ticket_deadline": "2027-06-01"}, 400, "validation_error", "ticket_deadline"),
        ("staff", {"contact_phone": "12345"}, 400, "validation_error", "contact_phone"),
        ("staff", {"contact_name": "名" * 33}, 400, "validation_error", "contact_name"),
        ("staff", {"category": "乱写的"}, 400, "validation_error", "category"),
        ("staff", {"fixed_on_spot": {"photo_ids": []}}, 400, "validation_error", "fixed_on_spot"),
        ("other_staff", {}, 403, "out_of_scope", "alley_id"),
        ("resident", {}, 403, "staff_only", "source"),
        ("steward", {}, 403, "staff_only", "source"),
    ],
)
def test_bad_registrations_are_refused_naming_the_field_and_write_nothing(
    client, world, who, extra, status, code, field
):
    before = Issue.select().count()
    with time_machine.travel(T0, tick=False):
        res = client.post(f"{API}/issues", json=hotline(world, **extra), headers=world[who])
    assert res.status_code == status, res.get_json()
    err = res.get_json()["error"]
    assert err["code"] == code and field in err["fields"], err
    assert err["message"] and all(ord(c) < 128 for c in err["message"]) is False  # Chinese
    assert nothing_written(before)
    assert not Event.select().where(Event.action.in_(["issue.create", "issue.on_behalf"])).count()


def test_a_resident_still_reports_by_alley_id_as_the_contract_says(client, world):
    body = {"alley_id": world["alley"].id, "category": "环境卫生", "content": "垃圾"}
    res = client.post(f"{API}/issues", json=body, headers=world["resident"])
    assert res.status_code == 201 and res.get_json()["source"] == "resident"
    assert res.get_json()["intake"] is None


# --- the ledger and the figures --------------------------------------------------------------------


def _at(day, hour):
    """Shanghai wall-clock time on a November 2026 day."""
    return time_machine.travel(datetime(2026, 11, day, hour - 8, 0, tzinfo=UTC), tick=False)


@pytest.fixture
def tickets(client, world):
    """A (due 11-24 23:59, closed 11-24: on time), B (tier's deadline 11-25 09:00, open:
    overdue by 11-26), C (due 11-24 12:00, closed 11-25: late), D a phone call, E a ticket
    cancelled (counted nowhere). Registered 11-23 09:00."""
    with _at(23, 9):
        a = register(client, world, ticket_no="1001", ticket_deadline="2026-11-24")
        b = register(client, world, ticket_no="1002")
        c = register(client, world, ticket_no="1003", ticket_deadline="2026-11-24T12:00:00+08:00")
        d = register(client, world, source="phone", ticket_no=None, content="电话反映路灯不亮")
        e = register(client, world, ticket_no="1005")
        res = client.post(
            f"{API}/issues/{e['id']}/cancel", json={"reason": "重复转办"}, headers=world["staff"]
        )
        assert res.status_code == 200, res.get_json()
    for day, issue in ((24, a), (25, c)):
        with _at(day, 10):
            res = client.post(
                f"{API}/issues/{issue['id']}/resolve",
                json={"note": "已处理"},
                headers=world["staff"],
            )
            assert res.status_code == 200, res.get_json()
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_stats_count_hotline_tickets_apart_with_their_on_time_rate(client, world, tickets):
    with _at(26, 10):
        res = client.get(
            f"{API}/stats?date_from=2026-11-23&date_to=2026-11-26", headers=world["staff"]
        )
    assert res.status_code == 200, res.get_json()
    # by hand: A, B, C are the period's tickets (E cancelled, D no ticket); A and C closed,
    # A by its deadline, C after; B open past its deadline
    assert res.get_json()["hotline"] == {
        "tickets": 3,
        "closed": 2,
        "on_time": 1,
        "late": 1,
        "open": 1,
        "overdue": 1,
        "on_time_rate": 0.5,
        "on_time_counts": [1, 2],
    }
    # the day before C was closed: A on time, nothing late, B and C open and not yet overdue
    with _at(24, 11):
        day = client.get(
            f"{API}/stats?date_from=2026-11-23&date_to=2026-11-24", headers=world["staff"]
        ).get_json()["hotline"]
    assert (day["closed"], day["on_time"], day["open"], day["overdue"]) == (1, 1, 2, 0)
    assert day["on_time_rate"] == 1.0


def test_the_hotline_figures_at_the_exact_boundaries(client, world):
    """The figures are one SQL aggregate: a ticket resolved at its deadline's very second is on
    time, one resolved at the period's end is not yet closed, a deadline equal to `as_of` is not
    yet overdue — for the community (its covering index) and the street (its alleys) alike."""
    from datetime import timedelta

    from core.figures import hotline
    from models import Area

    with _at(23, 9):
        a = register(client, world, ticket_no="2001", ticket_deadline="2026-11-24T12:00:00+08:00")
        b = register(client, world, ticket_no="2002", ticket_deadline="2026-11-25T12:00:00+08:00")
    with _at(24, 12):  # A resolved exactly at its deadline
        res = client.post(
            f"{API}/issues/{a['id']}/resolve", json={"note": "已处理"}, headers=world["staff"]
        )
        assert res.status_code == 200, res.get_json()
    issue = Issue.get_by_id(a["id"])
    community = Area.get_by_id(issue.community_id)
    street = Area.get_by_id(community.parent_id)
    start, done = datetime(2026, 11, 1), issue.resolved_at
    b_deadline = IssueIntake.get(IssueIntake.issue == b["id"]).ticket_deadline
    second = timedelta(seconds=1)

    def counts(area, end, as_of):
        f = hotline.figures(area, start, end, as_of)
        return f["tickets"], f["closed"], f["on_time"], f["open"], f["overdue"]

    for area in (community, street):
        assert counts(area, done, b_deadline) == (2, 0, 0, 2, 1)  # A overdue, B due this second
        assert counts(area, done + second, b_deadline) == (2, 1, 1, 1, 0)
        assert counts(area, done + second, b_deadline + second) == (2, 1, 1, 1, 1)


def test_the_ledger_marks_hotline_tickets_as_superior_and_counts_them(client, world, tickets):
    with _at(26, 10):
        res = client.get(
            f"{API}/ledger.xlsx?date_from=2026-11-23&date_to=2026-11-26", headers=world["staff"]
        )
    assert res.status_code == 200
    wb = load_workbook(io.BytesIO(res.data))
    ws = wb["诉求台账"]
    header = [c.value for c in ws[2]]
    rows = {
        r[header.index("编号")]: dict(zip(header, r, strict=True))
        for r in ws.iter_rows(min_row=3, values_only=True)
    }
    a, b, c, d = (rows[tickets[k]["number"]] for k in "abcd")
    assert (a["件别"], a["来源"], a["工单号"], a["按时办结"]) == (
        "上级转办件",
        "12345 热线",
        "1001",
        "是",
    )
    assert a["转办期限"] == datetime(2026, 11, 24, 23, 59, 59)
    assert (c["工单号"], c["按时办结"]) == ("1003", "否")
    assert c["转办期限"] == datetime(2026, 11, 24, 12, 0)
    assert (b["工单号"], b["按时办结"]) == ("1002", None)  # not closed: an empty cell
    assert b["转办期限"] == datetime(2026, 11, 25, 9, 0)
    assert (d["件别"], d["来源"], d["工单号"], d["转办期限"]) == ("社区受理", "电话", None, None)
    summary = {r[0]: r[1] for r in wb["汇总"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert summary["上级转办件（12345）"] == 3
    assert summary["上级转办件 办结"] == 2 and summary["上级转办件 按时办结"] == 1
    assert summary["按时办结率（上级转办件）"] == 0.5
    # the residents' names and phones stay out of the spreadsheet
    text = " ".join(str(v) for sheet in wb for r in sheet.iter_rows(values_only=True) for v in r)
    assert NAME not in text and PHONE not in text


# --- the console -------------------------------------------------------------------------------


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, "JPEG")
    return buf.getvalue()


def _form(world, token, **extra) -> dict:
    form = {
        "csrf_token": token,
        "source": "hotline",
        "ticket_no": "2611230001",
        "ticket_deadline": "2026-11-25",
        "contact_name": NAME,
        "contact_phone": "139 1234 5678",
        "alley_id": str(world["alley"].id),
        "category": "环境卫生",
        "content": "巷口垃圾三天没人清运",
    }
    form.update(extra)
    return form


def test_the_console_form_registers_with_photos_and_shows_a_repeat_the_first(app, world):
    with _at(23, 9):  # the session and the form's token are signed with the time: one clock
        client = console_login(app.test_client(), "zhangsan")
        page = client.get("/console/issues/new")
        assert page.status_code == 200 and "代居民登记" in page.get_data(as_text=True)
        token = csrf(client, "/console/issues/new")
        form = _form(world, token, photos=[(io.BytesIO(_jpeg()), "a.jpg")])
        res = client.post("/console/issues/new", data=form, content_type="multipart/form-data")
    assert res.status_code == 302
    issue = Issue.get(Issue.source == "hotline")
    assert res.headers["Location"].endswith(f"/console/issues/{issue.id}")
    assert len(issue.photo_ids) == 1 and issue.contact_phone == PHONE
    assert issue.deadline == datetime(2026, 11, 25, 15, 59, 59)
    with _at(23, 10):
        shown = client.get(f"/console/issues/{issue.id}").get_data(as_text=True)
        assert "上级转办件" in shown and "工单号 2611230001" in shown and NAME in shown
        assert "代居民登记" in shown and "12345 热线，工单号 2611230001" in shown
        # the same number again: refused, with a link to the first; nothing more written
        again = client.post("/console/issues/new", data=_form(world, token))
    html = again.get_data(as_text=True)
    assert again.status_code == 409 and f"/console/issues/{issue.id}" in html
    assert issue.number in html and Issue.select().count() == 1


def test_the_console_form_keeps_what_was_typed_and_says_which_field_is_wrong(app, world):
    with _at(23, 9):
        client = console_login(app.test_client(), "zhangsan")
        token = csrf(client, "/console/issues/new")
        res = client.post(
            "/console/issues/new",
            data=_form(
                world, token, contact_phone="12345", photos=[(io.BytesIO(_jpeg()), "a.jpg")]
            ),
            content_type="multipart/form-data",
        )
    html = res.get_data(as_text=True)
    assert res.status_code == 400 and "居民电话：请填写正确的手机号" in html
    assert 'value="2611230001"' in html and "巷口垃圾三天没人清运" in html
    # refused before the photo was stored: nothing at all written
    from models import Media

    assert Issue.select().count() == 0 and Media.select().count() == 0
    # without the form's token nothing happens either
    forged = client.post("/console/issues/new", data=_form(world, "forged"))
    assert forged.status_code in (400, 403) and Issue.select().count() == 0


def test_the_staff_list_shows_how_each_item_came_in(client, world):
    ticket = register(client, world)
    body = {"board_code": world["d"].boards[0].code, "category": "环境卫生", "content": "垃圾"}
    scanned = client.post(f"{API}/issues", json=body, headers=world["resident"]).get_json()
    listed = client.get(f"{API}/issues?scope=area", headers=world["staff"]).get_json()["items"]
    by_id = {i["id"]: i for i in listed}
    assert by_id[ticket["id"]]["intake"]["ticket_no"] == "2611230001"
    assert by_id[ticket["id"]]["intake"]["contact_name"] == NAME
    assert by_id[scanned["id"]]["intake"] is None and by_id[scanned["id"]]["source"] == "resident"


def test_the_dashboard_shows_the_on_time_rate_of_hotline_tickets(app, world, tickets):
    with _at(26, 10):
        client = console_login(app.test_client(), "zhangsan")
        html = client.get("/console/?from=2026-11-23&to=2026-11-26").get_data(as_text=True)
    assert "按时办结率（上级转办件）" in html
    assert "按时办结 1 件 / 办结 2 件 · 转办 3 件 · 超期未办结 1 件" in html
