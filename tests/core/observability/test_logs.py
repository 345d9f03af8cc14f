"""Log lines and error reports: with LOG_FORMAT=json one JSON line per request and per job run,
read back and checked field by field, never holding the phone, token or text a request posted;
request ids taken from a trusted proxy only and carried into the outbox rows a request queues;
Sentry reports (to a local fake endpoint) without the phone."""

from __future__ import annotations

import gzip
import io
import json
import logging
import re
import threading
from types import SimpleNamespace

import pytest
import sentry_sdk
from apscheduler.schedulers.background import BackgroundScheduler
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from core.delivery import groups, outbox, subscriptions
from core.observability import errors
from jobs.scheduler import configure
from models import OutboxMessage, User
from tests.conftest import make_app
from tests.factories import login, login_staff, login_steward, make_district, make_staff

PHONE = "13912345678"
SECRET_TEXT = "三楼王家天天吵架XYZ"
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
WEBHOOK = "/cgi-bin/webhook/send"


@pytest.fixture
def lines():
    """A stream handler on the root logger (as a server's stderr), read back as lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: stream.getvalue().splitlines()
    root.removeHandler(handler)


def _json_lines(lines) -> list[dict]:
    return [json.loads(line) for line in lines()]  # every line is one JSON object


def _report(client, headers, board_code):
    return client.post(
        "/api/v1/issues",
        json={
            "board_code": board_code,
            "category": "邻里纠纷",
            "content": SECRET_TEXT,
            "contact_phone": PHONE,
        },
        headers=headers,
    )


def test_one_json_line_per_request_without_personal_data(tmp_path, lines):
    app = make_app(tmp_path, LOG_FORMAT="json")
    with app.app_context():
        d = make_district()
        client = app.test_client()
        headers = login(client, "居民乙")
        token = headers["Authorization"].split()[1]
        res = _report(client, headers, d.boards[0].code)
        assert res.status_code == 201
        user_id = User.get(User.openid.is_null(False)).id  # the one resident
        records = _json_lines(lines)
    requests = [r for r in records if r["logger"] == "xiaoxiang.request"]
    assert [(r["method"], r["route"], r["status"]) for r in requests] == [
        ("POST", "/api/v1/auth/login", 200),
        ("POST", "/api/v1/issues", 201),
    ]
    line = requests[-1]
    assert line["request_id"] == res.headers["X-Request-Id"]
    assert REQUEST_ID.match(line["request_id"])
    assert line["level"] == "INFO" and line["user_id"] == user_id
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00", line["time"])
    assert requests[0].get("user_id") is None  # not signed in yet
    everything = "\n".join(lines())
    for secret in (PHONE, token, SECRET_TEXT, d.boards[0].code):
        assert secret not in everything


def test_an_error_line_masks_a_phone_and_keeps_the_request_id(tmp_path, lines):
    app = make_app(tmp_path, LOG_FORMAT="json")

    def boom():
        raise RuntimeError(f"联系 {PHONE} 失败")

    app.add_url_rule("/api/v1/_test_boom", "test_boom", boom)
    with app.app_context():
        res = app.test_client().get("/api/v1/_test_boom")
    assert res.status_code == 500
    records = _json_lines(lines)
    (error,) = [r for r in records if r["level"] == "ERROR"]
    assert "RuntimeError: 联系 1********** 失败" in error["exception"]
    assert error["request_id"] == res.headers["X-Request-Id"]
    (request,) = [r for r in records if r["logger"] == "xiaoxiang.request"]
    assert (request["status"], request["level"]) == (500, "WARNING")
    assert PHONE not in "\n".join(lines())


def test_the_human_format_stays_the_default(tmp_path, lines):
    app = make_app(tmp_path)
    with app.app_context():
        assert app.test_client().get("/healthz").status_code == 200
    assert lines() == []  # no request line: the server's own access log says it
    logging.getLogger("xiaoxiang.test").warning("巡查提醒已发出")
    (line,) = lines()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING xiaoxiang.test: 巡查提醒已发出", line
    )


def test_one_json_line_per_job_run(tmp_path, lines):
    app = make_app(tmp_path, LOG_FORMAT="json")
    with app.app_context():
        deliver = configure(app, BackgroundScheduler()).get_job("outbox.deliver").func
        deliver()  # nothing to do: still a line
        outbox.enqueue("subscribe", "o_x", {"touser": "o_x"}, key="job-line:1")
        deliver()
    runs = [r for r in _json_lines(lines) if r.get("job") == "outbox"]
    assert [(r["outcome"], r["message"]) for r in runs] == [
        ("ok", "投递消息：无事可做"),
        ("ok", "投递消息：sent 1"),
    ]
    assert all(r["request_id"].startswith("job-outbox-") for r in runs)
    assert runs[0]["request_id"] != runs[1]["request_id"]
    assert all(isinstance(r["duration_ms"], int) for r in runs)


# --- request ids ------------------------------------------------------------------------------


def test_a_request_id_is_taken_only_from_a_trusted_proxy(app, client):
    given = {"X-Request-Id": "nginx-5f2c9a"}
    forged = client.get("/healthz", headers=given).headers["X-Request-Id"]
    assert forged != "nginx-5f2c9a" and REQUEST_ID.match(forged)  # a client's own: ignored
    app.config["TRUST_PROXY_HEADERS"] = True
    assert client.get("/healthz", headers=given).headers["X-Request-Id"] == "nginx-5f2c9a"
    unsafe = client.get("/healthz", headers={"X-Request-Id": "a b\u0000"})
    assert REQUEST_ID.match(unsafe.headers["X-Request-Id"])


def test_outbox_rows_carry_the_request_that_queued_them(app, client):
    d = make_district()
    groups.create(d.communities[0], "robot-key-trace")
    resident = login(client, "居民丙")
    template = {"template_id": subscriptions.OFFLINE_TEMPLATE}
    assert client.post("/api/v1/subscriptions", json=template, headers=resident).status_code == 201
    res = _report(client, resident, d.boards[0].code)
    assert res.status_code == 201
    rows = list(OutboxMessage.select())  # the group's push, queued with the report
    assert rows and {r.request_id for r in rows} == {res.headers["X-Request-Id"]}
    steward = login_steward(client, d.stewards[0])
    accepted = client.post(f"/api/v1/issues/{res.get_json()['id']}/accept", headers=steward)
    assert accepted.status_code == 200
    (notice,) = OutboxMessage.select().where(OutboxMessage.kind == "subscribe")
    assert notice.request_id == accepted.headers["X-Request-Id"]  # the resident's notice
    page = client.get("/dev/outbox").get_data(as_text=True)
    assert res.headers["X-Request-Id"] in page and notice.request_id in page
    # queued outside any request (a CLI, a job): no request id
    assert outbox.enqueue("subscribe", "o_y", {"touser": "o_y"}, key="cli:1").request_id is None


def test_a_failed_push_leads_back_to_its_request(online_app, fake_wechat, caplog):
    fake_wechat.enforce_recent_visit = False
    client = online_app.test_client()
    d = make_district()
    groups.create(d.communities[0], "robot-key-fail")
    fake_wechat.add_robot("robot-key-fail")
    login_res = client.post("/api/v1/auth/login", json={"code": "ok:居民丁"})
    resident = {"Authorization": f"Bearer {login_res.get_json()['token']}"}
    res = _report(client, resident, d.boards[0].code)
    request_id = res.headers["X-Request-Id"]
    fake_wechat.fail_next(WEBHOOK, -1)
    with caplog.at_level(logging.WARNING, logger="core.delivery.outbox"):
        assert outbox.deliver_due()["retry"] == 1
    (warning,) = [r for r in caplog.records if r.name == "core.delivery.outbox"]
    assert f"queued by request {request_id}" in warning.getMessage()
    assert warning.queued_request_id == request_id
    staff = login_staff(client, make_staff(d.communities[0]))
    items = client.get("/api/v1/outbox?status=pending", headers=staff).get_json()["items"]
    assert [i["request_id"] for i in items] == [request_id]


# --- Sentry ------------------------------------------------------------------------------------


class FakeSentry:
    """A local HTTP endpoint taking what sentry-sdk sends (envelopes, maybe gzipped)."""

    def __init__(self):
        self.bodies: list[bytes] = []
        self.server = make_server("127.0.0.1", 0, self._app)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @Request.application
    def _app(self, request: Request) -> Response:
        body = request.get_data()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.bodies.append(body)
        return Response("{}", content_type="application/json")

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server.server_port}/1"

    def events(self) -> list[dict]:
        found = []
        for body in self.bodies:
            parts = body.split(b"\n")
            for header, payload in zip(parts[1::2], parts[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


@pytest.fixture
def fake_sentry():
    fake = FakeSentry()
    fake.thread.start()
    yield fake
    errors.init_app(SimpleNamespace(config={}))  # reports off again for the other tests
    fake.server.shutdown()


def test_an_error_reaches_sentry_without_the_phone(tmp_path, fake_sentry):
    app = make_app(tmp_path, SENTRY_DSN=fake_sentry.dsn)

    def boom(n):
        raise RuntimeError(f"寄给 {PHONE} 的消息失败")

    app.add_url_rule("/api/v1/_test_boom/<int:n>", "test_boom", boom, methods=["POST"])
    with app.app_context():
        res = app.test_client().post(
            f"/api/v1/_test_boom/7?phone={PHONE}",
            json={"contact_phone": PHONE, "content": SECRET_TEXT},
            headers={"Authorization": "Bearer secret-token-abc"},
        )
    assert res.status_code == 500
    sentry_sdk.flush(timeout=10)
    (event,) = fake_sentry.events()
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == "寄给 1********** 的消息失败"
    assert event["request"] == {"method": "POST", "url": "/api/v1/_test_boom/<int:n>"}
    assert event["tags"]["request_id"] == res.headers["X-Request-Id"]
    raw = b"".join(fake_sentry.bodies).decode()
    for secret in (PHONE, SECRET_TEXT, "secret-token-abc"):
        assert secret not in raw


def test_no_reports_without_a_dsn(tmp_path, fake_sentry):
    make_app(tmp_path / "a", SENTRY_DSN=fake_sentry.dsn)  # reporting in this process…
    app = make_app(tmp_path / "b")  # …until an app without a DSN is built

    def boom():
        raise RuntimeError("nobody hears this")

    app.add_url_rule("/api/v1/_test_boom", "test_boom", boom)
    with app.app_context():
        assert app.test_client().get("/api/v1/_test_boom").status_code == 500
    sentry_sdk.flush(timeout=2)
    assert fake_sentry.events() == []
