"""The data model: the area tree, people and their roles, boards, departments, media, events.

Datetimes are naive UTC (see `infra.timeutil`). Queries that several callers need live here
as classmethods; state changes with rules live in the `core` services that call them.

This file holds the core schema, top to bottom in dependency order: areas, people and roles,
boards, departments, events, issues, wishes, patrols, the outbox. What only hangs off those
tables lives in a module of its own, imported at the end and appended to `ALL_MODELS`:
`boards` (scans, change counters, print jobs), `chat` (groups, handled messages, bot photos),
`operations` (the scheduler's lease, run keys, job status), `timebank`, `shop`, `service`
(volunteering), `households`, `units` (handling units' members), `street` (the street's public
figures page).
"""

from __future__ import annotations

import json

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from infra.db import Param, Prepared, db
from infra.timeutil import utcnow

AREA_KINDS = ("street", "community", "grid", "alley")
AREA_KIND_LABELS = {"street": "街道/镇", "community": "社区/村", "grid": "网格", "alley": "街巷"}
ROLES = ("resident", "steward", "staff", "admin")
STEWARD_POSTS = ("信息员", "调解员", "劝导员", "守护员")


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class JSONField(TextField):
    """JSON kept as text so SQLite and PostgreSQL store it the same way."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class SchemaVersion(BaseModel):
    """One row per applied schema version; the highest is the current one."""

    version = IntegerField(primary_key=True)
    description = CharField(max_length=200)
    applied_at = DateTimeField(default=utcnow)


class Area(BaseModel):
    """A node of the tree street → community → grid → alley.

    `path` is the materialised chain of ids ("/1/4/9/"): a subtree is a prefix match,
    which is how every permission scope is checked without recursive queries.
    """

    parent = ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    kind = CharField(max_length=16)
    name = CharField(max_length=100)
    path = CharField(max_length=255, default="")
    phone = CharField(max_length=32, null=True)  # supervision / office phone shown on boards
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("parent", "name"), True), (("path",), False), (("kind",), False))

    def set_path(self) -> None:
        """Compute `path` once the row has an id (call after the first save)."""
        prefix = self.parent.path if self.parent_id else "/"
        self.path = f"{prefix}{self.id}/"
        Area.update(path=self.path).where(Area.id == self.id).execute()

    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]

    def ancestors(self) -> list[Area]:
        """Root first, self last."""
        ids = self.ancestor_ids()
        if not ids:
            return []
        by_id = {a.id: a for a in _AREAS_BY_ID.rows(ids=ids)}
        return [by_id[i] for i in ids if i in by_id]

    def covers(self, other: Area) -> bool:
        return other.path.startswith(self.path)

    @classmethod
    def subtree(cls, root: Area):
        return cls.select().where(cls.path.startswith(root.path))

    @classmethod
    def alley_ids_under(cls, root: Area):
        """A subquery of the ids of the alleys in `root`'s subtree (itself, if an alley)."""
        return cls.select(cls.id).where(cls.path.startswith(root.path) & (cls.kind == "alley"))

    @property
    def label_path(self) -> str:
        return " / ".join(a.name for a in self.ancestors())


class User(BaseModel):
    """A person who logged in through WeChat (or a console account's own identity)."""

    openid = CharField(max_length=64, unique=True, null=True)
    unionid = CharField(max_length=64, null=True, index=True)
    session_key = CharField(max_length=64, null=True)
    nickname = CharField(max_length=64, null=True)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)


class Media(BaseModel):
    """An uploaded image, stored once by content hash under MEDIA_DIR."""

    sha256 = CharField(max_length=64, unique=True)
    mime = CharField(max_length=32)
    ext = CharField(max_length=8)
    width = IntegerField()
    height = IntegerField()
    size = IntegerField()
    thumb_width = IntegerField()
    thumb_height = IntegerField()
    uploaded_by = ForeignKeyField(User, null=True, backref="uploads", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)


class MediaUpload(BaseModel):
    """Who uploaded a `Media` row: everyone who did, since the same photo uploaded twice is
    one row. Only a photo its attacher uploaded may be attached (`core.items.lifecycle`)."""

    media = ForeignKeyField(Media, backref="upload_links", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="media_uploads", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("media", "user"), True),)


class Steward(BaseModel):
    """A 小巷管家. Identified by mobile phone across roster imports."""

    name = CharField(max_length=50)
    phone = CharField(max_length=20, unique=True)
    photo = ForeignKeyField(Media, null=True, on_delete="SET NULL")
    duties = TextField(default="")
    posts = JSONField(default=list)  # subset of STEWARD_POSTS
    households = IntegerField(default=0)  # 包联户数
    wecom_userid = CharField(max_length=64, null=True, unique=True)
    user = ForeignKeyField(User, null=True, backref="stewards", on_delete="SET NULL")
    active = BooleanField(default=True)
    dismissed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    def alleys(self):
        return (
            Area.select()
            .join(StewardAlley, on=(StewardAlley.alley == Area.id))
            .where(StewardAlley.steward == self)
            .order_by(Area.id)
        )


class StewardAlley(BaseModel):
    """Which steward answers for which alley (one roster row each)."""

    steward = ForeignKeyField(Steward, backref="alley_links", on_delete="CASCADE")
    alley = ForeignKeyField(Area, backref="steward_links", on_delete="CASCADE")
    is_leader = BooleanField(default=False)  # 队长, e.g. the branch secretary
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("steward", "alley"), True), (("alley",), False))


class StaffAccount(BaseModel):
    """A community (staff) or street (admin) console account."""

    username = CharField(max_length=64, unique=True)
    password_hash = CharField(max_length=255)
    display_name = CharField(max_length=50, default="")
    phone = CharField(max_length=20, null=True)
    role = CharField(max_length=16)  # staff | admin
    area = ForeignKeyField(Area, backref="staff_accounts", on_delete="RESTRICT")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")  # the console login identity
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)


class RoleGrant(BaseModel):
    """A role held by a user, scoped to an area (staff/admin) or a steward record."""

    user = ForeignKeyField(User, backref="grants", on_delete="CASCADE")
    role = CharField(max_length=16)
    area = ForeignKeyField(Area, null=True, on_delete="CASCADE")
    steward = ForeignKeyField(Steward, null=True, backref="grants", on_delete="CASCADE")
    staff = ForeignKeyField(StaffAccount, null=True, backref="grants", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    revoked_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "revoked_at"), False),)

    @classmethod
    def active_for(cls, user: User):
        return cls.select().where((cls.user == user) & cls.revoked_at.is_null())


class AuthToken(BaseModel):
    """A bearer token; only its SHA-256 is stored. Revoking it ends the session at once."""

    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    via = CharField(max_length=16)  # wechat | offline | password
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    last_used_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)


class BindCode(BaseModel):
    """A one-time code staff hand to a steward or colleague to bind their WeChat."""

    code_hash = CharField(max_length=64, unique=True)
    steward = ForeignKeyField(Steward, null=True, on_delete="CASCADE")
    staff = ForeignKeyField(StaffAccount, null=True, on_delete="CASCADE")
    issued_by = CharField(max_length=100)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)
    used_by = ForeignKeyField(User, null=True, on_delete="SET NULL")


class Board(BaseModel):
    """A 公示牌 on a wall; its code is what the QR carries."""

    alley = ForeignKeyField(Area, backref="boards", on_delete="RESTRICT")
    code = CharField(max_length=16, unique=True)
    version = IntegerField(default=1)  # bumped when what is printed on it changes
    active = BooleanField(default=True)
    retired_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


class Department(BaseModel):
    """A handling unit that answers a whistle (吹哨): a street department (kind `department`)
    or a property company (kind `property`); its members are in `models.units`."""

    area = ForeignKeyField(Area, backref="departments", on_delete="RESTRICT")
    name = CharField(max_length=100)
    kind = CharField(max_length=16, default="department")  # department | property
    contact_name = CharField(max_length=50, default="")
    phone = CharField(max_length=32, default="")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("area", "name"), True),)


class KeyValue(BaseModel):
    """Shared short-lived values (WeChat access tokens) visible to every worker and host."""

    key = CharField(max_length=191, primary_key=True)
    value = TextField()
    expires_at = DateTimeField(null=True)


class Event(BaseModel):
    """The append-only audit trail: every staff action and every state change writes one.

    Rows are never updated or deleted; the guards below make that a programming error.
    """

    at = DateTimeField(default=utcnow)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    actor_label = CharField(max_length=100, default="")
    action = CharField(max_length=64)
    subject_type = CharField(max_length=32)
    subject_id = IntegerField(null=True)
    area = ForeignKeyField(Area, null=True, on_delete="SET NULL")
    data = JSONField(default=dict)
    request_id = CharField(max_length=64, null=True)

    class Meta:
        indexes = ((("subject_type", "subject_id"), False), (("at",), False))

    def save(self, *args, **kwargs):
        if self.id is not None and not kwargs.get("force_insert"):
            raise PermissionError("events are append-only")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise PermissionError("events are append-only")

    @classmethod
    def update(cls, *args, **kwargs):
        raise PermissionError("events are append-only")

    @classmethod
    def delete(cls):
        raise PermissionError("events are append-only")

    @classmethod
    def for_subject(cls, subject_type: str, subject_id: int):
        return (
            cls.select()
            .where((cls.subject_type == subject_type) & (cls.subject_id == subject_id))
            .order_by(cls.at, cls.id)
        )


# --- issues (诉求), wishes (微心愿), patrols, the outbox, subscribe consents -----------------

ISSUE_OPEN = ("submitted", "accepted", "escalated", "whistled")
ISSUE_STATUSES = (*ISSUE_OPEN, "resolved", "closed", "cancelled")
PRIORITIES = ("ordinary", "important", "major")  # the "2310" tiers
RESOLUTION_LEVELS = ("现场解决", "上报社区", "联合处置")
WISH_STATUSES = ("pending_review", "published", "claimed", "fulfilled", "closed", "rejected")
VISIBILITIES = ("public", "held", "hidden")
# What people read for each status (the workflows in core.items and every front end).
ISSUE_STATUS_LABELS = {
    "submitted": "待接单",
    "accepted": "处理中",
    "escalated": "已上报社区",
    "whistled": "已吹哨",
    "resolved": "已办结",
    "closed": "已完结",
    "cancelled": "已撤销",
}
WISH_STATUS_LABELS = {
    "pending_review": "待审核",
    "published": "待认领",
    "claimed": "已认领",
    "fulfilled": "已实现",
    "closed": "已完结",
    "rejected": "未通过",
}


class Issue(BaseModel):
    """A resident's problem report (诉求), or a steward's on-the-spot fix (随手做)."""

    number = CharField(max_length=16, unique=True)  # S + yymmdd + daily sequence
    # alley, community and reporter have no index of their own: composite indexes below lead
    # with each, and every index is one more page a new report writes under the write lock.
    alley = ForeignKeyField(Area, backref="issues", on_delete="RESTRICT", index=False)
    community = ForeignKeyField(Area, null=True, on_delete="RESTRICT", index=False)  # reports
    board = ForeignKeyField(Board, null=True, on_delete="SET NULL")
    category = CharField(max_length=32)
    content = TextField()
    photo_ids = JSONField(default=list)
    location = JSONField(null=True)  # {"lat", "lng", "address"}
    contact_phone = CharField(max_length=20, null=True)  # never shown publicly
    anonymous = BooleanField(default=False)
    source = CharField(max_length=16, default="resident")  # resident | steward | web
    reporter = ForeignKeyField(User, null=True, backref="issues", on_delete="SET NULL", index=False)
    tracking_token_hash = CharField(max_length=64, null=True, unique=True)  # web reports
    status = CharField(max_length=16, default="submitted")
    priority = CharField(max_length=16, default="ordinary")
    deadline = DateTimeField()
    visibility = CharField(max_length=16, default="public")
    hold_reason = CharField(max_length=200, null=True)
    # the unit; indexed with whistled_at below (a unit's items, and those whistled in a period)
    department = ForeignKeyField(Department, null=True, on_delete="SET NULL", index=False)
    whistled_at = DateTimeField(null=True)  # handed to the unit (吹哨); 报到 is due from then
    checked_in_at = DateTimeField(null=True)  # the unit's 报到
    supervised_at = DateTimeField(null=True)  # 督办: the street leader was told (core.units)
    accepted_at = DateTimeField(null=True)
    resolved_at = DateTimeField(null=True)
    resolution_level = CharField(max_length=16, null=True)
    resolution_note = TextField(null=True)
    resolution_photo_ids = JSONField(default=list)
    rating = IntegerField(null=True)
    rating_text = TextField(null=True)
    rated_at = DateTimeField(null=True)
    reopen_count = IntegerField(default=0)
    closed_at = DateTimeField(null=True)
    close_reason = CharField(max_length=32, null=True)  # rated | unrated | on_the_spot | merged
    # How it was closed (core.items.outcomes): solved | answered | not_ours | duplicate |
    # unsolvable; None while open. Only `solved` counts as solved in 解决率.
    outcome = CharField(max_length=16, null=True)
    # A duplicate merged into another item (core.items.merge). No index: nothing looks up an
    # item's duplicates (the original's trail names them), and every report would write one.
    duplicate_of = ForeignKeyField("self", null=True, on_delete="SET NULL", index=False)
    # Credit: the steward who accepted / resolved it (None: nobody yet, or staff did it).
    # Set only by core.items.issues; every figure credits these, never the co-assignees.
    accepted_by = ForeignKeyField(Steward, null=True, backref="+", on_delete="SET NULL")
    resolved_by = ForeignKeyField(Steward, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    def assigned_stewards(self) -> list[Steward]:
        """The stewards the issue is with right now, in the order they were assigned."""
        return list(_ASSIGNED_STEWARDS.rows(issue=self.id))

    class Meta:
        indexes = (
            (("status", "deadline"), False),
            # reports: a covering index for the totals; (community, created_at) and the others of
            # a period's range are models.street's covering indexes for the league (schema 27)
            (("community", "status", "outcome", "created_at", "resolved_at"), False),
            (("alley", "category", "created_at"), False),
            (("alley", "status", "deadline"), False),  # the staff queues' counts (schema 28)
            (("reporter", "created_at"), False),
            (("created_at",), False),
            # the morning's reports read what moved since the 1st across the district
            (("resolved_at",), False),
            (("closed_at",), False),
        )


class IssueAssignee(BaseModel):
    """The steward(s) an issue is with right now."""

    issue = ForeignKeyField(Issue, backref="assignees", on_delete="CASCADE")
    steward = ForeignKeyField(Steward, backref="assignments", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("issue", "steward"), True), (("steward",), False))


class IssueFollower(BaseModel):
    """A resident who has the same problem and follows an existing issue instead of reporting
    it again ("跟进这一件"): they see it among their own and it counts who is affected."""

    issue = ForeignKeyField(Issue, backref="followers", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="followed_issues", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("issue", "user"), True), (("user",), False))


class Wish(BaseModel):
    """A micro-wish (微心愿): verified by staff, published, claimed, fulfilled, confirmed."""

    number = CharField(max_length=16, unique=True)  # W + yymmdd + daily sequence
    alley = ForeignKeyField(Area, backref="wishes", on_delete="RESTRICT")
    community = ForeignKeyField(Area, null=True, on_delete="RESTRICT")  # for reports
    author = ForeignKeyField(User, null=True, backref="wishes", on_delete="SET NULL")
    on_behalf_of = CharField(max_length=50, null=True)  # a steward filed it for a resident
    created_by_steward = ForeignKeyField(Steward, null=True, on_delete="SET NULL")
    beneficiary_type = CharField(max_length=16)
    display_name = CharField(max_length=20)  # what the beneficiary chose to show, e.g. 王奶奶
    title = CharField(max_length=40)
    content = TextField()
    photo_ids = JSONField(default=list)
    contact_phone = CharField(max_length=20, null=True)  # never shown publicly
    tracking_token_hash = CharField(max_length=64, null=True, unique=True)  # web submissions
    status = CharField(max_length=16, default="pending_review")
    check_verdict = CharField(max_length=16, null=True)  # pass | review | risky | failed
    reject_reason = TextField(null=True)
    reviewed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    published_at = DateTimeField(null=True)
    claimer = ForeignKeyField(User, null=True, backref="claimed_wishes", on_delete="SET NULL")
    claimer_role = CharField(max_length=16, null=True)  # volunteer | steward | party_member
    claimed_at = DateTimeField(null=True)
    fulfil_note = TextField(null=True)
    fulfil_photo_ids = JSONField(default=list)
    fulfilled_at = DateTimeField(null=True)
    # Credit: the steward who fulfilled it (the claimer when staff marked it for them).
    fulfilled_by = ForeignKeyField(Steward, null=True, backref="+", on_delete="SET NULL")
    rating = IntegerField(null=True)
    rating_text = TextField(null=True)
    closed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("status", "created_at"), False),
            (("alley", "status"), False),
            (("community", "created_at"), False),
            (("contact_phone",), False),  # the console's search (core.search)
        )


class Patrol(BaseModel):
    """A patrol check-in: the steward's log (管家日志)."""

    steward = ForeignKeyField(Steward, backref="patrols", on_delete="CASCADE")
    alley = ForeignKeyField(Area, on_delete="RESTRICT")
    note = TextField(default="")
    photo_ids = JSONField(default=list)
    location = JSONField(null=True)
    issue = ForeignKeyField(Issue, null=True, on_delete="SET NULL")  # a fix recorded on patrol
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("steward", "created_at"), False),
            (("alley", "created_at"), False),
            (("created_at",), False),  # the day's patrols of the whole district (reports)
        )


class SubscriptionConsent(BaseModel):
    """One accepted wx.requestSubscribeMessage for a template: one message may be sent."""

    user = ForeignKeyField(User, backref="consents", on_delete="CASCADE")
    template_id = CharField(max_length=64)
    created_at = DateTimeField(default=utcnow)
    used_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "template_id", "used_at"), False),)


class OutboxMessage(BaseModel):
    """An outbound WeChat call, written in the transaction of the change that caused it."""

    kind = CharField(max_length=32)  # subscribe | robot | private
    target = CharField(max_length=128)  # openid, robot key …
    payload = JSONField()
    idempotency_key = CharField(max_length=191, unique=True)
    area = ForeignKeyField(Area, null=True, on_delete="SET NULL")  # whose staff may see it
    status = CharField(max_length=16, default="pending")  # pending|sending|sent|uncertain|dead
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow)
    lease_until = DateTimeField(null=True)
    last_error = TextField(null=True)
    result = JSONField(null=True)
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)
    request_id = CharField(max_length=64, null=True)  # the request (or job run) that queued it

    class Meta:
        indexes = (
            (("status", "next_attempt_at"), False),
            (("kind", "target", "sent_at"), False),
        )


# --- numbers, rate limits, assessments ---------------------------------------------------------


class DailySequence(BaseModel):
    """The last number given out per prefix and local day (`S` 261202 → 37 for S2612020037):
    a new report or wish takes the next one in its own transaction, reading one row rather
    than the day's numbers, and the sequence goes on past 9999."""

    prefix = CharField(max_length=8)
    day = CharField(max_length=8)  # yymmdd, local time
    last = IntegerField()

    class Meta:
        indexes = ((("prefix", "day"), True),)


class RateCounter(BaseModel):
    """Fixed-window counters for rate limits (per client, per action), shared by all workers."""

    key = CharField(max_length=191)
    window_start = DateTimeField()
    count = IntegerField(default=0)

    class Meta:
        indexes = ((("key", "window_start"), True),)


class Assessment(BaseModel):
    """A steward's quarterly assessment (考核): scores, tier. It informs; it never dismisses."""

    steward = ForeignKeyField(Steward, backref="assessments", on_delete="CASCADE")
    period = CharField(max_length=16)  # "2026Q4"
    scores = JSONField(default=dict)
    total = IntegerField()
    tier = CharField(max_length=16)  # 优秀 | 称职 | 不称职
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("steward", "period"), True), (("period",), False))


ALL_MODELS = [
    SchemaVersion,
    Area,
    User,
    Media,
    MediaUpload,
    Steward,
    StewardAlley,
    StaffAccount,
    RoleGrant,
    AuthToken,
    BindCode,
    Board,
    Department,
    KeyValue,
    Event,
    Issue,
    IssueAssignee,
    IssueFollower,
    Wish,
    Patrol,
    SubscriptionConsent,
    OutboxMessage,
    DailySequence,
    RateCounter,
    Assessment,
]


# Looked up on every report and every change of an issue: compiled once (infra.db.Prepared).
_ASSIGNED_STEWARDS = Prepared(
    lambda: (
        Steward.select()
        .join(IssueAssignee)
        .where(IssueAssignee.issue == Param("issue"))
        .order_by(IssueAssignee.id)
    )
)
_AREAS_BY_ID = Prepared(
    lambda: Area.select().where(Area.id.in_(Param("ids", many=True))), many=("ids",)
)

# Feature areas in their own modules: they import the base tables above, so they come last.
# The feature areas' models live in modules of their own (imported after the core schema
# they refer to); each lists its tables in MODELS, and the names are re-exported here.
from models import (  # noqa: E402
    boards,
    callbacks,
    care,
    chat,
    closures,
    households,
    intake,
    ledger,
    operations,
    partial_indexes,
    service,
    shop,
    street,
    timebank,
    units,
)
from models.boards import AlleyChange, BoardCheck, PrintJob, ScanDaily  # noqa: E402, F401
from models.callbacks import (  # noqa: E402, F401
    CALLBACK_RESULTS,
    CALLBACK_SOLVED,
    CALLBACK_VERDICTS,
    Callback,
    CallbackRule,
)
from models.care import CareAlert, CareTarget  # noqa: E402, F401
from models.chat import BotPhoto, ChatGroup, InboundMessage  # noqa: E402, F401
from models.closures import ReplyTemplate  # noqa: E402, F401
from models.households import VISIT_KINDS, CarePlan, Household, Visit  # noqa: E402, F401
from models.intake import IssueIntake  # noqa: E402, F401
from models.ledger import LedgerProposal  # noqa: E402, F401
from models.operations import JobRun, JobStatus, SchedulerLease  # noqa: E402, F401
from models.service import (  # noqa: E402, F401
    Activity,
    ActivitySignup,
    PartyGrading,
    ServiceRecord,
    ServiceUnit,
    Volunteer,
    VolunteerTeam,
)
from models.shop import Redemption, ShopItem  # noqa: E402, F401
from models.street import StreetPage  # noqa: E402, F401
from models.timebank import PointAccount, PointAdjustment, PointEntry  # noqa: E402, F401
from models.units import UnitMember  # noqa: E402, F401

for _area in (
    timebank,
    shop,
    service,
    households,
    care,
    operations,
    units,
    boards,
    chat,
    intake,
    closures,
    callbacks,
    street,
    ledger,
    partial_indexes,
):
    ALL_MODELS += _area.MODELS
