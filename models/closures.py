"""Closing items: a community's reply templates (常用回复) for the resolution text.

An issue's own closure fields (`Issue.outcome`, `Issue.duplicate_of`) live on the issue;
what they mean and how they are set is `core.items.outcomes` and `core.items.merge`.
"""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from infra.timeutil import utcnow
from models import Area, BaseModel, User


class ReplyTemplate(BaseModel):
    """A ready-made resolution text staff of a community keep (`core.items.reply_templates`),
    offered when closing an item; `outcome` says which closure it suits (None: any)."""

    community = ForeignKeyField(Area, backref="+", on_delete="CASCADE")
    title = CharField(max_length=40)
    text = TextField()
    outcome = CharField(max_length=16, null=True)
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)


MODELS = [ReplyTemplate]
