"""The console's time-bank pages (`web.console.timebank`): which community a page is about and
who may ask for it (the viewer's own communities only; 404 for what does not exist or is not a
community, 403 for another's), where each form returns to, and the numbers its forms carry
before any write (a blank field is its default, anything else a whole number within bounds, the
refusal said on the page with the field's words)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from core.people import areas
from core.timebank import postings
from core.timebank.postings import Holder
from infra.db import write_transaction
from models import PointAccount, PointEntry, ShopItem, User
from tests.console_world import build, console_login, csrf
from tests.factories import make_staff


@pytest.fixture
def world(capp):
    w = build(capp)
    user = User.create(openid="dev:李阿姨", nickname="李阿姨")
    account = postings.account_for(w.d.communities[0], Holder(user_id=user.id))
    with write_transaction():
        postings.post(account, 30, rule="adjustment", source_type="adjustment", reason="开户")
    w.account = PointAccount.get_by_id(account.id)
    return w


def _heading(res) -> str:
    """The community the page says it is about (the page's heading)."""
    found = re.search(r'<h1>时间银行 <small class="muted">([^<]*)</small>', res.get_data(True))
    return found.group(1)


def _flashes(res) -> list[str]:
    return [
        html.unescape(x) for x in re.findall(r'class="flash \w+"[^>]*>([^<]*)<', res.get_data(True))
    ]


def _back_to(res) -> tuple[str, dict]:
    where = urlsplit(res.headers["Location"])
    return where.path, parse_qs(where.query)


def test_the_page_is_about_the_community_asked_for_or_else_the_viewers_first(capp, world):
    admin = console_login(capp.test_client(), "streetadmin")  # the street: both communities
    c1, c2 = world.d.communities
    assert _heading(admin.get("/console/timebank")) == "第1社区"  # never the street itself
    assert _heading(admin.get("/console/timebank?community=")) == "第1社区"
    assert _heading(admin.get(f"/console/timebank?community={c2.id}")) == "第2社区"
    assert _heading(admin.get(f"/console/timebank?community=%20{c2.id}%20")) == "第2社区"
    secretary = console_login(capp.test_client(), "secretary2")
    assert _heading(secretary.get("/console/timebank")) == "第2社区"
    assert _heading(secretary.get(f"/console/timebank?community={c2.id}")) == "第2社区"


def test_a_community_that_does_not_exist_or_is_not_a_community_is_404_and_anothers_403(capp, world):
    admin = console_login(capp.test_client(), "streetadmin")
    for raw in ("abc", "-1", "1.5", "99999", str(world.d.street.id), str(world.d.grids[0].id)):
        assert admin.get(f"/console/timebank?community={raw}").status_code == 404, raw
    secretary = console_login(capp.test_client(), "secretary1")
    other = world.d.communities[1].id
    assert secretary.get(f"/console/timebank?community={other}").status_code == 403
    assert secretary.get("/console/timebank?community=99999").status_code == 404


def test_a_street_without_communities_shows_the_page_without_a_shop(capp, world):
    street, _ = areas.child(None, "street", "新建街道")  # its communities not yet entered
    make_staff(street, role="admin", username="newstreet")
    client = console_login(capp.test_client(), "newstreet")
    res = client.get("/console/timebank")
    assert res.status_code == 200 and _heading(res) == ""
    assert "/console/timebank/items" not in res.get_data(as_text=True)  # no shelf to stock


def _adjust(client, world, **form):
    token = csrf(client, "/console/timebank")
    data = {"csrf_token": token, "community": world.d.communities[0].id, "rule": "meeting"}
    data |= {"account_id": world.account.id, "reason": "例会", **form}
    return client.post("/console/timebank/adjust", data=data)


def test_an_adjustment_returns_to_the_community_and_the_person_looked_up(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    code = world.account.member_code
    res = _adjust(client, world, person=code, units="2")
    assert res.status_code == 302
    c1 = str(world.d.communities[0].id)
    assert _back_to(res) == ("/console/timebank", {"community": [c1], "person": [code]})
    assert _flashes(client.get(res.headers["Location"])) == ["已记入存折：+2 分"]
    # no person looked up: the community alone
    res = _adjust(client, world, person="", units="1")
    assert _back_to(res) == ("/console/timebank", {"community": [c1]})


def test_a_blank_number_is_its_default_and_one_with_spaces_around_is_read(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    for units in ("", "   "):  # 1 unit of the rule
        res = _adjust(client, world, units=units)
        assert _flashes(client.get(res.headers["Location"])) == ["已记入存折：+1 分"], units
    res = _adjust(client, world, units=" 3 ")
    assert _flashes(client.get(res.headers["Location"])) == ["已记入存折：+3 分"]
    assert PointAccount.get_by_id(world.account.id).balance == 30 + 1 + 1 + 3


def test_an_adjustment_without_a_passbook_changes_no_passbook(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    before = PointEntry.select().count()
    res = _adjust(client, world, account_id="")
    assert res.status_code == 302
    assert PointEntry.select().count() == before
    assert PointAccount.get_by_id(world.account.id).balance == 30


def _stock(client, world, **form):
    token = csrf(client, "/console/timebank")
    data = {"csrf_token": token, "community": world.d.communities[0].id, "name": "米"}
    data |= {"category": "粮油副食", "price": "10", "stock": "1", **form}
    res = client.post("/console/timebank/items", data=data)
    assert res.status_code == 302
    return _flashes(client.get(res.headers["Location"]))


def test_a_number_that_is_not_whole_is_refused_naming_the_need(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    for price in ("十块", "1.5", "1e3", "0x10"):
        assert _stock(client, world, price=price) == ["积分：请填写整数（须为整数）"], price
    assert ShopItem.select().count() == 0


def test_numbers_past_a_billion_either_way_are_out_of_range_before_the_shops_own_bounds(
    capp, world
):
    client = console_login(capp.test_client(), "secretary1")
    for price in ("1000000001", "-1000000001", "9" * 30):
        assert _stock(client, world, price=price) == [
            "积分：数值超出范围（绝对值不超过 1000000000）"
        ], price
    # up to a billion the form passes it on, and the shop's bounds speak
    for price in ("1000000000", "-1000000000"):
        assert _stock(client, world, price=price) == ["商品信息有误（须在 1 至 100000 之间）"]
    assert ShopItem.select().count() == 0
    assert _stock(client, world, price="100000") == ["已上架“米”"]


def test_a_restock_returns_to_the_community_alone(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    assert _stock(client, world) == ["已上架“米”"]
    item = ShopItem.get()
    token = csrf(client, "/console/timebank")
    c1 = str(world.d.communities[0].id)
    res = client.post(
        f"/console/timebank/items/{item.id}",
        data={"csrf_token": token, "community": c1, "price": "12", "add_stock": " 2 "},
    )
    assert _back_to(res) == ("/console/timebank", {"community": [c1]})
    assert _flashes(client.get(res.headers["Location"])) == ["“米”已更新：12 分，库存 3"]


def test_every_field_the_shop_refuses_is_named_in_the_one_message(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    assert _stock(client, world, price="0", stock="-1") == [
        "商品信息有误（须在 1 至 100000 之间）（须在 0 至 100000 之间）"
    ]
    assert ShopItem.select().count() == 0


def test_a_restock_with_a_number_that_cannot_be_read_is_a_400_page_and_changes_nothing(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    assert _stock(client, world) == ["已上架“米”"]
    item = ShopItem.get()
    token = csrf(client, "/console/timebank")
    for form, words in (
        ({"price": "十二"}, "积分：请填写整数"),
        ({"add_stock": "1000000001"}, "补货：数值超出范围"),
    ):
        res = client.post(f"/console/timebank/items/{item.id}", data={"csrf_token": token, **form})
        assert res.status_code == 400 and words in res.get_data(as_text=True)
    item = ShopItem.get_by_id(item.id)
    assert (item.price, item.stock) == (10, 1)


def test_a_refused_number_names_its_field_as_the_page_does(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    for form, words in (
        ({"units": "两"}, "数量：请填写整数（须为整数）"),
        ({"rule": "custom", "points": "五"}, "分值：请填写整数（须为整数）"),
        ({"account_id": "x"}, "存折：请填写整数（须为整数）"),
    ):
        res = _adjust(client, world, **form)
        assert _flashes(client.get(res.headers["Location"])) == [words]
    assert _stock(client, world, stock="1e3") == ["库存：请填写整数（须为整数）"]
    assert PointAccount.get_by_id(world.account.id).balance == 30
