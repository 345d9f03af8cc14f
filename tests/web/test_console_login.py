"""Where the console login returns to (`next=`, issue 33): a path inside the console, or else
the dashboard, as a clean redirect. A `next` holding CR/LF answered 500 (the header could not
be written); one pointing elsewhere (`//evil`, `\\\\evil`, `javascript:`) must never leave
the console, whether the page was asked for logged in (GET) or the form was sent (POST)."""

from __future__ import annotations

import pytest

from infra.db import db
from tests.conftest import make_app
from tests.console_world import build, console_login, csrf

DASHBOARD = "/console/"

BAD_NEXT = [
    "/console/\r\nSet-Cookie: stolen=1",
    "/console/\nLocation: https://evil.example/",
    "/console/\rX",
    "/console/\x00",
    "/console/\x1b[31m",
    "/console/\x7f",
    "/console/\tissues",
    "/console/ issues",
    "/console/中文",
    "//evil.example/console",
    "///evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "/console\\..\\..\\evil.example",
    "/console/..\\..\\evil.example",
    "/console/../../evil",
    "/console/%2e%2e/%2E%2E/evil",
    "/console@evil.example",
    "/consoleevil",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)//console",
    "https://evil.example/console/",
    "http:/console",
    "data:text/html,<script>alert(1)</script>",
    "",
    " /console/issues",
]
GOOD_NEXT = [
    "/console",
    "/console/",
    "/console/issues?status=open&q=%E5%BC%A0",
    "/console/wishes#x",
]


@pytest.fixture
def capp(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        build(app)
        yield app
    if not db.is_closed():
        db.close()


@pytest.mark.parametrize("target", BAD_NEXT)
def test_a_bad_next_is_a_clean_redirect_to_the_dashboard(capp, target):
    # the form sent with it
    client = capp.test_client()
    res = client.post(
        "/console/login",
        data={
            "username": "secretary1",
            "password": "password123",
            "next": target,
            "csrf_token": csrf(client),
        },
    )
    assert (res.status_code, res.headers["Location"]) == (302, DASHBOARD)
    assert "stolen" not in res.headers.get("Set-Cookie", "")
    # the login page asked for while logged in
    res = client.get("/console/login", query_string={"next": target})
    assert (res.status_code, res.headers["Location"]) == (302, DASHBOARD)
    # and logged out: the form carries the dashboard, not what was asked
    anonymous = capp.test_client()
    res = anonymous.get("/console/login", query_string={"next": target})
    assert res.status_code == 200
    assert f'name="next" value="{DASHBOARD}"' in res.get_data(as_text=True)


def test_a_crlf_in_the_raw_query_string_is_a_clean_redirect(capp):
    client = console_login(capp.test_client(), "secretary1")
    for raw in ("next=/console/%0D%0ASet-Cookie:%20x=1", "next=/console/%0a", "next=%2F%2Fevil"):
        res = client.get(f"/console/login?{raw}")
        assert (res.status_code, res.headers["Location"]) == (302, DASHBOARD), raw


@pytest.mark.parametrize("target", GOOD_NEXT)
def test_a_console_path_is_where_the_login_returns(capp, target):
    client = capp.test_client()
    res = client.post(
        "/console/login",
        data={
            "username": "secretary1",
            "password": "password123",
            "next": target,
            "csrf_token": csrf(client),
        },
    )
    assert (res.status_code, res.headers["Location"]) == (302, target)


def test_a_page_asked_for_logged_out_is_where_the_login_returns(capp):
    client = capp.test_client()
    res = client.get("/console/issues?status=open&q=%E5%BC%A0")
    assert res.status_code == 302
    login_page = res.headers["Location"]
    res = client.get(login_page)
    assert 'name="next" value="/console/issues?status=open&amp;q=%E5%BC%A0"' in res.get_data(
        as_text=True
    )
    res = client.post(
        login_page,
        data={
            "username": "secretary1",
            "password": "password123",
            "next": "/console/issues?status=open&q=%E5%BC%A0",
            "csrf_token": csrf(client),
        },
    )
    assert res.headers["Location"] == "/console/issues?status=open&q=%E5%BC%A0"
