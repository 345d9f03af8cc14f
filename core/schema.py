"""Schema creation and upgrades (`flask --app app init-db`), with a recorded schema version.

A fresh database gets every table at the latest version. An existing one gets the pending
steps of `MIGRATIONS`, each in its own transaction, then any tables added since. A step is
a function taking a `playhouse.migrate` migrator; steps must be safe to re-run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from peewee import CharField, DateTimeField, Field, ForeignKeyField
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

import models
from core.db import db, is_sqlite
from core.items import credit

Migration = tuple[int, str, Callable | None]


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


def _handling_units(_migrator) -> None:
    """Handling units: a department's kind, a chat group's unit, an issue's whistle and
    check-in times. The unit members' table is new: `upgrade` creates it after the steps."""
    add_column_if_missing("department", "kind", CharField(max_length=16, default="department"))
    add_column_if_missing(
        "chat_group",
        "unit_id",
        ForeignKeyField(
            models.Department, field=models.Department.id, null=True, on_delete="SET NULL"
        ),
    )
    add_column_if_missing("issue", "whistled_at", DateTimeField(null=True))
    add_column_if_missing("issue", "checked_in_at", DateTimeField(null=True))


# Version 1 is the schema the models describe on first release. Append, never edit.
MIGRATIONS: list[Migration] = [
    (1, "initial schema: areas, stewards, users, roles, boards, departments, media, events", None),
    (
        2,
        "media_upload: every uploader of a photo (only one's own photos can be attached)",
        _media_uploads,
    ),
    (3, "credit: issue.accepted_by, issue.resolved_by, wish.fulfilled_by", _credit_columns),
    # The table is created by upgrade()'s create_tables; the step only records the version.
    (4, "alley change counters (cached public board views)", None),
    # A new table only: `upgrade` creates it after the steps.
    (5, "print jobs: the console's background board PDFs", None),
    # New tables only.
    (6, "time bank: point accounts (passbooks) and their append-only entries", None),
    (7, "issue followers: residents following an existing report instead of repeating it", None),
    (8, "exchange shop: shop items and redemptions", None),
    (
        9,
        "volunteers: 双报到 units, teams, volunteers, activities, service records, gradings",
        None,
    ),
    (10, "households (民情联系卡), 一人一策 care plans and visits", None),
    # Indexes only: `upgrade` creates every model's missing indexes after the steps.
    (
        11,
        "indexes for the morning's reports: issue resolved_at, closed_at; patrol created_at",
        None,
    ),
    # A new table only; a day's sequence starts from the numbers already given that day.
    (12, "daily sequences: report and wish numbers past 9999 a day", None),
    (
        13,
        "issue: drop the alley, community and reporter indexes that composites cover",
        _drop_redundant_issue_indexes,
    ),
    (
        19,
        "handling units: department.kind, unit members, chat group's unit, whistle/check-in times",
        _handling_units,
    ),
]


def latest_version(migrations: Sequence[Migration] = MIGRATIONS) -> int:
    return max(v for v, _, _ in migrations)


def current_version() -> int:
    if not db.table_exists(models.SchemaVersion._meta.table_name):
        return 0
    row = models.SchemaVersion.select().order_by(models.SchemaVersion.version.desc()).first()
    return row.version if row else 0


def migrator():
    return SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)


def add_column_if_missing(table: str, name: str, field: Field) -> None:
    """The usual body of a migration step; harmless when the column is already there."""
    if name not in {c.name for c in db.get_columns(table)}:
        migrate(migrator().add_column(table, name, field))


def upgrade(migrations: Sequence[Migration] = MIGRATIONS) -> tuple[int, int]:
    """Bring the schema to the latest version. Returns (version before, version after)."""
    before = current_version()
    target = latest_version(migrations)
    existing = set(db.get_tables())
    fresh = not (existing - {models.SchemaVersion._meta.table_name})
    with db.atomic():
        db.create_tables([models.SchemaVersion], safe=True)
    if fresh:
        with db.atomic():
            db.create_tables(models.ALL_MODELS, safe=True)
            for version, description, _ in migrations:
                models.SchemaVersion.get_or_create(
                    version=version, defaults={"description": description}
                )
        return before, target
    for version, description, step in sorted(migrations, key=lambda m: m[0]):
        if version <= before:
            continue
        with db.atomic():
            if step is not None:
                step(migrator())
            models.SchemaVersion.create(version=version, description=description)
    with db.atomic():
        db.create_tables(models.ALL_MODELS, safe=True)
    return before, max(before, target)
