"""Health: `/readyz` (database reachable, schema current) apart from `/healthz` (alive); the
scheduler's health — its lease and each job's last run — in `/metrics` and in the console's
系统状态 page."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from core import schema
from core.delivery import outbox
from core.observability import health
from infra.db import db
from jobs.scheduler import configure
from models import JobStatus, SchemaVersion
from tests.conftest import PG_URL, make_app
from tests.console_world import console_login
from tests.factories import make_district, make_staff

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
TOKEN = "scrape-secret-3"


def _scrape(client) -> dict:
    res = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert res.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(res.get_data(as_text=True))
        for s in family.samples
    }


# --- /readyz ------------------------------------------------------------------------------------


def test_ready_when_the_database_answers_and_the_schema_is_current(client):
    res = client.get("/readyz")
    assert res.status_code == 200
    body = res.get_json()
    assert body["ready"] is True and body["checks"]["database"] == {"ok": True}
    migrations = body["checks"]["migrations"]
    assert (
        migrations["ok"]
        and migrations["current"] == migrations["expected"] == schema.latest_version()
    )


def test_not_ready_while_a_migration_is_pending(app, client):
    latest = schema.latest_version()
    SchemaVersion.delete().where(SchemaVersion.version == latest).execute()
    res = client.get("/readyz")
    assert res.status_code == 503
    body = res.get_json()
    assert body["ready"] is False and body["checks"]["database"]["ok"] is True
    migrations = body["checks"]["migrations"]
    assert migrations["ok"] is False and migrations["current"] < migrations["expected"] == latest
    assert "init-db" in migrations["message"]
    assert client.get("/healthz").status_code == 200  # alive all the same
    schema.upgrade()
    assert client.get("/readyz").status_code == 200


def _unreachable_database(tmp_path: Path) -> str:
    if PG_URL:
        with socket.socket() as s:  # a port nothing listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        return f"postgresql://nobody@127.0.0.1:{port}/nothing"
    folder = tmp_path / "not-a-file.db"
    folder.mkdir()  # SQLite cannot open a folder as its database
    return f"sqlite:///{folder}"


def test_not_ready_without_a_database(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": _unreachable_database(tmp_path),
            "SECRET_KEY": "test-secret",
            "METRICS_TOKEN": TOKEN,
        }
    )
    client = app.test_client()
    res = client.get("/readyz")
    assert res.status_code == 503
    body = res.get_json()
    assert body["ready"] is False
    assert body["checks"]["database"]["ok"] is False
    assert "DATABASE_URL" in body["checks"]["database"]["message"]
    assert client.get("/healthz").status_code == 200
    # the scrape still answers, and says so
    samples = _scrape(client)
    assert samples[("xiaoxiang_database_up", ())] == 0


# --- the scheduler ---------------------------------------------------------------------------


@pytest.fixture
def scheduler(app):
    app.config["METRICS_TOKEN"] = TOKEN
    return configure(app, BackgroundScheduler())


def test_job_runs_are_recorded_and_a_late_job_shows(app, scheduler):
    client = app.test_client()
    deliver = scheduler.get_job("outbox.deliver").func
    with time_machine.travel(T0, tick=False) as clock:
        outbox.enqueue("subscribe", "o_someone", {"touser": "o_someone"}, key="h:1")
        deliver()
        row = JobStatus.get_by_id("outbox")
        assert (row.label, row.interval_seconds, row.runs, row.failures) == ("投递消息", 5, 1, 0)
        assert row.last_success_at == T0.replace(tzinfo=None)
        assert row.holder == scheduler.worker.holder
        state = health.scheduler()
        assert state["ok"] and state["lease"].fresh
        assert [(j.row.name, j.state) for j in state["jobs"]] == [("outbox", "ok")]
        samples = _scrape(client)
        assert samples[("xiaoxiang_scheduler_lease_fresh", ())] == 1
        assert samples[("xiaoxiang_job_healthy", (("job", "outbox"),))] == 1
        assert samples[("xiaoxiang_job_runs_total", (("job", "outbox"),))] == 1
        assert samples[("xiaoxiang_job_last_success_timestamp_seconds", (("job", "outbox"),))] == (
            T0.timestamp()
        )
        holder = (("holder", scheduler.worker.holder),)
        assert samples[("xiaoxiang_scheduler_lease_holder_info", holder)] == 1

        clock.shift(timedelta(seconds=60))  # within 5 s + a minute and a tenth
        assert health.scheduler()["jobs"][0].state == "ok"
        clock.shift(timedelta(seconds=10))  # the scheduler stopped: nothing ran since
        state = health.scheduler()
        assert not state["ok"] and not state["lease"].fresh
        assert state["jobs"][0].state == "late"
        samples = _scrape(client)
        assert samples[("xiaoxiang_scheduler_lease_fresh", ())] == 0
        assert samples[("xiaoxiang_job_healthy", (("job", "outbox"),))] == 0

        deliver()  # it is back
        assert health.scheduler()["ok"]
        assert JobStatus.get_by_id("outbox").runs == 2


def test_a_failing_job_shows_until_it_succeeds(app, scheduler):
    worker = scheduler.worker
    worker.intervals["probe"] = 60
    outcomes = iter([ZeroDivisionError("division by zero"), None, KeyError("gone")])

    def probe():
        failure = next(outcomes)
        if failure:
            raise failure
        return {"checked": 1}

    run = worker.leader_only(probe, "probe")
    with time_machine.travel(T0, tick=False) as clock:
        assert run() is None  # logged, not raised: the scheduler carries on
        row = JobStatus.get_by_id("probe")
        assert (row.runs, row.failures, row.last_success_at) == (1, 1, None)
        assert row.last_error == "ZeroDivisionError: division by zero"
        assert [j.state for j in health.jobs()] == ["failing"]
        clock.shift(timedelta(seconds=1))
        assert run() == {"checked": 1}
        row = JobStatus.get_by_id("probe")
        assert (row.runs, row.failures) == (2, 1)
        assert [j.state for j in health.jobs()] == ["ok"]
        clock.shift(timedelta(seconds=1))
        assert run() is None  # failing again, after a success
        assert [j.state for j in health.jobs()] == ["failing"]
        assert JobStatus.get_by_id("probe").last_error == "KeyError: 'gone'"


def test_a_standby_scheduler_records_nothing(app, scheduler):
    other = configure(app, BackgroundScheduler(), holder="other-host:1:standby")
    with time_machine.travel(T0, tick=False):
        scheduler.get_job("outbox.deliver").func()  # takes the lease
        other.get_job("outbox.deliver").func()  # stands by
    assert JobStatus.get_by_id("outbox").holder == scheduler.worker.holder
    assert JobStatus.get_by_id("outbox").runs == 1


def test_every_job_knows_its_interval(scheduler):
    assert scheduler.worker.intervals == {
        "outbox": 5,
        "report": 60,
        "reminders": 900,
        "autoclose": 3600,
        "housekeeping": 86400,
        "assessment": 86400,
        "bulletin": 86400,
        "boards": 86400,
    }


# --- the console's 系统状态 -----------------------------------------------------------------


def test_the_system_page_shows_the_scheduler_to_admins(tmp_path):
    app = make_app(tmp_path, PUBLIC_BASE_URL="http://xx.example.cn")
    with app.app_context():
        d = make_district()
        admin = make_staff(d.street, role="admin")
        staff = make_staff(d.communities[0])
        scheduler = configure(app, BackgroundScheduler())
        client = app.test_client()
        with time_machine.travel(T0, tick=True) as clock:
            page = console_login(client, admin.username).get("/console/system")
            assert page.status_code == 200
            text = page.get_data(as_text=True)
            assert "调度进程从未运行" in text and "还没有任务运行过" in text

            scheduler.get_job("outbox.deliver").func()
            text = client.get("/console/system").get_data(as_text=True)
            assert "正在运行" in text and scheduler.worker.holder in text
            assert "投递消息" in text and "每 5 秒" in text and "超时未运行" not in text

            clock.shift(timedelta(minutes=5))
            text = client.get("/console/system").get_data(as_text=True)
            assert "调度进程已停止" in text and "超时未运行" in text
            version = schema.latest_version()
            assert f"数据库结构版本 {version}，程序需要 {version}" in text

        other = app.test_client()
        assert console_login(other, staff.username).get("/console/system").status_code == 403
        if not db.is_closed():
            db.close()


def test_the_system_page_says_how_long_the_oldest_message_waited_in_readable_units():
    from web.console.admin import _waited

    assert _waited(timedelta(seconds=59)) is None
    assert _waited(timedelta(minutes=5)) == "5 分钟"
    assert _waited(timedelta(minutes=119)) == "119 分钟"
    assert _waited(timedelta(hours=5)) == "5 小时"
    assert _waited(timedelta(days=13, hours=21)) == "13 天"
