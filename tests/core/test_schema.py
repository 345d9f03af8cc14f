"""Schema creation, versioned upgrades that keep data, database settings, the audit trail."""

from __future__ import annotations

import pytest
from peewee import CharField

from core import audit, schema
from infra.db import db, is_sqlite
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
    # one row per step (numbers may have gaps while parallel branches are unmerged)
    assert SchemaVersion.select().count() == len(steps)


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


def test_credit_migration_fills_who_did_the_work_from_the_trail(app):
    """Migration 3 adds issue.accepted_by / resolved_by and wish.fulfilled_by and fills them
    for items acted on before, from the audit trail: the steward who accepted and resolved
    (since the last reopening), nobody for staff's own work, the claimer for a wish staff
    marked fulfilled for them. Re-running it changes nothing."""
    from core.items import issues, wishes
    from core.people import auth
    from core.people.permissions import Principal
    from infra.db import write_transaction
    from models import Issue, Steward, StewardAlley, Wish
    from tests.factories import make_district, make_staff

    d = make_district()
    s0, s1 = d.stewards[0], d.stewards[1]
    StewardAlley.create(steward=s1, alley=d.alleys[0])  # co-stewards of 1区1巷
    for s in (s0, s1):
        with write_transaction():
            auth.bind_steward(User.create(openid=f"dev:{s.name}"), s, via="test")
    p0, p1 = (Principal.for_user(Steward.get_by_id(s.id).user) for s in (s0, s1))
    staff = Principal.for_user(make_staff(d.communities[0]).user)
    resident = Principal.for_user(User.create(openid="dev:居民"))

    def new_issue():
        issue = issues.create(
            resident, alley=d.alleys[0], board=None, category="环境卫生", content="垃圾"
        ).issue
        return issue.id

    by_s0, by_staff, reopened, waiting = new_issue(), new_issue(), new_issue(), new_issue()
    issues.accept(p0, by_s0)
    issues.resolve(p0, by_s0, "好了")
    issues.resolve(staff, by_staff, "社区处理了")
    issues.resolve(p0, reopened, "好了")
    issues.reopen(resident, reopened, "没好")
    issues.accept(p1, reopened)
    wish = wishes.create(
        resident,
        alley=d.alleys[0],
        beneficiary_type="elderly",
        display_name="王奶奶",
        title="收音机",
        content="想听戏",
    )
    wishes.approve(staff, wish.id)
    wishes.claim(Principal.for_user(User.create(openid="dev:志愿者")), wish.id)
    wishes.release(staff, wish.id)
    wishes.claim(p0, wish.id)
    wishes.fulfil(staff, wish.id, "社区代为登记")

    def credit():
        rows = {
            i.id: (i.accepted_by_id, i.resolved_by_id)
            for i in Issue.select().where(Issue.id.in_([by_s0, by_staff, reopened, waiting]))
        }
        return rows, Wish.get_by_id(wish.id).fulfilled_by_id

    expected = (
        {
            by_s0: (s0.id, s0.id),
            by_staff: (None, None),
            reopened: (s1.id, None),
            waiting: (None, None),
        },
        s0.id,
    )
    assert credit() == expected  # what the workflows record as they go
    # the database as it was at version 2: nobody recorded
    Issue.update(accepted_by=None, resolved_by=None).execute()
    Wish.update(fulfilled_by=None).execute()
    SchemaVersion.delete().where(SchemaVersion.version >= 3).execute()
    assert schema.upgrade()[0] == 2
    assert credit() == expected
    assert schema.upgrade() == (schema.latest_version(), schema.latest_version())
    assert {"accepted_by_id", "resolved_by_id"} <= {c.name for c in db.get_columns("issue")}


def test_upgrade_drops_the_issue_indexes_composites_cover(app):
    """A database from before version 13 still has single-column indexes on issue.alley,
    community and reporter: the upgrade drops them, and the composites that lead with each
    column are still there to answer what they did."""
    for column in ("alley_id", "community_id", "reporter_id"):
        db.execute_sql(f'CREATE INDEX "issue_{column}" ON "issue" ("{column}")')
    SchemaVersion.delete().where(SchemaVersion.version > 12).execute()
    assert schema.upgrade()[0] == 12
    indexes = {ix.name: ix.columns for ix in db.get_indexes("issue")}
    assert not {"issue_alley_id", "issue_community_id", "issue_reporter_id"} & indexes.keys()
    leading = {columns[0] for columns in indexes.values()}
    assert {"alley_id", "community_id", "reporter_id"} <= leading
    assert schema.upgrade() == (schema.latest_version(), schema.latest_version())


def test_upgrade_to_14_adds_who_approved_and_keeps_the_entries(app):
    """A database from before version 14: point_entry without the approval columns, no table
    of pending adjustments. The upgrade adds both; existing entries keep their points."""
    from playhouse.migrate import SqliteMigrator, migrate

    from core.timebank import postings
    from core.timebank.postings import Holder
    from infra.db import write_transaction
    from models import PointEntry, User
    from tests.factories import make_district

    d = make_district()
    user = User.create(openid="dev:老居民", nickname="老居民")
    account = postings.account_for(d.communities[0], Holder(user_id=user.id))
    with write_transaction():
        postings.post(account, 7, rule="adjustment", source_type="adjustment", reason="开户")
    db.execute_sql('DROP TABLE "point_adjustment"')
    migrator = schema.migrator()
    for column in ("approved_by_id", "approved_by_label"):
        # SQLite cannot ALTER … DROP a column a foreign key names: rebuild the table instead.
        extra = {"legacy": True} if isinstance(migrator, SqliteMigrator) else {}
        migrate(migrator.drop_column("point_entry", column, **extra))
    SchemaVersion.delete().where(SchemaVersion.version >= 14).execute()
    assert schema.upgrade()[0] == 13
    columns = {c.name for c in db.get_columns("point_entry")}
    assert {"approved_by_id", "approved_by_label"} <= columns
    assert "point_adjustment" in db.get_tables()
    entry = PointEntry.get(PointEntry.account == account.id)
    assert (entry.points, entry.approved_by_id, entry.approved_by_label) == (7, None, "")


def test_migration_16_brings_handling_units_to_an_older_database(app):
    """A database from before handling units: the unit columns and the members' table arrive,
    existing departments become kind `department`, and running it again changes nothing.
    (chat_group.unit_id stays: SQLite cannot drop a column a foreign key names; the step adds
    it only when missing, as for the others.)"""
    from playhouse.migrate import migrate

    from models import Department
    from models.units import UnitMember
    from tests.factories import make_district

    d = make_district(communities=1, alleys_per_community=1)
    Department.create(area=d.street, name="住建办")
    db.drop_tables([UnitMember])
    schema.drop_index_if_present("issue", "issue_department_id_whistled_at")  # version 20's
    schema.drop_index_if_present("issue", "issue_league_whistled")  # version 27's
    m = schema.migrator()
    migrate(
        m.drop_column("issue", "whistled_at"),
        m.drop_column("issue", "checked_in_at"),
        m.drop_column("department", "kind"),
    )
    SchemaVersion.delete().where(SchemaVersion.version >= 16).execute()
    before = schema.current_version()
    assert schema.upgrade()[1] == schema.latest_version() and before < 16
    assert {"whistled_at", "checked_in_at"} <= {c.name for c in db.get_columns("issue")}
    assert "unit_id" in {c.name for c in db.get_columns("chat_group")}
    assert db.table_exists("unit_member")
    assert Department.get(name="住建办").kind == "department"
    assert schema.upgrade() == (schema.latest_version(), schema.latest_version())
