"""回访 (callbacks): staff phoning the resident of a closed item that was never rated, and the
street's sample rule for how many must be called (`core.items.callbacks`).

A callback belongs to one round of its item (`round` = the item's `reopen_count` when it was
recorded): an item reopened after a 不满意 callback and closed again waits for a callback of its
new round. `settles` is the round when the call settled it (every result but a 未接通 before the
last allowed attempt), NULL otherwise; the unique index on (issue, settles) is what lets only one
of two staff recording at once settle a round.
"""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from infra.timeutil import utcnow
from models import Area, BaseModel, Issue, StaffAccount, User

# What a callback found, in the words staff pick from.
CALLBACK_RESULTS = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
    "unreached": "未接通",
    "refused": "拒绝回访",
}
# The results that are the resident's word on the outcome (the figures' 居民答复).
CALLBACK_VERDICTS = ("satisfied", "basically_satisfied", "unsatisfied")
# The resident says it was solved (居民确认解决), as a rating of 3 stars or more does.
CALLBACK_SOLVED = ("satisfied", "basically_satisfied")


class Callback(BaseModel):
    issue = ForeignKeyField(Issue, backref="callbacks", on_delete="CASCADE")
    community = ForeignKeyField(Area, null=True, backref="+", on_delete="SET NULL")
    round = IntegerField(default=0)
    result = CharField(max_length=24)
    note = TextField(default="")
    settles = IntegerField(null=True)
    staff = ForeignKeyField(StaffAccount, null=True, backref="+", on_delete="SET NULL")
    actor = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    actor_label = CharField(max_length=100, default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("issue", "settles"), True),
            (("community", "created_at"), False),
            (("created_at",), False),
        )


class CallbackRule(BaseModel):
    """The sample rule a street (or one community) sets: 回访 at least `min_percent` % of the
    month's closed items, and at least `min_per_steward` of each steward's. A community without
    a row of its own follows its street's; neither: the configured defaults."""

    area = ForeignKeyField(Area, unique=True, backref="+", on_delete="CASCADE")
    min_percent = IntegerField()
    min_per_steward = IntegerField()
    updated_by = CharField(max_length=100, default="")
    updated_at = DateTimeField(default=utcnow)


MODELS = [Callback, CallbackRule]
