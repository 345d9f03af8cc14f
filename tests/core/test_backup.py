"""Backups and restores (`flask … backup --out DIR`, `restore DIR`): a snapshot taken while a
writer is inserting restores into a fresh instance row for row and file for file; later
backups share unchanged photos; a damaged backup, a target holding data, a full or read-only
backup disk are refused with a clear message and leave nothing half-done. On SQLite, and on
PostgreSQL through pg_dump / pg_restore when `TEST_DATABASE_URL` is set."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import psycopg2
import pytest
from playhouse.db_url import parse

from core import backup, media, schema
from infra.db import db, dispose, write_transaction
from models import KeyValue, Media, User
from tests.conftest import PG_URL, make_app
from tests.instance_data import empty_tables, media_files, photo_bytes, populate, snapshot

ROOT = Path(__file__).resolve().parents[2]
WRITER = "writer-"


def _admin(*statements: str) -> None:
    """Run statements on the test server's `postgres` database, outside a transaction."""
    params = parse(PG_URL)
    conn = psycopg2.connect(
        dbname="postgres",
        user=params.get("user"),
        host=params.get("host"),
        port=params.get("port"),
        password=params.get("password"),
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


@pytest.fixture
def second_instance(tmp_path):
    """Builds, when called, another empty instance (own database, own photo folder) and binds
    the database to it. On PostgreSQL its database is created on the test server."""
    created = []

    def build():
        overrides = {}
        if PG_URL:
            name = f"{parse(PG_URL)['database']}_second"
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
            created.append(name)
            overrides["DATABASE_URL"] = PG_URL.rsplit("/", 1)[0] + f"/{name}"
        return make_app(tmp_path / "second", **overrides)

    yield build
    for name in created:
        dispose(db.obj)
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _writer_number(row: tuple) -> int | None:
    for value in row:
        if isinstance(value, str) and value.startswith(WRITER):
            return int(value[len(WRITER) :])
    return None


def _without_writes_after(rows: dict, last: int) -> dict:
    return {
        table: [r for r in table_rows if (_writer_number(r) or 0) <= last]
        for table, table_rows in rows.items()
    }


def test_backup_while_a_writer_inserts_restores_every_row_and_file(app, tmp_path, second_instance):
    populate()
    assert empty_tables() == []
    assert media_files(Path(app.config["MEDIA_DIR"]))  # photos on disk

    # A writer commits a user and a key in one transaction, again and again, from before the
    # backup starts until after it ends: the backup must hold whole transactions, a prefix.
    stop, warmed_up, written = threading.Event(), threading.Event(), []

    def writer():
        with app.app_context():
            n = 0
            while not stop.is_set():
                n += 1
                with write_transaction():
                    User.create(openid=f"{WRITER}{n}", nickname="写入中")
                    KeyValue.create(key=f"{WRITER}{n}", value=str(n))
                written.append(n)
                if n == 5:
                    warmed_up.set()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        assert warmed_up.wait(60)
        result = app.test_cli_runner().invoke(args=["backup", "--out", str(tmp_path / "bk")])
        during = len(written)
    finally:
        stop.set()
        thread.join(60)
    assert result.exit_code == 0, result.output
    assert "已备份到" in result.output
    source = snapshot()
    source_files = media_files(Path(app.config["MEDIA_DIR"]))
    (made,) = backup.backups(tmp_path / "bk")
    manifest = json.loads((made / "manifest.json").read_text())
    assert manifest["schema_version"] == schema.latest_version()
    assert manifest["media_files"] == len(source_files)

    second = second_instance()
    with second.app_context():
        result = second.test_cli_runner().invoke(args=["restore", str(made)])
        assert result.exit_code == 0, result.output
        restored = snapshot()
        restored_files = media_files(Path(second.config["MEDIA_DIR"]))
        photo = Media.select().first()
        served = second.test_client().get(media.media_url(photo))
    in_backup = sorted(filter(None, map(_writer_number, restored["user"])))
    last = in_backup[-1]
    assert 5 <= last <= during
    assert in_backup == list(range(1, last + 1))  # no gap: whole transactions, in order
    assert sorted(filter(None, map(_writer_number, restored["key_value"]))) == in_backup
    assert restored == _without_writes_after(source, last)
    assert restored_files == source_files
    assert served.status_code == 200
    assert (
        served.data
        == (Path(second.config["MEDIA_DIR"]) / photo.sha256[:2])
        .joinpath(media.media_url(photo).rsplit("/", 1)[1])
        .read_bytes()
    )


def test_a_second_backup_shares_unchanged_photos_and_keep_prunes(app, tmp_path):
    uploader = User.create(openid="o_u", nickname="u")
    media.save_image(photo_bytes(1), uploader)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "--out", str(tmp_path / "bk")]).exit_code == 0
    media.save_image(photo_bytes(2), uploader)
    second = runner.invoke(args=["backup", "--out", str(tmp_path / "bk")])
    assert second.exit_code == 0, second.output
    first, latest = backup.backups(tmp_path / "bk")
    old, new = media_files(first / "media"), media_files(latest / "media")
    assert set(old) < set(new) and len(new) == len(old) + 2  # photo and thumbnail
    for rel in old:  # the same inode: hard links, no second copy
        assert (first / "media" / rel).stat().st_ino == (latest / "media" / rel).stat().st_ino
    for rel in set(new) - set(old):
        assert (latest / "media" / rel).stat().st_nlink == 1
    assert "其中 2 个与上一份备份共用" in second.output
    third = runner.invoke(args=["backup", "--out", str(tmp_path / "bk"), "--keep", "2"])
    assert third.exit_code == 0 and f"已删除旧备份 {first}" in third.output
    assert backup.backups(tmp_path / "bk")[0] == latest and not first.exists()
    # the survivors stand alone: the pruned backup's files were only links
    assert runner.invoke(args=["restore", "--verify-only", str(latest)]).exit_code == 0
    # a damaged latest backup is not built on: the next one copies every photo afresh
    newest = backup.latest(tmp_path / "bk")
    (newest / "manifest.json").write_text("{")
    fourth = runner.invoke(args=["backup", "--out", str(tmp_path / "bk")])
    assert fourth.exit_code == 0 and "其中 0 个与上一份备份共用" in fourth.output


def test_restore_refuses_a_target_with_data_unless_forced(app, tmp_path):
    User.create(openid="o_before", nickname="备份前")
    media.save_image(photo_bytes(3), None)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "--out", str(tmp_path / "bk")]).exit_code == 0
    (made,) = backup.backups(tmp_path / "bk")
    at_backup, files_at_backup = snapshot(), media_files(Path(app.config["MEDIA_DIR"]))
    User.create(openid="o_after", nickname="备份后")
    now = snapshot()

    refused = runner.invoke(args=["restore", str(made)])
    assert refused.exit_code != 0
    assert "数据库已有数据" in refused.output and "--force" in refused.output
    assert snapshot() == now  # nothing changed

    forced = runner.invoke(args=["restore", "--force", str(made)])
    assert forced.exit_code == 0, forced.output
    assert snapshot() == at_backup
    assert media_files(Path(app.config["MEDIA_DIR"])) == files_at_backup


def test_a_truncated_or_tampered_backup_is_refused_and_nothing_changes(
    app, tmp_path, second_instance
):
    media.save_image(photo_bytes(4), User.create(openid="o_x", nickname="x"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "--out", str(tmp_path / "bk")]).exit_code == 0
    (made,) = backup.backups(tmp_path / "bk")
    assert runner.invoke(args=["restore", "--verify-only", str(made)]).exit_code == 0
    manifest = json.loads((made / "manifest.json").read_text())
    database = made / manifest["database"]["file"]
    photo = next(made.glob("media/*/*_t.*"))

    second = second_instance()
    with second.app_context():
        runner = second.test_cli_runner()
        empty, no_files = snapshot(), media_files(Path(second.config["MEDIA_DIR"]))

        def refused(expected: str) -> None:
            result = runner.invoke(args=["restore", str(made)])
            assert result.exit_code != 0
            assert expected in result.output, result.output
            assert snapshot() == empty
            assert media_files(Path(second.config["MEDIA_DIR"])) == no_files

        whole = database.read_bytes()
        database.write_bytes(whole[: len(whole) // 2])
        refused("可能被截断")
        database.write_bytes(whole)
        picture = photo.read_bytes()
        photo.write_bytes(picture[:-1] + bytes([picture[-1] ^ 1]))  # same size, one bit
        refused("校验和不符")
        photo.write_bytes(picture)
        manifest_text = (made / "manifest.json").read_text()
        (made / "manifest.json").write_text(manifest_text[:40])
        refused("已损坏")
        (made / "manifest.json").unlink()
        refused("缺少 manifest.json")
        newer = dict(manifest, schema_version=schema.latest_version() + 1)
        (made / "manifest.json").write_text(json.dumps(newer))
        refused("高于本程序支持的版本")
        (made / "manifest.json").write_text(manifest_text)
        assert runner.invoke(args=["restore", str(made)]).exit_code == 0  # intact again


def _backup_in_a_mount(tmp_path, mount_options: str) -> subprocess.CompletedProcess:
    """`flask backup` run by a real process onto a small tmpfs of its own (a user and mount
    namespace: no root needed, nothing left mounted); prints what the folder then holds."""
    target = tmp_path / "disk"
    target.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("WECHAT_APPID", "TEST_DATABASE_URL")},
        "DATABASE_URL": db_url(tmp_path),
        "MEDIA_DIR": str(tmp_path / "media"),
        "SECRET_KEY": "test-secret",
    }
    flask = shlex.join([sys.executable, "-m", "flask", "--app", "app", "backup", "--out"])
    script = (
        f"mount -t tmpfs -o {mount_options} tmpfs {shlex.quote(str(target))} || exit 99\n"
        f"{flask} {shlex.quote(str(target / 'bk'))}; rc=$?\n"
        f"cd {shlex.quote(str(target))} && echo LEFT: $(find . -mindepth 1 | sort)\n"
        "exit $rc\n"
    )
    return subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def db_url(tmp_path) -> str:
    return PG_URL or f"sqlite:///{tmp_path / 'test.db'}"


def test_a_full_backup_disk_leaves_no_backup_behind(app, tmp_path):
    # More than the 64 KB disk: whichever part fills it (the database, or on PostgreSQL,
    # whose dump of a small database fits, the photo), nothing may be left behind.
    media.save_image(photo_bytes(5, side=400), User.create(openid="o_big", nickname="大图"))
    assert sum(p.stat().st_size for p in Path(app.config["MEDIA_DIR"]).rglob("*")) > 128 * 1024
    db.close()
    done = _backup_in_a_mount(tmp_path, "size=64k")
    assert done.returncode not in (0, 99), done.stdout + done.stderr
    assert "备份失败" in done.stderr or "pg_dump 失败" in done.stderr, done.stderr
    assert "磁盘空间不足" in done.stderr or "No space left" in done.stderr, done.stderr
    # the backup folder was made, then emptied again: no partial, no named backup
    assert done.stdout.strip().endswith("LEFT: ./bk"), done.stdout


def test_a_read_only_backup_disk_is_refused(app, tmp_path):
    done = _backup_in_a_mount(tmp_path, "ro,size=1m")
    assert done.returncode not in (0, 99), done.stdout + done.stderr
    assert "无法写入备份目录" in done.stderr and "没有写入权限" in done.stderr, done.stderr
    assert done.stdout.strip() == "LEFT:", done.stdout


def test_a_backup_whose_database_cannot_be_loaded_changes_nothing(app, tmp_path):
    """The checksums match (the manifest was rewritten) but the database file is not one:
    the restore fails part-way through loading and the target stays as it was, --force or not."""
    User.create(openid="o_stays", nickname="留下")
    media.save_image(photo_bytes(6), None)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "--out", str(tmp_path / "bk")]).exit_code == 0
    (made,) = backup.backups(tmp_path / "bk")
    manifest = json.loads((made / "manifest.json").read_text())
    name = manifest["database"]["file"]
    whole = (made / name).read_bytes()
    broken = whole[: len(whole) // 2] + bytes(len(whole) - len(whole) // 2)
    (made / name).write_bytes(broken)
    manifest["files"][name] = {
        "size": len(broken),
        "sha256": hashlib.sha256(broken).hexdigest(),
    }
    (made / "manifest.json").write_text(json.dumps(manifest))
    User.create(openid="o_after", nickname="备份后")
    before, files = snapshot(), media_files(Path(app.config["MEDIA_DIR"]))

    result = runner.invoke(args=["restore", "--force", str(made)])
    assert result.exit_code != 0
    assert "数据库与图片均未改动" in result.output or "数据库未改动" in result.output, result.output
    assert snapshot() == before
    assert media_files(Path(app.config["MEDIA_DIR"])) == files
