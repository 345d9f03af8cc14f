"""What every kind of item residents file (issues, wishes) shares: numbers, photos, and the
two halves of a state change — loading the row locked and checked, and recording the change."""

from __future__ import annotations

import contextlib
import hashlib
import hmac

from peewee import IntegrityError

from core import audit
from core.boards import changes
from core.people.permissions import Principal
from infra.db import Param, Prepared, PreparedInsert, db, is_sqlite, locked
from infra.errors import ApiError, bad_request, conflict, not_found
from infra.timeutil import to_local, utcnow
from models import DailySequence, Media, MediaUpload

MAX_PHOTOS = 9


def check_photos(p: Principal, photo_ids: list[int], field: str) -> list[int]:
    """The photo ids `p` may attach: at most nine, each one `p` uploaded (media ids are
    sequential; anyone else's private upload must not be attachable by guessing one).

    A principal without a user is the scan page's anonymous submitter: its ids come only
    from the page's own signed tokens (web.scan.common.sign_photo), which no caller can
    forge, so there existence is what is checked."""
    ids = list(dict.fromkeys(photo_ids or []))
    if len(ids) > MAX_PHOTOS:
        raise bad_request("最多上传 9 张照片", {field: "最多 9 张"})
    if ids:
        if p.user is not None:
            found = {m.id for m in _OWN_PHOTOS.rows(ids=ids, user=p.user.id)}
        else:
            found = {m.id for m in _PHOTOS.rows(ids=ids)}
        if any(i not in found for i in ids):
            raise bad_request(
                "照片不存在或不是您上传的，请重新上传",
                {field: "照片不存在或不是您上传的，请重新上传"},
            )
    return ids


# Asked on every report with photos: compiled once per number of photos (infra.db.Prepared).
_PHOTOS = Prepared(
    lambda: Media.select(Media.id).where(Media.id.in_(Param("ids", many=True))), many=("ids",)
)
_OWN_PHOTOS = Prepared(
    lambda: (
        Media.select(Media.id)
        .join(MediaUpload)
        .where(Media.id.in_(Param("ids", many=True)) & (MediaUpload.user == Param("user")))
    ),
    many=("ids",),
)


# A day's next number: its sequence row raised in the item's own write transaction, so two
# writers never draw the same one (infra.db.Prepared).
_NEXT_IN_DAY = Prepared(
    lambda: (
        DailySequence.update(last=DailySequence.last + 1)
        .where((DailySequence.prefix == Param("prefix")) & (DailySequence.day == Param("day")))
        .returning(DailySequence.last)
    )
)


def next_number(prefix: str, model) -> str:
    """`S2611220001`: the prefix, the local date, the day's sequence (four digits, more past
    9999)."""
    day = to_local(utcnow()).strftime("%y%m%d")
    seq = _NEXT_IN_DAY.scalar(prefix=prefix, day=day)
    if seq is None:
        seq = _start_day(prefix, day, model)
    return f"{prefix}{day}{seq:04d}"


def _start_day(prefix: str, day: str, model) -> int:
    """The day's first number: after any the day already has (those given before the
    sequences existed). A writer starting the same day at the same moment waits on the
    row's unique index and takes the next one."""
    stem = f"{prefix}{day}"
    given = model.select(model.number).where(model.number.startswith(stem)).tuples()
    used = [int(n[len(stem) :]) for (n,) in given if n[len(stem) :].isdigit()]
    query = (
        DailySequence.insert(prefix=prefix, day=day, last=max(used, default=0) + 1)
        .on_conflict(
            conflict_target=[DailySequence.prefix, DailySequence.day],
            update={DailySequence.last: DailySequence.last + 1},
        )
        .returning(DailySequence.last)
        .tuples()
    )
    return next(iter(query.execute()))[0]


_INSERTS: dict = {}  # model → its PreparedInsert


def insert_numbered(prefix: str, model, **fields):
    """Insert with the next number. A number some row already has (one the day's sequence
    never gave: an import, a restored backup) is skipped: the sequence is raised outside the
    savepoint, so the retry draws the one after it."""
    insert = _INSERTS.get(model) or _INSERTS.setdefault(model, PreparedInsert(model))
    for _ in range(20):
        number = next_number(prefix, model)
        try:
            # PostgreSQL aborts the whole transaction on a failed statement unless it ran in
            # a savepoint; SQLite undoes just the statement, and two statements fewer inside
            # its one write lock count.
            with contextlib.nullcontext() if is_sqlite() else db.atomic():
                return insert.create(number=number, **fields)
        except IntegrityError:
            continue
    raise ApiError(503, "busy", "提交的人太多了，请稍后再试")


def tracking_hash(token: str) -> str:
    """What is stored of a web submitter's tracking token (issues and wishes alike)."""
    return hashlib.sha256(token.encode()).hexdigest()


def holds_token(item, token: str | None) -> bool:
    """The caller presented the tracking token of this web issue (or wish): they are its
    submitter, as far as anyone can tell without a WeChat login."""
    if not token or not item.tracking_token_hash:
        return False
    return hmac.compare_digest(item.tracking_token_hash, tracking_hash(token))


class Kind:
    """How one kind of item is named and which states each action may start from."""

    def __init__(self, model, subject: str, noun: str, allowed_from, status_labels, action_labels):
        self.model = model
        self.subject = subject  # "issue" / "wish": event names and error codes
        self.noun = noun  # 诉求 / 心愿
        self.allowed_from = allowed_from
        self.status_labels = status_labels
        self.action_labels = action_labels

    def load_for_change(self, item_id: int, action: str):
        """The row, locked for the transaction, in a state `action` may start from (else 409)."""
        item = locked(self.model.select().where(self.model.id == item_id)).first()
        if item is None:
            raise not_found(f"找不到该{self.noun}", code=f"{self.subject}_not_found")
        if item.status not in self.allowed_from[action]:
            raise conflict(
                "invalid_transition",
                f"该{self.noun}当前为“{self.status_labels[item.status]}”，"
                f"不能{self.action_labels[action]}",
            )
        return item

    def record(self, actor, item, action: str, data: dict, label: str | None = None):
        """Save the changed row and append its event (inside the caller's transaction)."""
        item.updated_at = utcnow()
        item.save()
        changes.alley_changed([item.alley_id])  # the board page shows items of the alley
        return audit.record(
            f"{self.subject}.{action}",
            self.subject,
            item.id,
            actor=actor,
            label=label,
            area=item.alley_id,
            data=data,
        )
