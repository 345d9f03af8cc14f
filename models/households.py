"""包联户 (民情联系卡): the households each steward keeps, their 一人一策 plans and visits.

PRIVATE data: only the household's steward and the staff whose scope covers its alley read
it (`core.households.access`); no public view is ever built from these tables, and every read
is audited. Members live on the household as a JSON list: they are read and written with their
card, never queried on their own.
"""

from __future__ import annotations

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from infra.timeutil import utcnow
from models import Area, BaseModel, JSONField, Patrol, Steward, User

# The four groups of Zaozhuang's 一人一策 (fixed by the programme; tags are configuration).
PLAN_GROUPS = ("鳏寡孤独", "重症残疾人", "留守儿童", "困境儿童")


class Household(BaseModel):
    """One household's contact card. Identified across imports by (community, address)."""

    community = ForeignKeyField(Area, backref="+", on_delete="RESTRICT")
    alley = ForeignKeyField(Area, backref="households", on_delete="RESTRICT")
    steward = ForeignKeyField(Steward, backref="households_kept", on_delete="RESTRICT")
    address = CharField(max_length=200)
    head_name = CharField(max_length=50)
    head_phone = CharField(max_length=20, null=True)
    # [{"name", "relation", "birth_year", "phone", "notes"}]
    members = JSONField(default=list)
    tags = JSONField(default=list)  # a subset of HOUSEHOLD_TAGS (configuration)
    notes = TextField(default="")
    active = BooleanField(default=True)
    # Caches kept by core.households.visits in the transaction of each visit or plan change:
    # the latest visit, and the earliest moment an active plan's interval runs out.
    last_visit_at = DateTimeField(null=True)
    visit_due_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("community", "address"), True),
            (("steward", "visit_due_at"), False),
            (("alley",), False),
        )


class CarePlan(BaseModel):
    """一人一策: the plan for one household (or one of its members) in one of PLAN_GROUPS.

    The paired volunteer is kept as a user id and a name, so the plan works whether or not
    the volunteer directory knows them."""

    household = ForeignKeyField(Household, backref="plans", on_delete="CASCADE")
    member_name = CharField(max_length=50, default="")  # "" = the household as a whole
    group = CharField(max_length=16)
    plan = TextField()
    volunteer_user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    volunteer_name = CharField(max_length=50, default="")
    volunteer_phone = CharField(max_length=20, null=True)
    interval_days = IntegerField()
    active = BooleanField(default=True)
    due_at = DateTimeField()  # (last visit, or the plan's start) + interval
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("household", "active"), False), (("active", "due_at"), False))


VISIT_KINDS = {"home": "入户", "phone": "电话", "wechat": "微信"}


class Visit(BaseModel):
    """A visit (走访) to a household: by its steward (directly or named on a patrol) or staff."""

    household = ForeignKeyField(Household, backref="visits", on_delete="CASCADE")
    steward = ForeignKeyField(Steward, null=True, on_delete="SET NULL")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    visitor_label = CharField(max_length=100, default="")
    visited_at = DateTimeField(default=utcnow)
    kind = CharField(max_length=8, default="home")  # VISIT_KINDS: 入户 / 电话 / 微信
    note = TextField(default="")
    photo_ids = JSONField(default=list)
    patrol = ForeignKeyField(Patrol, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("household", "visited_at"), False), (("patrol", "household"), True))


MODELS = [Household, CarePlan, Visit]
