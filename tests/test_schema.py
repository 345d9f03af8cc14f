"""Schema creation, versioned upgrades that keep data, database settings, the audit trail."""

from __future__ import annotations

import pytest
from peewee import CharField

from core import audit, schema
from core.db import db, is_sqlite
from models import ALL_MODELS, Event, SchemaVersion, User


def test_init_db_is_idempotent(runner):
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0 and "已是最新" in first.output  # the fixture already created it
    assert schema.current_version() == schema.latest_version()
    assert all(db.table_exists(m._meta.table_name) for m in ALL_MODELS)


def test_init_db_creates_a_fresh_database(runner):
    db.drop_tables(ALL_MODELS, cascade=not is_sqlite())
    assert schema.current_version() == 0
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0 and "已创建数据库" in result.output
    assert schema.current_version() == schema.latest_version()
    assert all(db.table_exists(m._meta.table_name) for m in ALL_MODELS)


def test_upgrade_applies_pending_steps_and_keeps_data(app):
    User.create(openid="o_keep_me", nickname="老用户")
    before = schema.current_version()

    def add_remark(migrator):
        schema.add_column_if_missing("user", "remark", CharField(max_length=20, default="无"))

    steps = [*schema.MIGRATIONS, (before + 1, "add user.remark", add_remark)]
    assert schema.upgrade(steps) == (before, before + 1)
    columns = {c.name for c in db.get_columns("user")}
    assert "remark" in columns
    row = db.execute_sql('SELECT openid, nickname, remark FROM "user"').fetchone()
    assert row == ("o_keep_me", "老用户", "无")
    assert SchemaVersion.get_by_id(before + 1).description == "add user.remark"
    # running it again changes nothing
    assert schema.upgrade(steps) == (before + 1, before + 1)
    assert SchemaVersion.select().count() == before + 1


def test_a_failing_step_leaves_the_version_unchanged(app):
    before = schema.current_version()

    def broken(migrator):
        raise RuntimeError("bad migration")

    with pytest.raises(RuntimeError):
        schema.upgrade([*schema.MIGRATIONS, (before + 1, "broken", broken)])
    assert schema.current_version() == before


def test_database_settings(app):
    if is_sqlite():
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000
    else:
        assert db.execute_sql("SHOW server_encoding").fetchone()[0] == "UTF8"


def test_foreign_keys_are_enforced(app):
    from peewee import IntegrityError

    from models import Board

    with pytest.raises(IntegrityError), db.atomic():
        Board.create(alley=99999, code="NOPE2345")


def test_events_are_append_only(app):
    event = audit.record("test.happened", "thing", 1, label="测试", data={"x": 1})
    assert Event.get_by_id(event.id).data == {"x": 1}
    event.action = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete_instance()
    with pytest.raises(PermissionError):
        Event.update(action="x")
    with pytest.raises(PermissionError):
        Event.delete()
    assert Event.get_by_id(event.id).action == "test.happened"


def test_upgrade_to_media_uploads_keeps_who_uploaded_each_photo(app):
    """A database from before `media_upload` (version 1): the upgrade creates the table and
    records each photo's uploader, so residents can still attach their earlier uploads."""
    from models import Media, MediaUpload

    user = User.create(openid="o_uploader", nickname="上传者")
    photo = Media.create(
        sha256="a" * 64,
        mime="image/jpeg",
        ext="jpg",
        width=1,
        height=1,
        size=1,
        thumb_width=1,
        thumb_height=1,
        uploaded_by=user,
    )
    Media.create(
        sha256="b" * 64,
        mime="image/jpeg",
        ext="jpg",
        width=1,
        height=1,
        size=1,
        thumb_width=1,
        thumb_height=1,
        uploaded_by=None,
    )
    db.drop_tables([MediaUpload])
    SchemaVersion.delete().where(SchemaVersion.version > 1).execute()
    assert schema.upgrade()[0] == 1
    assert [(u.media_id, u.user_id) for u in MediaUpload.select()] == [(photo.id, user.id)]
    assert schema.upgrade() == (schema.latest_version(), schema.latest_version())
