"""The exchange shop (积分兑换超市): a community's goods and services for points, and every
redemption of them.

Stock and the redeemer's balance change in one transaction (`core.timebank.shop.redeem`):
each with a conditional UPDATE, so two people taking the last item at once cannot both have it.
"""

from __future__ import annotations

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField

from infra.timeutil import utcnow
from models import Area, BaseModel, Media, User
from models.timebank import PointAccount, PointEntry


class ShopItem(BaseModel):
    """One thing on a community's shelf: its class (分类), price in points and stock."""

    community = ForeignKeyField(Area, backref="shop_items", on_delete="RESTRICT")
    name = CharField(max_length=40)
    category = CharField(max_length=16)  # one of core.timebank.shop.CATEGORIES
    description = CharField(max_length=200, default="")
    price = IntegerField()  # points for one
    stock = IntegerField(default=0)  # never below 0 (every take is `stock > 0` guarded)
    photo = ForeignKeyField(Media, null=True, on_delete="SET NULL")
    active = BooleanField(default=True)  # off the shelf, kept for the redemptions' history
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("community", "active"), False),)


class Redemption(BaseModel):
    """One item exchanged: who (the passbook), what, at which price, when, and — at the
    counter — which staff member handed it over. Its points are the ledger entry `entry`."""

    item = ForeignKeyField(ShopItem, backref="redemptions", on_delete="RESTRICT")
    account = ForeignKeyField(PointAccount, backref="redemptions", on_delete="RESTRICT")
    entry = ForeignKeyField(PointEntry, null=True, unique=True, on_delete="RESTRICT")
    item_name = CharField(max_length=40)  # as it was called when exchanged
    price = IntegerField()
    at_counter = BooleanField(default=False)  # staff redeemed it from the member code
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")  # who pressed 兑换
    actor_label = CharField(max_length=100, default="")
    created_at = DateTimeField(default=utcnow, index=True)


MODELS = [ShopItem, Redemption]
