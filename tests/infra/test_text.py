"""Property tests for the one text normalisation (infra.text): on its own, and carried through
the API → the database → the ledger, and through the scan page's form → the database.

The strategy mixes what broke things in issue 10: C0/C1 controls and NUL, zero-width and
bidi characters, fillers, 4-byte characters (emoji, CJK Extension B), lone surrogates, and
ordinary Chinese text. Runs with a fixed seed on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import io
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from infra import text
from infra.db import db
from infra.timeutil import to_local, utcnow
from models import Issue
from tests.conftest import make_app
from tests.factories import login, login_staff, make_district, make_staff

pytestmark = pytest.mark.fuzz  # hypothesis; make test-quick leaves these out

API = "/api/v1"
SPECIAL = (
    [chr(c) for c in range(0x20)]
    + ["\x7f", "\x85", "\x9f", "\u00a0", "\u034f", "\u115f", "\u180e", "\u200b", "\u200c"]
    + ["\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2060", "\u2066", "\u2069", "\u2800"]
    + ["\u3000", "\u3164", "\ufeff", "\ufe0f", "\U0001f600", "\U0001f46a", "\U00020000", "\ud800"]
)
CHINESE = "路灯坏了垃圾堆放井盖丢失王奶奶需要帮助"
pieces = st.one_of(
    st.sampled_from(SPECIAL),
    st.sampled_from(list(CHINESE)),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=3),
    st.sampled_from(["=1+2", "+", "-", "@SUM(A1)", " ", "\n", "\t"]),
)
typed = st.lists(pieces, max_size=12).map("".join)
# the same, but only what a browser form or a JSON body can carry (no lone surrogates)
encodable = typed.map(lambda s: "".join(c for c in s if not 0xD800 <= ord(c) < 0xE000))

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# --- the function itself ----------------------------------------------------------------------


@SETTINGS
@given(typed)
def test_normalise_keeps_only_what_can_be_stored_and_read(value):
    out = text.normalise(value)
    assert text.normalise(out) == out  # idempotent
    for ch in out:
        assert ch in "\t\n" or unicodedata.category(ch) not in ("Cc", "Cs")
    assert out == "" or not (text.is_invisible(out[0]) or text.is_invisible(out[-1]))
    assert text.is_blank(value) == (out == "")
    # nothing visible is ever lost: every character with ink survives, in order
    visible = [c for c in value if not text.is_invisible(c) and unicodedata.category(c)[0] != "C"]
    assert [c for c in out if c in visible] == visible
    out.encode("utf-8")  # always storable as UTF-8 (PostgreSQL, the xlsx)


@SETTINGS
@given(typed)
def test_clean_drops_controls_and_surrogates_only(value):
    out = text.clean(value)
    expected = [
        "\n" if c == "\r" else c
        for c in value.replace("\r\n", "\n")
        if c in "\t\n\r" or unicodedata.category(c) not in ("Cc", "Cs")
    ]
    assert out == "".join(expected)


# --- through the system -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("text"), SCAN_SUBMIT_LIMIT=100_000)
    with app.app_context():
        client = app.test_client()
        d = make_district(communities=1, alleys_per_community=1)
        yield {
            "client": client,
            "board": d.boards[0].code,
            "resident": login(client, "张大妈"),
            "staff": login_staff(client, make_staff(d.communities[0])),
        }
    if not db.is_closed():
        db.close()


def _ledger_contents(w) -> dict[str, object]:
    today = to_local(utcnow()).date().isoformat()  # today's items, whatever the default period
    res = w["client"].get(f"{API}/ledger.xlsx?date_from={today}", headers=w["staff"])
    assert res.status_code == 200
    sheet = load_workbook(io.BytesIO(res.data))["诉求台账"]
    return {row[0].value: row[3] for row in sheet.iter_rows(min_row=3)}  # title, header, rows


@SETTINGS
@given(encodable)
def test_api_to_database_to_ledger(world, value):
    client = world["client"]
    body = {"board_code": world["board"], "category": "其他", "content": value}
    res = client.post(f"{API}/issues", json=body, headers=world["resident"])
    expected = text.normalise(value)
    if not expected:
        assert res.status_code == 400
        assert res.get_json()["error"]["fields"]["content"] in ("不能为空", "至少 1 个字")
        return
    assert res.status_code == 201, res.get_json()
    created = res.get_json()
    number = (created.get("issue") or created)["number"]
    stored = Issue.get(Issue.number == number)
    assert stored.content == expected
    cell = _ledger_contents(world)[number]
    assert cell.data_type == "s"  # text, never a formula
    assert cell.value == expected


@SETTINGS
@given(encodable)
def test_scan_page_form_to_database(world, value):
    client = world["client"]
    before = Issue.select().count()
    res = client.post(
        f"/b/{world['board']}/issues",
        data={"category": "其他", "content": value},
        content_type="multipart/form-data",
    )
    expected = text.normalise(value)
    if not expected:
        assert res.status_code == 400 and "请填写问题描述" in res.get_data(as_text=True)
        assert Issue.select().count() == before
        return
    if len(expected) > 1000:
        assert res.status_code == 400
        return
    assert res.status_code == 303, res.get_data(as_text=True)[:300]
    newest = Issue.select().order_by(Issue.id.desc()).first()
    assert newest.content == expected
    # the tracking page shows it back, escaped, without a 500
    page = client.get(res.headers["Location"])
    assert page.status_code == 200
