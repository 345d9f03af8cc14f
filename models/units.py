"""Members of a handling unit (a `Department` of kind department or property).

A member is a console account (`StaffAccount` of role `unit`) that acts for one unit; the
account's role grant gives the login, this row names the unit and, optionally, the member's
WeCom user id so the unit's group robot can @-mention them.
"""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField

from infra.timeutil import utcnow
from models import BaseModel, Department, StaffAccount

# The trail's words for what units do (core.units), beside the workflow's own labels.
UNIT_ACTION_LABELS = {
    "check_in": "报到",
    "progress": "进展",
    "extension": "申请延期",
    "extension_decide": "延期审批",
    "return": "退回社区",
    "urge": "催办",
}


class UnitMember(BaseModel):
    unit = ForeignKeyField(Department, backref="members", on_delete="CASCADE")
    account = ForeignKeyField(StaffAccount, unique=True, backref="+", on_delete="CASCADE")
    wecom_userid = CharField(max_length=64, null=True)
    created_at = DateTimeField(default=utcnow)


MODELS = [UnitMember]
