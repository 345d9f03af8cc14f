"""Odd query strings (issue 33): every GET route, of the API and of the pages, ignores the
parameters it does not know, whatever their names hold (nothing, NUL, CR LF, 5,000 letters,
bytes that are not UTF-8), and answers the ones it knows — however bad their values ("³",
which `str.isdigit` takes for a digit and `int()` refuses; NUL, which PostgreSQL refuses; 30
digits; repeated) — with a 4xx, never a 5xx.

The API's routes and their parameters come from its OpenAPI document, each called as a
resident, staff and a street admin (the fuzzers add stewards and random names). The pages' routes come from the app's URL map
and their parameters from the pages themselves: each page is first opened plainly with a
request class that writes down which query names the view reads, then each of those is sent
each bad value, as staff and as the street admin.
"""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import ImmutableMultiDict

from miniprogram_api import openapi
from tests.console_world import console_login
from tests.factories import login, login_staff

SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
CJK = re.compile(r"[\u4e00-\u9fff]")

# Query strings, as sent on the wire, whose every name is one no route knows.
ODD_NAMES = [
    "=1",
    "=",
    "&&&",
    "%00=1",
    "a%00b=1",
    "%0D%0A=1",
    "%0D%0ASet-Cookie:%20x=1=1",
    "%01%1F%7F=%00",
    "%E4%B8%AD%E6%96%87=%E2%91%A0",
    "%F0%9F%98%80=1",
    "%FF%FE=%FF",
    "n" * 5000 + "=1",
    "page%00=1",
    "%20page=1",
    "page%0A=1",
    "%03%F0%9C%A9%8E%C3%81=%C2%B3&=-4.941444518521867e%2B271",  # schemathesis, seed 20261201
]
# Values for the names a route does know, each sent alone and before a good value (every
# value of a repeated name is read, not only the last).
BAD_VALUES = [
    "%C2%B3",  # ³: a digit to str.isdigit, not to int()
    "%D9%A1%D9%A2",  # Arabic-Indic 12: a number to int(), not to pydantic
    "%EF%BC%91%EF%BC%92",  # full-width 12
    "a%00b",
    "%0D%0A",
    "",
    "9" * 30,
    "x" * 5000,
    "%FF",
    "steward%3A%C2%B3",  # a passbook named by number: `person=steward:³`
]
# The pages are slower to draw: fewer odd names, one of every kind.
PAGE_ODD_NAMES = [ODD_NAMES[i] for i in (0, 3, 5, 8, 10, 11, 12, 15)]


def _check(response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.get_data(as_text=True)[:300]}"


def _check_envelope(response, where: str) -> None:
    _check(response, where)
    if 400 <= response.status_code < 500:
        err = response.get_json()["error"]
        assert SNAKE.match(err["code"]) and CJK.search(err["message"]), f"{where}: {err}"
        assert isinstance(err["fields"], dict), f"{where}: {err}"


# --- the API ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api_roles(every_page_world):
    app, w, _ = every_page_world
    client = app.test_client()
    return {
        "resident": login(client, "居民乙"),
        "staff": login_staff(client, w.staff),
        "admin": login_staff(client, w.admin),
    }


def _get_operations():
    doc = openapi.build_document()
    for path, methods in sorted(doc["paths"].items()):
        if "get" in methods:
            yield path, methods["get"].get("parameters", [])


def _filled(path: str, params: list, every_page_world) -> str:
    _, w, _ = every_page_world
    values = {"code": w.d.boards[0].code, "issue_id": w.open_issue.id, "wish_id": w.wish.id}
    for p in params:
        if p["in"] == "path":
            path = path.replace("{" + p["name"] + "}", str(values.get(p["name"], 1)))
    return path


@pytest.mark.parametrize(
    "path,params", list(_get_operations()), ids=[p for p, _ in _get_operations()]
)
def test_api_ignores_unknown_names_and_refuses_bad_values(
    every_page_world, api_roles, path, params
):
    app = every_page_world[0]
    client = app.test_client()
    url = _filled(path, params, every_page_world)
    known = [p["name"] for p in params if p["in"] == "query"]
    for role, headers in api_roles.items():
        plain = client.get(url, headers=headers)
        _check_envelope(plain, f"{url} as {role}")
        for query in ODD_NAMES:
            res = client.get(f"{url}?{query}", headers=headers)
            where = f"{url}?{query[:60]} as {role}"
            _check_envelope(res, where)
            # ignored: the answer is the one without them
            assert res.status_code == plain.status_code, where
            if plain.is_json and plain.status_code == 200:
                assert res.get_json() == plain.get_json(), where
        for name in known:
            for value in BAD_VALUES:
                for query in (f"{name}={value}", f"{name}={value}&{name}=1"):
                    res = client.get(f"{url}?{query}", headers=headers)
                    _check_envelope(res, f"{url}?{query[:80]} as {role}")


# --- the pages --------------------------------------------------------------------------------


class _ReadNames(ImmutableMultiDict):
    """Query and form storage that writes down every name a view asks for."""

    asked: set[str] = set()

    def __getitem__(self, key):
        _ReadNames.asked.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        _ReadNames.asked.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        _ReadNames.asked.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        _ReadNames.asked.add(key)
        return super().__contains__(key)


def test_every_page_is_checked(every_page_world):
    urls = [url for _, url in every_page_world[2]]
    assert "/console/issues" in urls and "/b/" + every_page_world[1].d.boards[0].code in urls
    assert len([u for u in urls if u.startswith("/console")]) >= 35


# Every page with every bad value: 15 s of CPU each (docs/testing.md), left out of test-quick.
@pytest.mark.slow
@pytest.mark.parametrize("username", ["secretary1", "streetadmin"])
def test_pages_ignore_unknown_names_and_survive_bad_values(every_page_world, username):
    app = every_page_world[0]
    client = console_login(app.test_client(), username)
    plain_request = app.request_class
    recording = type("ReadNames", (plain_request,), {"parameter_storage_class": _ReadNames})
    for endpoint, url in every_page_world[2]:
        app.request_class = recording
        _ReadNames.asked = set()
        try:
            plain = client.get(url)
        finally:
            app.request_class = plain_request
        names = sorted(_ReadNames.asked - {"csrf_token"})
        where = f"{url} as {username}"
        _check(plain, where)
        # (drawing a board's preview takes half a second, and it reads no query string)
        for query in PAGE_ODD_NAMES if endpoint != "console.board_preview" else ODD_NAMES[:1]:
            res = client.get(f"{url}?{query}")
            _check(res, f"{where} ?{query[:60]}")
            assert res.status_code == plain.status_code, f"{where} ?{query[:60]}"
        for name in names:
            for value in BAD_VALUES:
                for query in (f"{name}={value}", f"{name}={value}&{name}=1"):
                    _check(client.get(f"{url}?{query}"), f"{where} ?{query[:80]}")
