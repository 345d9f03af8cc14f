"""The street's public figures page (`/s/{code}`): off until the street's admin switches it on.

One row per street that ever had it switched on: its code (what the address carries) stays the
same when the page is switched off and on again, so a link printed or shared keeps working.
"""

from __future__ import annotations

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField

from infra.timeutil import utcnow
from models import Area, BaseModel


class StreetPage(BaseModel):
    street = ForeignKeyField(Area, unique=True, backref="+", on_delete="CASCADE")
    code = CharField(max_length=16, unique=True)
    public = BooleanField(default=False)
    updated_at = DateTimeField(default=utcnow)


MODELS = [StreetPage]
