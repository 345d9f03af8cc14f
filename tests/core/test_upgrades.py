"""Upgrades (`init-db`): from every earlier schema version, built from the migrations themselves
(their `tables` and `undo`), filled, migrated to the latest and checked row by row; a step that
fails half-way leaves the database at the version before it; a database newer than the code is
refused with nothing changed."""

from __future__ import annotations

import sqlite3

import pytest
from peewee import CharField, TextField

from core import schema
from infra.db import db, is_sqlite
from models import ALL_MODELS, BaseModel, SchemaVersion, User
from tests.instance_data import empty_tables, populate, snapshot


class Scratch(BaseModel):
    """A table only the broken migration below creates."""

    note = TextField()


def rewind(version: int) -> None:
    """The database as it was at `version`: each later migration undone, newest first."""
    if is_sqlite():
        # Dropping a table deletes its rows first, which a row referring to another of the same
        # table (a reversed point entry) refuses while foreign keys are checked.
        db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        for m in sorted(map(schema.as_migration, schema.MIGRATIONS), key=lambda m: -m.version):
            if m.version <= version:
                break
            if m.undo is not None:
                m.undo(schema.migrator())
            db.drop_tables(list(m.tables), safe=True, cascade=not is_sqlite())
            SchemaVersion.delete().where(SchemaVersion.version == m.version).execute()
    finally:
        if is_sqlite():
            db.execute_sql("PRAGMA foreign_keys = ON")


def structure() -> dict[str, tuple]:
    """Each table's columns (name, type, nullable) and index names."""
    return {
        t: (
            frozenset((c.name, c.data_type.lower(), c.null) for c in db.get_columns(t)),
            frozenset(ix.name for ix in db.get_indexes(t)),
        )
        for t in db.get_tables()
    }


def named_rows() -> dict[str, tuple[list[str], list[tuple]]]:
    out = {}
    for table in db.get_tables():
        cursor = db.execute_sql(f'SELECT * FROM "{table}"')
        columns = [d[0] for d in cursor.description]
        out[table] = (columns, sorted(map(tuple, cursor.fetchall()), key=repr))
    return out


def rows_of(table: str, columns: list[str]) -> list[tuple]:
    listed = ", ".join(f'"{c}"' for c in columns)
    cursor = db.execute_sql(f'SELECT {listed} FROM "{table}"')
    return sorted(map(tuple, cursor.fetchall()), key=repr)


def test_every_table_is_declared_by_exactly_one_migration():
    declared = [m for entry in schema.MIGRATIONS for m in schema.as_migration(entry).tables]
    twice = sorted({m.__name__ for m in declared if declared.count(m) > 1})
    assert not twice, f"declared by two migrations: {twice}"
    undeclared = sorted(m.__name__ for m in set(ALL_MODELS) - set(declared))
    assert not undeclared, f"name these models in their migration's tables=(…): {undeclared}"


@pytest.mark.slow  # builds and fills the database at every past version
def test_init_db_migrates_every_past_version_and_keeps_its_data(app, runner):
    populate(photos=1)
    head = structure()
    latest = schema.latest_version()
    versions = sorted(schema.as_migration(m).version for m in schema.MIGRATIONS)[:-1]
    # Newest first: the tables a version had were filled at the start and never dropped since.
    for version in reversed(versions):
        rewind(version)
        assert schema.current_version() == version
        assert empty_tables() == [], version
        at_version = named_rows()
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert f"已升级数据库：版本 {version} → {latest}" in result.output
        assert structure() == head, version
        for table, (columns, rows) in at_version.items():
            now = rows_of(table, columns)
            if table == SchemaVersion._meta.table_name:  # the versions applied are added
                assert set(rows) < set(now), version
            else:
                assert now == rows, (version, table)
        if is_sqlite():
            copy = sqlite3.connect(schema.safety_copy_path())
            try:
                taken = copy.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
            finally:
                copy.close()
            assert taken == version
            assert f"升级前的数据库副本：{schema.safety_copy_path()}" in result.output


def test_a_version_missing_from_the_middle_is_applied(app):
    """Branches merged in another order: the database has 13 but not 12."""
    rewind(11)
    SchemaVersion.create(version=13, description="applied first")
    assert schema.upgrade() == (13, schema.latest_version())
    assert 12 in schema.recorded_versions() and db.table_exists("daily_sequence")


def _broken(_migrator) -> None:
    """A real migration that changes a column, a table and rows, then fails."""
    schema.add_column_if_missing("user", "remark", CharField(max_length=20, default="无"))
    db.create_tables([Scratch])
    Scratch.create(note="半途")
    User.update(nickname="改过了").execute()
    raise RuntimeError("第二步出错")


def _remark(_migrator) -> None:
    schema.add_column_if_missing("user", "remark", CharField(max_length=20, default="无"))


def test_a_migration_failing_half_way_leaves_the_previous_version(app, runner, monkeypatch):
    User.create(openid="o_keep", nickname="原来的")
    latest = schema.latest_version()
    before = structure(), snapshot()
    monkeypatch.setattr(
        schema, "MIGRATIONS", [*schema.MIGRATIONS, schema.Migration(latest + 1, "坏的", _broken)]
    )
    result = runner.invoke(args=["init-db"])
    assert result.exit_code != 0
    assert f"升级到结构版本 {latest + 1}（坏的）失败" in result.output
    assert f"数据库仍为版本 {latest}" in result.output and "第二步出错" in result.output
    assert schema.current_version() == latest
    assert (structure(), snapshot()) == before  # no column, no table, no row changed


def test_steps_before_the_failing_one_stay_applied(app, monkeypatch):
    latest = schema.latest_version()
    good = schema.Migration(latest + 1, "user.remark", _remark)
    broken = schema.Migration(latest + 2, "坏的", _broken)
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, good, broken])
    with pytest.raises(schema.SchemaError, match=f"数据库仍为版本 {latest + 1}"):
        schema.upgrade()
    assert schema.current_version() == latest + 1
    assert "remark" in {c.name for c in db.get_columns("user")}
    assert not db.table_exists("scratch")
    # fixed in the next release: the upgrade goes on from there
    fixed = schema.Migration(latest + 2, "修好的", lambda _m: None)
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS[:-1], fixed])
    assert schema.upgrade() == (latest + 1, latest + 2)


def test_a_database_newer_than_the_code_is_refused(app, runner):
    latest = schema.latest_version()
    SchemaVersion.create(version=latest + 1, description="a later release")
    before = structure(), snapshot()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code != 0
    assert f"数据库记录的结构版本（{latest + 1}）是本程序没有的迁移" in result.output
    assert f"本程序最高支持版本 {latest}" in result.output
    assert (structure(), snapshot()) == before
    # every command that upgrades first says the same
    assert runner.invoke(args=["seed-demo"]).exit_code != 0
    assert (structure(), snapshot()) == before
