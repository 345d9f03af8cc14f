"""What every console page shares (`web/console/common.py`): how long a login lasts and what
a refused visit does to it, which page of a list `?page=` asks for, the period a page reads from
`?from=&to=`, the area a page shows (`?area=`, the picker, refusals), query parameters with
control characters, the time and percent filters, the menu's bulletin entry, and the error
pages' wording. The login's `next=` is in test_console_login.py; CSRF and scope on every item's
page in test_console.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import g, request

from core import audit
from core.people.permissions import Principal
from infra.timeutil import utcnow
from models import Area, User
from tests.console_world import build, console_login, csrf
from web.console.common import (
    MAX_DAYS,
    MAX_PAGE,
    chosen_area,
    local_filter,
    managed_areas,
    page_arg,
    parse_period,
    pct_filter,
    today,
)

SH = ZoneInfo("Asia/Shanghai")
DEFAULT = (date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
def world(capp):
    return build(capp)


def test_a_console_session_older_than_session_hours_is_sent_to_the_login(capp, world):
    client = capp.test_client()
    start = datetime(2026, 12, 1, 9, tzinfo=SH)
    with time_machine.travel(start, tick=False):
        console_login(client, "secretary1")
    # SESSION_HOURS (12) later, less a second: still logged in
    with time_machine.travel(start + timedelta(hours=12, seconds=-1), tick=False):
        assert client.get("/console/review").status_code == 200
    # exactly SESSION_HOURS later: the login page, returning to the page asked for
    with time_machine.travel(start + timedelta(hours=12), tick=False):
        res = client.get("/console/review")
        assert (res.status_code, res.headers["Location"]) == (
            302,
            "/console/login?next=/console/review",
        )


def _page(capp, query: str) -> int:
    with capp.test_request_context(f"/console/issues{query}"):
        return page_arg()


def test_the_page_of_a_list_is_the_one_page_asks_for_within_its_bounds(capp):
    assert _page(capp, "?page=3") == 3
    assert _page(capp, "") == 1
    assert _page(capp, "?page=0") == 1
    assert _page(capp, "?page=abc") == 1
    assert _page(capp, f"?page={MAX_PAGE}") == MAX_PAGE
    assert _page(capp, f"?page={MAX_PAGE + 1}") == MAX_PAGE


def _period(capp, query: str):
    with capp.test_request_context(f"/console/ledger{query}"):
        return parse_period(DEFAULT)


def test_a_period_is_read_from_from_and_to_and_else_is_the_pages_default(capp):
    assert _period(capp, "") == (*DEFAULT, None)
    assert _period(capp, "?from=2026-10-05&to=2026-10-20") == (
        date(2026, 10, 5),
        date(2026, 10, 20),
        None,
    )
    # either end alone: the other is the default's
    assert _period(capp, "?from=2026-11-10") == (date(2026, 11, 10), DEFAULT[1], None)
    assert _period(capp, "?to=2026-11-10") == (DEFAULT[0], date(2026, 11, 10), None)
    # one day is a period
    assert _period(capp, "?from=2026-11-10&to=2026-11-10") == (
        date(2026, 11, 10),
        date(2026, 11, 10),
        None,
    )


def test_a_period_that_cannot_be_read_falls_back_to_the_default_and_says_why(capp):
    assert _period(capp, "?from=2026-11-31") == (*DEFAULT, "日期格式应为 年-月-日，例如 2026-11-01")
    assert _period(capp, "?to=11/20/2026") == (*DEFAULT, "日期格式应为 年-月-日，例如 2026-11-01")
    assert _period(capp, "?from=2026-11-21&to=2026-11-20") == (*DEFAULT, "起始日期不能晚于结束日期")
    longest = date(2025, 1, 1) + timedelta(days=MAX_DAYS)
    assert _period(capp, f"?from=2025-01-01&to={longest}") == (
        date(2025, 1, 1),
        longest,
        None,
    )
    one_more = longest + timedelta(days=1)
    assert _period(capp, f"?from=2025-01-01&to={one_more}") == (*DEFAULT, "一次最多 366 天")


def test_the_error_pages_say_in_chinese_what_happened(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    res = client.get("/console/issues/999999")
    page = res.get_data(as_text=True)
    assert res.status_code == 404
    assert "找不到" in page and "您要找的内容不存在，或不在您的管辖范围内。" in page
    res = client.get("/console/accounts")  # the administrators' page
    page = res.get_data(as_text=True)
    assert res.status_code == 403
    assert "无权访问" in page and "该内容不在您的管辖范围内。" in page
    res = client.post(f"/console/wishes/{world.wish.id}/approve", data={"csrf_token": "forged"})
    page = res.get_data(as_text=True)
    assert res.status_code == 400
    assert "页面已过期" in page and "表单已过期或来源不明，请返回上一页刷新后再提交。" in page
    assert csrf(client, "/console/")  # the session survived the refusals


def test_a_disabled_account_stays_logged_out_when_it_is_enabled_again(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    world.staff.active = False
    world.staff.save()
    assert client.get("/console/").status_code == 302
    world.staff.active = True
    world.staff.save()
    # the refused visit dropped the session's token: a new login is needed
    assert client.get("/console/").status_code == 302
    assert console_login(client, "secretary1").get("/console/").status_code == 200


def _as(capp, world, account, query: str):
    """`chosen_area()` and `managed_areas()` for `account` on a request with `query`."""
    with capp.test_request_context(f"/console/ledger{query}"):
        g.console_principal = Principal.for_user(User.get_by_id(account.user_id))
        return chosen_area(), managed_areas()


def test_the_area_a_page_shows_is_the_one_asked_for_within_the_viewers_scope(capp, world):
    d = world.d
    # nothing asked: the viewer's own area
    area, picker = _as(capp, world, world.staff, "")
    assert area == d.communities[0]
    # the picker: the viewer's community and its grids, never alleys nor another community
    assert picker == [d.communities[0], d.grids[0]]
    area, picker = _as(capp, world, world.admin, f"?area=%20{d.communities[1].id}%20")
    assert area == d.communities[1]
    assert picker == [d.street, d.communities[0], d.grids[0], d.communities[1], d.grids[1]]
    # an area closed down leaves the picker: the picker is kept per worker between changes
    # (`core.figures.kept`), so at once after the next recorded change, else within the minute
    closed = [d.street, d.communities[0], d.grids[0], d.communities[1]]
    Area.update(active=False).where(Area.id == d.grids[1].id).execute()
    with time_machine.travel(utcnow().replace(tzinfo=UTC) + timedelta(seconds=61)):
        assert _as(capp, world, world.admin, "")[1] == closed
    Area.update(active=True).where(Area.id == d.grids[1].id).execute()
    with capp.app_context():
        audit.record("area.reopen", "area", d.grids[1].id, label="运维")
    assert _as(capp, world, world.admin, "")[1] == [*closed, d.grids[1]]


def test_an_area_outside_the_scope_or_unknown_is_refused_in_chinese(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    res = client.get(f"/console/ledger?area={world.d.communities[1].id}")
    page = res.get_data(as_text=True)
    assert res.status_code == 403
    assert "无权访问" in page and "该区域不在您的管辖范围内" in page
    for unknown in ("999999", "abc", "1.5"):
        res = client.get(f"/console/ledger?area={unknown}")
        assert res.status_code == 404, unknown
        assert "找不到" in res.get_data(as_text=True)


def test_a_query_parameter_with_a_control_character_is_not_read(capp):
    with capp.test_request_context("/console/issues?a=1&b=x%00&c%1B=2&d=x%09y&e=%0A"):
        capp.preprocess_request()
        assert list(request.args.items(multi=True)) == [("a", "1"), ("d", "x\ty"), ("e", "\n")]
    with capp.test_request_context("/console/issues?a=1&d=x%09y"):
        capp.preprocess_request()
        assert list(request.args.items(multi=True)) == [("a", "1"), ("d", "x\ty")]


def test_times_and_shares_read_as_shanghai_time_and_percent(capp):
    assert local_filter(datetime(2026, 12, 1, 16, 30)) == "2026-12-02 00:30"
    assert local_filter(datetime(2026, 12, 1, 16, 30), "%m-%d") == "12-02"
    assert local_filter(None) == ""
    assert pct_filter(0.98364) == "98.4%"
    assert pct_filter(0) == "0.0%"
    assert pct_filter(None) == "—"
    with time_machine.travel(datetime(2026, 12, 1, 15, 59, 59, tzinfo=ZoneInfo("UTC")), tick=False):
        assert today() == date(2026, 12, 1)
    with time_machine.travel(datetime(2026, 12, 1, 16, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        assert today() == date(2026, 12, 2)


def test_the_menu_offers_the_monthly_bulletin_to_a_streets_staff_only(capp, world):
    admin = console_login(capp.test_client(), "streetadmin").get("/console/")
    assert "月度通报" in admin.get_data(as_text=True)
    community = console_login(capp.test_client(), "secretary1").get("/console/")
    assert "月度通报" not in community.get_data(as_text=True)
