"""`/metrics`: scraped and parsed with prometheus_client's own parser after real actions (a
report, a board scan, a push sent and one failed at the fake WeCom), who may read it, and
multiprocess mode — two processes writing one PROMETHEUS_MULTIPROC_DIR, one scrape adding
them up, gunicorn's hooks cleaning up after dead workers."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from prometheus_client.parser import text_string_to_metric_families

from core.delivery import groups, outbox
from infra.db import db
from tests.conftest import make_app
from tests.factories import make_district

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "scrape-secret-1"
KEY = "robot-key-metrics"
WEBHOOK = "/cgi-bin/webhook/send"


def scrape(client, token=TOKEN) -> dict:
    """{(sample name, sorted labels): value} of one scrape, through the real parser."""
    res = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200, res.get_data(as_text=True)
    assert res.content_type.startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(res.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def wx(online_app, fake_wechat):
    online_app.config["METRICS_TOKEN"] = TOKEN
    fake_wechat.enforce_recent_visit = False
    client = online_app.test_client()
    d = make_district()
    groups.create(d.communities[0], KEY)
    fake_wechat.add_robot(KEY)
    res = client.post("/api/v1/auth/login", json={"code": "ok:居民甲"})
    assert res.status_code == 200, res.get_json()
    resident = {"Authorization": f"Bearer {res.get_json()['token']}"}
    return {"client": client, "fake": fake_wechat, "d": d, "resident": resident}


def _report(wx, content="楼道里堆了杂物") -> int:
    res = wx["client"].post(
        "/api/v1/issues",
        json={"board_code": wx["d"].boards[0].code, "category": "环境卫生", "content": content},
        headers=wx["resident"],
    )
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def test_a_scrape_after_real_actions_shows_them(wx):
    client, fake = wx["client"], wx["fake"]
    before = scrape(client)

    _report(wx)
    assert client.get(f"/b/{wx['d'].boards[0].code}").status_code == 200
    assert outbox.deliver_due()["sent"] >= 1  # the new report's push to the group
    _report(wx, "路灯坏了")
    fake.fail_next(WEBHOOK, -1)  # WeCom busy: not delivered, retried later
    assert outbox.deliver_due()["retry"] == 1

    after = scrape(client)
    route = {"route": "/api/v1/issues", "method": "POST"}
    assert (
        value(after, "xiaoxiang_http_requests_total", **route, status="201")
        - value(before, "xiaoxiang_http_requests_total", **route, status="201")
        == 2
    )
    # the latency histogram saw them too, each under some bucket
    assert (
        value(after, "xiaoxiang_http_request_duration_seconds_count", **route)
        - value(before, "xiaoxiang_http_request_duration_seconds_count", **route)
        == 2
    )
    assert value(after, "xiaoxiang_http_request_duration_seconds_bucket", **route, le="+Inf") == (
        value(after, "xiaoxiang_http_request_duration_seconds_count", **route)
    )
    # by template, never by raw path
    board_route = {"route": "/b/<code>", "method": "GET", "status": "200"}
    assert value(after, "xiaoxiang_http_requests_total", **board_route) >= 1
    assert not any(wx["d"].boards[0].code in dict(labels).get("route", "") for _, labels in after)

    assert (
        value(after, "xiaoxiang_actions_total", action="issue.create")
        - value(before, "xiaoxiang_actions_total", action="issue.create")
        == 2
    )
    assert (
        value(after, "xiaoxiang_board_scans_total") - value(before, "xiaoxiang_board_scans_total")
        == 1
    )
    sent = {"kind": "robot", "outcome": "sent"}
    failed = {"kind": "robot", "outcome": "retry"}
    assert (
        value(after, "xiaoxiang_outbox_deliveries_total", **sent)
        - value(before, "xiaoxiang_outbox_deliveries_total", **sent)
        == 1
    )
    assert (
        value(after, "xiaoxiang_outbox_deliveries_total", **failed)
        - value(before, "xiaoxiang_outbox_deliveries_total", **failed)
        == 1
    )
    # read from the database at the scrape: the failed push waits for its retry
    assert value(after, "xiaoxiang_outbox_messages", kind="robot", status="pending") == 1
    assert value(after, "xiaoxiang_outbox_messages", kind="robot", status="dead") == 0
    assert value(after, "xiaoxiang_database_up") == 1
    assert value(after, "xiaoxiang_schema_version") == value(
        after, "xiaoxiang_schema_version_expected"
    )


def test_the_oldest_due_message_ages_while_nothing_delivers(app):
    app.config["METRICS_TOKEN"] = TOKEN
    client = app.test_client()
    start = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        assert value(scrape(client), "xiaoxiang_outbox_oldest_due_age_seconds") == 0
        outbox.enqueue("subscribe", "o_someone", {"touser": "o_someone"}, key="age:1")
        clock.shift(timedelta(minutes=3))
        assert value(scrape(client), "xiaoxiang_outbox_oldest_due_age_seconds") == 180
        outbox.deliver_due()
        assert value(scrape(client), "xiaoxiang_outbox_oldest_due_age_seconds") == 0


def test_database_pool_connections_in_use(app):
    app.config["METRICS_TOKEN"] = TOKEN
    client = app.test_client()
    db.connect(reuse_if_open=True)  # the test's own (its app context's), kept by every request
    base = value(scrape(client), "xiaoxiang_db_pool_connections", state="in_use")
    assert base >= 1
    held, release = threading.Event(), threading.Event()

    def hold():
        db.connect()  # this thread's own connection, checked out of the pool
        held.set()
        release.wait()
        db.close()

    worker = threading.Thread(target=hold)
    worker.start()
    held.wait()
    try:
        during = value(scrape(client), "xiaoxiang_db_pool_connections", state="in_use")
    finally:
        release.set()
        worker.join()
    assert during == base + 1
    assert value(scrape(client), "xiaoxiang_db_pool_connections", state="in_use") == base
    assert value(scrape(client), "xiaoxiang_db_pool_connections", state="idle") >= 1


# --- who may read it ----------------------------------------------------------------------------


def test_metrics_are_never_public(app, client):
    assert client.get("/metrics").status_code == 404  # nobody configured: no such page
    app.config["METRICS_TOKEN"] = TOKEN
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 403
    assert scrape(client)  # the right token


def test_allowed_addresses_and_proxies(app, client):
    app.config["METRICS_ALLOW"] = "10.0.0.0/8, 192.168.1.5"
    ok = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.3.4"})
    assert ok.status_code == 200 and b"xiaoxiang_http_requests_total" in ok.data
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.168.1.5"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.168.1.6"}).status_code == 403
    assert client.get("/metrics").status_code == 403  # 127.0.0.1 is not on the list
    # through a proxy whose headers are not trusted, the proxy's own address proves nothing
    via_proxy = {"REMOTE_ADDR": "10.0.0.1"}
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    assert client.get("/metrics", environ_base=via_proxy, headers=forwarded).status_code == 403
    # trusted (nginx in front): the client it names is the one checked
    app.config["TRUST_PROXY_HEADERS"] = True
    assert client.get("/metrics", environ_base=via_proxy, headers=forwarded).status_code == 403
    inside = {"X-Forwarded-For": "10.9.9.9"}
    assert client.get("/metrics", environ_base=via_proxy, headers=inside).status_code == 200


def test_a_bad_allow_entry_stops_the_start(tmp_path):
    with pytest.raises(ValueError, match="METRICS_ALLOW.*10.0.0.300"):
        make_app(tmp_path, METRICS_ALLOW="127.0.0.1, 10.0.0.300")


# --- multiprocess mode ---------------------------------------------------------------------------

# One worker process: builds the app on the test's database and answers some requests.
WORKER = """
import sys
from app import create_app
app = create_app({"TESTING": True, "INSTANCE_PATH": sys.argv[1], "DATABASE_URL": sys.argv[2],
                  "SECRET_KEY": "test-secret"})
client = app.test_client()
for _ in range(int(sys.argv[3])):
    res = client.get("/readyz")
    assert res.status_code == 200, res.get_data(as_text=True)  # what was not ready, if ever
"""


def _gunicorn_hooks():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Worker:
    """What gunicorn hands `child_exit`: the exited worker (only its pid is read)."""

    def __init__(self, pid: int):
        self.pid = pid


@pytest.mark.slow  # real processes
def test_two_processes_one_scrape(app, tmp_path, monkeypatch):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    pids = []
    for n, count in (("a", 3), ("b", 5)):
        # A fresh interpreter each (never a fork of this threaded test process).
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                str(tmp_path / f"instance-{n}"),
                app.config["DATABASE_URL"],
                str(count),
            ],
            cwd=ROOT,
            env=env,
        )
        assert child.wait(timeout=120) == 0
        pids.append(child.pid)
    assert {p.name for p in directory.glob("counter_*.db")} == {f"counter_{p}.db" for p in pids}

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    app.config["METRICS_TOKEN"] = TOKEN
    client = app.test_client()
    ready = {"route": "/readyz", "method": "GET", "status": "200"}
    samples = scrape(client)
    assert value(samples, "xiaoxiang_http_requests_total", **ready) == 3 + 5  # both processes
    assert (
        value(
            samples, "xiaoxiang_http_request_duration_seconds_count", route="/readyz", method="GET"
        )
        == 8
    )
    # each process left one idle pooled connection; a live-sum gauge adds the live ones
    assert value(samples, "xiaoxiang_db_pool_connections", state="idle") == 2
    assert value(samples, "xiaoxiang_database_up") == 1  # the database part is read here

    hooks = _gunicorn_hooks()
    hooks.child_exit(None, _Worker(pids[0]))  # gunicorn: worker a has exited
    samples = scrape(client)
    assert value(samples, "xiaoxiang_db_pool_connections", state="idle") == 1
    assert value(samples, "xiaoxiang_http_requests_total", **ready) == 8  # counters stay

    # the next start of gunicorn forgets the processes that are gone, keeps live ones
    live = directory / f"counter_{os.getpid()}.db"
    live.write_bytes((directory / f"counter_{pids[1]}.db").read_bytes())
    hooks.on_starting(None)
    assert [p.name for p in directory.glob("*.db")] == [live.name]


def test_gunicorn_reads_the_hooks_from_the_project_folder():
    # gunicorn's default config file is ./gunicorn.conf.py: the contract's plain
    # `gunicorn "app:create_app()"` picks the hooks up; and the file sets no other option.
    from gunicorn.config import Config

    config = Config()
    assert config.settings["config"].default == "./gunicorn.conf.py"
    hooks = _gunicorn_hooks()
    names = {name for name in vars(hooks) if name in config.settings}
    assert names == {"on_starting", "child_exit"}


# A worker whose metrics directory vanished after it started (a tmpfs cleared by mistake).
VANISHED = """
import os, shutil, sys
from app import create_app
from core import schema
from infra.db import db
from tests.factories import login, make_district
app = create_app({"TESTING": True, "INSTANCE_PATH": sys.argv[1],
                  "DATABASE_URL": "sqlite:///" + sys.argv[1] + "/x.db", "SECRET_KEY": "s"})
with app.app_context():
    db.connect()
    schema.upgrade()
    code = make_district().boards[0].code
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    client = app.test_client()
    res = client.post("/api/v1/issues", headers=login(client, "居民"),
                      json={"board_code": code, "category": "环境卫生", "content": "井盖松了"})
    assert res.status_code == 201, res.get_data(as_text=True)
    assert client.get(f"/b/{code}").status_code == 200
print("served")
"""


def test_a_vanished_metrics_directory_costs_no_request(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus")}
    result = subprocess.run(
        [sys.executable, "-c", VANISHED, str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "served"
    assert "metrics: could not record a value" in result.stderr  # said once, not per request
    assert result.stderr.count("metrics: could not record a value") == 1
