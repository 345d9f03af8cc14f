"""A populated instance for the backup and upgrade tests, and ways to compare two of them.

`populate()` loads the demo district (through the real services), uploads photos, then gives
every table that is still empty one row built from its model's fields, so a table added later
is covered without anyone editing this file. `empty_tables()` reads the database's own list of
tables, not the models: a table the filler cannot fill shows up there.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from peewee import (
    AutoField,
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    FloatField,
    ForeignKeyField,
    IntegerField,
)
from PIL import Image

from core import demo, media
from infra.db import db
from models import ALL_MODELS, JSONField, User


def photo_bytes(seed: int, side: int = 96) -> bytes:
    """A PNG of noise: every seed a different photo, none compressible to nothing."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def populate(photos: int = 3) -> None:
    """The demo district, `photos` uploaded photos, and a row in every table left empty."""
    demo.seed()
    uploader = User.create(openid="o_photographer", nickname="拍照的人")
    for n in range(photos):
        media.save_image(photo_bytes(n), uploader)
    fill_empty_tables()


def fill_empty_tables() -> None:
    for model in ALL_MODELS:  # dependency order: a row's references exist before it
        if not model.select().exists():
            model.insert(_row_for(model)).execute()


def _row_for(model) -> dict:
    row = {}
    for field in model._meta.sorted_fields:
        if isinstance(field, AutoField):
            continue
        row[field.name] = _value_for(model, field)
    return row


def _value_for(model, field):
    if isinstance(field, ForeignKeyField):
        target = field.rel_model
        found = target.select(target._meta.primary_key).order_by(target._meta.primary_key)
        first = found.first()
        return None if first is None else first._pk
    if isinstance(field, JSONField):
        return {"填充": [1, "二"], "table": model._meta.table_name}
    if isinstance(field, BooleanField):
        return True
    if isinstance(field, DateTimeField):
        return datetime(2026, 3, 4, 5, 6, 7)
    if isinstance(field, DateField):
        return date(2026, 3, 4)
    if isinstance(field, DecimalField):
        return Decimal("1.50")
    if isinstance(field, FloatField):
        return 1.5
    if isinstance(field, IntegerField):
        return 7
    text = f"填充-{model._meta.table_name}-{field.name}"
    limit = getattr(field, "max_length", None)
    return text[:limit] if limit else text


def empty_tables() -> list[str]:
    """Tables of the database (as it reports them) without a row."""
    return sorted(
        t for t in db.get_tables() if not db.execute_sql(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()
    )


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table, in an order independent of how they were read."""
    out = {}
    for table in db.get_tables():
        cursor = db.execute_sql(f'SELECT * FROM "{table}"')
        out[table] = sorted((tuple(r) for r in cursor.fetchall()), key=repr)
    return out


def media_files(folder: Path) -> dict[str, str]:
    """Relative path → SHA-256 of every file under `folder` (dot names are work in progress)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith("."):
                path = Path(dirpath) / name
                out[path.relative_to(folder).as_posix()] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
    return out
