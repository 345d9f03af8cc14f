"""The street admin in the console (`create-staff --role street`, the 街道总览 and who is refused)
and the street's public figures page `/s/{code}`, off by default and switched by the street's
own admin only."""

from __future__ import annotations

import re

from core.figures import street_page
from models import (
    Event,
    StaffAccount,
    Steward,
)
from tests.console_world import console_login, csrf
from tests.core.figures import street_story
from tests.core.figures.street_story import (
    RESIDENT_PHONE,
)
from tests.factories import (
    make_district,
    make_staff,
)

# The story and a street admin at its "now" (tests/core/figures/street_story.py).
world, at_now = street_story.world, street_story.at_now


# --- the street admin in the console ---------------------------------------------------------


def test_create_staff_role_street_makes_the_street_admin(app, runner, world):
    d = world[0]
    res = runner.invoke(
        args=["create-staff", "--role", "street", "--area", str(d.street.id)]
        + ["--username", "jiedao1", "--password-stdin"],
        input="password123\n",
    )
    assert res.exit_code == 0 and "已创建街道管理员账号 jiedao1" in res.output, res.output
    assert StaffAccount.get(StaffAccount.username == "jiedao1").role == "admin"
    res = runner.invoke(
        args=["create-staff", "--role", "street", "--area", str(d.communities[0].id)]
        + ["--username", "jiedao2", "--password-stdin"],
        input="password123\n",
    )
    assert res.exit_code != 0 and "街道管理员账号须挂在街道/镇上" in res.output
    assert not StaffAccount.select().where(StaffAccount.username == "jiedao2").exists()


def test_street_admin_lands_on_the_overview_and_sees_every_community(app, at_now):
    d = at_now[0]
    make_staff(d.street, role="admin", username="jiedao")
    client = app.test_client()
    token = csrf(client)
    res = client.post(
        "/console/login",
        data={"username": "jiedao", "password": "password123", "csrf_token": token},
    )
    assert res.status_code == 302 and res.headers["Location"].endswith("/console/street")
    html = client.get("/console/street?sort=volume").get_data(as_text=True)
    assert "街道总览" in html
    for name in ("第1社区", "第2社区", "第3社区", "住建办", "安居物业"):
        assert name in html
    assert "1/4" in html and "2/3" in html  # the counts behind 第1社区's rates
    for community in d.communities:
        assert client.get(f"/console/?area={community.id}").status_code == 200
    # a sort key nobody knows is the default, never an error
    assert client.get("/console/street?sort=drop&order=sideways").status_code == 200
    assert client.get("/console/street?from=2026-13-01").status_code == 200


def test_another_streets_admin_and_community_staff_are_refused(app, at_now):
    d = at_now[0]
    other = make_district("北关街道", communities=1)
    make_staff(other.street, role="admin", username="beiguan")
    make_staff(d.communities[0], username="secretary1")
    client = console_login(app.test_client(), "beiguan")
    assert client.get(f"/console/street?area={d.street.id}").status_code in (403, 404)
    assert client.get(f"/console/?area={d.communities[0].id}").status_code in (403, 404)
    html = client.get("/console/street").get_data(as_text=True)
    assert "北关街道" in html and "第2社区" not in html and "住建办" not in html
    token = csrf(client, "/console/street")
    res = client.post(
        f"/console/street/public?area={d.street.id}", data={"public": "1", "csrf_token": token}
    )
    assert res.status_code in (403, 404)
    assert street_page.page_of(d.street) is None
    # a community's staff have no street overview
    staff = console_login(app.test_client(), "secretary1")
    assert staff.get("/console/street").status_code == 403
    assert staff.get(f"/console/street?area={d.street.id}").status_code == 403
    # an admin asking for a community as if it were a street
    admin = make_staff(d.street, role="admin", username="jiedao")
    assert admin.role == "admin"
    own = console_login(app.test_client(), "jiedao")
    assert own.get(f"/console/street?area={d.communities[0].id}").status_code == 404


# --- the public figures page ----------------------------------------------------------------


def test_public_page_is_off_by_default_and_follows_the_admins_switch(app, at_now):
    d = at_now[0]
    board_code = d.boards[0].code
    client = app.test_client()
    assert client.get("/s/ABCDEF").status_code == 404
    assert "/s/" not in client.get(f"/b/{board_code}").get_data(as_text=True)

    admin = make_staff(d.street, role="admin", username="jiedao")
    console = console_login(app.test_client(), "jiedao")
    token = csrf(console, "/console/street")
    res = console.post("/console/street/public", data={"public": "1", "csrf_token": token})
    assert res.status_code == 302
    page = street_page.page_of(d.street)
    assert page.public and re.fullmatch(r"[2-9A-Z]{6}", page.code)
    event = Event.select().where(Event.action == "street_page.publish").get()
    assert event.actor_id == admin.user_id

    res = client.get(f"/s/{page.code.lower()}")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    for name in ("示范街道", "第1社区", "第2社区", "第3社区", "66.7%", "2/3", "25.0%"):
        assert name in html, name
    # counts and rates only: no resident, no steward, no item
    for private in (RESIDENT_PHONE, "邻居吵架", "垃圾满了", "J2 楼道堆物", "住建办"):
        assert private not in html, private
    for s in Steward.select():
        assert s.name not in html and s.phone not in html
    assert f"/s/{page.code}" in client.get(f"/b/{board_code}").get_data(as_text=True)

    token = csrf(console, "/console/street")
    console.post("/console/street/public", data={"public": "0", "csrf_token": token})
    assert client.get(f"/s/{page.code}").status_code == 404
    assert "/s/" not in client.get(f"/b/{board_code}").get_data(as_text=True)
    assert street_page.page_of(d.street).code == page.code  # the same address when back on
    assert Event.select().where(Event.action == "street_page.unpublish").count() == 1


def test_only_an_admin_of_the_street_switches_it(app, at_now):
    d = at_now[0]
    make_staff(d.communities[0], username="secretary1")
    staff = console_login(app.test_client(), "secretary1")
    token = csrf(staff, "/console/")
    res = staff.post("/console/street/public", data={"public": "1", "csrf_token": token})
    assert res.status_code == 403
    assert street_page.page_of(d.street) is None
