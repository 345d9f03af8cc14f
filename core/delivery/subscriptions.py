"""Telling the resident: one-time subscribe-message consents and the status message they pay for.

The mini program calls `wx.requestSubscribeMessage`; for each template the resident accepted
it posts `POST /api/v1/subscriptions {template_id}`, which records one `SubscriptionConsent`.
WeChat's rule is one acceptance = one message, so each consent pays for exactly one message:
`use_consent` spends one (atomically, so two workers can never spend the same one), and when
none is left nothing is sent and nothing fails.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import current_app

from core.delivery import outbox
from infra.errors import bad_request
from infra.text import shorten
from infra.timeutil import to_local, utcnow
from models import Area, OutboxMessage, SubscriptionConsent, User

# The template offline mode uses when none is configured, so the flow can be tried in a browser.
OFFLINE_TEMPLATE = "tpl_dev_status"
# WeChat lets one-time consents pile up; we keep at most this many unused per template so a
# looping client cannot fill the table.
MAX_UNUSED_CONSENTS = 50
CONSENT_SPEND_TRIES = 5

_KEY_KIND = re.compile(r"^([a-z_]+?)(\d*)$")


def status_template() -> str | None:
    """The template id of "your item changed" messages, or None when none is configured."""
    config = current_app.config
    template = config.get("SUBSCRIBE_TEMPLATE_STATUS")
    if not template and config["OFFLINE"]:
        return OFFLINE_TEMPLATE
    return template or None


def templates() -> dict[str, str]:
    """The templates the client should ask consent for: template id → what it is for."""
    template = status_template()
    return {template: "办理进度通知"} if template else {}


def remaining(user: User, template_id: str) -> int:
    return (
        SubscriptionConsent.select()
        .where(
            (SubscriptionConsent.user == user)
            & (SubscriptionConsent.template_id == template_id)
            & SubscriptionConsent.used_at.is_null()
        )
        .count()
    )


def record_consent(user: User, template_id: str) -> SubscriptionConsent | None:
    """Record one accepted consent for `template_id` (one message may be sent with it).

    Returns the new consent, or None when the user already holds `MAX_UNUSED_CONSENTS`
    unused ones for this template (nothing more is stored; nothing is wrong either).
    """
    if template_id not in templates():
        raise bad_request(
            "不支持该订阅消息模板",
            {"template_id": "请使用 GET /api/v1/subscriptions 返回的模板 ID"},
            code="unknown_template",
        )
    if remaining(user, template_id) >= MAX_UNUSED_CONSENTS:
        return None
    return SubscriptionConsent.create(user=user, template_id=template_id)


def use_consent(user: User, template_id: str) -> bool:
    """Spend one unused consent; False when none is left.

    The spend is a conditional UPDATE on one row id, so concurrent callers never spend the
    same consent twice; a caller that loses the race tries the next unused one.
    """
    for _ in range(CONSENT_SPEND_TRIES):
        candidate = (
            SubscriptionConsent.select(SubscriptionConsent.id)
            .where(
                (SubscriptionConsent.user == user)
                & (SubscriptionConsent.template_id == template_id)
                & SubscriptionConsent.used_at.is_null()
            )
            .order_by(SubscriptionConsent.id)
            .first()
        )
        if candidate is None:
            return False
        spent = (
            SubscriptionConsent.update(used_at=utcnow())
            .where((SubscriptionConsent.id == candidate.id) & SubscriptionConsent.used_at.is_null())
            .execute()
        )
        if spent == 1:
            return True
    return False


# --- the status message ------------------------------------------------------------------------


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def fit_value(key: str, value: str) -> str:
    """Make `value` acceptable for template key `key` ("thing2", "phrase3" …).

    WeChat rejects the whole message (47003) when one value breaks its key type's rules, so
    each value is cut to fit the type the deployment's template actually uses.
    """
    match = _KEY_KIND.match(key)
    kind = match.group(1) if match else key
    value = " ".join(str(value).split())  # no newlines or runs of spaces in a one-line field
    if kind == "thing":
        return shorten(value, 20) or "无"
    if kind == "character_string":
        return "".join(ch for ch in value if " " <= ch <= "~")[:32] or "-"
    if kind == "phrase":
        return "".join(ch for ch in value if _is_cjk(ch))[:5] or "已更新"
    if kind == "name":
        return shorten(value, 10 if any(_is_cjk(ch) for ch in value) else 20) or "居民"
    if kind in ("number", "letter"):
        return value[:32]
    return value


def format_time(when: datetime) -> str:
    """Naive UTC (as stored) → "2026年11月22日 08:30" local, the `time` key format."""
    return f"{to_local(when):%Y年%m月%d日 %H:%M}"


def default_page_query(item_key: str) -> str:
    """ "issue:12:accept:3" → "type=issue&id=12": the page that shows the item."""
    parts = item_key.split(":")
    kind, item_id = parts[0], parts[1] if len(parts) > 1 else ""
    return f"id={item_id}&type={kind}"


def queue_status_message(
    user: User | None,
    *,
    number: str,
    title: str,
    status_label: str,
    note: str,
    when: datetime,
    item_key: str,
    area: Area | int | None,
    page_query: str | None = None,
) -> OutboxMessage | None:
    """Queue "your item changed" for `user` if they left a consent; else do nothing.

    Call it inside the transaction of the status change, once per change:

    * `item_key` names the change uniquely and stably: ``"{type}:{id}:{action}:{seq}"``,
      e.g. ``"issue:12:accept:3"`` (issue 12, action accept, the item's 3rd event) or
      ``"wish:5:approve:2"``. The outbox key is ``"subscribe:{item_key}"``, so calling again
      with the same key (a retried transaction) queues nothing new and spends no consent.
    * `number` is the item's number (S2611220001), `title` its short description,
      `status_label` the new status in at most five Chinese characters (已受理, 已办结 …),
      `note` a line for the resident, `when` the change's time as naive UTC.
    * `area` is the item's alley: staff of that area see the message in the outbox.
    * `page_query` is the query string of `SUBSCRIBE_PAGE` the message opens; by default
      ``"id={id}&type={type}"`` from `item_key`.

    Returns the queued outbox row, or None when nothing was queued (no openid, no template
    configured, no consent left). Values are cut to the template's key types (thing ≤ 20
    characters, phrase ≤ 5 Chinese characters …) so WeChat does not reject the message.
    """
    template = status_template()
    if user is None or not user.openid or not template:
        return None
    key = f"subscribe:{item_key}"
    existing = OutboxMessage.get_or_none(OutboxMessage.idempotency_key == key)
    if existing is not None:
        return existing
    if not use_consent(user, template):
        return None
    config = current_app.config
    values = {
        "number": number,
        "title": title,
        "status": status_label,
        "time": format_time(when),
        "note": note,
    }
    data = {}
    for name, value in values.items():
        template_key = (config.get("SUBSCRIBE_FIELDS") or {}).get(name)
        if template_key:
            data[template_key] = {"value": fit_value(template_key, value)}
    page = f"{config['SUBSCRIBE_PAGE']}?{page_query or default_page_query(item_key)}"
    body = {
        "touser": user.openid,
        "template_id": template,
        "page": page,
        "data": data,
        "miniprogram_state": config.get("SUBSCRIBE_MINIPROGRAM_STATE") or "formal",
        "lang": "zh_CN",
    }
    return outbox.enqueue("subscribe", user.openid, body, key=key, area=area)
