"""Records the group writes (issue 32): a steward's words and photos to the bot become a
proposal — a 随手做, a patrol or a visit — that is recorded only when the steward says 是.

The life of a proposal (`models.LedgerProposal`)::

    open ─是 (one wins)→ recording ─→ recorded      (the record written, same rules as the API)
      │                    └─ refused → open        (nothing written; the refusal is said)
      ├─ a newer proposal from the same sender → replaced
      └─ not answered within LEDGER_PROPOSAL_MINUTES → expired

What it is of is guessed by `core.items.ledger_rules`; the alley is the steward's own (named in
the words, their only one, or chosen from a numbered list); a visit's household is one of the
steward's own households, matched by name or address (chosen from a numbered list when more
than one matches). The records are the very ones the mini program writes: `issues.create`
with `fixed_on_spot` for a 随手做, `patrols.check_in`, `visits.record` — so points, service
hours, photos and privacy follow the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from core import audit
from core.households import access
from core.households import visits as household_visits
from core.items import issues, ledger_rules, patrols
from core.items.ledger_rules import FIX, PATROL, VISIT
from core.people.permissions import Principal
from infra.db import write_transaction
from infra.errors import ApiError, bad_request, forbidden
from infra.timeutil import utcnow
from models import Area, Household, LedgerProposal, Steward, StewardAlley

MAX_PHOTOS = 9
TEXT_MAX = 500  # like a visit's note; longer words are cut (the steward sees what was kept)


def lifetime() -> timedelta:
    return timedelta(minutes=int(current_app.config["LEDGER_PROPOSAL_MINUTES"]))


def recognised(text: str) -> bool:
    """Whether the words alone are taken for a record (a word of the rule table in them)."""
    return ledger_rules.guess(text, list(issues.categories())).recognised


# --- reading -----------------------------------------------------------------------------------


def pending(sender: str, now: datetime | None = None) -> LedgerProposal | None:
    """The sender's open proposal, if one is still within its time; older ones expire here
    (lazily: nothing else reads them)."""
    now = now or utcnow()
    stale = (
        (LedgerProposal.sender == sender)
        & (LedgerProposal.status == "open")
        & (LedgerProposal.expires_at <= now)
    )
    if LedgerProposal.select(LedgerProposal.id).where(stale).exists():
        with write_transaction():
            LedgerProposal.update(status="expired", decided_at=now).where(stale).execute()
    return (
        LedgerProposal.select()
        .where((LedgerProposal.sender == sender) & (LedgerProposal.status == "open"))
        .order_by(LedgerProposal.id.desc())
        .first()
    )


def expired_lately(sender: str, now: datetime) -> bool:
    """Whether the sender's last proposal ran out (so a late 是 is told why nothing happened)."""
    last = (
        LedgerProposal.select(LedgerProposal.status)
        .where(LedgerProposal.sender == sender)
        .order_by(LedgerProposal.id.desc())
        .first()
    )
    return last is not None and last.status == "expired"


def choice_labels(proposal: LedgerProposal) -> list[str]:
    """The numbered choices' names: alleys, or households (`张桂兰（3号楼201）`: private, only
    ever shown to the steward alone)."""
    if proposal.asking == "alley":
        names = {a.id: a.name for a in Area.select().where(Area.id.in_(proposal.choices))}
        return [names.get(i, "") for i in proposal.choices]
    rows = {h.id: h for h in Household.select().where(Household.id.in_(proposal.choices))}
    return [f"{rows[i].head_name}（{rows[i].address}）" for i in proposal.choices if i in rows]


# --- proposing ---------------------------------------------------------------------------------


@dataclass
class Said:
    """Who said it, where."""

    sender: str
    channel: str
    chat_id: str | None


def _own_households(p: Principal) -> list[Household]:
    return list(
        Household.select()
        .where(Household.steward.in_(access.steward_ids(p)) & Household.active)
        .order_by(Household.id)
    )


def _place(p: Principal, proposal: LedgerProposal) -> None:
    """Settle the alley (fix, patrol) or the household (visit), or what to ask about them."""
    proposal.asking, proposal.choices = "", []
    if proposal.kind == VISIT:
        proposal.alley = None
        matched = [
            h
            for h in _own_households(p)
            if ledger_rules.names_household(proposal.text, h.head_name, h.address, h.members)
        ]
        if not matched:
            proposal.household = None
            return
        if len(matched) == 1:
            proposal.household = matched[0]
            proposal.alley = matched[0].alley_id
            return
        proposal.household = None
        proposal.asking, proposal.choices = "household", [h.id for h in matched]
        return
    if proposal.household_id is not None:
        proposal.alley = Household.get_by_id(proposal.household_id).alley_id
        return
    alleys = list(Area.select().where(Area.id.in_(sorted(p.alley_ids))).order_by(Area.id))
    named = [a for a in alleys if a.name and a.name in proposal.text]
    if len(named) == 1:
        proposal.alley = named[0]
    elif len(alleys) == 1:
        proposal.alley = alleys[0]
    else:
        proposal.alley = None
        proposal.asking, proposal.choices = "alley", [a.id for a in alleys]


def _steward_for(p: Principal, alley_id: int | None) -> Steward:
    if alley_id is not None:
        mine = (
            Steward.select()
            .join(StewardAlley)
            .where(Steward.id.in_([s.id for s in p.stewards]) & (StewardAlley.alley == alley_id))
            .first()
        )
        if mine is not None:
            return mine
    return p.stewards[0]


def propose(p: Principal, said: Said, text: str, photo_ids: list[int]) -> LedgerProposal:
    """A new open proposal from the words (the sender's earlier open one is replaced). A visit
    whose household the words do not name is refused (400): nothing to propose."""
    if not p.stewards:
        raise forbidden("只有小巷管家可以在群里记一笔", code="steward_only")
    if not p.alley_ids:
        raise bad_request("您还没有负责的街巷", {"alley_id": "请联系社区"})
    text = " ".join(text.split())[:TEXT_MAX]
    guess = ledger_rules.guess(text, list(issues.categories()))
    now = utcnow()
    proposal = LedgerProposal(
        sender=said.sender,
        user=p.user,
        channel=said.channel,
        chat_id=said.chat_id,
        text=text,
        kind=guess.kind,
        category=guess.category,
        photo_ids=list(dict.fromkeys(photo_ids))[:MAX_PHOTOS],
        created_at=now,
        expires_at=now + lifetime(),
    )
    _place(p, proposal)
    if proposal.kind == VISIT and proposal.household_id is None and not proposal.asking:
        raise _no_household()
    proposal.steward = _steward_for(p, proposal.alley_id)
    with write_transaction():
        LedgerProposal.update(status="replaced", decided_at=now).where(
            (LedgerProposal.sender == said.sender) & (LedgerProposal.status == "open")
        ).execute()
        proposal.save(force_insert=True)
    return proposal


def _no_household() -> ApiError:
    return bad_request(
        "没有找到您包联的这户，请写上户主姓名或门牌，例如：看望张奶奶（3号楼201）",
        {"household_id": "请写上户主姓名或门牌"},
    )


def add_photos(proposal: LedgerProposal, photo_ids: list[int]) -> LedgerProposal:
    """Photos sent after the words (within the photo window) join the open proposal."""
    merged = list(dict.fromkeys([*proposal.photo_ids, *photo_ids]))[:MAX_PHOTOS]
    with write_transaction():
        LedgerProposal.update(photo_ids=merged).where(
            (LedgerProposal.id == proposal.id) & (LedgerProposal.status == "open")
        ).execute()
    proposal.photo_ids = merged
    return proposal


def change(p: Principal, proposal: LedgerProposal, kind: str) -> LedgerProposal:
    """`改 巡查`: the same words and photos, proposed as another kind (time starts again)."""
    if kind == proposal.kind:
        return proposal
    proposal.kind = kind
    proposal.category = (
        ledger_rules.category_for(proposal.text, list(issues.categories()))[0]
        if kind == FIX
        else None
    )
    _place(p, proposal)  # from a visit: the household's alley
    if kind != VISIT:
        proposal.household = None
    if kind == VISIT and proposal.household_id is None and not proposal.asking:
        raise _no_household()
    proposal.steward = _steward_for(p, proposal.alley_id)
    proposal.expires_at = utcnow() + lifetime()
    _save_open(proposal)
    return proposal


def choose(p: Principal, proposal: LedgerProposal, number: int) -> LedgerProposal:
    """A numbered answer to the proposal's question (its alley, or its household)."""
    if not 1 <= number <= len(proposal.choices):
        raise bad_request(
            f"请回复 1 到 {len(proposal.choices)} 之间的序号", {"number": "序号不在列表中"}
        )
    picked = proposal.choices[number - 1]
    if proposal.asking == "alley":
        if picked not in p.alley_ids:
            raise forbidden("只能记自己负责的街巷", code="not_your_alley")
        proposal.alley = picked
    else:
        household = access.load(p, picked)  # still theirs
        proposal.household = household.id
        proposal.alley = household.alley_id
    proposal.asking, proposal.choices = "", []
    proposal.steward = _steward_for(p, proposal.alley_id)
    _save_open(proposal)
    return proposal


def cancel(proposal: LedgerProposal) -> None:
    """Withdrawn by the bot itself (a question it could not ask where it was asked)."""
    with write_transaction():
        LedgerProposal.update(status="cancelled", decided_at=utcnow()).where(
            (LedgerProposal.id == proposal.id) & (LedgerProposal.status == "open")
        ).execute()


def _save_open(proposal: LedgerProposal) -> None:
    with write_transaction():
        changed = (
            LedgerProposal.update(
                kind=proposal.kind,
                category=proposal.category,
                alley=proposal.alley_id,
                household=proposal.household_id,
                asking=proposal.asking,
                choices=proposal.choices,
                steward=proposal.steward_id,
                expires_at=proposal.expires_at,
            )
            .where((LedgerProposal.id == proposal.id) & (LedgerProposal.status == "open"))
            .execute()
        )
    if not changed:
        raise ApiError(409, "proposal_closed", "这条记录已确认或已作废")


# --- confirming --------------------------------------------------------------------------------


@dataclass
class Recorded:
    proposal: LedgerProposal
    record: object  # the Issue, Patrol or Visit written


def confirm(p: Principal, proposal: LedgerProposal) -> Recorded:
    """是: write the record. One 是 wins (a second one, even at the same moment, finds it no
    longer open); a refusal of the record leaves the proposal open and nothing written."""
    if proposal.asking:
        raise bad_request("请先回复序号选择", {"number": "请回复序号"})
    now = utcnow()
    with write_transaction():
        won = (
            LedgerProposal.update(status="recording")
            .where(
                (LedgerProposal.id == proposal.id)
                & (LedgerProposal.status == "open")
                & (LedgerProposal.expires_at > now)
            )
            .execute()
        )
    if not won:
        raise ApiError(409, "proposal_closed", "这条记录已确认或已作废")
    try:
        record = _write(p, proposal)
    except Exception:
        with write_transaction():
            LedgerProposal.update(status="open").where(LedgerProposal.id == proposal.id).execute()
        raise
    record_type = {FIX: "issue", PATROL: "patrol", VISIT: "visit"}[proposal.kind]
    with write_transaction():
        LedgerProposal.update(
            status="recorded", record_type=record_type, record_id=record.id, decided_at=now
        ).where(LedgerProposal.id == proposal.id).execute()
        audit.record(
            "ledger.confirm",
            "ledger_proposal",
            proposal.id,
            actor=p.user,
            area=proposal.alley_id,
            data={"kind": proposal.kind, "record_type": record_type, "record_id": record.id},
        )
    proposal.status, proposal.record_type, proposal.record_id = "recorded", record_type, record.id
    return Recorded(proposal, record)


def _write(p: Principal, proposal: LedgerProposal):
    photos = list(proposal.photo_ids or [])
    if proposal.kind == VISIT:
        return household_visits.record(
            p, proposal.household_id, note=proposal.text, photo_ids=photos
        )
    if proposal.kind == PATROL:
        return patrols.check_in(p, proposal.alley_id, note=proposal.text, photo_ids=photos)
    alley = Area.get_by_id(proposal.alley_id)
    return issues.create(
        p,
        alley=alley,
        board=None,
        category=proposal.category or ledger_rules.fallback(list(issues.categories())),
        content=proposal.text,
        fixed_on_spot={"note": proposal.text, "photo_ids": photos},
    ).issue
