"""Handling units (承办单位): the street's departments and the property companies a whistle
(吹哨) hands an item to, their members, and what a unit does with an item.

- `units`: creating and listing units (a `Department` row with a `kind`).
- `members`: a unit member's login (a console account of role `unit`, bindable to WeChat).
- `handling`: whistling to a unit with an explicit tier, and the unit's actions.
"""
