"""代居民登记: staff register an item on behalf of a resident — a 12345 hotline ticket handed
down from above (上级转办件), a phone call, a visit to the office, a grid worker's find.

The item then runs the workflow of a scanned report (`core.items.issues.create`: the alley's
stewards assigned and told, the same deadlines, the same trail), with three differences:
it has no reporter (the resident has no login; the staff member who registered it is named
on the trail), its `source` says how it came in, and an `IssueIntake` row keeps what only
staff may read — the resident's name (the phone is the issue's private `contact_phone`) —
and, for a hotline ticket, its number and the hotline's own deadline.

A 12345 ticket number is registered once per street: a second registration is refused with
409 `duplicate_ticket` naming the first item. The unique index on (street, ticket_no) decides
a race of two registrations: the loser's whole transaction (its issue included) rolls back.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from peewee import IntegrityError

from core import audit
from core.items import issues
from core.people import phones
from core.people.permissions import Principal
from infra import timeutil
from infra.db import db
from infra.errors import ApiError, bad_request
from infra.text import normalise
from infra.timeutil import iso, utcnow
from models import Area, Issue, IssueIntake

# source → how the ledger and the console name it. `hotline` items are 上级转办件.
SOURCE_LABELS = {
    "hotline": "12345 热线",
    "phone": "电话",
    "visit": "来访",
    "grid": "网格员发现",
    "other": "其他",
}
HOTLINE = "hotline"
SUPERIOR_LABEL = "上级转办件"
TICKET_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{3,31}")
NAME_MAX = 32
# How far ahead a hotline deadline may be entered: further is a typing mistake.
DEADLINE_MAX_DAYS = 90


class DuplicateTicket(ApiError):
    """409 `duplicate_ticket`; the envelope also names the item first registered with it."""

    def __init__(self, ticket_no: str, first: Issue):
        super().__init__(
            409,
            "duplicate_ticket",
            f"工单号 {ticket_no} 已登记为诉求 {first.number}，请勿重复登记",
            {"ticket_no": f"已登记为诉求 {first.number}"},
        )
        self.first = first

    def envelope(self, request_id: str | None = None) -> dict:
        body = super().envelope(request_id)
        body["error"]["existing_issue"] = {"id": self.first.id, "number": self.first.number}
        return body


def source_choices() -> str:
    return "、".join(f"{k}（{v}）" for k, v in SOURCE_LABELS.items())


def street_of(alley: Area) -> Area:
    """The street (街道/镇) an alley belongs to: the scope of a ticket number. A tree without a
    street level uses its topmost area."""
    chain = alley.ancestors()
    return next((a for a in chain if a.kind == "street"), chain[0] if chain else alley)


def clean_ticket_no(value: str | None) -> str | None:
    """A ticket number as typed (full-width digits and spaces forgiven), or None when blank.
    400 naming `ticket_no` when it is not one."""
    # one number however typed: full-width, spaced, lower case (hotline numbers print upper)
    text = unicodedata.normalize("NFKC", value or "").strip().replace(" ", "").upper()
    if not text:
        return None
    if not TICKET_RE.fullmatch(text):
        raise bad_request(
            "工单号有误",
            {"ticket_no": "工单号为 4–32 位数字或字母（可含“-”），请按 12345 转办单填写"},
        )
    return text


def parse_deadline(value: datetime | str | None, field: str = "ticket_deadline") -> datetime | None:
    """A hotline deadline as naive UTC, or None when blank. A date alone means the end of that
    day, a time without an offset local time (Asia/Shanghai). 400 naming the field when it is
    unreadable, already past, or more than `DEADLINE_MAX_DAYS` ahead."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:  # 2026-12-10: the hotline's "12月10日前"
                value = datetime.combine(date.fromisoformat(text), time(23, 59, 59))
            else:
                value = datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            raise bad_request(
                "办理期限格式有误", {field: "格式：2026-12-10 或 2026-12-10T18:00:00+08:00"}
            ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timeutil.LOCAL_TZ)
    try:
        due = value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # 0001-01-01 in Shanghai is before the first representable UTC time
        raise bad_request("办理期限不能早于现在", {field: "办理期限不能早于现在"}) from None
    now = utcnow()
    if due <= now:
        raise bad_request("办理期限不能早于现在", {field: "办理期限不能早于现在"})
    if due > now + timedelta(days=DEADLINE_MAX_DAYS):
        raise bad_request(
            f"办理期限不能超过 {DEADLINE_MAX_DAYS} 天",
            {field: f"请填写 {DEADLINE_MAX_DAYS} 天内的日期"},
        )
    return due


def clean_name(value: str | None) -> str | None:
    text = normalise(value or "")
    if len(text) > NAME_MAX:
        raise bad_request("居民姓名太长", {"contact_name": f"不能超过 {NAME_MAX} 字"})
    return text or None


def clean_phone(value: str | None) -> str | None:
    try:
        return phones.contact(value)
    except ValueError as exc:
        raise bad_request(str(exc), {"contact_phone": str(exc)}) from None


def require_staff(p: Principal) -> None:
    """Only staff register for someone else: a resident (or a steward) who sends the fields
    is refused before anything else is looked at."""
    if not p.is_staff:
        raise ApiError(
            403,
            "staff_only",
            "只有社区工作人员可以代居民登记",
            {"source": "居民请扫描公示牌反映，不填 source"},
        )


def check_request(p: Principal, alley: Area, source: str, ticket_no, ticket_deadline) -> None:
    """The checks that need no database write: who may, where, which source, and whether a
    ticket number or hotline deadline fits the source. Each refusal names its field."""
    require_staff(p)
    if source not in SOURCE_LABELS:
        raise bad_request("来源有误", {"source": "可选：" + source_choices()})
    if not p.can_manage(alley):
        raise ApiError(
            403,
            "out_of_scope",
            "该街巷不在您的管辖范围内",
            {"alley_id": "该街巷不在您的管辖范围内"},
        )
    if source != HOTLINE and ticket_no:
        raise bad_request(
            "只有 12345 热线转办件有工单号", {"ticket_no": "来源不是 12345 热线时请不填工单号"}
        )
    if source != HOTLINE and ticket_deadline:
        raise bad_request(
            "只有 12345 热线转办件有转办期限",
            {"ticket_deadline": "来源不是 12345 热线时请不填办理期限"},
        )


def first_with(street: Area, ticket_no: str) -> Issue | None:
    row = (
        IssueIntake.select(IssueIntake.issue)
        .where((IssueIntake.street == street.id) & (IssueIntake.ticket_no == ticket_no))
        .first()
    )
    return Issue.get_or_none(Issue.id == row.issue_id) if row else None


class Intake(NamedTuple):
    """A registration's own fields, checked and cleaned."""

    source: str
    ticket_no: str | None
    due: datetime | None  # the hotline's deadline as entered (None: the tier's)
    contact_name: str | None
    contact_phone: str | None
    street: Area


def validate(
    p: Principal,
    alley: Area,
    *,
    source: str,
    ticket_no: str | None = None,
    ticket_deadline: datetime | str | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
) -> Intake:
    """Every check of a registration's own fields, none of which writes: the console runs it
    before storing the photos of a form that would be refused anyway. A number already
    registered in the street is 409 `duplicate_ticket` here, before the content check's call to
    WeChat; `register` catches the one registered a moment later."""
    check_request(p, alley, source, (ticket_no or "").strip(), ticket_deadline)
    ticket_no = clean_ticket_no(ticket_no)
    intake = Intake(
        source,
        ticket_no,
        parse_deadline(ticket_deadline),
        clean_name(contact_name),
        clean_phone(contact_phone),
        street_of(alley),
    )
    if ticket_no:
        first = first_with(intake.street, ticket_no)
        if first is not None:
            raise DuplicateTicket(ticket_no, first)
    return intake


def register(
    p: Principal,
    *,
    alley: Area,
    source: str,
    category: str,
    content: str,
    photo_ids: list[int] | None = None,
    ticket_no: str | None = None,
    ticket_deadline: datetime | str | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    location: dict | None = None,
) -> issues.Created:
    """Register an item for a resident; returns what `issues.create` returns.

    Everything is checked before anything is written; the trail says
    "代居民登记（12345 热线，工单号 …）" naming the staff member."""
    intake = validate(
        p,
        alley,
        source=source,
        ticket_no=ticket_no,
        ticket_deadline=ticket_deadline,
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    ticket_no, due, street = intake.ticket_no, intake.due, intake.street

    def record(issue: Issue) -> None:
        # The hotline's deadline: as entered, or the tier's from now (create set that).
        hotline_due = (due or issue.deadline) if source == HOTLINE else None
        try:
            with db.atomic():  # a savepoint: PostgreSQL's transaction stays usable after it
                IssueIntake.create(
                    issue=issue.id,
                    street=street.id,
                    ticket_no=ticket_no,
                    ticket_deadline=hotline_due,
                    contact_name=intake.contact_name,
                )
        except IntegrityError:
            # Another registration of the number committed first: this one rolls back whole.
            first = first_with(street, ticket_no) if ticket_no else None
            if first is None:
                raise
            raise DuplicateTicket(ticket_no, first) from None
        if due is not None and due != issue.deadline:
            # The stewards work to the hotline's deadline (their group message says it).
            issue.deadline = due
            Issue.update(deadline=due).where(Issue.id == issue.id).execute()
        audit.record(
            "issue.on_behalf",
            "issue",
            issue.id,
            actor=p.user,
            area=alley,
            # No name or phone here: the trail's data reaches more eyes than the item's.
            data={
                "note": trail_words(source, ticket_no),
                "source": source,
                "ticket_no": ticket_no,
                "ticket_deadline": iso(hotline_due),
            },
        )

    return issues.create(
        p,
        alley=alley,
        board=None,
        category=category,
        content=content,
        photo_ids=photo_ids,
        location=location,
        contact_phone=intake.contact_phone,
        source=source,
        on_behalf=record,
    )


def trail_words(source: str, ticket_no: str | None) -> str:
    """`12345 热线，工单号 2026120700123`: shown after 代居民登记 on the trail."""
    words = SOURCE_LABELS[source]
    return f"{words}，工单号 {ticket_no}" if ticket_no else words


def intake_of(issue: Issue, cache: dict | None = None) -> IssueIntake | None:
    """The intake row of an issue registered on behalf of a resident (None for the others,
    without a query: their source says so), from `cache` when `prefetch` put it there."""
    if issue.source not in SOURCE_LABELS:
        return None
    if cache is not None and ("intake", issue.id) in cache:
        return cache[("intake", issue.id)]
    return IssueIntake.get_or_none(IssueIntake.issue == issue.id)


def prefetch(rows: list[Issue], cache: dict) -> None:
    """The intake rows of a page of issues in one query (`core.items.presenters.prefetch_issues`)."""
    ids = [i.id for i in rows if i.source in SOURCE_LABELS]
    if not ids:
        return
    cache.update({("intake", i): None for i in ids})
    for row in IssueIntake.select().where(IssueIntake.issue.in_(ids)):
        cache[("intake", row.issue_id)] = row


def intake_out(issue: Issue, cache: dict | None = None) -> dict | None:
    """What staff and the item's handlers see of how it came in; the name is private."""
    row = intake_of(issue, cache)
    if row is None:
        return None
    return {
        "source": issue.source,
        "source_label": SOURCE_LABELS[issue.source],
        "superior": issue.source == HOTLINE,
        "ticket_no": row.ticket_no,
        "ticket_deadline": iso(row.ticket_deadline),
        "contact_name": row.contact_name,
    }
