"""The 包联户 list's 街巷 and 管家 menus kept between changes (`web.console.households._alleys`,
`_stewards`): each viewer sees their own scope's, a dismissal or an import shows on the very
next page, and opening households' cards and lists (records of reads) keeps them."""

from __future__ import annotations

import re

from core.people import areas, roster
from models import Event
from tests.console_world import build, console_login, csrf
from tests.factories import next_phone

HEADER = ["街道", "社区", "网格", "街巷", "管家姓名", "手机号"]


def _menus(client) -> tuple[list[str], list[str]]:
    html = client.get("/console/households").get_data(as_text=True)
    alleys = html.split('<select name="alley">')[1].split("</select>")[0]
    stewards = html.split('<select name="steward">')[1].split("</select>")[0]
    return (
        re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', alleys),
        re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', stewards),
    )


def test_the_household_menus_follow_each_change_and_each_viewers_scope(capp):
    w = build(capp)
    d = w.d
    mine, other = console_login(capp.test_client(), "secretary1"), None
    alleys, names = _menus(mine)
    assert alleys == [d.alleys[0].name, d.alleys[1].name]
    assert names == sorted([d.stewards[0].name, d.stewards[1].name])
    other = console_login(capp.test_client(), "secretary2")
    assert _menus(other) == (
        [d.alleys[2].name, d.alleys[3].name],
        sorted([d.stewards[2].name, d.stewards[3].name]),
    )
    # an alley added with no event waits (kept); reading households leaves records of reads,
    # which keep the menus too
    assert _menus(mine) == (alleys, names)  # counted again after the second login's event
    areas.child(d.grids[0], "alley", "1区9巷")
    reads = Event.select().where(Event.action == "household.list").count()
    assert _menus(mine) == (alleys, names)
    assert _menus(mine) == (alleys, names)
    assert Event.select().where(Event.action == "household.list").count() == reads + 2
    # an import adds a steward to the menu at once (and the new alley shows with it)
    row = [d.street.name, d.communities[0].name, d.grids[0].name, d.alleys[0].name, "阿宝"]
    roster.import_table([HEADER, [*row, next_phone()]], label="测试")
    assert _menus(mine) == (
        [d.alleys[0].name, d.alleys[1].name, "1区9巷"],
        sorted([*names, "阿宝"]),
    )
    # a dismissal takes them off at once
    token = csrf(mine, "/console/stewards")
    res = mine.post(
        f"/console/stewards/{d.stewards[0].id}/dismiss",
        data={"csrf_token": token, "reason": "搬家"},
    )
    assert res.status_code in (200, 302)
    assert _menus(mine)[1] == sorted([d.stewards[1].name, "阿宝"])
    assert _menus(other)[1] == sorted([d.stewards[2].name, d.stewards[3].name])
