"""The time bank's ledger (时间银行): one passbook per person per community, append-only entries.

A holder is a WeChat user (volunteer, party member, resident) or a steward record — stewards
imported from the roster act through the group bot and may never have logged in to the mini
program, so their points cannot wait for a `User`.
"""

from __future__ import annotations

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from infra.timeutil import utcnow
from models import Area, BaseModel, Steward, User


class PointAccount(BaseModel):
    """A passbook (储蓄存折) in one community's time bank.

    `balance` is a cache of the sum of the account's entries, changed only in the transaction
    that appends an entry, so a redemption can refuse to go below zero with one conditional
    UPDATE; `core.timebank.postings.audit_balances` checks it against the sum."""

    community = ForeignKeyField(Area, backref="point_accounts", on_delete="RESTRICT")
    user = ForeignKeyField(User, null=True, backref="point_accounts", on_delete="RESTRICT")
    steward = ForeignKeyField(Steward, null=True, backref="point_accounts", on_delete="RESTRICT")
    member_code = CharField(max_length=16, unique=True)  # shown as a QR code; staff redeem by it
    balance = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        # NULLs are distinct in unique indexes on SQLite and PostgreSQL alike, so each pair is
        # unique only where its holder column is set.
        indexes = (
            (("community", "user"), True),
            (("community", "steward"), True),
        )


class PointEntry(BaseModel):
    """One line of a passbook. Never updated, never deleted: a correction is a new entry with
    `reverses` pointing at the one it cancels (a unique index: an entry is reversed at most once)."""

    account = ForeignKeyField(PointAccount, backref="entries", on_delete="RESTRICT")
    points = IntegerField()  # signed
    rule = CharField(max_length=32)  # a code of `core.timebank.rules`
    source_type = CharField(max_length=16)  # see core.timebank.postings.SOURCE_TYPES
    source_id = IntegerField(null=True)
    reason = CharField(max_length=200, default="")
    reverses = ForeignKeyField("self", null=True, unique=True, on_delete="RESTRICT")
    # The same award is never written twice: e.g. "issue:12:resolved:3" (issue 12, resolved the
    # 3rd time). NULL for entries that are naturally unique (adjustments, redemptions).
    key = CharField(max_length=96, null=True, unique=True)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    actor_label = CharField(max_length=100, default="")
    # The second staff member who approved an adjustment above the approval threshold (the
    # `actor` made it); empty for entries that needed no approval.
    approved_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    approved_by_label = CharField(max_length=100, default="")
    created_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = (
            (("account", "created_at"), False),
            (("source_type", "source_id"), False),
        )


ADJUSTMENT_STATUSES = ("pending", "approved", "refused")


class PointAdjustment(BaseModel):
    """A staff adjustment larger than `POINTS_APPROVAL_THRESHOLD` (maker-checker): it counts in
    no balance while pending; a second staff member — neither its maker nor the passbook's
    holder — approves it, and only then is its entry posted (`entry`), or refuses it with a
    reason. Decided once: the decision is a conditional UPDATE on `status = 'pending'`."""

    account = ForeignKeyField(PointAccount, backref="adjustments", on_delete="RESTRICT")
    rule = CharField(max_length=32)
    units = IntegerField(default=1)
    points = IntegerField()  # signed, what the entry will carry
    reason = CharField(max_length=200)
    status = CharField(max_length=16, default="pending")  # ADJUSTMENT_STATUSES
    made_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    made_by_label = CharField(max_length=100, default="")
    created_at = DateTimeField(default=utcnow)
    decided_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    decided_by_label = CharField(max_length=100, default="")
    decided_at = DateTimeField(null=True)
    refuse_reason = CharField(max_length=200, default="")
    entry = ForeignKeyField(PointEntry, null=True, unique=True, on_delete="RESTRICT")

    class Meta:
        indexes = ((("status", "created_at"), False),)


MODELS = [PointAccount, PointEntry, PointAdjustment]
