"""The server's own faults answer as faults: a photo when the media folder cannot be written, a
console upload when the instance folder cannot, any write when the database is read-only —
503 with a Chinese "请稍后再试", logged once with the cause, counted, and nothing half written.

The conditions are real ones a root test process still meets: a file where a folder should be,
a folder made immutable (`chattr +i`, which stops root too), a SQLite file made immutable
(SQLite then opens it read-only, as it does a read-only file), a PostgreSQL session that starts
read-only (as on a standby)."""

from __future__ import annotations

import contextlib
import io
import logging
import sqlite3
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from app import create_app
from core import faults
from infra.db import db, is_sqlite
from models import Event, Issue, Media, MediaUpload, Wish
from tests.console_world import build, console_login, csrf
from tests.core.observability.test_metrics import TOKEN, scrape, value
from tests.factories import login

API = "/api/v1"


@pytest.fixture(autouse=True)
def _fresh_counts():
    faults.reset()


@contextlib.contextmanager
def immutable(path: Path):
    """`path` made immutable: no new entry in a folder, no write to a file, even for root."""
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buf, "JPEG")
    return buf.getvalue()


def _upload_photo(client, headers):
    return client.post(
        f"{API}/media",
        data={"file": (io.BytesIO(_jpeg()), "x.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )


def _assert_unavailable(res, code: str) -> None:
    assert res.status_code == 503
    error = res.get_json()["error"]
    assert error["code"] == code and "请稍后再试" in error["message"]
    assert res.headers["Retry-After"] == "60"


def _nothing_saved_of_a_photo() -> None:
    assert Media.select().count() == 0 and MediaUpload.select().count() == 0
    assert Event.select().where(Event.action == "media.upload").count() == 0


# --- storage --------------------------------------------------------------------------------


def test_a_photo_when_the_media_folder_is_a_file_is_a_503(app, client, tmp_path, caplog):
    headers = login(client, "居民甲")
    media_dir = tmp_path / "not-a-folder"
    media_dir.write_text("a file where the media folder should be")
    app.config["MEDIA_DIR"] = str(media_dir)
    app.config["METRICS_TOKEN"] = TOKEN
    before = value(scrape(client), "xiaoxiang_faults_total", kind="storage_unavailable")
    with caplog.at_level(logging.ERROR, logger="core.faults"):
        first, second = _upload_photo(client, headers), _upload_photo(client, headers)
    # counted where the operator looks: /metrics
    after = value(scrape(client), "xiaoxiang_faults_total", kind="storage_unavailable")
    assert after - before == 2
    _assert_unavailable(first, "storage_unavailable")
    _assert_unavailable(second, "storage_unavailable")
    _nothing_saved_of_a_photo()
    assert faults.counts() == {"storage_unavailable": 2}
    # one line with its cause, not one per request
    lines = [r for r in caplog.records if r.name == "core.faults"]
    assert len(lines) == 1 and "Not a directory" in lines[0].getMessage()
    assert "MEDIA_DIR" in lines[0].getMessage()


def test_a_photo_when_the_media_folder_is_read_only_is_a_503_leaving_no_file(app, client, tmp_path):
    headers = login(client, "居民甲")
    media_dir = tmp_path / "media-ro"
    (media_dir / "ab").mkdir(parents=True)
    app.config["MEDIA_DIR"] = str(media_dir)
    with immutable(media_dir):
        res = _upload_photo(client, headers)
    _assert_unavailable(res, "storage_unavailable")
    _nothing_saved_of_a_photo()
    assert [p.name for p in media_dir.rglob("*")] == ["ab"]  # no half-written file either
    assert faults.counts() == {"storage_unavailable": 1}
    # writable again: the same photo is stored
    assert _upload_photo(client, headers).status_code == 201


def test_a_console_upload_when_the_instance_folder_cannot_be_written_is_a_503(app, tmp_path):
    build(app)
    staff = console_login(app.test_client(), "secretary1")
    (Path(app.instance_path) / "roster-uploads").write_text("a file where a folder should be")
    res = staff.post(
        "/console/roster",
        data={
            "csrf_token": csrf(staff, "/console/roster"),
            "file": (io.BytesIO(b"\xe8\xa1\x97\xe9\x81\x93\n"), "roster.csv"),
        },
        content_type="multipart/form-data",
    )
    html = res.get_data(as_text=True)
    assert res.status_code == 503 and "请稍后再试" in html
    assert "Traceback" not in html and "NotADirectoryError" not in html
    assert faults.counts() == {"storage_unavailable": 1}


# --- a read-only database --------------------------------------------------------------------


@contextlib.contextmanager
def read_only_database(app):
    """The same database reopened the way a server meets it read-only: on SQLite the file made
    immutable (SQLite falls back to opening it read-only), on PostgreSQL every session starting
    read-only (a standby, `default_transaction_read_only`). The app's pool is replaced, so no
    connection opened before stays in use."""
    config = {
        key: app.config[key]
        for key in ("INSTANCE_PATH", "MEDIA_DIR", "SECRET_KEY", "PUBLIC_BASE_URL")
    }
    config.update(
        TESTING=True, PROPAGATE_UNEXPECTED=False, PASSWORD_HASH_METHOD="pbkdf2:sha256:1000"
    )
    url = app.config["DATABASE_URL"]
    db.close()
    if is_sqlite():
        # A copy on a fresh inode: SQLite hands a new connection a file descriptor that this
        # process already holds open read-write on the same file when one is still locked by
        # another connection (its unused-fd reuse), which would make an immutable original
        # writable after all, now and then.
        copy = Path(app.instance_path) / "read-only-copy.sqlite3"
        with contextlib.closing(sqlite3.connect(db.obj.database)) as source:
            with contextlib.closing(sqlite3.connect(copy)) as target:
                source.backup(target)
        with immutable(copy):
            yield create_app({**config, "DATABASE_URL": f"sqlite:///{copy}"})
            db.close()
            db.obj.close_all()
        create_app({**config, "DATABASE_URL": url})  # the writable original, for the checks after
        with contextlib.closing(sqlite3.connect(copy)) as after:  # and nothing reached the copy
            counts = [
                after.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("issue", "event")
            ]
        assert counts == [Issue.select().count(), Event.select().count()]
    else:
        read_only = f"{url}?options=-c%20default_transaction_read_only%3Don"
        yield create_app({**config, "DATABASE_URL": read_only})
        db.close()
        create_app({**config, "DATABASE_URL": url})


def test_writes_to_a_read_only_database_are_503s_and_reads_still_work(app, caplog):
    world = build(app)
    resident = login(app.test_client(), "居民乙")
    staff = console_login(app.test_client(), "secretary1")
    issues, events = Issue.select().count(), Event.select().count()
    token = csrf(staff, f"/console/wishes/{world.wish.id}")
    with read_only_database(app) as ro, caplog.at_level(logging.ERROR, logger="core.faults"):
        with ro.app_context():
            api = ro.test_client()
            body = {"board_code": world.d.boards[0].code, "category": "环境卫生", "content": "垃圾"}
            res = api.post(f"{API}/issues", json=body, headers=resident)
            _assert_unavailable(res, "database_read_only")
            assert "维护" in res.get_json()["error"]["message"]
            # reading goes on
            assert api.get(f"{API}/me", headers=resident).status_code == 200
            # the console: its pages still open, a change answers a page that says so
            staff.application = ro
            assert staff.get("/console/").status_code == 200
            res = staff.post(f"/console/wishes/{world.wish.id}/approve", data={"csrf_token": token})
            html = res.get_data(as_text=True)
            assert res.status_code == 503 and "请稍后再试" in html and "Traceback" not in html
    # counted each time (the refused writes and the token bookkeeping skipped), logged once
    counted = faults.counts()
    assert list(counted) == ["database_read_only"] and counted["database_read_only"] >= 2
    lines = [r for r in caplog.records if r.name == "core.faults"]
    assert len(lines) == 1
    assert "readonly database" in lines[0].getMessage() or "read-only" in lines[0].getMessage()
    # nothing half written
    with app.app_context():
        assert Issue.select().count() == issues and Event.select().count() == events
        assert Wish.get_by_id(world.wish.id).status == world.wish.status
