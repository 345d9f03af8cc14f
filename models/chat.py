"""The WeCom groups the bot speaks in, the chat messages it has handled (replays refused), and
the photos stewards send it before a 办结."""

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
)

from infra.timeutil import utcnow
from models import Area, BaseModel, Department, JSONField, Media


class ChatGroup(BaseModel):
    """A community's (or grid's) WeCom group: its robot webhook and smart-bot chat id."""

    area = ForeignKeyField(Area, backref="chat_groups", on_delete="RESTRICT")
    name = CharField(max_length=100, default="")
    webhook_key = CharField(max_length=128, unique=True)
    chat_id = CharField(max_length=128, null=True, unique=True)
    leader_ids = JSONField(default=list)  # steward ids of the group's leaders (队长)
    audience = CharField(max_length=16, default="stewards")  # stewards | staff | unit (its own)
    unit = ForeignKeyField(Department, null=True, on_delete="SET NULL")  # a handling unit's group
    robot_status = CharField(max_length=16, default="ok")  # ok | broken
    broken_reason = CharField(max_length=200, null=True)
    broken_at = DateTimeField(null=True)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)


class InboundMessage(BaseModel):
    """Chat messages already handled, by channel and message id: replays are refused."""

    channel = CharField(max_length=16)  # aibot | app | bridge
    msg_id = CharField(max_length=128)
    sender = CharField(max_length=128, default="")
    received_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("channel", "msg_id"), True), (("received_at",), False))


class BotPhoto(BaseModel):
    """A photo a steward sent to the bot, waiting to be attached to their next 办结."""

    sender = CharField(max_length=128)
    media = ForeignKeyField(Media, on_delete="CASCADE")
    received_at = DateTimeField(default=utcnow)
    used_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("sender", "received_at"), False),)


MODELS = [ChatGroup, InboundMessage, BotPhoto]
