"""What the signboards' public side keeps: scans per board and day, each alley's change counter
(for cached board views), the console's background PDF print jobs, and the health checks of
boards whose scans stopped (`BoardCheck`, core/boards/health.py)."""

from peewee import (
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from infra.timeutil import utcnow
from models import Area, BaseModel, Board, JSONField, Media, Steward, User


class ScanDaily(BaseModel):
    """How many times a board's QR was opened on a local day (no personal data kept)."""

    board = ForeignKeyField(Board, backref="scans", on_delete="CASCADE")
    day = DateField()
    count = IntegerField(default=0)

    class Meta:
        indexes = ((("board", "day"), True),)


class AlleyChange(BaseModel):
    """A counter per alley, raised by every change to what its boards' public view shows
    (items, stewards, the board itself): web workers on any host compare it to decide whether
    a cached view is still current."""

    alley = ForeignKeyField(Area, unique=True, on_delete="CASCADE")
    version = IntegerField(default=0)


class PrintJob(BaseModel):
    """A board PDF being rendered in the background for the console (公示牌 → 打印).

    The row is the job's whole state, so any web worker can show its progress, and a worker
    that finds it abandoned (no heartbeat) takes it over."""

    area = ForeignKeyField(Area, on_delete="CASCADE")
    requested_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    size = CharField(max_length=4, default="A4")
    changed_since = DateTimeField(null=True)  # naive UTC; None = every active board
    # The boards ticked on the console (ids); None = every active board of the area
    board_ids = JSONField(null=True)
    status = CharField(max_length=16, default="queued")  # queued | running | done | failed
    total = IntegerField(default=0)
    done = IntegerField(default=0)
    file_name = CharField(max_length=128, null=True)
    error = TextField(null=True)
    worker = CharField(max_length=128, null=True)
    heartbeat_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("area", "created_at"), False),)


class BoardCheck(BaseModel):
    """A board flagged because nobody scans it, and what its steward answered.

    One open check per board at most: the steward is asked once, when the check is made.
    `answer` is None (asked, not answered), "ok" (牌子好的: no new check for a while) or
    "broken" (牌子坏了: on the print page's 待重印 list until `reprinted_at`)."""

    board = ForeignKeyField(Board, backref="checks", on_delete="CASCADE")
    reason = CharField(max_length=16)  # stopped | never
    flagged_at = DateTimeField(default=utcnow)
    steward = ForeignKeyField(Steward, null=True, on_delete="SET NULL")  # who was asked
    answer = CharField(max_length=16, null=True)  # None | ok | broken
    answered_at = DateTimeField(null=True)
    answered_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    photo = ForeignKeyField(Media, null=True, on_delete="SET NULL")
    reprinted_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("board", "flagged_at"), False),)


MODELS = [ScanDaily, AlleyChange, PrintJob, BoardCheck]
