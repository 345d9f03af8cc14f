"""Who hears about a change: called by the workflow inside its transaction.

Everything goes through the outbox, so a notification is written together with the change
that caused it and delivered (or retried) later.
"""

from __future__ import annotations

from core import subscriptions
from models import Event, Issue, Wish

# Changes of an issue the reporter is told about (their own actions excepted).
ISSUE_STATUS_NOTICES = {"accept", "resolve", "escalate", "whistle", "cancel", "close"}
WISH_STATUS_NOTICES = {"approve", "reject", "claim", "fulfil"}


def _short(text: str | None, limit: int = 20) -> str:
    text = (text or "").strip().replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def issue_changed(issue: Issue, action: str, event: Event, note: str | None = None) -> None:
    from core.issues import STATUS_LABELS

    reporter = issue.reporter
    if action in ISSUE_STATUS_NOTICES and reporter is not None and event.actor_id != reporter.id:
        subscriptions.queue_status_message(
            reporter,
            number=issue.number,
            title=_short(f"{issue.category}：{issue.content}"),
            status_label=STATUS_LABELS[issue.status],
            note=_short(note or STATUS_LABELS[issue.status]),
            when=event.at,
            item_key=f"issue:{issue.id}:{action}:{event.id}",
            area=issue.alley_id,
            page_query=f"type=issue&id={issue.id}",
        )


def wish_changed(wish: Wish, action: str, event: Event, note: str | None = None) -> None:
    from core.wishes import STATUS_LABELS

    author = wish.author
    if action in WISH_STATUS_NOTICES and author is not None and event.actor_id != author.id:
        subscriptions.queue_status_message(
            author,
            number=wish.number,
            title=_short(wish.title),
            status_label=STATUS_LABELS[wish.status],
            note=_short(note or STATUS_LABELS[wish.status]),
            when=event.at,
            item_key=f"wish:{wish.id}:{action}:{event.id}",
            area=wish.alley_id,
            page_query=f"type=wish&id={wish.id}",
        )
