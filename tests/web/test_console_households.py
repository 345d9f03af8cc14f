"""包联户 in the console: scoped lists and cards (another community's staff get 404), every
read audited, edits, plans and visits through CSRF-protected forms, the import (dry run, then
confirm), and a look at the card in a real browser."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from PIL import Image

from core.households import cards, plans
from core.media import media_path, media_url
from core.people.permissions import Principal
from models import CarePlan, Event, Household, Media, StaffAccount, User, Visit
from tests.browser.helpers import signed_in
from tests.browser.test_scan_browser import browser, chromium  # noqa: F401  (fixtures)
from tests.conftest import make_app
from tests.console_world import build, console_login, csrf
from tests.factories import gps_jpeg, jpeg_bytes
from tests.live import serving

SH = ZoneInfo("Asia/Shanghai")


def _staff_principal(account):
    return Principal.for_user(User.get_by_id(account.user_id))


def seed(w):
    p = _staff_principal(w.admin)
    d = w.d
    made = {}
    for name, alley, steward, head, phone in (
        ("h1", d.alleys[0], d.stewards[0], "王大爷", "13811112222"),
        ("h2", d.alleys[1], d.stewards[1], "李奶奶", "13811113333"),
        ("h4", d.alleys[2], d.stewards[2], "孙婆婆", "13811115555"),
    ):
        made[name] = cards.create(
            p,
            {
                "alley_id": alley.id,
                "steward_id": steward.id,
                "address": f"{alley.name}{len(made) + 1}号",
                "head_name": head,
                "head_phone": phone,
                "members": [{"name": "小明", "relation": "孙子", "birth_year": 2015}],
                "tags": ["留守儿童", "低保"],
                "notes": "父母在外务工",
            },
        )
    plans.create(
        p,
        made["h1"].id,
        {
            "group": "留守儿童",
            "plan": "每周辅导作业一次",
            "interval_days": 7,
            "member_name": "小明",
            "volunteer_name": "刘老师",
            "volunteer_phone": "13700001111",
        },
    )
    return made


@pytest.fixture
def world(app):
    w = build(app)
    return w, seed(w)


def test_lists_and_cards_are_scoped_and_audited(app, world):
    w, h = world
    client = console_login(app.test_client(), "secretary1")
    page = client.get("/console/households").get_data(as_text=True)
    assert "王大爷" in page and "李奶奶" in page and "孙婆婆" not in page
    event = Event.select().where(Event.action == "household.list").order_by(Event.id.desc()).first()
    assert sorted(event.data["ids"]) == sorted([h["h1"].id, h["h2"].id])
    assert event.data["via"] == "console"
    filtered = client.get(f"/console/households?steward={w.d.stewards[1].id}").get_data(
        as_text=True
    )
    assert "李奶奶" in filtered and "王大爷" not in filtered
    card = client.get(f"/console/households/{h['h1'].id}")
    assert card.status_code == 200
    text = card.get_data(as_text=True)
    assert "每周辅导作业一次" in text and "刘老师" in text and "13811112222" in text
    read = Event.select().where(Event.action == "household.read").order_by(Event.id.desc()).first()
    assert read.subject_id == h["h1"].id and read.data["via"] == "console"
    # another community's household does not exist for this secretary
    before = Event.select().where(Event.action == "household.read").count()
    res = client.get(f"/console/households/{h['h4'].id}")
    assert res.status_code == 404 and "孙婆婆" not in res.get_data(as_text=True)
    assert Event.select().where(Event.action == "household.read").count() == before
    other = console_login(app.test_client(), "secretary2")
    assert "王大爷" not in other.get("/console/households").get_data(as_text=True)
    assert other.get(f"/console/households/{h['h1'].id}").status_code == 404
    street = console_login(app.test_client(), "streetadmin")
    page = street.get("/console/households").get_data(as_text=True)
    assert all(n in page for n in ("王大爷", "李奶奶", "孙婆婆"))


def test_edit_plan_visit_through_forms(app, world):
    w, h = world
    client = console_login(app.test_client(), "secretary1")
    hid = h["h1"].id
    token = csrf(client, f"/console/households/{hid}")
    # without the CSRF token nothing changes
    res = client.post(f"/console/households/{hid}/visits", data={"note": "看望"})
    assert res.status_code == 400 and Visit.select().count() == 0
    res = client.post(
        f"/console/households/{hid}/edit",
        data={
            "csrf_token": token,
            "address": h["h1"].address,
            "head_name": "王大爷",
            "head_phone": "13811119999",
            "tags": ["独居老人"],
            "members": "李秀兰/配偶/1950\n小明/孙子/2015",
            "notes": "已装扶手",
            "alley_id": str(w.d.alleys[0].id),
            "steward_id": str(w.d.stewards[0].id),
            "active": "1",
        },
    )
    assert res.status_code == 302
    row = Household.get_by_id(hid)
    assert row.head_phone == "13811119999" and row.tags == ["独居老人"]
    assert [m["name"] for m in row.members] == ["李秀兰", "小明"]
    bad = client.post(
        f"/console/households/{hid}/edit",
        data={"csrf_token": token, "address": "", "head_name": "王大爷"},
        follow_redirects=True,
    )
    assert "地址：不能为空" in bad.get_data(as_text=True)
    assert Household.get_by_id(hid).address == h["h1"].address
    client.post(
        f"/console/households/{hid}/plans",
        data={
            "csrf_token": token,
            "group": "鳏寡孤独",
            "plan": "每月上门一次",
            "interval_days": "30",
        },
    )
    assert CarePlan.select().where(CarePlan.household == hid).count() == 2
    client.post(f"/console/households/{hid}/visits", data={"csrf_token": token, "note": "身体不错"})
    visit = Visit.get()
    assert visit.note == "身体不错" and visit.household_id == hid and visit.user_id is not None
    plan = CarePlan.select().where(CarePlan.group == "鳏寡孤独").get()
    client.post(
        f"/console/household-plans/{plan.id}/edit",
        data={"csrf_token": token, "interval_days": "14", "active": "0"},
    )
    plan = CarePlan.get_by_id(plan.id)
    assert plan.interval_days == 14 and plan.active is False
    # another community's staff cannot post to it either
    other = console_login(app.test_client(), "secretary2")
    token2 = csrf(other, "/console/households")
    res = other.post(f"/console/households/{hid}/visits", data={"csrf_token": token2, "note": "x"})
    assert res.status_code == 404 and Visit.select().count() == 1


def test_import_dry_run_then_confirm(app, world):
    w, _ = world
    client = console_login(app.test_client(), "secretary1")
    buf = io.StringIO()
    csv.writer(buf).writerows(
        [
            ["社区", "街巷", "管家手机号", "地址", "户主", "标签"],
            ["第1社区", "1区1巷", w.d.stewards[0].phone, "1区1巷20号", "周大姐", "残疾"],
        ]
    )
    data = buf.getvalue().encode("utf-8-sig")
    token = csrf(client, "/console/households/import")
    res = client.post(
        "/console/households/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), "hh.csv")},
        content_type="multipart/form-data",
    )
    page = res.get_data(as_text=True)
    assert res.status_code == 200 and "新增 1 户" in page and "确认导入" in page
    assert not Household.select().where(Household.head_name == "周大姐").exists()
    confirm = page.split('name="confirm" value="')[1].split('"')[0]
    res = client.post("/console/households/import", data={"csrf_token": token, "confirm": confirm})
    assert res.status_code == 302 and res.headers["Location"].endswith("import?done=1")
    assert "导入完成" in client.get(res.headers["Location"]).get_data(as_text=True)
    assert Household.get(Household.head_name == "周大姐").steward_id == w.d.stewards[0].id
    # a row in the other community is refused for this secretary
    buf = io.StringIO()
    csv.writer(buf).writerows(
        [
            ["社区", "街巷", "管家手机号", "地址", "户主"],
            ["第2社区", "2区1巷", w.d.stewards[2].phone, "2区1巷9号", "吴"],
        ]
    )
    res = client.post(
        "/console/households/import",
        data={"csrf_token": token, "file": (io.BytesIO(buf.getvalue().encode()), "x.csv")},
        content_type="multipart/form-data",
    )
    assert res.status_code == 400 and "第2行 社区：不在您的管辖范围内" in res.get_data(as_text=True)


@pytest.mark.browser
def test_household_pages_in_a_browser(browser, tmp_path):  # noqa: F811
    app = make_app(tmp_path)
    with app.app_context():
        w = build(app)
        h = seed(w)
        with serving(app, close_db=True) as base, signed_in(browser, base) as page:
            page.click("nav >> text=包联户")
            assert page.locator("table.grid tbody tr").count() == 2
            page.screenshot(path="/tmp/console-households.png", full_page=True)
            page.click(f"a[href='/console/households/{h['h1'].id}']")
            page.fill("textarea[name=note]", "上门看望，孩子作业已完成")
            with page.expect_navigation():
                page.click("aside form:has(textarea[name=note]) button[type=submit]")
            assert "走访已登记" in page.content()
            assert page.locator("ol.timeline li").first.inner_text().find("上门看望") >= 0
            widths = page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1]
            page.screenshot(path="/tmp/console-household.png", full_page=True)


def test_register_a_household_from_the_console(app, world):
    w, _ = world
    client = console_login(app.test_client(), "secretary1")
    page = client.get("/console/households/new")
    assert page.status_code == 200 and "登记一户" in page.get_data(as_text=True)
    token = csrf(client, "/console/households/new")
    res = client.post(
        "/console/households/new",
        data={
            "csrf_token": token,
            "alley_id": str(w.d.alleys[1].id),
            "steward_id": str(w.d.stewards[1].id),
            "address": "1区2巷30号",
            "head_name": "郑阿姨",
            "tags": ["空巢老人"],
            "members": "",
        },
    )
    assert res.status_code == 302
    row = Household.get(Household.head_name == "郑阿姨")
    assert (row.alley_id, row.steward_id, row.tags) == (
        w.d.alleys[1].id,
        w.d.stewards[1].id,
        ["空巢老人"],
    )
    # an alley of another community is out of reach
    res = client.post(
        "/console/households/new",
        data={
            "csrf_token": token,
            "alley_id": str(w.d.alleys[2].id),
            "steward_id": str(w.d.stewards[2].id),
            "address": "x",
            "head_name": "y",
        },
        follow_redirects=True,
    )
    assert "该街巷不在您的管辖范围内" in res.get_data(as_text=True)
    assert not Household.select().where(Household.head_name == "y").exists()
    assert "必填列：社区、街巷、管家手机号、地址、户主" in client.get(
        "/console/households/import"
    ).get_data(as_text=True)


def test_a_visit_has_a_date_a_kind_and_names_the_person(app, world):
    w, h = world
    StaffAccount.update(display_name="周强").where(StaffAccount.id == w.staff.id).execute()
    hid = h["h1"].id
    url = f"/console/households/{hid}"
    with time_machine.travel(datetime(2026, 12, 7, 10, 0, tzinfo=SH), tick=False):
        client = console_login(app.test_client(), "secretary1")
        token = csrf(client, url)
        page = client.get(url).get_data(as_text=True)
        assert 'name="visited_on" value="2026-12-07" max="2026-12-07"' in page
        assert '<option value="phone">电话</option>' in page
        post = client.post
        data = {
            "csrf_token": token,
            "note": "电话问候",
            "kind": "phone",
            "visited_on": "2026-12-05",
        }
        post(f"{url}/visits", data=data)
        # tomorrow, an unknown kind, a date that is no date: each refused, nothing written
        for bad in ({"visited_on": "2026-12-08"}, {"kind": "letter"}, {"visited_on": "12/5"}):
            res = post(f"{url}/visits", data={**data, **bad}, follow_redirects=True)
            assert 'class="flash error"' in res.get_data(as_text=True), bad
        post(
            f"{url}/visits", data={"csrf_token": token, "note": "上门", "visited_on": "2026-12-07"}
        )
    first, second = Visit.select().order_by(Visit.visited_at)
    assert first.kind == "phone" and first.note == "电话问候"
    assert first.visited_at == datetime(2026, 12, 5, 4, 0)  # noon in Shanghai, kept in UTC
    assert second.kind == "home" and second.visited_at == datetime(2026, 12, 7, 2, 0)
    assert first.visitor_label == "社区 周强"  # the person, not the community
    # the session was opened at the travelled-to time; read the page there too, or a real clock
    # more than SESSION_HOURS away from it sees an expired (or not yet begun) session
    with time_machine.travel(datetime(2026, 12, 7, 10, 5, tzinfo=SH), tick=False):
        page = client.get(url).get_data(as_text=True)
    assert '社区 周强</b> <span class="tag">电话</span>' in page


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (30, 40), "orange").save(buf, "PNG")
    return buf.getvalue()


def _post_visit(client, token, hid, photos, **fields):
    data = {"csrf_token": token, "note": "上门看望", "visited_on": "", "kind": "home", **fields}
    data["photos"] = [(io.BytesIO(body), name) for name, body in photos]
    return client.post(
        f"/console/households/{hid}/visits", data=data, content_type="multipart/form-data"
    )


def test_a_visits_photos_lose_their_exif_and_show_on_the_card(app, world):
    w, h = world
    hid = h["h1"].id
    client = console_login(app.test_client(), "secretary1")
    token = csrf(client, f"/console/households/{hid}")
    res = _post_visit(client, token, hid, [("门口.jpg", gps_jpeg()), ("厨房.png", png_bytes())])
    assert res.status_code == 302, res.get_data(as_text=True)[:500]
    visit = Visit.get()
    assert len(visit.photo_ids) == 2
    for media in Media.select().where(Media.id.in_(visit.photo_ids)):
        assert media.uploaded_by_id == w.staff.user_id
        for thumb in (False, True):
            stored = media_path(media, thumb).read_bytes()
            assert b"Exif" not in stored and b"Canon" not in stored
            assert not Image.open(io.BytesIO(stored)).getexif()
    page = client.get(f"/console/households/{hid}").get_data(as_text=True)
    timeline = page.split('<ol class="timeline">')[1].split("</ol>")[0]
    for media in Media.select():
        assert f'<img src="{media_url(media, thumb=True)}"' in timeline
        assert f'href="{media_url(media)}"' in timeline
    # audited as a visit by this person, each photo an upload of theirs
    event = Event.get(Event.action == "household.visit")
    assert event.actor_id == w.staff.user_id and event.data["visit_id"] == visit.id
    assert Event.select().where(Event.action == "media.upload").count() == 2


def test_a_visit_form_refuses_a_file_that_is_no_photo_and_keeps_what_was_typed(app, world):
    _, h = world
    hid = h["h1"].id
    url = f"/console/households/{hid}"
    with time_machine.travel(datetime(2026, 12, 7, 10, 0, tzinfo=SH), tick=False):
        client = console_login(app.test_client(), "secretary1")
        token = csrf(client, url)
        fields = {"note": "老人说暖气不热", "visited_on": "2026-12-05", "kind": "phone"}
        res = _post_visit(client, token, hid, [("记录.txt", b"not a photo at all")], **fields)
    page = res.get_data(as_text=True)
    assert res.status_code == 415
    assert '<div class="flash error"' in page and "照片：记录.txt 只支持 JPG、PNG、WebP" in page
    assert ">老人说暖气不热</textarea>" in page
    assert 'name="visited_on" value="2026-12-05"' in page
    assert '<option value="phone" selected>电话</option>' in page
    assert Visit.select().count() == 0 and Media.select().count() == 0


def test_a_visit_form_refuses_an_oversized_photo(app, world):
    _, h = world
    hid = h["h1"].id
    client = console_login(app.test_client(), "secretary1")
    token = csrf(client, f"/console/households/{hid}")
    limit = app.config["MAX_UPLOAD_BYTES"]
    # one byte over the photo limit, inside the request limit: read, refused, the note kept
    big = gps_jpeg() + b"\x00" * limit
    big = big[: limit + 1]
    res = _post_visit(client, token, hid, [("大图.jpg", big)], note="楼道灯坏了")
    page = res.get_data(as_text=True)
    assert res.status_code == 413
    assert "照片：大图.jpg 图片不能超过 10 MB" in page and ">楼道灯坏了</textarea>" in page
    # over the request limit: refused unread, back to the page with the reason
    huge = b"\xff\xd8" + b"\x00" * app.config["MAX_CONTENT_LENGTH"]
    res = client.post(
        f"/console/households/{hid}/visits",
        data={"csrf_token": token, "note": "x", "photos": [(io.BytesIO(huge), "巨图.jpg")]},
        content_type="multipart/form-data",
        headers={"Referer": f"http://localhost/console/households/{hid}"},
    )
    assert res.status_code == 302 and res.headers["Location"].endswith(f"/console/households/{hid}")
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "照片/文件：一次提交合计不能超过 10 MB" in page
    # sent from elsewhere (no page of ours to go back to): a page saying why
    res = client.post(
        f"/console/households/{hid}/visits",
        data={"csrf_token": token, "photos": [(io.BytesIO(huge), "巨图.jpg")]},
        content_type="multipart/form-data",
        headers={"Referer": "https://elsewhere.example.com/"},
    )
    assert res.status_code == 413 and "一次提交合计不能超过 10 MB" in res.get_data(as_text=True)
    assert Visit.select().count() == 0 and Media.select().count() == 0


def test_another_communitys_staff_cannot_add_photos_or_see_them(app, world):
    _, h = world
    hid = h["h1"].id
    mine = console_login(app.test_client(), "secretary1")
    _post_visit(mine, csrf(mine, f"/console/households/{hid}"), hid, [("a.jpg", gps_jpeg())])
    photo = Media.get()
    other = console_login(app.test_client(), "secretary2")
    token = csrf(other, "/console/households")
    res = _post_visit(other, token, hid, [("b.jpg", jpeg_bytes("blue"))], note="不是我的")
    assert res.status_code == 404
    assert Visit.select().count() == 1 and Media.select().count() == 1
    assert other.get(f"/console/households/{hid}").status_code == 404
    assert media_url(photo, thumb=True) not in other.get("/console/households").get_data(
        as_text=True
    )
