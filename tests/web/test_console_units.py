"""Handling units in the console (web/console/unit_admin.py, unit_desk.py, unit_items.py),
through real HTTP with the Flask test client: 承办单位 (list with counts, create, edit, 停用,
scoped to the area that owns the unit), members (a console login, a bind code, 停用), a
unit member's 本单位待办 and its actions, staff's 吹哨 (unit and tier both chosen), 催办, 督办
and 延期审批 — each hand-off read back from the outbox, each trail line naming who and which
unit. And the refusals: bad input is a 400 naming the field in Chinese, a closed item or one
a colleague closed first is a 409, another unit's item is a 404."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from PIL import Image

from core.delivery import groups
from core.units import members, units
from models import BindCode, ChatGroup, Department, Event, Issue, OutboxMessage
from tests.console_world import UNIT_MEMBER, build, console_login, csrf, every_page
from tests.factories import login
from tests.web.test_console import _item_urls, _state
from tests.web.test_security_headers import assert_html_headers, assert_no_inline

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
PHONE = "13912345678"


@pytest.fixture
def w(capp):
    """The console's world, with the street's 住建办 (two members, its own group), a property
    company of 第1社区 (one member), and staff groups for the street and 第1社区."""
    world = build(capp)
    d = world.d
    zj = units.create(d.street, "住建办", "0731-8888", "罗主任")
    prop = units.create(d.communities[0], "安居物业", "0731-6666", kind="property")
    members.create_member(zj, "zj-luo", "password123", "罗工", "wecom-luo")
    members.create_member(zj, "zj-wang", "password123", "王工", "wecom-wang")
    members.create_member(prop, "wy-zhou", "password123", "周经理")
    ChatGroup.create(area=d.street, name="住建办群", webhook_key="key-unit", unit=zj)
    groups.create(d.communities[0], "key-staff", audience="staff", name="社区工作群")
    ChatGroup.create(area=d.street, name="街道工作群", webhook_key="key-street", audience="staff")
    world.zj, world.prop = zj, prop
    return world


def robot_texts(key: str) -> list[dict]:
    rows = OutboxMessage.select().where(
        (OutboxMessage.kind == "robot") & (OutboxMessage.target == key)
    )
    return [r.payload["text"] for r in rows.order_by(OutboxMessage.id)]


def page(client, url: str) -> str:
    res = client.get(url)
    assert res.status_code == 200, url
    return res.get_data(as_text=True)


def post(client, url: str, data: dict | None = None, *, status: int = 302, files=None):
    """POST a console form with the page's CSRF token; the answer must have `status`."""
    token = csrf(client, "/console/unit/" if url.startswith("/console/unit/") else "/console/")
    body = {**(data or {}), "csrf_token": token}
    if files:
        body.update(files)
    res = client.post(url, data=body, content_type="multipart/form-data")
    assert res.status_code == status, (url, res.status_code, res.get_data(as_text=True)[-600:])
    return res.get_data(as_text=True)


def reported(capp, w, content="3号楼外墙脱落") -> Issue:
    api = capp.test_client()
    body = {
        "board_code": w.d.boards[0].code,
        "category": "设施损坏",
        "content": content,
        "contact_phone": PHONE,
    }
    res = api.post("/api/v1/issues", json=body, headers=login(api, "居民甲"))
    assert res.status_code == 201, res.get_json()
    return Issue.get_by_id(res.get_json()["id"])


def whistled(capp, w, staff, unit=None, tier="important") -> Issue:
    issue = reported(capp, w)
    form = {"unit_id": str((unit or w.zj).id), "tier": tier, "note": "请鉴定维修"}
    post(staff, f"/console/issues/{issue.id}/whistle", form)
    return Issue.get_by_id(issue.id)


def jpeg() -> tuple[io.BytesIO, str]:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buf, "JPEG")
    buf.seek(0)
    return buf, "photo.jpg"


# --- a unit member sees their queue and nothing else ------------------------------------


def test_unit_member_gets_403_or_404_everywhere_but_their_queue(capp):
    """A handling unit's member (core.units) logs into the console for 本单位待办 only: every
    other page — households, points, items, other units — is 403/404, every staff form too,
    and nothing changes. (test_console.py checks another community's staff the same way.)"""
    world = build(capp)
    pages = every_page(capp, world)  # adds a unit with its member UNIT_MEMBER
    client = console_login(capp.test_client(), UNIT_MEMBER)
    own = {"console.unit_queue": 200, "console.dashboard": 302, "console.login": 302}
    public = {"console.cjk_font"}  # the console's font file: no login needed
    gets, posts = _item_urls(world)
    before = _state(world)
    seen = set()
    for endpoint, url in pages:
        if not url.startswith("/console") or endpoint in public:
            continue
        seen.add(endpoint)
        status = client.get(url).status_code
        assert status == own.get(endpoint, status if status in (403, 404) else 0), url
    assert {"console.households", "console.timebank", "console.units_page"} <= seen
    assert client.get("/console/").headers["Location"].endswith("/console/unit/")
    for url in gets:
        res = client.get(url)
        if url.startswith("/console/?"):  # the home page sends them to their queue
            assert res.headers["Location"].endswith("/console/unit/"), url
        else:
            assert res.status_code in (403, 404), url
    token = csrf(client, "/console/unit/")
    staff_forms = posts + [
        (f"/console/issues/{world.open_issue.id}/whistle", {"unit_id": "1", "tier": "major"}),
        (f"/console/issues/{world.open_issue.id}/urge", {"note": "快"}),
        (f"/console/issues/{world.open_issue.id}/supervise", {}),
        ("/console/units", {"area": str(world.d.street.id), "name": "x", "kind": "property"}),
        ("/console/timebank/adjust", {"points": "5"}),
    ]
    for url, form in staff_forms:
        res = client.post(url, data={**form, "csrf_token": token})
        assert res.status_code in (403, 404), url
    assert _state(world) == before


# --- 承办单位 ---------------------------------------------------------------------------------


def test_units_list_counts_and_scope(capp, w):
    staff = console_login(capp.test_client(), "secretary1")
    issue = whistled(capp, w, staff)
    html = page(staff, "/console/units")
    row = html.split(f'id="unit-{w.zj.id}"')[1].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")]
    # name, kind, area, phone, contact, members 2, open 1, overdue 0, not checked in 1
    assert "部门" in row and "0731-8888" in row and "罗主任" in row
    assert cells[5:9] == ["2", "1", "0", "1"], cells
    assert "（第1街道维护）" in row or "维护）" in row  # the street's: read only for the community
    assert f'id="unit-{w.prop.id}"' in html and "物业" in html
    with time_machine.travel(issue.deadline + timedelta(hours=1), tick=False):
        later = console_login(capp.test_client(), "secretary1")  # a day's session has ended
        row = page(later, "/console/units").split(f'id="unit-{w.zj.id}"')[1].split("</tr>")[0]
        assert [c.split(">")[-1] for c in row.split("</td>")][7] == "1"  # overdue now
    # another community's staff: the property company of 第1社区 does not exist for them
    other = console_login(capp.test_client(), "secretary2")
    assert f'id="unit-{w.prop.id}"' not in page(other, "/console/units")
    assert other.get(f"/console/units/{w.prop.id}").status_code == 404
    # a unit's page lists what it holds of the viewer's area only
    assert f'id="held-{issue.id}"' in page(staff, f"/console/units/{w.zj.id}")
    assert f'id="held-{issue.id}"' not in page(other, f"/console/units/{w.zj.id}")
    # the street's unit is the street's to change: a community's staff may not
    post(
        staff, f"/console/units/{w.zj.id}/edit", {"name": "改名", "kind": "department"}, status=403
    )
    post(staff, f"/console/units/{w.zj.id}/active", {"active": "0"}, status=403)
    assert Department.get_by_id(w.zj.id).name == "住建办" and Department.get_by_id(w.zj.id).active


def test_staff_create_edit_and_deactivate_a_unit(capp, w):
    staff = console_login(capp.test_client(), "secretary1")
    c1 = str(w.d.communities[0].id)
    html = post(staff, "/console/units", {"area": c1, "kind": "property", "name": " "}, status=400)
    assert "请填写物业名称" in html and Department.select().count() == 2
    html = post(
        staff, "/console/units", {"area": c1, "kind": "property", "name": "安居物业"}, status=409
    )
    assert "已有物业“安居物业”" in html
    # a community's staff cannot register on the street
    form = {"area": str(w.d.street.id), "kind": "department", "name": "城管"}
    post(staff, "/console/units", form, status=403)
    form = {"area": c1, "kind": "property", "name": "绿城物业", "phone": "0731-1234"}
    post(staff, "/console/units", form)
    unit = Department.get(Department.name == "绿城物业")
    assert unit.kind == "property" and unit.area_id == w.d.communities[0].id
    created = Event.get((Event.action == "department.create") & (Event.subject_id == unit.id))
    assert created.actor_id == w.staff.user_id
    # edit: the phone shown to residents; the audit keeps it from and to
    form = {"name": "绿城物业", "kind": "property", "phone": "0731-9999", "contact_name": "陈"}
    post(staff, f"/console/units/{unit.id}/edit", form)
    event = Event.get(Event.action == "department.update")
    assert event.data["changes"]["phone"] == {"from": "0731-1234", "to": "0731-9999"}
    assert event.actor_id == w.staff.user_id
    html = post(staff, f"/console/units/{unit.id}/edit", {**form, "name": "安居物业"}, status=409)
    assert "已有单位“安居物业”" in html and Department.get_by_id(unit.id).name == "绿城物业"
    # it is offered on the whistle form, until it is deactivated
    issue_url = f"/console/issues/{w.open_issue.id}"
    assert "绿城物业（物业）" in page(staff, issue_url)
    post(staff, f"/console/units/{unit.id}/active", {"active": "0"})
    assert not Department.get_by_id(unit.id).active
    assert Event.get(Event.action == "department.disable").actor_id == w.staff.user_id
    assert "绿城物业（物业）" not in page(staff, issue_url)
    # and the old address of the directory leads here
    assert staff.get("/console/departments").headers["Location"].endswith("/console/units")


def test_members_login_bind_code_and_deactivation(capp, w):
    staff = console_login(capp.test_client(), "secretary1")
    url = f"/console/units/{w.prop.id}/members"
    html = post(staff, url, {"username": "wy-chen", "password": "short"}, status=400)
    assert "密码至少 8 位" in html
    html = post(staff, url, {"username": "zj-luo", "password": "password123"}, status=409)
    assert "该用户名已被使用" in html
    form = {"username": "wy-chen", "password": "password123", "display_name": "陈师傅"}
    post(staff, url, form)
    member = [m for m in units.members_of(w.prop) if m.account.username == "wy-chen"][0]
    assert member.account.role == "unit"
    created = Event.select().where(Event.action == "unit.member_create").order_by(Event.id.desc())
    assert created.first().actor_id == w.staff.user_id
    assert "陈师傅" in page(staff, f"/console/units/{w.prop.id}")
    # the new member logs in and lands on their unit's queue
    chen = capp.test_client()
    console_login(chen, "wy-chen")
    res = chen.get("/console/")
    assert res.status_code == 302 and res.headers["Location"].endswith("/console/unit/")
    assert "安居物业" in page(chen, "/console/unit/")
    # a bind code for the mini program, for this account only
    html = post(staff, f"/console/units/{w.prop.id}/members/{member.id}/bind-code", status=200)
    code = html.split('id="bind-code">')[1].split("<")[0]
    assert len(code) >= 6 and BindCode.get(BindCode.staff == member.account_id).used_at is None
    # 停用: the session ends at once
    post(staff, f"/console/units/{w.prop.id}/members/{member.id}/active", {"active": "0"})
    assert chen.get("/console/unit/").status_code == 302
    assert Event.get(Event.action == "unit.member_disable").actor_id == w.staff.user_id
    # another community's staff cannot touch this unit's members
    other = console_login(capp.test_client(), "secretary2")
    post(
        other, f"/console/units/{w.prop.id}/members/{member.id}/active", {"active": "1"}, status=404
    )


def test_a_deactivated_units_member_is_told_at_login(capp, w):
    zhou = console_login(capp.test_client(), "wy-zhou")
    assert zhou.get("/console/unit/").status_code == 200
    staff = console_login(capp.test_client(), "secretary1")
    post(staff, f"/console/units/{w.prop.id}/active", {"active": "0"})
    assert zhou.get("/console/unit/").status_code == 302  # no longer acts for anyone
    client = capp.test_client()
    form = {"username": "wy-zhou", "password": "password123", "csrf_token": csrf(client)}
    res = client.post("/console/login", data=form)
    assert res.status_code == 403 and "该账号所在的单位已停用" in res.get_data(as_text=True)
    assert client.get("/console/unit/").status_code == 302


# --- 吹哨, 催办, 督办 ----------------------------------------------------------------------------


def test_whistle_needs_a_unit_and_a_tier_and_tells_the_unit(capp, w):
    with time_machine.travel(T0, tick=False):
        _whistle_needs_a_unit_and_a_tier(capp, w)


def _whistle_needs_a_unit_and_a_tier(capp, w):
    staff = console_login(capp.test_client(), "secretary1")
    issue = reported(capp, w)
    url = f"/console/issues/{issue.id}/whistle"
    before = Event.select().count()
    html = post(staff, url, {"unit_id": str(w.zj.id), "note": "请"}, status=400)
    assert "请选择紧急程度" in html
    html = post(staff, url, {"tier": "major", "note": "请"}, status=400)
    assert "请选择承办单位" in html
    assert Event.select().count() == before and Issue.get_by_id(issue.id).status == "submitted"
    post(staff, url, {"unit_id": str(w.zj.id), "tier": "important", "note": "请鉴定"})
    issue = Issue.get_by_id(issue.id)
    assert (issue.status, issue.department_id, issue.priority) == ("whistled", w.zj.id, "important")
    assert issue.deadline == (T0 + timedelta(days=3)).replace(tzinfo=None)
    [text] = robot_texts("key-unit")
    assert text["content"].startswith("【吹哨报到】") and "重要" in text["content"]
    assert text["mentioned_list"] == ["wecom-luo", "wecom-wang"] and PHONE not in text["content"]
    trail = page(staff, f"/console/issues/{issue.id}")
    assert (
        "交 住建办 办理（重要，11月26日 09:00 前办结）：请鉴定" in trail
        and "紧急程度 一般→重要" in trail
    )
    # a closed item cannot be whistled: 409 in words, nothing written
    before = Event.select().count()
    html = post(
        staff,
        f"/console/issues/{w.resolved.id}/whistle",
        {"unit_id": str(w.zj.id), "tier": "major", "note": "请"},
        status=409,
    )
    assert "不能吹哨" in html and Event.select().count() == before


def test_urge_and_supervise_write_their_messages(capp, w):
    staff = console_login(capp.test_client(), "secretary1")
    issue = reported(capp, w)
    # neither before the item is with a unit
    post(staff, f"/console/issues/{issue.id}/urge", {"note": "快"}, status=409)
    post(staff, f"/console/issues/{issue.id}/supervise", {}, status=409)
    issue = whistled(capp, w, staff)
    url = f"/console/issues/{issue.id}"
    post(staff, f"{url}/urge", {"note": " "}, status=400)
    post(staff, f"{url}/urge", {"note": "居民多次反映"})
    texts = robot_texts("key-unit")
    assert texts[-1]["content"].startswith("【催办】") and "居民多次反映" in texts[-1]["content"]
    assert texts[-1]["mentioned_list"] == ["wecom-luo", "wecom-wang"]
    post(staff, f"{url}/supervise", {"note": "两次催办未报到"})
    issue = Issue.get_by_id(issue.id)
    assert issue.supervised_at is not None
    event = Event.get(Event.action == "issue.supervise")
    assert event.actor_id == w.staff.user_id and event.data["unit"] == "住建办"
    [street] = robot_texts("key-street")
    content = street["content"]
    assert content.startswith("【督办】") and "住建办（未报到）" in content
    assert event.actor_label in content and "两次催办未报到" in content and PHONE not in content
    html = page(staff, url)
    assert f"督办</b> {event.actor_label}：提请街道督办 住建办（两次催办未报到）" in html
    assert "催办</b>" in html and "催 住建办：居民多次反映" in html
    html = post(staff, f"{url}/supervise", {}, status=409)
    assert "已于" in html and len(robot_texts("key-street")) == 1


# --- 本单位待办 ---------------------------------------------------------------------------------


def test_member_checks_in_reports_progress_asks_for_time_and_closes(capp, w):
    staff = console_login(capp.test_client(), "secretary1")
    issue = whistled(capp, w, staff)
    luo = console_login(capp.test_client(), "zj-luo")
    queue = page(luo, "/console/unit/")
    assert f'id="issue-{issue.id}"' in queue and "未报到" in queue
    url = f"/console/unit/issues/{issue.id}"
    html = page(luo, url)
    assert PHONE in html and "3号楼外墙脱落" in html  # the private page: the resident's phone
    post(luo, f"{url}/check-in")
    assert Issue.get_by_id(issue.id).checked_in_at is not None
    html = post(luo, f"{url}/check-in", status=409)
    assert "无需重复报到" in html
    post(luo, f"{url}/progress", {"note": " "}, status=400)
    post(luo, f"{url}/progress", {"note": "已到现场"}, files={"photos": [jpeg()]})
    progress = Event.get(Event.action == "issue.progress")
    assert progress.actor_label == "住建办 罗工" and len(progress.data["photo_ids"]) == 1
    html = page(luo, url)
    assert "报到</b> 住建办 罗工" in html and "进展</b> 住建办 罗工：已到现场" in html
    # an extension: more than the maximum is refused, naming the field
    most = capp.config["UNIT_EXTENSION_MAX_DAYS"]
    html = post(luo, f"{url}/extension", {"days": str(most + 1), "reason": "材料"}, status=400)
    assert f"延期天数须为 1 到 {most} 天" in html
    post(luo, f"{url}/extension", {"days": "abc", "reason": "材料"}, status=400)
    post(luo, f"{url}/extension", {"days": "3", "reason": "等材料"})
    deadline = Issue.get_by_id(issue.id).deadline
    staff_page = page(staff, f"/console/issues/{issue.id}")
    assert "申请延期</b> 住建办 罗工：3 天，原因：等材料" in staff_page
    assert "申请延期 3 天：等材料" in staff_page and "同意延期" in staff_page
    post(staff, f"/console/issues/{issue.id}/extension", {"approve": "1"})
    assert Issue.get_by_id(issue.id).deadline == deadline + timedelta(days=3)
    staff_page = page(staff, f"/console/issues/{issue.id}")
    assert "同意延期 3 天" in staff_page and "（同意延期 3 天）" in staff_page
    post(staff, f"/console/issues/{issue.id}/extension", {"approve": "1"}, status=409)
    # 办结 with a result
    post(luo, f"{url}/resolve", {"note": " "}, status=400)
    post(luo, f"{url}/resolve", {"note": "外墙已修复"})
    issue = Issue.get_by_id(issue.id)
    assert issue.status == "resolved" and issue.resolution_note == "外墙已修复"
    resolve = Event.get((Event.action == "issue.resolve") & (Event.subject_id == issue.id))
    assert resolve.actor_label == "住建办 罗工"
    assert f'id="issue-{issue.id}"' in page(luo, "/console/unit/?tab=done")
    assert f'id="issue-{issue.id}"' not in page(luo, "/console/unit/")


def test_staff_refuse_an_extension(capp, w):
    staff = console_login(capp.test_client(), "secretary1")
    issue = whistled(capp, w, staff)
    luo = console_login(capp.test_client(), "zj-luo")
    post(luo, f"/console/unit/issues/{issue.id}/extension", {"days": "5", "reason": "等材料"})
    post(staff, f"/console/issues/{issue.id}/extension", {"approve": "x"}, status=400)
    post(staff, f"/console/issues/{issue.id}/extension", {"approve": "0", "note": "不必"})
    assert Issue.get_by_id(issue.id).deadline == issue.deadline
    assert "不同意延期 5 天（不必）" in page(staff, f"/console/issues/{issue.id}")


def test_two_members_closing_one_wins_the_other_is_409(capp, w):
    staff = console_login(capp.test_client(), "secretary1")
    issue = whistled(capp, w, staff)
    luo = console_login(capp.test_client(), "zj-luo")
    wang = console_login(capp.test_client(), "zj-wang")
    url = f"/console/unit/issues/{issue.id}/resolve"
    tokens = {c: csrf(c, "/console/unit/") for c in (luo, wang)}  # both pages open
    first = luo.post(url, data={"note": "已修复", "csrf_token": tokens[luo]})
    second = wang.post(url, data={"note": "修好了", "csrf_token": tokens[wang]})
    assert first.status_code == 302 and second.status_code == 409
    assert "已不在本单位办理中" in second.get_data(as_text=True)
    assert Issue.get_by_id(issue.id).resolution_note == "已修复"
    resolves = Event.select().where(
        (Event.action == "issue.resolve") & (Event.subject_id == issue.id)
    )
    assert resolves.count() == 1


def test_member_return_tells_the_community(capp, w):
    staff = console_login(capp.test_client(), "secretary1")
    issue = whistled(capp, w, staff)
    luo = console_login(capp.test_client(), "zj-luo")
    url = f"/console/unit/issues/{issue.id}"
    post(luo, f"{url}/return", {"reason": ""}, status=400)
    post(luo, f"{url}/return", {"reason": "属于物业维修范围"})
    issue = Issue.get_by_id(issue.id)
    assert issue.status == "escalated" and issue.department_id is None
    [text] = robot_texts("key-staff")
    assert "【单位退回】住建办 退回" in text["content"] and "属于物业维修范围" in text["content"]
    assert PHONE not in text["content"]
    assert luo.get(url).status_code == 404  # no longer the unit's
    assert "退回社区</b> 住建办 罗工：属于物业维修范围" in page(
        staff, f"/console/issues/{issue.id}"
    )


def test_member_cannot_reach_another_units_item(capp, w):
    staff = console_login(capp.test_client(), "secretary1")
    theirs = whistled(capp, w, staff, unit=w.prop)
    luo = console_login(capp.test_client(), "zj-luo")
    before = Event.select().count()
    assert luo.get(f"/console/unit/issues/{theirs.id}").status_code == 404
    for action, form in (
        ("check-in", {}),
        ("progress", {"note": "x"}),
        ("extension", {"days": "2", "reason": "x"}),
        ("return", {"reason": "x"}),
        ("resolve", {"note": "x"}),
    ):
        post(luo, f"/console/unit/issues/{theirs.id}/{action}", form, status=404)
    assert luo.get(f"/console/unit/issues/{w.open_issue.id}").status_code == 404
    assert f'id="issue-{theirs.id}"' not in page(luo, "/console/unit/")
    assert Event.select().count() == before and Issue.get_by_id(theirs.id).checked_in_at is None
    # staff have no 本单位待办 of their own
    assert staff.get("/console/unit/").status_code == 403
    assert json.dumps(robot_texts("key-unit"), ensure_ascii=False).count("【吹哨报到】") == 0


def test_the_unit_pages_carry_no_inline_script_or_style(capp, w):
    """The pages only a unit member (or only a whistled item) draws, checked as
    test_security_headers checks every page: the CSP allows no inline script or style."""
    staff = console_login(capp.test_client(), "secretary1")
    issue = whistled(capp, w, staff)
    luo = console_login(capp.test_client(), "zj-luo")
    post(luo, f"/console/unit/issues/{issue.id}/extension", {"days": "2", "reason": "等材料"})
    pages = [
        (staff, "/console/units"),
        (staff, f"/console/units/{w.prop.id}"),
        (staff, f"/console/issues/{issue.id}"),  # 延期审批, 催办, 督办
        (luo, "/console/unit/"),
        (luo, f"/console/unit/issues/{issue.id}"),
    ]
    for client, url in pages:
        res = client.get(url)
        assert res.status_code == 200, url
        assert_html_headers(res, url)
        assert_no_inline(res.get_data(as_text=True), url)
    member = units.members_of(w.prop)[0]
    bind = f"/console/units/{w.prop.id}/members/{member.id}/bind-code"
    assert_no_inline(post(staff, bind, status=200), bind)


# --- an issue's page for staff: where it is, which unit has it, the tiers' days ------------------


def test_the_issue_page_names_its_alley_and_the_unit_it_is_with_and_no_unit_before(capp, w):
    staff = console_login(capp.test_client(), "secretary1")
    issue = reported(capp, w)
    html = page(staff, f"/console/issues/{issue.id}")
    assert f"{issue.alley.label_path} · 设施损坏 · 一般 · 期限" in html
    assert "承办单位</dt>" not in html and "催办</h2>" not in html
    # with the property company (created after 住建办): that one is named, and no other
    issue = whistled(capp, w, staff, unit=w.prop)
    html = page(staff, f"/console/issues/{issue.id}")
    assert "<dt>承办单位</dt><dd>安居物业（物业）" in html and "住建办" not in html
    assert "提醒 安居物业 尽快办理" in html


def test_the_whistle_form_states_each_tiers_days_as_configured(capp, w):
    capp.config["DEADLINE_DAYS"] = {"ordinary": 1, "important": 4, "major": 15}
    staff = console_login(capp.test_client(), "secretary1")
    issue = reported(capp, w)
    html = page(staff, f"/console/issues/{issue.id}")
    for words in ("一般（1 天内办结）", "重要（4 天内办结）", "重大（15 天内办结）"):
        assert f'">{words}</option>' in html


def test_an_extension_asked_for_is_no_longer_offered_for_decision_once_the_unit_closed_it(capp, w):
    staff = console_login(capp.test_client(), "secretary1")
    issue = whistled(capp, w, staff)
    luo = console_login(capp.test_client(), "zj-luo")
    url = f"/console/unit/issues/{issue.id}"
    post(luo, f"{url}/extension", {"days": "3", "reason": "等材料"})
    assert "同意延期</button>" in page(staff, f"/console/issues/{issue.id}")
    post(luo, f"{url}/resolve", {"note": "外墙已修复"})
    html = page(staff, f"/console/issues/{issue.id}")
    assert "申请延期</b> 住建办 罗工：3 天，原因：等材料" in html  # the trail keeps it
    assert (
        "延期申请</dt>" not in html and "延期审批" not in html and "同意延期</button>" not in html
    )
