"""Records the group proposes (issue 32): a steward's words and photos to the bot, read as a
随手做, a patrol or a visit, waiting for the steward's 是 (`core.items.proposals`).

A proposal is never a record: nothing is written to the ledger (issues, patrols, visits)
until its steward confirms it, and an unanswered one expires.
"""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from infra.timeutil import utcnow
from models import Area, BaseModel, JSONField, Steward, User
from models.households import Household


class LedgerProposal(BaseModel):
    """One proposal: what the steward said, what the bot made of it, and how it ended."""

    sender = CharField(max_length=128)  # the WeCom user id it came from (answers must match)
    steward = ForeignKeyField(Steward, on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")
    channel = CharField(max_length=16)
    chat_id = CharField(max_length=128, null=True)  # None: a single chat
    text = TextField(default="")  # the words as typed (without the @-mention)
    kind = CharField(max_length=8)  # fix (随手做) | patrol (巡查) | visit (走访)
    category = CharField(max_length=32, null=True)  # a 随手做's category
    alley = ForeignKeyField(Area, null=True, on_delete="CASCADE")  # None: still to be chosen
    household = ForeignKeyField(Household, null=True, on_delete="SET NULL")  # a visit's
    # What the steward is being asked to choose, if anything ("alley" | "household"), and the
    # ids offered, in the numbered order shown.
    asking = CharField(max_length=16, default="")
    choices = JSONField(default=list)
    photo_ids = JSONField(default=list)
    # open → recording (one 是 won) → recorded; open → cancelled | expired | replaced
    status = CharField(max_length=16, default="open")
    record_type = CharField(max_length=16, null=True)  # issue | patrol | visit
    record_id = IntegerField(null=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    decided_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("sender", "status"), False), (("status", "expires_at"), False))


MODELS = [LedgerProposal]
