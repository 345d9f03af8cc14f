"""Schema creation and upgrades (`flask --app app init-db`), with a recorded schema version.

A fresh database gets every table at the latest version. An existing one gets each step of
`MIGRATIONS` it has not recorded, in order, each in its own transaction with the tables its
version introduced: DDL is transactional on PostgreSQL and on SQLite alike, so a step that
fails half-way leaves the database at the version before it. On SQLite a copy of the file is
also taken before the first pending step (`<database>.before-upgrade`), for going back by hand
after a step that succeeded but was wrong. A database that records a version this code does
not know (a newer release ran on it) is refused: nothing is changed.

A step is a function taking a `playhouse.migrate` migrator; steps must be safe to re-run. Its
`undo` puts the schema back as it was before the step: the upgrade tests
(tests/core/test_upgrades.py) build the database at every past version with them and the `tables`
declarations, fill it and migrate it to the latest version.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from typing import NamedTuple

from peewee import CharField, DateTimeField, Field, ForeignKeyField, TextField
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

import models
from core.items import credit
from infra.db import db, is_sqlite, write_transaction
from models import households, service, shop


class Migration(NamedTuple):
    version: int
    description: str
    step: Callable | None = None
    # The models whose tables this version introduced: created in the version's transaction.
    tables: tuple = ()
    # Puts back the schema as it was before `step` (tables are dropped by the tests).
    undo: Callable | None = None


class SchemaError(RuntimeError):
    """The schema cannot be brought up to date; the message (Chinese) says why and what to do."""


def _media_uploads(_migrator) -> None:
    """The new table, filled with each existing photo's first uploader (re-runnable)."""
    db.create_tables([models.MediaUpload], safe=True)
    rows = models.Media.select(models.Media.id, models.Media.uploaded_by).where(
        models.Media.uploaded_by.is_null(False)
    )
    for media in rows:
        models.MediaUpload.insert(
            media=media.id, user=media.uploaded_by_id
        ).on_conflict_ignore().execute()


def _credit_columns(migrator) -> None:
    """Who did the work: issue.accepted_by_id / resolved_by_id and wish.fulfilled_by_id,
    filled for past items from the audit trail (`core.items.credit.backfill`)."""
    for table, column in (
        ("issue", "accepted_by_id"),
        ("issue", "resolved_by_id"),
        ("wish", "fulfilled_by_id"),
    ):
        add_column_if_missing(
            table,
            column,
            ForeignKeyField(
                models.Steward, field=models.Steward.id, null=True, on_delete="SET NULL"
            ),
        )
    credit.backfill()


def _drop_redundant_issue_indexes(_migrator) -> None:
    """The issue's single-column indexes on alley, community and reporter: composite indexes
    lead with each (alley+category+created_at, community+…, reporter+created_at), so they
    answered nothing those could not, and cost every new report three more index writes."""
    existing = {ix.name for ix in db.get_indexes("issue")}
    for name in ("issue_alley_id", "issue_community_id", "issue_reporter_id"):
        if name in existing:
            db.execute_sql(f'DROP INDEX "{name}"')


def _adjustment_approvals(_migrator) -> None:
    """Who approved an adjustment above the threshold, on its entry (the maker is the entry's
    actor). The table of pending adjustments is new: `upgrade` creates it after the steps."""
    add_column_if_missing(
        "point_entry",
        "approved_by_id",
        ForeignKeyField(models.User, field=models.User.id, null=True, on_delete="SET NULL"),
    )
    # NOT NULL with its default in one ALTER: peewee's migrator adds it nullable and then
    # rebuilds the table on SQLite to add NOT NULL, and dropping the old point_entry deletes
    # its rows first, which a reversed entry (referring to another entry) refuses.
    add_not_null_column_if_missing("point_entry", "approved_by_label", "VARCHAR(100)", "''")


def _outbox_request_id(_migrator) -> None:
    """outbox_message.request_id: the request or job run that queued a message, so a failed
    push can be traced to it. Past rows keep NULL (their requests are long gone). The new
    job_status table is created by `upgrade` after the steps."""
    add_column_if_missing(
        models.OutboxMessage._meta.table_name,
        "request_id",
        CharField(max_length=64, null=True),
    )


def _visit_kind(_migrator) -> None:
    """visit.kind: how a household was visited (入户 / 电话 / 微信). Past visits were recorded
    as calls at the door, so they are 入户 (`home`)."""
    add_not_null_column_if_missing("visit", "kind", "VARCHAR(8)", "'home'")


def _undo_visit_kind(_migrator) -> None:
    if "kind" in {c.name for c in db.get_columns("visit")}:
        options = {"legacy": True} if is_sqlite() else {}
        migrate(migrator().drop_column("visit", "kind", **options))


def _undo_adjustment_approvals(_migrator) -> None:
    # the pending adjustments refer to point_entry: gone first, so rebuilding point_entry
    # without its approver leaves nothing pointing at the old table
    db.drop_tables([models.PointAdjustment], safe=True, cascade=not is_sqlite())
    for column in ("approved_by_id", "approved_by_label"):
        drop_index_if_present("point_entry", f"point_entry_{column}")
        if column in {c.name for c in db.get_columns("point_entry")}:
            options = {"legacy": True} if is_sqlite() else {}
            migrate(migrator().drop_column("point_entry", column, **options))


def _undo_outbox_request_id(_migrator) -> None:
    table = models.OutboxMessage._meta.table_name
    if "request_id" in {c.name for c in db.get_columns(table)}:
        migrate(migrator().drop_column(table, "request_id"))


def _undo_credit_columns(_migrator) -> None:
    for table, column in (
        ("issue", "accepted_by_id"),
        ("issue", "resolved_by_id"),
        ("wish", "fulfilled_by_id"),
    ):
        drop_index_if_present(table, f"{table}_{column}")
        if column in {c.name for c in db.get_columns(table)}:
            # SQLite's own DROP COLUMN refuses a column a FOREIGN KEY clause names: the table
            # is rebuilt without it instead (with foreign keys off, as SQLite requires).
            options = {"legacy": True} if is_sqlite() else {}
            migrate(migrator().drop_column(table, column, **options))


def _undo_report_indexes(_migrator) -> None:
    for table, name in (
        ("issue", "issue_resolved_at"),
        ("issue", "issue_closed_at"),
        ("patrol", "patrol_created_at"),
    ):
        drop_index_if_present(table, name)


def _undo_search_indexes(_migrator) -> None:
    drop_index_if_present("issue", "issue_contact_phone")
    drop_index_if_present("wish", "wish_contact_phone")


def _undo_drop_redundant_issue_indexes(_migrator) -> None:
    for column in ("alley_id", "community_id", "reporter_id"):
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "issue_{column}" ON "issue" ("{column}")')


def _handling_units(_migrator) -> None:
    """Handling units: a department's kind, a chat group's unit, an issue's whistle and
    check-in times. The unit members' table is new: `upgrade` creates it after the steps."""
    # NOT NULL with its default in one ALTER (see _adjustment_approvals): peewee's migrator
    # would rebuild `department` on SQLite, and dropping the old table fires ON DELETE SET NULL
    # on every issue and chat group that names a department.
    add_not_null_column_if_missing("department", "kind", "VARCHAR(16)", "'department'")
    add_column_if_missing(
        "chat_group",
        "unit_id",
        ForeignKeyField(
            models.Department, field=models.Department.id, null=True, on_delete="SET NULL"
        ),
    )
    add_column_if_missing("issue", "whistled_at", DateTimeField(null=True))
    add_column_if_missing("issue", "checked_in_at", DateTimeField(null=True))


def _undo_handling_units(_migrator) -> None:
    # chat_group.unit_id stays: SQLite cannot drop a column a foreign key names without a
    # rebuild, and the step adds it only when missing
    drop_index_if_present("issue", "issue_department_id_whistled_at")  # version 20's index
    drop_index_if_present("issue", "issue_league_whistled")  # version 27's
    for table, column in (
        ("issue", "whistled_at"),
        ("issue", "checked_in_at"),
        ("department", "kind"),
    ):
        if column in {c.name for c in db.get_columns(table)}:
            migrate(migrator().drop_column(table, column))


def _issue_supervised_at(_migrator) -> None:
    """督办 (core.units.actions.supervise): when staff escalated a unit's item to the street."""
    add_column_if_missing("issue", "supervised_at", DateTimeField(null=True))


def _undo_issue_supervised_at(_migrator) -> None:
    if "supervised_at" in {c.name for c in db.get_columns("issue")}:
        migrate(migrator().drop_column("issue", "supervised_at"))


def _closure_outcomes(_migrator) -> None:
    """How an item was closed: issue.outcome (every item already resolved or closed was
    solved: no other closure existed) and issue.duplicate_of; the totals' covering index gains
    the outcome (解决率 counts only solved ones). The reply templates' table is new."""
    add_column_if_missing("issue", "outcome", CharField(max_length=16, null=True))
    add_column_if_missing(
        "issue",
        "duplicate_of_id",
        ForeignKeyField(models.Issue, field=models.Issue.id, null=True, on_delete="SET NULL"),
    )
    # a column added by the migrator gets an index of its own: the model declares none
    drop_index_if_present("issue", "issue_duplicate_of_id")
    models.Issue.update(outcome="solved").where(
        models.Issue.status.in_(("resolved", "closed")) & models.Issue.outcome.is_null()
    ).execute()
    # `upgrade` creates the new (community, status, outcome, created_at, resolved_at) after
    drop_index_if_present("issue", "issue_community_id_status_created_at_resolved_at")


def _undo_closure_outcomes(_migrator) -> None:
    drop_index_if_present("issue", "issue_community_id_status_outcome_created_at_resolved_at")
    for column in ("outcome", "duplicate_of_id"):
        if column in {c.name for c in db.get_columns("issue")}:
            # SQLite's own DROP COLUMN refuses a column a FOREIGN KEY clause names (see
            # _undo_credit_columns): the table is rebuilt without it.
            options = {"legacy": True} if is_sqlite() and column.endswith("_id") else {}
            migrate(migrator().drop_column("issue", column, **options))
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "issue_community_id_status_created_at_resolved_at" '
        'ON "issue" ("community_id", "status", "created_at", "resolved_at")'
    )


def _unit_whistle_index(_migrator) -> None:
    """issue (department, whistled_at) in place of issue (department): the street's league reads
    the items whistled to its units in a period as a range, and every query of one unit's items
    is served by the composite as well. `upgrade` creates the new index after the steps."""
    drop_index_if_present("issue", "issue_department_id")


def _undo_unit_whistle_index(_migrator) -> None:
    drop_index_if_present("issue", "issue_department_id_whistled_at")
    db.execute_sql('CREATE INDEX IF NOT EXISTS "issue_department_id" ON "issue" ("department_id")')


def _board_health(_migrator) -> None:
    """print_job.board_ids: the boards ticked on the console (None: every board of the area).
    The board checks' table is new: `upgrade` creates it after the steps."""
    add_column_if_missing("print_job", "board_ids", TextField(null=True))


def _undo_board_health(_migrator) -> None:
    if "board_ids" in {c.name for c in db.get_columns("print_job")}:
        migrate(migrator().drop_column("print_job", "board_ids"))


# The narrower indexes version 27 replaced, each the first columns of its successor.
_LEAGUE_REPLACED = {
    "issue_community_id_created_at": ("community_id", "created_at"),
    "issue_community_id_resolved_at": ("community_id", "resolved_at"),
    "issue_community_id_closed_at": ("community_id", "closed_at"),
    "issue_department_id_whistled_at": ("department_id", "whistled_at"),
}
_LEAGUE_INDEXES = (
    "issue_league_reported",
    "issue_league_rated",
    "issue_league_resolved",
    "issue_league_whistled",
)


def _league_covering_indexes(_migrator) -> None:
    """The street's league reads a year's items from covering indexes (models.Issue's
    issue_league_*), which lead with the columns of the four they replace: those are dropped
    here, `upgrade` creates the new ones after the steps."""
    for name in _LEAGUE_REPLACED:
        drop_index_if_present("issue", name)


def _undo_league_covering_indexes(_migrator) -> None:
    for name in _LEAGUE_INDEXES:
        drop_index_if_present("issue", name)
    for name, columns in _LEAGUE_REPLACED.items():
        listed = ", ".join(f'"{c}"' for c in columns)
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "issue" ({listed})')


def _undo_queue_indexes(_migrator) -> None:
    drop_index_if_present("issue", "issue_alley_id_status_deadline")
    drop_index_if_present("issue", "issue_visibility_created_at")


def _phone_index_partial(_migrator) -> None:
    """issue (contact_phone) becomes partial, the NULLs left out (models.Issue): the full one is
    dropped here, `upgrade` creates issue_contact_phone_given after the steps."""
    drop_index_if_present("issue", "issue_contact_phone")


def _undo_phone_index_partial(_migrator) -> None:
    drop_index_if_present("issue", "issue_contact_phone_given")
    db.execute_sql('CREATE INDEX IF NOT EXISTS "issue_contact_phone" ON "issue" ("contact_phone")')


def _held_index_partial(_migrator) -> None:
    """issue (visibility, created_at) gives way to the partial issue_held_created_at (created
    by `upgrade` after the steps; models.partial_indexes says why)."""
    drop_index_if_present("issue", "issue_visibility_created_at")


def _undo_held_index_partial(_migrator) -> None:
    drop_index_if_present("issue", "issue_held_created_at")
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "issue_visibility_created_at" ON "issue" ("visibility", "created_at")'
    )


def _undo_event_changes_index(_migrator) -> None:
    drop_index_if_present("event", "event_changes")


def _undo_accepted_index(_migrator) -> None:
    drop_index_if_present("issue", "issue_league_accepted")


# The tables of the first release.
_FIRST_TABLES = (
    models.SchemaVersion,
    models.Area,
    models.User,
    models.Media,
    models.Steward,
    models.StewardAlley,
    models.StaffAccount,
    models.RoleGrant,
    models.AuthToken,
    models.BindCode,
    models.Board,
    models.Department,
    models.KeyValue,
    models.Event,
    models.Issue,
    models.IssueAssignee,
    models.Wish,
    models.Patrol,
    models.SubscriptionConsent,
    models.OutboxMessage,
    models.ScanDaily,
    models.RateCounter,
    models.ChatGroup,
    models.InboundMessage,
    models.BotPhoto,
    models.SchedulerLease,
    models.JobRun,
    models.Assessment,
)

# Append, never edit. A version that adds a table names its model in `tables`; one that changes
# a table has a `step` and an `undo` (tests/core/test_upgrades.py checks every model is declared).
MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "initial schema: areas, stewards, users, roles, boards, departments, media, events",
        tables=_FIRST_TABLES,
    ),
    Migration(
        2,
        "media_upload: every uploader of a photo (only one's own photos can be attached)",
        _media_uploads,
        tables=(models.MediaUpload,),
    ),
    Migration(
        3,
        "credit: issue.accepted_by, issue.resolved_by, wish.fulfilled_by",
        _credit_columns,
        undo=_undo_credit_columns,
    ),
    Migration(4, "alley change counters (cached public board views)", tables=(models.AlleyChange,)),
    Migration(5, "print jobs: the console's background board PDFs", tables=(models.PrintJob,)),
    Migration(
        6,
        "time bank: point accounts (passbooks) and their append-only entries",
        # named one by one: timebank.MODELS has grown since (pending adjustments, version 14)
        tables=(models.PointAccount, models.PointEntry),
    ),
    Migration(
        7,
        "issue followers: residents following an existing report instead of repeating it",
        tables=(models.IssueFollower,),
    ),
    Migration(8, "exchange shop: shop items and redemptions", tables=tuple(shop.MODELS)),
    Migration(
        9,
        "volunteers: 双报到 units, teams, volunteers, activities, service records, gradings",
        tables=tuple(service.MODELS),
    ),
    Migration(
        10,
        "households (民情联系卡), 一人一策 care plans and visits",
        tables=tuple(households.MODELS),
    ),
    # Indexes only: `upgrade` creates every model's missing indexes after the steps.
    Migration(
        11,
        "indexes for the morning's reports: issue resolved_at, closed_at; patrol created_at",
        undo=_undo_report_indexes,
    ),
    # A new table only; a day's sequence starts from the numbers already given that day.
    Migration(
        12,
        "daily sequences: report and wish numbers past 9999 a day",
        tables=(models.DailySequence,),
    ),
    Migration(
        13,
        "issue: drop the alley, community and reporter indexes that composites cover",
        _drop_redundant_issue_indexes,
        undo=_undo_drop_redundant_issue_indexes,
    ),
    Migration(
        14,
        "time bank maker-checker: pending adjustments, and who approved an entry",
        _adjustment_approvals,
        tables=(models.PointAdjustment,),
        undo=_undo_adjustment_approvals,
    ),
    Migration(
        15,
        "operations: outbox_message.request_id; job_status, each scheduled job's last run",
        _outbox_request_id,
        tables=(models.JobStatus,),
        undo=_undo_outbox_request_id,
    ),
    Migration(
        16,
        "handling units: department.kind, unit members, chat group's unit, whistle/check-in times",
        _handling_units,
        tables=(models.UnitMember,),
        undo=_undo_handling_units,
    ),
    # A new table only: existing issues keep their source and have no intake row.
    Migration(
        17,
        "issue intake: items registered on behalf of a resident, 12345 ticket numbers per street",
        tables=(models.IssueIntake,),
    ),
    Migration(
        18,
        "issue.supervised_at: 督办, a unit's item escalated to the street leader",
        _issue_supervised_at,
        undo=_undo_issue_supervised_at,
    ),
    Migration(
        19,
        "closure outcomes: issue.outcome (past closures solved), issue.duplicate_of, reply templates",
        _closure_outcomes,
        tables=(models.ReplyTemplate,),
        undo=_undo_closure_outcomes,
    ),
    Migration(
        20,
        "callbacks (回访) of closed items, and the street's sample rule for them",
        tables=(models.Callback, models.CallbackRule),
    ),
    # A new table only: a street's public figures page, off until switched on.
    Migration(
        21,
        "street: public figures pages (/s/{code}); issue (department, whistled_at) for the league",
        _unit_whistle_index,
        tables=(models.StreetPage,),
        undo=_undo_unit_whistle_index,
    ),
    # New tables only.
    Migration(
        22,
        "care alerts (关怀提醒): the alert and each household on its steward's private list",
        tables=(models.CareAlert, models.CareTarget),
    ),
    Migration(
        23,
        "boards: health checks of boards nobody scans; print_job.board_ids (boards ticked)",
        _board_health,
        tables=(models.BoardCheck,),
        undo=_undo_board_health,
    ),
    # A new table only: proposals the group bot makes from a steward's words (issue 32).
    Migration(
        24,
        "ledger proposals: records the group bot proposes, waiting for the steward's 是",
        tables=(models.LedgerProposal,),
    ),
    # Indexes only (`upgrade` creates them).
    Migration(
        25,
        "indexes for the console's search: issue.contact_phone, wish.contact_phone",
        undo=_undo_search_indexes,
    ),
    Migration(
        26,
        "visit.kind: a household visited at home, by phone or on WeChat (入户 / 电话 / 微信)",
        _visit_kind,
        undo=_undo_visit_kind,
    ),
    # Indexes only: `upgrade` creates the new ones after the step.
    Migration(
        27,
        "issue: the street league's covering indexes in place of four narrower ones",
        _league_covering_indexes,
        undo=_undo_league_covering_indexes,
    ),
    # Indexes only (`upgrade` creates them).
    Migration(
        28,
        "issue: (alley, status, deadline) and (visibility, created_at) for the staff queues",
        undo=_undo_queue_indexes,
    ),
    # Indexes only (`upgrade` creates it).
    Migration(
        29,
        "issue: (community, accepted_at, accepted_by, category) for the 首页's acceptances",
        undo=_undo_accepted_index,
    ),
    Migration(
        30,
        "issue: the contact phone's index without the items that have none (partial)",
        _phone_index_partial,
        undo=_undo_phone_index_partial,
    ),
    Migration(
        31,
        "issue: the held reports' index without the public ones (partial)",
        _held_index_partial,
        undo=_undo_held_index_partial,
    ),
    # Indexes only (`upgrade` creates it).
    Migration(
        32,
        "event: the changes' ids, without the records of reads (partial), for the kept figures",
        undo=_undo_event_changes_index,
    ),
]


def as_migration(entry) -> Migration:
    """A `Migration`, also from a plain `(version, description, step)` tuple."""
    return entry if isinstance(entry, Migration) else Migration(*entry)


def latest_version(migrations: Sequence | None = None) -> int:
    return max(as_migration(m).version for m in (MIGRATIONS if migrations is None else migrations))


def current_version() -> int:
    if not db.table_exists(models.SchemaVersion._meta.table_name):
        return 0
    row = models.SchemaVersion.select().order_by(models.SchemaVersion.version.desc()).first()
    return row.version if row else 0


def recorded_versions() -> set[int]:
    if not db.table_exists(models.SchemaVersion._meta.table_name):
        return set()
    return {v for (v,) in models.SchemaVersion.select(models.SchemaVersion.version).tuples()}


def migrator():
    return SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)


def add_column_if_missing(table: str, name: str, field: Field) -> None:
    """The usual body of a migration step; harmless when the column is already there."""
    if name not in {c.name for c in db.get_columns(table)}:
        migrate(migrator().add_column(table, name, field))


def add_not_null_column_if_missing(table: str, name: str, sql_type: str, default: str) -> None:
    """A NOT NULL column with its default in one ALTER TABLE, which SQLite and PostgreSQL both
    take as is. (peewee's migrator adds it nullable, then rebuilds the table on SQLite to make it
    NOT NULL; dropping the old table deletes its rows first, which foreign keys refuse or turn
    into SET NULL on the rows that refer to it.)"""
    if name not in {c.name for c in db.get_columns(table)}:
        db.execute_sql(
            f'ALTER TABLE "{table}" ADD COLUMN "{name}" {sql_type} NOT NULL DEFAULT {default}'
        )


def drop_index_if_present(table: str, name: str) -> None:
    if name in {ix.name for ix in db.get_indexes(table)}:
        db.execute_sql(f'DROP INDEX "{name}"')


def safety_copy_path() -> str | None:
    """Where an upgrade of a SQLite database keeps the copy it took first (None: PostgreSQL)."""
    path = db.obj.database if is_sqlite() else None
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return f"{path}.before-upgrade"


def _take_safety_copy() -> None:
    target = safety_copy_path()
    if target is None:
        return
    source = sqlite3.connect(db.obj.database, timeout=30)
    try:
        copy = sqlite3.connect(f"{target}.tmp")
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE").fetchall()
        finally:
            copy.close()
    finally:
        source.close()
    # Complete or absent: a crash while copying never leaves a half copy under the name.
    os.replace(f"{target}.tmp", target)


def upgrade(migrations: Sequence | None = None) -> tuple[int, int]:
    """Bring the schema to the latest version. Returns (version before, version after).

    Raises `SchemaError` when the database records a version these migrations do not know, or
    when a step fails (the database then stays at the version before that step)."""
    steps = sorted(
        (as_migration(m) for m in (MIGRATIONS if migrations is None else migrations)),
        key=lambda m: m.version,
    )
    before = current_version()
    target = steps[-1].version
    recorded = recorded_versions()
    unknown = sorted(recorded - {m.version for m in steps})
    if unknown:
        raise SchemaError(
            f"数据库记录的结构版本（{', '.join(map(str, unknown))}）是本程序没有的迁移：数据库来自"
            f"更新的程序版本（本程序最高支持版本 {target}）。请使用与数据库相符的程序版本，"
            "不要用旧版本程序打开新数据库；数据库未做任何修改"
        )
    existing = set(db.get_tables())
    fresh = not (existing - {models.SchemaVersion._meta.table_name})
    with write_transaction():
        db.create_tables([models.SchemaVersion], safe=True)
    if fresh:
        with write_transaction():
            db.create_tables(models.ALL_MODELS, safe=True)
            for m in steps:
                models.SchemaVersion.get_or_create(
                    version=m.version, defaults={"description": m.description}
                )
        return before, target
    pending = [m for m in steps if m.version not in recorded]
    if pending and is_sqlite():
        _take_safety_copy()
    for m in pending:
        try:
            with write_transaction():
                db.create_tables(list(m.tables), safe=True)
                if m.step is not None:
                    m.step(migrator())
                models.SchemaVersion.create(version=m.version, description=m.description)
        except Exception as exc:
            raise SchemaError(
                f"升级到结构版本 {m.version}（{m.description}）失败，已撤销这一步，"
                f"数据库仍为版本 {current_version()}：{exc}"
            ) from exc
    with write_transaction():
        db.create_tables(models.ALL_MODELS, safe=True)
    return before, max(before, target)
