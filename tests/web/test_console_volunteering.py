"""志愿服务 in the console: the volunteer directory and 双报到 confirmation, units and teams,
publishing an activity and checking people in and out, certifying records in bulk, a certified
record that no form can change (only 更正), the year-end grading and its workbook; another
community's staff get 403/404 and change nothing; every form needs its CSRF token. The same
pages in a real browser, screenshotted, at the end."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from openpyxl import load_workbook

from models import Activity, Event, PointEntry, ServiceRecord, ServiceUnit, Volunteer
from tests.browser.test_scan_browser import browser, chromium  # noqa: F401  (fixtures)
from tests.console_world import build, console_login, csrf
from tests.factories import login, login_steward
from tests.live import console_live  # noqa: F401  (fixture)

API = "/api/v1"
START = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # 09:00 Beijing time


@pytest.fixture
def world(capp):
    return build(capp)


def _volunteer(capp, w, name="张三", party=False):
    api = capp.test_client()
    headers = login(api, f"志愿者{name}")
    body = {"community_id": w.d.communities[0].id, "name": name, "phone": "13812345678"}
    if party:
        unit = api.post(
            f"{API}/service-units",
            json={"name": "区税务局"},
            headers={"Authorization": _staff_token(api)},
        ).get_json()
        body.update(party_member=True, unit_id=unit["id"])
    res = api.post(f"{API}/volunteers", json=body, headers=headers)
    assert res.status_code == 201, res.get_json()
    return headers, res.get_json()


def _staff_token(api) -> str:
    res = api.post(
        f"{API}/auth/password", json={"username": "secretary1", "password": "password123"}
    )
    return f"Bearer {res.get_json()['token']}"


def _flash(html: str) -> list[str]:
    return re.findall(r'<div class="flash \w+" role="status">([^<]*)</div>', html)


def test_directory_party_confirmation_units_and_teams(capp, world):
    w = world
    _, vol = _volunteer(capp, w, "张三", party=True)
    c = console_login(capp.test_client(), "secretary1")
    page = c.get("/console/service/volunteers").get_data(as_text=True)
    assert "张三" in page and "13812345678" in page and "待确认" in page
    # another community's staff: not in their list, cannot confirm, nothing changes
    other = console_login(capp.test_client(), "secretary2")
    assert "张三" not in other.get("/console/service/volunteers").get_data(as_text=True)
    token = csrf(other, "/console/service/volunteers")
    res = other.post(
        f"/console/service/volunteers/{vol['id']}/party", data={"approve": "1", "csrf_token": token}
    )
    assert res.status_code == 404
    c1 = w.d.communities[0].id
    assert other.get(f"/console/service/volunteers?community={c1}").status_code == 403
    # no CSRF token: refused
    res = c.post(f"/console/service/volunteers/{vol['id']}/party", data={"approve": "1"})
    assert res.status_code == 400
    assert Volunteer.get_by_id(vol["id"]).party_status == "pending"
    token = csrf(c, "/console/service/volunteers")
    res = c.post(
        f"/console/service/volunteers/{vol['id']}/party",
        data={"approve": "1", "csrf_token": token},
        follow_redirects=True,
    )
    assert "张三的在职党员报到已确认" in _flash(res.get_data(as_text=True))
    assert Volunteer.get_by_id(vol["id"]).party_status == "confirmed"
    assert Event.select().where(Event.action == "volunteer.party_confirm").count() == 1
    res = c.post(
        "/console/service/volunteers",
        data={"kind": "team", "name": "党员先锋队", "leader": "李", "csrf_token": token},
        follow_redirects=True,
    )
    assert "已建立志愿服务队“党员先锋队”" in _flash(res.get_data(as_text=True))
    res = c.post(
        "/console/service/volunteers",
        data={"kind": "unit", "name": "区税务局", "csrf_token": token},
        follow_redirects=True,
    )
    assert _flash(res.get_data(as_text=True)) == ["本社区已有同名单位"]
    unit = ServiceUnit.get(ServiceUnit.name == "区税务局")
    res = other.post(
        "/console/service/volunteers",
        data={
            "kind": "unit_active",
            "id": unit.id,
            "active": "0",
            "csrf_token": csrf(other, "/console/service/volunteers"),
        },
        follow_redirects=True,
    )
    assert (
        _flash(res.get_data(as_text=True)) == ["找不到该单位"]
        and ServiceUnit.get_by_id(unit.id).active
    )
    res = c.post(
        "/console/service/volunteers",
        data={"kind": "unit_active", "id": unit.id, "active": "0", "csrf_token": token},
        follow_redirects=True,
    )
    assert _flash(res.get_data(as_text=True)) == ["“区税务局”已停用"]
    assert not ServiceUnit.get_by_id(unit.id).active


def test_activity_attendance_certify_and_a_certified_record_is_frozen(capp, world):
    w = world
    headers, vol = _volunteer(capp, w)
    with time_machine.travel(START - timedelta(days=1), tick=False):
        c = console_login(capp.test_client(), "secretary1")  # a session lasts a working day
        token = csrf(c, "/console/service/activities")
        res = c.post(
            "/console/service/activities",
            data={
                "title": "敬老院义务理发",
                "place": "社区敬老院",
                "starts_at": "2026-12-05T09:00",
                "ends_at": "2026-12-05T11:00",
                "capacity": "5",
                "csrf_token": token,
            },
        )
        assert res.status_code == 302
        activity = Activity.get()
        assert activity.starts_at == START.replace(tzinfo=None)
        api = capp.test_client()
        assert (
            api.post(f"{API}/activities/{activity.id}/signup", headers=headers).status_code == 200
        )
    with time_machine.travel(START + timedelta(days=1), tick=False):
        c = console_login(capp.test_client(), "secretary1")
        url = f"/console/service/activities/{activity.id}"
        page = c.get(url).get_data(as_text=True)
        assert "张三" in page and "13812345678" in page
        token = csrf(c, url)
        for action, at in (("check_in", "2026-12-05T09:05"), ("check_out", "2026-12-05T10:40")):
            res = c.post(
                url,
                data={"action": action, "volunteer_id": vol["id"], "at": at, "csrf_token": token},
                follow_redirects=True,
            )
        assert "已签退，服务时长 1.5 小时（待认证）" in _flash(res.get_data(as_text=True))
    record = ServiceRecord.get()
    c = console_login(capp.test_client(), "secretary1")
    token = csrf(c, url)
    res = c.post(
        url, data={"action": "cancel", "reason": "", "csrf_token": token}, follow_redirects=True
    )
    assert _flash(res.get_data(as_text=True)) == ["原因：必填"]
    res = c.post(
        url,
        data={"action": "cancel", "reason": "天气原因", "csrf_token": token},
        follow_redirects=True,
    )
    assert _flash(res.get_data(as_text=True)) == ["活动已取消"]
    assert Activity.get_by_id(activity.id).status == "cancelled"
    # another community's staff cannot open or change it
    other = console_login(capp.test_client(), "secretary2")
    assert other.get(f"/console/service/records/{record.id}").status_code == 404
    assert other.get(url).status_code == 404
    token2 = csrf(other, "/console/service/records")
    res = other.post(
        "/console/service/records/certify",
        data={"ids": [record.id], "csrf_token": token2, "community": w.d.communities[1].id},
        follow_redirects=True,
    )
    assert ServiceRecord.get_by_id(record.id).status == "pending"
    # bulk certify from the list
    token = csrf(c, "/console/service/records")
    res = c.post(
        "/console/service/records/certify",
        data={"ids": [record.id], "csrf_token": token},
        follow_redirects=True,
    )
    assert "已认证 1 条服务记录，时长已记入时间银行" in _flash(res.get_data(as_text=True))
    assert PointEntry.get(PointEntry.key == f"service_record:{record.id}").points == 2
    # a certified record: no edit form, and a forged edit or second certify changes nothing
    rurl = f"/console/service/records/{record.id}"
    page = c.get(rurl).get_data(as_text=True)
    assert 'value="edit"' not in page and 'value="correct"' in page
    token = csrf(c, rurl)
    res = c.post(
        rurl, data={"action": "edit", "hours": "8", "csrf_token": token}, follow_redirects=True
    )
    assert _flash(res.get_data(as_text=True)) == ["该服务记录已认证，不能修改；如有错误请提交更正"]
    res = c.post(rurl, data={"action": "certify", "csrf_token": token}, follow_redirects=True)
    assert _flash(res.get_data(as_text=True)) == ["该服务记录已认证"]
    assert ServiceRecord.get_by_id(record.id).hours == Decimal("1.5")
    # one service-hour entry (the world's resolved issues earn duty points of their own)
    assert PointEntry.select().where(PointEntry.rule == "service_hour").count() == 1
    # 更正: a reason is required; then a reversing record and the points reversed
    res = c.post(
        rurl, data={"action": "correct", "reason": "", "csrf_token": token}, follow_redirects=True
    )
    assert "更正须写明原因" in _flash(res.get_data(as_text=True))[0]
    res = c.post(
        rurl,
        data={"action": "correct", "reason": "签退时间记错", "hours": "1", "csrf_token": token},
        follow_redirects=True,
    )
    assert "已更正" in _flash(res.get_data(as_text=True))[0]
    reversal = ServiceRecord.get(ServiceRecord.reverses == record.id)
    assert reversal.hours == Decimal("-1.5") and reversal.status == "certified"
    assert PointEntry.get(PointEntry.reverses.is_null(False)).points == -2
    listing = c.get("/console/service/records").get_data(as_text=True)
    assert "冲销" in listing and "已更正" in listing and "签退时间记错" in listing


def test_hours_typed_as_not_a_number_are_refused_in_chinese_not_a_server_error(capp, world):
    """The console's forms hand the typed text to the records as it is: "nan" (which Python's
    Decimal reads as a number that cannot be compared) once made a 500."""
    w = world
    record = ServiceRecord.create(
        community=w.d.communities[0],
        steward=w.d.stewards[0],
        person_name="管家11",
        source_type="patrol",
        source_key="console:nan",
        title="街巷巡查",
        served_on=START.date(),
        hours=1,
        organiser=w.d.communities[0].name,
    )
    c = console_login(capp.test_client(), "secretary1")
    rurl = f"/console/service/records/{record.id}"
    token = csrf(c, rurl)
    for typed in ("nan", "NaN"):
        res = c.post(
            rurl,
            data={"action": "edit", "hours": typed, "csrf_token": token},
            follow_redirects=True,
        )
        assert res.status_code == 200
        assert _flash(res.get_data(as_text=True)) == ["时长：须为数字"]
    assert ServiceRecord.get_by_id(record.id).hours == Decimal("1.0")


def test_grading_in_the_console(capp, world):
    w = world
    _, vol = _volunteer(capp, w, "李四", party=True)
    Volunteer.update(party_status="confirmed").where(Volunteer.id == vol["id"]).execute()
    c = console_login(capp.test_client(), "secretary1")
    token = csrf(c, "/console/service/gradings?year=2026")
    res = c.post(
        "/console/service/gradings",
        data={"year": "2026", "csrf_token": token},
        follow_redirects=True,
    )
    html = res.get_data(as_text=True)
    assert "已按 2026 年已认证时长为 1 名在职党员生成建议等次" in _flash(html)
    grading_id = int(re.search(r'id="grading-(\d+)"', html).group(1))
    res = c.post(
        f"/console/service/gradings/{grading_id}",
        data={"grade": "较好", "reason": "", "year": "2026", "csrf_token": token},
        follow_redirects=True,
    )
    assert _flash(res.get_data(as_text=True)) == ["原因：评定等次与建议不同，请写明原因"]
    res = c.post(
        f"/console/service/gradings/{grading_id}",
        data={"grade": "一般", "reason": "社区活动组织者", "year": "2026", "csrf_token": token},
        follow_redirects=True,
    )
    assert "李四：评定为“一般”" in _flash(res.get_data(as_text=True))
    res = c.get("/console/service/gradings.xlsx?year=2026")
    book = load_workbook(io.BytesIO(res.data))
    rows = list(book["区税务局"].iter_rows(min_row=3, values_only=True))
    assert rows[0][:7] == ("李四", "区税务局", None, 0, "差", "一般", "社区活动组织者")
    other = console_login(capp.test_client(), "secretary2")
    token2 = csrf(other, "/console/service/gradings")
    res = other.post(
        f"/console/service/gradings/{grading_id}",
        data={"grade": "好", "reason": "x", "csrf_token": token2},
        follow_redirects=True,
    )
    assert _flash(res.get_data(as_text=True)) == ["找不到该评定"]


# --- in a real browser -------------------------------------------------------------------------


@pytest.mark.browser
def test_service_pages_in_a_browser(browser, console_live):  # noqa: F811
    app, base, w = console_live
    headers, vol = _volunteer(app, w, "王五", party=True)
    api = app.test_client()
    later = datetime.now(UTC) + timedelta(days=3)
    res = api.post(
        f"{API}/activities",
        json={
            "title": "敬老院义务理发",
            "place": "社区敬老院",
            "starts_at": later.isoformat(),
            "ends_at": (later + timedelta(hours=2)).isoformat(),
            "capacity": 2,
        },
        headers={"Authorization": _staff_token(api)},
    )
    activity = res.get_json()
    api.post(f"{API}/activities/{activity['id']}/signup", headers=headers)
    patrol = api.post(
        f"{API}/patrols", json={"note": "巡查"}, headers=login_steward(api, w.d.stewards[0])
    )
    assert patrol.status_code == 201
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/console/login")
    page.fill("input[name=username]", "secretary1")
    page.fill("input[name=password]", "password123")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.click("text=志愿服务")
    assert "王五" in page.inner_text("main")
    page.click("text=确认报到")
    assert "已确认" in page.inner_text(".flash")
    page.screenshot(path="/tmp/console-service-volunteers.png", full_page=True)
    page.click("nav.tabs >> text=活动")
    page.click(f"text={activity['title']}")
    assert "王五" in page.inner_text("main")
    page.screenshot(path="/tmp/console-service-activity.png", full_page=True)
    page.click("nav.tabs >> text=服务记录")
    assert "街巷巡查" in page.inner_text("table")
    page.screenshot(path="/tmp/console-service-records.png", full_page=True)
    page.click("nav.tabs >> text=年度评定")
    page.click("text=按已认证时长生成建议")
    assert "王五" in page.inner_text("table")
    page.screenshot(path="/tmp/console-service-gradings.png", full_page=True)
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    context.close()
