"""How an item registered by staff on behalf of a resident came in (代居民登记).

One row per such issue, beside the issue itself (whose `source` says hotline, phone, visit,
grid or other). It holds what only staff may read — the resident's name (their phone is the
issue's own `contact_phone`) — and, for a 12345 hotline ticket, the ticket number and the
hotline's deadline.

A ticket number is unique per street: the unique index on (street, ticket_no) is what makes a
second registration of the same number fail, even when two staff members register it at the
same moment. Rows without a number (NULL) never collide.
"""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField

from infra.timeutil import utcnow
from models import Area, BaseModel, Issue


class IssueIntake(BaseModel):
    issue = ForeignKeyField(Issue, unique=True, backref="+", on_delete="CASCADE")
    street = ForeignKeyField(Area, backref="+", on_delete="RESTRICT", index=False)
    ticket_no = CharField(max_length=32, null=True)  # the 12345 hotline's 工单号
    # The hotline's own deadline (as entered, or the tier's at registration): what 按时办结率
    # counts against. Fixed: a later tier change moves the working deadline, not this one.
    ticket_deadline = DateTimeField(null=True)
    contact_name = CharField(max_length=32, null=True)  # private, like the phone
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("street", "ticket_no"), True),)


MODELS = [IssueIntake]
