"""The console's 包联户 pages, what they offer and what their forms write: the alley and
steward menus hold only the viewer's own (and a card's own community's), serving stewards by
name; every field of the card form is written; a field left out of the form is empty, never a
made-up value; the card page's members box reads back as typed."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.households import cards
from core.items.lifecycle import MAX_PHOTOS
from core.people import areas
from core.people.permissions import Principal
from models import Household, Steward, StewardAlley, User
from tests.console_world import build, console_login, csrf
from tests.factories import make_staff


def _options(page: str, select: str) -> list[tuple[str, str]]:
    """The (value, label) pairs of the page's `<select name=select>`."""
    found = re.search(rf'<select name="{select}">(.*?)</select>', page, re.S)
    assert found, f"no <select name={select}> on the page"
    return [
        (value, label.strip())
        for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found[1])
    ]


@pytest.fixture
def world(app):
    w = build(app)
    d = w.d
    # a second, serving steward of the first alley whose name sorts before 管家11, added after
    # it (so insertion order is not name order), and a dismissed one who must not be offered
    first = Steward.create(name="丁管家", phone="13900000001")
    StewardAlley.create(steward=first, alley=d.alleys[0])
    gone = Steward.create(name="已离任管家", phone="13900000002", active=False)
    StewardAlley.create(steward=gone, alley=d.alleys[0])
    admin = Principal.for_user(User.get_by_id(w.admin.user_id))
    household = cards.create(
        admin,
        {
            "alley_id": d.alleys[0].id,
            "steward_id": d.stewards[0].id,
            "address": "1区1巷5号",
            "head_name": "王大爷",
            "head_phone": "13811112222",
            "members": [
                {
                    "name": "李秀兰",
                    "relation": "配偶",
                    "birth_year": 1950,
                    "phone": "13811110000",
                    "notes": "证件尾号X",
                },
                {
                    "name": "小明",
                    "relation": "孙子",
                    "birth_year": 2015,
                    "notes": "腿脚不便/需轮椅",
                },
                {"name": "小红"},
            ],
            "tags": ["留守儿童"],
            "notes": "父母在外务工",
        },
    )
    return w, household, first


def test_the_household_list_offers_only_the_viewers_alleys_and_serving_stewards_by_name(app, world):
    w, _, first = world
    d = w.d
    client = console_login(app.test_client(), "secretary1")
    page = client.get("/console/households").get_data(as_text=True)
    alleys = _options(page, "alley")
    assert [label for value, label in alleys if value] == [d.alleys[0].name, d.alleys[1].name]
    assert [value for value, _ in alleys if value] == [str(d.alleys[0].id), str(d.alleys[1].id)]
    stewards = _options(page, "steward")
    assert stewards == [
        ("", "全部"),
        (str(first.id), "丁管家"),
        (str(d.stewards[0].id), "管家11"),
        (str(d.stewards[1].id), "管家12"),
    ]
    # the street sees every community's alleys and stewards
    street = console_login(app.test_client(), "streetadmin")
    page = street.get("/console/households").get_data(as_text=True)
    assert len([v for v, _ in _options(page, "alley") if v]) == len(d.alleys)
    assert "管家21" in [label for _, label in _options(page, "steward")]


def test_staff_of_an_area_without_alleys_are_offered_no_stewards(app, world):
    w, _, _ = world
    empty, _ = areas.child(w.d.street, "community", "新建社区")
    make_staff(empty, username="newcommunity")
    client = console_login(app.test_client(), "newcommunity")
    page = client.get("/console/households").get_data(as_text=True)
    assert _options(page, "steward") == [("", "全部")]
    assert _options(page, "alley") == [("", "全部")]


def test_a_card_offers_the_alleys_and_stewards_of_its_own_community_only(app, world):
    w, household, first = world
    d = w.d
    # the street's admin may see every community, but a card moves only within its own
    street = console_login(app.test_client(), "streetadmin")
    page = street.get(f"/console/households/{household.id}").get_data(as_text=True)
    assert _options(page, "alley_id") == [
        (str(d.alleys[0].id), d.alleys[0].name),
        (str(d.alleys[1].id), d.alleys[1].name),
    ]
    assert _options(page, "steward_id") == [
        (str(first.id), "丁管家"),
        (str(d.stewards[0].id), "管家11"),
        (str(d.stewards[1].id), "管家12"),
    ]


def test_the_card_pages_members_box_reads_back_as_typed(app, world):
    _, household, _ = world
    client = console_login(app.test_client(), "secretary1")
    page = client.get(f"/console/households/{household.id}").get_data(as_text=True)
    box = re.search(r'<textarea name="members" rows="4">(.*?)</textarea>', page, re.S)[1]
    assert box == ("李秀兰/配偶/1950/13811110000/证件尾号X\n小明/孙子/2015//腿脚不便/需轮椅\n小红")


def test_every_field_of_the_card_form_is_written(app, world):
    w, household, first = world
    d = w.d
    client = console_login(app.test_client(), "secretary1")
    token = csrf(client, f"/console/households/{household.id}")
    res = client.post(
        f"/console/households/{household.id}/edit",
        data={
            "csrf_token": token,
            "address": "1区2巷8号",
            "head_name": "王建国",
            "head_phone": "13811119999",
            "tags": ["独居老人", "低保"],
            "members": "李秀兰/配偶/1950",
            "notes": "已装扶手",
            "alley_id": str(d.alleys[1].id),
            "steward_id": str(d.stewards[1].id),
        },
    )
    assert res.status_code == 302
    row = Household.get_by_id(household.id)
    assert (row.address, row.head_name, row.head_phone, row.notes) == (
        "1区2巷8号",
        "王建国",
        "13811119999",
        "已装扶手",
    )
    assert row.tags == ["独居老人", "低保"]
    assert [(m["name"], m["relation"]) for m in row.members] == [("李秀兰", "配偶")]
    assert (row.alley_id, row.steward_id) == (d.alleys[1].id, d.stewards[1].id)
    # another steward of the same alley, chosen by id
    client.post(
        f"/console/households/{household.id}/edit",
        data={
            "csrf_token": token,
            "address": "1区1巷5号",
            "head_name": "王建国",
            "alley_id": str(d.alleys[0].id),
            "steward_id": str(first.id),
        },
    )
    assert Household.get_by_id(household.id).steward_id == first.id


def test_fields_left_out_of_the_card_form_are_empty(app, world):
    w, household, first = world
    d = w.d
    client = console_login(app.test_client(), "secretary1")
    token = csrf(client, "/console/households/new")
    res = client.post(
        "/console/households/new",
        data={
            "csrf_token": token,
            "alley_id": str(d.alleys[0].id),
            "steward_id": str(first.id),
            "address": "1区1巷9号",
            "head_name": "郑阿姨",
        },
    )
    assert res.status_code == 302
    row = Household.get(Household.head_name == "郑阿姨")
    assert (row.head_phone or "", row.notes or "", row.members, row.tags) == ("", "", [], [])
    assert (row.alley_id, row.steward_id) == (d.alleys[0].id, first.id)
    # and the two that are required are said to be missing, not filled in
    for missing, said in (("address", "地址：不能为空"), ("head_name", "户主：不能为空")):
        data = {
            "csrf_token": token,
            "alley_id": str(d.alleys[0].id),
            "steward_id": str(first.id),
            "address": "1区1巷10号",
            "head_name": "钱大妈",
        }
        del data[missing]
        page = client.post("/console/households/new", data=data, follow_redirects=True)
        assert said in page.get_data(as_text=True)
        assert not Household.select().where(Household.address == "1区1巷10号").exists()
        assert not Household.select().where(Household.head_name == "钱大妈").exists()


def test_the_visit_form_offers_today_and_states_the_photo_limits(app, world):
    _, household, _ = world
    # 00:30 in Shanghai is still the day before in UTC: the form's day is the local one
    with time_machine.travel(
        datetime(2026, 12, 7, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        client = console_login(app.test_client(), "secretary1")
        page = client.get(f"/console/households/{household.id}").get_data(as_text=True)
    day = re.search(r'<input type="date" name="visited_on" value="([^"]*)" max="([^"]*)"', page)
    assert (day[1], day[2]) == ("2026-12-07", "2026-12-07")
    upload = int(app.config["MAX_UPLOAD_BYTES"])
    assert f"最多 {MAX_PHOTOS} 张，每张不超过 {upload // 1048576} MB" in page
    photos = re.search(
        r'data-max-files="([^"]*)" data-max-bytes="([^"]*)" data-max-total="([^"]*)"', page
    )
    assert photos.groups() == (
        str(MAX_PHOTOS),
        str(upload),
        str(int(app.config["MAX_CONTENT_LENGTH"]) - 16 * 1024),
    )
