"""关怀提醒 (care alerts): staff ask the stewards to look in on the households that need it
in a cold snap, a heat wave, a storm or an outage.

An alert names an area and household tags; the households of that area carrying one of the
tags become its targets, each with the steward who keeps it and that steward's number for it
(1, 2, 3 … on the steward's own private list). The list goes to each steward alone; a target
is answered per household (已联系 / 已上门 / 需帮助), each answer also a `Visit`. PRIVATE like
the households themselves: no target is ever named outside its steward and the staff above.
"""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from infra.timeutil import utcnow
from models import Area, BaseModel, Issue, JSONField, Steward, User
from models.households import Household, Visit

CARE_KINDS = ("寒潮", "高温", "暴雨", "停水停电", "自定义")
# pending → contacted | visited | needs_help; a later answer replaces an earlier one
# (each answer is its own visit record), a 需帮助 once made keeps its item.
CARE_STATUSES = ("pending", "contacted", "visited", "needs_help")
CARE_STATUS_LABELS = {
    "pending": "未回复",
    "contacted": "已联系",
    "visited": "已上门",
    "needs_help": "需帮助",
}


class CareAlert(BaseModel):
    """One care alert sent by staff for an area and a set of household tags."""

    area = ForeignKeyField(Area, backref="+", on_delete="RESTRICT")
    kind = CharField(max_length=16)  # one of CARE_KINDS
    title = CharField(max_length=40)  # the kind, or the custom alert's own title
    tags = JSONField(default=list)
    message = TextField(default="")  # what staff ask the stewards to do
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_label = CharField(max_length=100, default="")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("area", "created_at"), False),)


class CareTarget(BaseModel):
    """One household of an alert, on its steward's list as number `seq`."""

    alert = ForeignKeyField(CareAlert, backref="targets", on_delete="CASCADE")
    household = ForeignKeyField(Household, backref="+", on_delete="CASCADE")
    steward = ForeignKeyField(Steward, backref="+", on_delete="CASCADE")
    seq = IntegerField()
    status = CharField(max_length=16, default="pending")
    note = TextField(default="")
    answered_at = DateTimeField(null=True)
    answered_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    visit = ForeignKeyField(Visit, null=True, on_delete="SET NULL")
    issue = ForeignKeyField(Issue, null=True, on_delete="SET NULL")  # the 需帮助 item
    reminded_at = DateTimeField(null=True)  # the reminder job told its steward

    class Meta:
        indexes = (
            (("alert", "household"), True),
            (("alert", "steward", "seq"), True),
            (("steward", "status"), False),
        )


MODELS = [CareAlert, CareTarget]
