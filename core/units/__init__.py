"""Handling units (承办单位): the street's departments and the property companies a whistle
(吹哨) hands an item to, their members, and what a unit does with an item.

- `units`: creating and listing units (a `Department` row with a `kind`), members, own group.
- `members`: a unit member's login (a console account of role `unit`, bindable to WeChat).
- `handling`: whistling to a unit with an explicit tier; the tier/deadline trail lines.
- `actions`: 报到, 进展, 申请延期 (and staff's decision), 退回, 办结 by a member; staff's 催办.
- `notify`: the unit's group (@ its members), the staff group on 退回 — through the outbox.
- `demo`: the demo district's units, members and items.
"""
