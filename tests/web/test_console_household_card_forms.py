"""包联户 in the console, the edges of its forms and its scope: a household that does not exist
or belongs to another community answers 404 on its page and every form, the alley and steward
menus list only what the viewer manages, the card form's numbers and members are read as the
API reads them, and the visit form's photo limits name the field."""

from __future__ import annotations

import re

from core.households import access, cards
from core.items.lifecycle import MAX_PHOTOS
from core.people.permissions import Principal
from models import CarePlan, Household, Media, Steward, StewardAlley, User, Visit
from tests.console_world import console_login, csrf
from tests.factories import jpeg_bytes
from tests.web.test_console_households import _post_visit, world  # noqa: F401  (fixture)


def test_a_household_that_does_not_exist_answers_404_on_its_page_and_its_forms(app, world):  # noqa: F811
    w, h = world
    client = console_login(app.test_client(), "secretary1")
    token = csrf(client, f"/console/households/{h['h1'].id}")
    missing = max(x.id for x in Household.select()) + 1
    assert client.get(f"/console/households/{missing}").status_code == 404
    for path in ("edit", "plans", "visits"):
        res = client.post(
            f"/console/households/{missing}/{path}",
            data={"csrf_token": token, "note": "看望", "group": "低保", "plan": "x"},
        )
        assert res.status_code == 404, path
    assert Visit.select().count() == 0
    assert CarePlan.select().count() == 1


def _options(html: str, name: str) -> list[tuple[str, str]]:
    """The (value, text) of each `<option>` of the `<select name=…>` on a page."""
    block = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert block, name
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', block.group(1))


def test_the_list_offers_only_the_alleys_and_active_stewards_a_secretary_manages(app, world):  # noqa: F811
    w, _ = world
    d = w.d
    # a steward keeping both alleys of 第1社区 is offered once; one who left is not offered;
    # the names sort against the order they were made in (管家11, 管家12 made first)
    both = Steward.create(name="曹管家", phone="13900000001")
    StewardAlley.create(steward=both, alley=d.alleys[0])
    StewardAlley.create(steward=both, alley=d.alleys[1])
    gone = Steward.create(name="已离任管家", phone="13900000002", active=False)
    StewardAlley.create(steward=gone, alley=d.alleys[0])
    client = console_login(app.test_client(), "secretary1")
    html = client.get("/console/households").get_data(as_text=True)
    assert _options(html, "alley") == [("", "全部")] + [(str(a.id), a.name) for a in d.alleys[:2]]
    wanted = sorted([both, d.stewards[0], d.stewards[1]], key=lambda s: s.name)
    assert _options(html, "steward") == [("", "全部")] + [(str(s.id), s.name) for s in wanted]


def test_an_edit_form_saves_each_field_it_carries_and_moves_the_card(app, world):  # noqa: F811
    w, h = world
    d = w.d
    hid = h["h1"].id
    client = console_login(app.test_client(), "secretary1")
    token = csrf(client, f"/console/households/{hid}")
    res = client.post(
        f"/console/households/{hid}/edit",
        data={
            "csrf_token": token,
            "address": "1区2巷8号",
            "head_name": "王建国",
            "head_phone": "13811119999",
            "notes": "已装扶手",
            "tags": ["独居老人", "低保"],
            "members": "李秀兰/配偶/1950/13600001111/腿脚不便/需轮椅",
            "alley_id": str(d.alleys[1].id),
            "steward_id": str(d.stewards[1].id),
        },
    )
    assert res.status_code == 302
    row = Household.get_by_id(hid)
    assert (row.address, row.head_name, row.head_phone, row.notes) == (
        "1区2巷8号",
        "王建国",
        "13811119999",
        "已装扶手",
    )
    assert row.tags == ["独居老人", "低保"]
    assert [
        (m["name"], m["relation"], m["birth_year"], m["phone"], m["notes"]) for m in row.members
    ] == [("李秀兰", "配偶", 1950, "13600001111", "腿脚不便/需轮椅")]
    assert (row.alley_id, row.steward_id) == (d.alleys[1].id, d.stewards[1].id)
    # the steward alone: the alley stays, the steward changes
    client.post(
        f"/console/households/{hid}/edit",
        data={
            "csrf_token": token,
            "address": "1区2巷8号",
            "head_name": "王建国",
            "steward_id": str(both_of(d).id),
        },
    )
    row = Household.get_by_id(hid)
    assert (row.alley_id, row.steward_id) == (d.alleys[1].id, both_of(d).id)


def both_of(d) -> Steward:
    """A second steward of 1区2巷, made once."""
    steward, made = Steward.get_or_create(name="曹管家", defaults={"phone": "13900000001"})
    if made:
        StewardAlley.create(steward=steward, alley=d.alleys[1])
    return steward


def test_fields_left_out_of_the_edit_form_are_saved_blank(app, world):  # noqa: F811
    w, h = world
    hid = h["h1"].id
    client = console_login(app.test_client(), "secretary1")
    token = csrf(client, f"/console/households/{hid}")
    res = client.post(
        f"/console/households/{hid}/edit",
        data={"csrf_token": token, "address": "1区1巷1号", "head_name": "王大爷"},
        follow_redirects=True,
    )
    assert "已保存" in res.get_data(as_text=True)
    row = Household.get_by_id(hid)
    assert (row.head_phone, row.notes, row.tags, row.members) == (None, "", [], [])
    assert (row.alley_id, row.steward_id) == (w.d.alleys[0].id, w.d.stewards[0].id)


def test_an_alley_that_is_no_number_is_refused_as_missing_on_registration(app, world):  # noqa: F811
    w, _ = world
    client = console_login(app.test_client(), "secretary1")
    token = csrf(client, "/console/households/new")
    res = client.post(
        "/console/households/new",
        data={"csrf_token": token, "alley_id": "1e3", "address": "x号", "head_name": "郑阿姨"},
    )
    assert res.status_code == 200
    assert "街巷：必填" in res.get_data(as_text=True)
    assert not Household.select().where(Household.head_name == "郑阿姨").exists()


def test_a_card_page_fills_its_edit_form_with_the_members_tags_and_photo_limits(app, world):  # noqa: F811
    w, h = world
    hid = h["h1"].id
    p = Principal.for_user(User.get_by_id(w.admin.user_id))
    cards.update(
        p,
        Household.get_by_id(hid),
        {
            "members": [
                {"name": "小明", "relation": "孙子", "birth_year": 2015},
                {"name": "李秀兰", "phone": "13600001111", "notes": "腿脚不便"},
                {"name": "王X"},  # only the empty fields' slashes are trimmed, never the name's X
            ]
        },
    )
    client = console_login(app.test_client(), "secretary1")
    html = client.get(f"/console/households/{hid}").get_data(as_text=True)
    # one line a member, empty fields kept in place and none trailing
    assert (
        '<textarea name="members" rows="4">小明/孙子/2015\n李秀兰///13600001111/腿脚不便\n王X</textarea>'
        in html
    )
    for tag in access.tags():
        checked = "checked" if tag in ("留守儿童", "低保") else ""
        assert f'<input type="checkbox" name="tags" value="{tag}" {checked}>' in html
    assert _options_text(html, "group") == access.plan_groups()
    limit = app.config["MAX_UPLOAD_BYTES"]
    total = app.config["MAX_CONTENT_LENGTH"] - 16 * 1024
    assert f"最多 {MAX_PHOTOS} 张，每张不超过 {limit // 1048576} MB" in html
    assert (
        f'data-max-files="{MAX_PHOTOS}" data-max-bytes="{limit}" data-max-total="{total}"' in html
    )


def _options_text(html: str, name: str) -> list[str]:
    block = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert block, name
    return re.findall(r"<option>([^<]*)</option>", block.group(1))


def test_nine_photos_are_taken_and_a_tenth_is_refused_naming_the_field(app, world):  # noqa: F811
    _, h = world
    hid = h["h1"].id
    client = console_login(app.test_client(), "secretary1")
    token = csrf(client, f"/console/households/{hid}")
    ten = [(f"{i}.jpg", jpeg_bytes((i * 20, 0, 0))) for i in range(MAX_PHOTOS + 1)]
    res = _post_visit(client, token, hid, ten, note="十张照片")
    assert res.status_code == 400
    assert f"照片：最多 {MAX_PHOTOS} 张" in res.get_data(as_text=True)
    assert Visit.select().count() == 0 and Media.select().count() == 0
    res = _post_visit(client, token, hid, ten[:MAX_PHOTOS], note="九张照片")
    assert res.status_code == 302
    assert len(Visit.get().photo_ids) == MAX_PHOTOS


def test_a_photo_of_exactly_the_size_limit_is_taken_whole(app, world):  # noqa: F811
    _, h = world
    hid = h["h1"].id
    photo = jpeg_bytes("blue")
    app.config["MAX_UPLOAD_BYTES"] = len(photo)
    client = console_login(app.test_client(), "secretary1")
    token = csrf(client, f"/console/households/{hid}")
    res = _post_visit(client, token, hid, [("正好.jpg", photo)], note="上门")
    assert res.status_code == 302
    assert Media.select().count() == 1


def test_a_refused_photo_is_named_by_the_first_40_characters_of_its_file_name(app, world):  # noqa: F811
    _, h = world
    hid = h["h1"].id
    client = console_login(app.test_client(), "secretary1")
    token = csrf(client, f"/console/households/{hid}")
    name = "记" * 40 + "尾.txt"
    res = _post_visit(client, token, hid, [(name, b"not a photo")], note="上门")
    assert res.status_code == 415
    assert f"照片：{'记' * 40} 只支持 JPG、PNG、WebP" in res.get_data(as_text=True)


def test_an_edit_form_without_an_address_or_head_is_refused_naming_the_field(app, world):  # noqa: F811
    _, h = world
    hid = h["h1"].id
    client = console_login(app.test_client(), "secretary1")
    token = csrf(client, f"/console/households/{hid}")
    for left_out, message in (("address", "地址：不能为空"), ("head_name", "户主：不能为空")):
        data = {"csrf_token": token, "address": "1区1巷9号", "head_name": "王建国"}
        del data[left_out]
        res = client.post(f"/console/households/{hid}/edit", data=data, follow_redirects=True)
        assert message in res.get_data(as_text=True), left_out
    row = Household.get_by_id(hid)
    assert (row.address, row.head_name) == (h["h1"].address, "王大爷")
