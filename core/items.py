"""Helpers shared by every kind of item residents file (issues, wishes): numbers, photos."""

from __future__ import annotations

from datetime import datetime

from peewee import IntegrityError, fn

from core.db import db
from core.errors import ApiError, bad_request
from core.timeutil import LOCAL_TZ
from models import Media

MAX_PHOTOS = 9


def check_photos(photo_ids: list[int], field: str) -> list[int]:
    ids = list(dict.fromkeys(photo_ids or []))
    if len(ids) > MAX_PHOTOS:
        raise bad_request("最多上传 9 张照片", {field: "最多 9 张"})
    if ids:
        found = {m.id for m in Media.select(Media.id).where(Media.id.in_(ids))}
        missing = [i for i in ids if i not in found]
        if missing:
            raise bad_request("照片不存在，请重新上传", {field: "照片不存在，请重新上传"})
    return ids


def next_number(prefix: str, model) -> str:
    """`S2611220001`: the prefix, the local date, the day's sequence."""
    day = datetime.now(LOCAL_TZ).strftime("%y%m%d")
    stem = f"{prefix}{day}"
    last = model.select(fn.MAX(model.number)).where(model.number.startswith(stem)).scalar() or ""
    seq = int(last[len(stem) :] or 0) + 1
    return f"{stem}{seq:04d}"


def insert_numbered(prefix: str, model, **fields):
    """Insert with the next number; two writers drawing the same one retry on the unique index."""
    for _ in range(20):
        try:
            with db.atomic():
                return model.create(number=next_number(prefix, model), **fields)
        except IntegrityError:
            continue
    raise ApiError(503, "busy", "提交的人太多了，请稍后再试")
