"""The steward list's order kept between changes (`web.console.stewards._page`): browsing a
street's 5,000 stewards pages through an order kept per scope and filters, so every change a
secretary makes — an import, a dismissal, a binding, a 解绑 — must show on the very next page
they load, each viewer must see only their own scope, and a change no event records shows
within the minute."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from core.people import roster, stewards
from core.people.permissions import Principal
from infra.timeutil import utcnow
from models import Steward, StewardAlley, User
from tests.console_world import build, console_login, csrf
from tests.factories import login_steward, next_phone

HEADER = ["街道", "社区", "网格", "街巷", "管家姓名", "手机号"]


def _ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'id="steward-(\d+)"', html)]


def _listed(client, query: str = "") -> list[int]:
    res = client.get(f"/console/stewards{query}")
    assert res.status_code == 200
    return _ids(res.get_data(as_text=True))


def _directory(account, **filters) -> list[int]:
    p = Principal.for_user(User.get_by_id(account.user_id))
    return [s.id for s in stewards.directory(p, stewards.Filters(**filters))]


def test_each_change_shows_on_the_next_page_loaded(capp):
    w = build(capp)
    d = w.d
    client = console_login(capp.test_client(), "secretary1")
    serving = _listed(client)
    unbound = _listed(client, "?bound=unbound")
    assert serving and d.stewards[1].id in unbound
    # an import adds a steward
    row = [d.street.name, d.communities[0].name, d.grids[0].name, d.alleys[0].name, "阿宝"]
    roster.import_table([HEADER, [*row, next_phone()]], label="测试")
    new = Steward.get(Steward.name == "阿宝")
    assert _listed(client) == _directory(w.staff)
    assert sorted(_listed(client)) == sorted([new.id, *serving])
    assert new.id in _listed(client, "?bound=unbound")
    # a dismissal: off the serving list, on the dismissed one
    token = csrf(client, "/console/stewards")
    res = client.post(
        f"/console/stewards/{new.id}/dismiss", data={"csrf_token": token, "reason": "搬家"}
    )
    assert res.status_code in (200, 302)
    assert _listed(client) == serving
    assert new.id in _listed(client, "?status=dismissed")
    # a binding through the mini program, then 解绑 in the console
    login_steward(capp.test_client(), d.stewards[1])
    assert d.stewards[1].id in _listed(client, "?bound=bound")
    assert d.stewards[1].id not in _listed(client, "?bound=unbound")
    res = client.post(
        f"/console/stewards/{d.stewards[1].id}/unbind",
        data={"csrf_token": token, "reason": "换了手机"},
    )
    assert res.status_code in (200, 302)
    assert d.stewards[1].id not in _listed(client, "?bound=bound")
    assert _listed(client, "?bound=unbound") == unbound


def test_each_viewer_pages_through_their_own_scope(capp):
    """The street's admin, then each community's secretary, in the same process: each list
    is that viewer's directory, page by page, the count on every page."""
    w = build(capp)
    for n in range(60):
        s = Steward.create(name=f"巡查员{n:02d}", phone=next_phone())
        StewardAlley.create(steward=s, alley=w.d.alleys[n % 4])
    for account, username in ((w.admin, "streetadmin"), (w.staff, "secretary1")):
        p = Principal.for_user(User.get_by_id(account.user_id))
        expected = [s.id for s in stewards.directory(p, stewards.Filters())]
        client = console_login(capp.test_client(), username)
        first = client.get("/console/stewards").get_data(as_text=True)
        second = client.get("/console/stewards?page=2").get_data(as_text=True)
        assert _ids(first) + _ids(second) == expected
        assert f"{len(expected)} 人" in first and f"{len(expected)} 人" in second
    other = console_login(capp.test_client(), "secretary2")
    p = Principal.for_user(User.get_by_id(w.other_staff.user_id))
    expected = [s.id for s in stewards.directory(p, stewards.Filters())]
    assert _listed(other) == expected and not set(expected) & set(_listed(client))


def test_a_search_reads_afresh_and_a_silent_change_shows_within_the_minute(capp):
    """A rename made with no event (a database edit) shows in a search at once and in the
    browsed order once the kept copy is a minute old."""
    w = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    start = utcnow()
    with time_machine.travel(start, tick=False):
        before = _listed(client)
        last = before[-1]
        assert _listed(client, "?q=一号") == []
        Steward.update(name="一号").where(Steward.id == last).execute()
        assert _listed(client, "?q=一号") == [last]
        assert _listed(client) == before != _directory(w.staff)
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert _listed(client) == _directory(w.staff) == [last, *before[:-1]]


def _menu(client) -> list[int]:
    html = client.get("/console/issues").get_data(as_text=True)
    menu = html.split('<select name="steward">')[1].split("</select>")[0]
    return [int(x) for x in re.findall(r'<option value="(\d+)"', menu)]


def test_the_issue_lists_steward_menu_follows_dismissals_and_imports_at_once(capp):
    """The 诉求 list's 管家 menu is kept per scope between changes too: a steward dismissed
    leaves it on the next page, one imported joins it; another community's secretary has
    their own."""
    w = build(capp)
    d = w.d
    client = console_login(capp.test_client(), "secretary1")
    other = console_login(capp.test_client(), "secretary2")
    ours, theirs = _menu(client), _menu(other)
    assert ours == _directory(w.staff) and theirs == _directory(w.other_staff)
    assert not set(ours) & set(theirs)
    token = csrf(client, "/console/stewards")
    client.post(
        f"/console/stewards/{ours[0]}/dismiss", data={"csrf_token": token, "reason": "搬家"}
    )
    assert _menu(client) == ours[1:] and _menu(other) == theirs
    row = [d.street.name, d.communities[0].name, d.grids[0].name, d.alleys[0].name, "阿宝"]
    roster.import_table([HEADER, [*row, next_phone()]], label="测试")
    new = Steward.get(Steward.name == "阿宝").id
    assert sorted(_menu(client)) == sorted([new, *ours[1:]])
    assert _menu(client) == _directory(w.staff)
