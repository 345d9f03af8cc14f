"""管家 in the console: the list's search, filters and paging; a steward's page; 解绑 and
重新生成绑定码 (audited, one winner, the old code dead) — scoped to the staff's area."""

from __future__ import annotations

import re

from core.people import roster, stewards
from core.people.permissions import Principal
from models import Event, RoleGrant, Steward, StewardAlley, User
from tests.console_world import build, console_login, csrf
from tests.factories import at_once, login, login_steward, next_phone
from web.console.items import PICKER_MAX

ROSTER_HEADER = ["街道", "社区", "网格", "街巷", "管家姓名", "手机号"]


def _ids(html: str) -> set[int]:
    return {int(x) for x in re.findall(r'id="steward-(\d+)"', html)}


def test_list_filters_and_paging(capp):
    w = build(capp)
    alley = w.d.alleys[0]
    for n in range(55):  # more than a page, all in the first alley
        s = Steward.create(name=f"巡查员{n:02d}", phone=next_phone(), posts=["劝导员"])
        StewardAlley.create(steward=s, alley=alley)
    client = console_login(capp.test_client(), "secretary1")
    html = client.get("/console/stewards").get_data(as_text=True)
    assert "57 人" in html and "第 1 / 2 页" in html and len(_ids(html)) == 50
    html = client.get("/console/stewards?page=2").get_data(as_text=True)
    assert len(_ids(html)) == 7
    first, second = w.d.stewards[0], w.d.stewards[1]
    html = client.get(f"/console/stewards?q={second.phone}").get_data(as_text=True)
    assert _ids(html) == {second.id}
    html = client.get(f"/console/stewards?alley={w.d.alleys[1].id}").get_data(as_text=True)
    assert _ids(html) == {second.id}
    html = client.get(f"/console/stewards?grid={w.d.grids[0].id}&post=劝导员").get_data(
        as_text=True
    )
    assert len(_ids(html)) == 50 and first.id not in _ids(html)
    # bound or not: bind the first through the API
    api = capp.test_client()
    login_steward(api, first)
    assert _ids(client.get("/console/stewards?bound=bound").get_data(as_text=True)) == {first.id}
    assert first.id not in _ids(client.get("/console/stewards?bound=unbound").get_data(True))
    # another community's grid or alley: nobody, and no error
    html = client.get(f"/console/stewards?alley={w.d.alleys[2].id}").get_data(as_text=True)
    assert _ids(html) == set() and "没有符合条件的管家" in html
    assert client.get("/console/stewards?grid=abc&page=-3&bound=x").status_code == 200


def test_steward_page_unbind_and_new_code(capp):
    w = build(capp)
    steward = w.d.stewards[0]
    api = capp.test_client()
    headers = login_steward(api, steward)
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    client = console_login(capp.test_client(), "secretary1")
    html = client.get(f"/console/stewards/{steward.id}").get_data(as_text=True)
    assert "已绑定微信" in html and "1区1巷" in html and "解绑" in html
    # the other community's staff: the steward does not exist
    other = console_login(capp.test_client(), "secretary2")
    assert other.get(f"/console/stewards/{steward.id}").status_code == 404
    token = csrf(client, f"/console/stewards/{steward.id}")
    url = f"/console/stewards/{steward.id}/unbind"
    res = client.post(url, data={"csrf_token": token, "reason": ""}, follow_redirects=True)
    assert "请填写原因" in res.get_data(as_text=True)
    assert Steward.get_by_id(steward.id).user_id is not None
    res = client.post(url, data={"csrf_token": token, "reason": "换了手机"}, follow_redirects=True)
    html = res.get_data(as_text=True)
    assert "已解绑" in html and "未绑定" in html and "换了手机" in html
    assert Steward.get_by_id(steward.id).user_id is None
    assert api.get("/api/v1/me", headers=headers).status_code == 401  # its session ended
    event = Event.get(Event.action == "steward.unbind")
    assert event.actor_id == w.staff.user_id and event.data["reason"] == "换了手机"
    # twice: refused with a message
    res = client.post(url, data={"csrf_token": token, "reason": "再来"}, follow_redirects=True)
    assert "当前没有绑定" in res.get_data(as_text=True)
    # a new code kills the old one
    bind = f"/console/stewards/{steward.id}/bind-code"
    first = client.post(bind, data={"csrf_token": token, "from": "page"}).get_data(as_text=True)
    old = first.split('id="bind-code">')[1].split("<")[0]
    assert f'href="/console/stewards/{steward.id}"' in first
    client.post(bind, data={"csrf_token": token, "from": "page"})
    fresh = login(api, "新手机")
    res = api.post("/api/v1/auth/bind", json={"code": old}, headers=fresh)
    assert res.status_code == 410
    assert Event.select().where(Event.action == "bind_code.revoke").count() == 1
    html = client.get(f"/console/stewards/{steward.id}").get_data(as_text=True)
    assert "有一个绑定码未使用" in html and "生成绑定码" in html and "解绑" in html


def test_unbind_twice_at_once_one_winner(capp):
    w = build(capp)
    steward = w.d.stewards[0]
    login_steward(capp.test_client(), steward)
    p = Principal.for_user(User.get_by_id(w.staff.user_id))
    outcomes = at_once(capp, lambda: stewards.unbind(p, Steward.get_by_id(steward.id), "丢了手机"))
    assert sorted(outcomes) == ["not_bound", "ok"]
    assert Event.select().where(Event.action == "steward.unbind").count() == 1
    live = RoleGrant.select().where(
        (RoleGrant.steward == steward.id) & RoleGrant.revoked_at.is_null()
    )
    assert live.count() == 0


def test_pickers_of_a_street_with_thousands(capp):
    """Past 300 stewards the issue list's filter is a typed number with suggestions, not a
    menu of everyone; an issue is dispatched within its own community."""
    w = build(capp)
    for n in range(301):
        s = Steward.create(name=f"巡{n:03d}", phone=next_phone())
        StewardAlley.create(steward=s, alley=w.d.alleys[2 + n % 2])  # 第2社区
    admin = console_login(capp.test_client(), "streetadmin")
    html = admin.get("/console/issues").get_data(as_text=True)
    assert 'data-suggest="steward-id"' in html and '<select name="steward">' not in html
    mine = w.d.stewards[0]
    html = admin.get(f"/console/issues?steward={mine.id}").get_data(as_text=True)
    assert w.resolved.number in html
    html = admin.get(f"/console/issues?steward={w.d.stewards[1].id}").get_data(as_text=True)
    assert w.resolved.number not in html
    rows = admin.get("/console/search/people.json?q=管家11&for=id").get_json()
    assert rows[0]["value"] == str(mine.id)
    # a community's secretary keeps the menu
    html = console_login(capp.test_client(), "secretary1").get("/console/issues").get_data(True)
    assert '<select name="steward">' in html
    # dispatch on the first community's item offers its stewards only
    page = admin.get(f"/console/issues/{w.open_issue.id}").get_data(as_text=True)
    menu = page.split('name="steward_ids"')[1].split("</select>")[0]
    assert "管家11" in menu and "巡000" not in menu and "管家21" not in menu


def test_the_issue_filter_is_a_menu_up_to_exactly_the_picker_s_limit(capp):
    """Up to PICKER_MAX serving stewards the filter is a menu of them all (dismissed ones are
    neither listed nor counted); one more and it is a typed number."""
    w = build(capp)
    serving = {s.id for s in w.d.stewards if s.active}
    for n in range(5):  # dismissed: not counted towards the limit
        s = Steward.create(name=f"离{n}", phone=next_phone(), active=False)
        StewardAlley.create(steward=s, alley=w.d.alleys[2])
    for n in range(PICKER_MAX - len(serving)):
        s = Steward.create(name=f"巡{n:03d}", phone=next_phone())
        StewardAlley.create(steward=s, alley=w.d.alleys[2 + n % 2])
    admin = console_login(capp.test_client(), "streetadmin")
    html = admin.get("/console/issues").get_data(as_text=True)
    menu = html.split('<select name="steward">')[1].split("</select>")[0]
    assert len(re.findall(r'<option value="\d+"', menu)) == PICKER_MAX
    assert "离0" not in menu and "巡000" in menu
    # one more, imported (the menu is kept between changes: an import is one)
    d = w.d
    chain = [d.street.name, d.communities[1].name, d.alleys[3].parent.name, d.alleys[3].name]
    roster.import_table([ROSTER_HEADER, [*chain, "巡满", next_phone()]], label="测试")
    html = admin.get("/console/issues").get_data(as_text=True)
    assert 'data-suggest="steward-id"' in html and '<select name="steward">' not in html


def test_the_list_says_how_many_match_on_every_page_and_past_the_end(capp):
    """The count rides on the page's rows (`stewards.directory_page`): the same on the last,
    partly filled page; a page past the end still says how many there are; a filter that
    matches nobody says 0."""
    w = build(capp)
    for n in range(55):
        s = Steward.create(name=f"巡查员{n:02d}", phone=next_phone())
        StewardAlley.create(steward=s, alley=w.d.alleys[0])
    p = Principal.for_user(User.get_by_id(w.staff.user_id))
    everyone = stewards.Filters(active=True)
    total, first = stewards.directory_page(p, everyone, 1)
    assert total == 57 and len(first) == stewards.PER_PAGE
    total, last = stewards.directory_page(p, everyone, 2)
    assert total == 57 and len(last) == 7
    assert [s.id for s in first + last] == [s.id for s in stewards.directory(p, everyone)]
    assert stewards.directory_page(p, everyone, 3) == (57, [])
    nobody = stewards.Filters(text="不存在的人", active=True)
    assert stewards.directory_page(p, nobody, 1) == (0, [])
    assert stewards.directory_page(p, nobody, 2) == (0, [])
    client = console_login(capp.test_client(), "secretary1")
    html = client.get("/console/stewards?page=3").get_data(as_text=True)
    assert "57 人" in html and _ids(html) == set()


def test_a_page_of_the_list_is_the_directory_for_every_area_and_status(capp):
    """`stewards.directory_page` for a community's secretary, the street's admin, a secretary
    who is also a steward elsewhere (their own alley does not widen what they manage),
    narrowed to a grid or an alley, or to another community's alley (nobody), serving,
    dismissed or both: it pages exactly as `directory` reads, the count on every page."""
    w = build(capp)
    for n in range(7):
        s = Steward.create(name=f"巡查员{n:02d}", phone=next_phone(), active=n % 3 != 0)
        StewardAlley.create(steward=s, alley=w.d.alleys[n % 4])
    RoleGrant.create(user=w.staff.user_id, role="steward", steward=w.d.stewards[2])
    viewers = [Principal.for_user(User.get_by_id(a.user_id)) for a in (w.staff, w.admin)]
    assert len(viewers[0].alley_ids) == 1  # a steward of the other community's first alley
    areas = [{}, {"grid_id": w.d.grids[0].id}, {"alley_id": w.d.alleys[1].id}]
    areas.append({"alley_id": w.d.alleys[2].id})
    for p in viewers:
        for area in areas:
            for active in (True, False, None):
                f = stewards.Filters(active=active, **area)
                expected = [s.id for s in stewards.directory(p, f)]
                got = []
                for page in (1, 2, 3):
                    total, rows = stewards.directory_page(p, f, page, per_page=2)
                    assert total == len(expected), (p.describe(), area, active)
                    got += [s.id for s in rows]
                assert got == expected[:6], (p.describe(), area, active)


def test_the_alley_picker_marks_the_chosen_alley_and_escapes_names(capp):
    """The picker's options are built in one piece (`common.area_options`): the alley asked
    for is the one selected, a name with markup in it is shown as text, and each row's links
    (`common.id_url`) lead to that row's steward."""
    w = build(capp)
    alley = w.d.alleys[1]
    alley.name = "<b>槐树</b>巷"
    alley.save()
    client = console_login(capp.test_client(), "secretary1")
    html = client.get(f"/console/stewards?alley={alley.id}").get_data(as_text=True)
    picker = html.split('<select name="alley">')[1].split("</select>")[0]
    assert f'<option value="{alley.id}" selected>&lt;b&gt;槐树&lt;/b&gt;巷</option>' in picker
    assert picker.count(" selected") == 1 and "<b>" not in picker
    steward = w.d.stewards[1]
    assert f'href="/console/stewards/{steward.id}">{steward.name}</a>' in html
    assert f'action="/console/stewards/{steward.id}/dismiss"' in html
    html = client.get("/console/stewards").get_data(as_text=True)
    picker = html.split('<select name="alley">')[1].split("</select>")[0]
    assert " selected" not in picker and f'<option value="{w.d.alleys[0].id}">' in picker
