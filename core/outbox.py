"""The outbox: every outbound WeChat call is a row written in the caller's transaction.

`enqueue` is what workflow code calls; the dispatcher that delivers rows lives below it.
"""

from __future__ import annotations

from models import Area, OutboxMessage


def enqueue(
    kind: str, target: str, payload: dict, key: str, area: Area | int | None = None
) -> OutboxMessage:
    """Queue one message. `key` makes it idempotent: the same key is queued once only.

    Call inside the transaction of the change that causes the message, so that the change
    and its message are written together or not at all.
    """
    OutboxMessage.insert(
        kind=kind, target=target, payload=payload, idempotency_key=key, area=area
    ).on_conflict_ignore().execute()
    return OutboxMessage.get(OutboxMessage.idempotency_key == key)
