"""Deadline reminders and escalations (every `REMINDER_INTERVAL_MINUTES`), and closing
resolved items nobody rated.

- An issue due within `DUE_SOON_HOURS` → one reminder to its stewards (@ by phone).
- An overdue issue → one escalation to community staff and the group leaders, then at most
  one reminder a day to its stewards.
- A wish waiting for review over `WISH_REVIEW_HOURS` → staff; published and unclaimed over
  `WISH_UNCLAIMED_DAYS` → the group; claimed and not fulfilled in `WISH_UNFULFILLED_DAYS`
  → the claimer.
- A household whose 一人一策 visit is overdue → one line a day per steward (how many of
  their households, how late), @ the steward; no household is named, since the group is
  shared by every steward of the community (`core.households.plans.overdue_by_steward`).

Every reminder has a run key (deadline or day included), claimed in the transaction that
queues it: a rerun, or a second scheduler, sends nothing twice; a changed deadline is a new
reminder.

One scan sends each group ONE digest (`Digest`): every item due soon, newly overdue, still
overdue or wish waiting, one line each, with all the @-mentions — never a message per item
(a morning with ten overdue items used to fill the group with ten).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app

from core import runs
from core.delivery import robot, subscriptions
from core.households import plans as household_plans
from core.items import issues as issue_flow
from core.items import privacy, queues
from core.timebank import awards
from infra.db import write_transaction
from infra.text import shorten
from infra.timeutil import month_day_time, to_local, utcnow
from jobs import care_reminders, unit_reminders
from models import (
    Area,
    ChatGroup,
    Issue,
    IssueAssignee,
    StaffAccount,
    Steward,
    Wish,
)


class Context:
    """Caches for one scan: areas, groups per area, leaders' phones per set of leaders, staff
    phones per community (a first scan over a backlog escalates thousands of issues)."""

    def __init__(self):
        self._groups: dict[tuple[int, str], list[ChatGroup]] = {}
        self._areas: dict[int, Area] = {}
        self._staff_phones: dict[int, list[str]] = {}
        self._leader_phones: dict[tuple[int, ...], list[str]] = {}

    def area(self, area_id: int) -> Area:
        if area_id not in self._areas:
            self._areas[area_id] = Area.get_by_id(area_id)
        return self._areas[area_id]

    def groups(self, area_id: int, audience: str = "stewards") -> list[ChatGroup]:
        key = (area_id, audience)
        if key not in self._groups:
            # like every push: the most specific group only, so nobody hears it twice
            self._groups[key] = robot.groups_for_area(self.area(area_id), audience)[:1]
        return self._groups[key]

    def staff_groups(self, area_id: int) -> list[ChatGroup]:
        """Staff-only groups when the community has one; else its steward groups."""
        return self.groups(area_id, "staff") or self.groups(area_id)

    def leader_phones(self, groups: list[ChatGroup]) -> list[str]:
        ids = tuple(sorted({i for g in groups for i in (g.leader_ids or [])}))
        if not ids:
            return []
        if ids not in self._leader_phones:
            rows = Steward.select(Steward.phone).where(Steward.id.in_(ids))
            self._leader_phones[ids] = [s.phone for s in rows]
        return self._leader_phones[ids]

    def staff_phones(self, community_id: int | None) -> list[str]:
        if community_id is None:
            return []
        if community_id not in self._staff_phones:
            rows = StaffAccount.select(StaffAccount.phone).where(
                (StaffAccount.area == community_id)
                & StaffAccount.active
                & StaffAccount.phone.is_null(False)
            )
            self._staff_phones[community_id] = [r.phone for r in rows]
        return self._staff_phones[community_id]


def _assignees(issue_ids: list[int]) -> dict[int, list[Steward]]:
    out: dict[int, list[Steward]] = {}
    if issue_ids:
        links = (
            IssueAssignee.select(IssueAssignee.issue, Steward)
            .join(Steward)
            .where(IssueAssignee.issue.in_(issue_ids))
        )
        for link in links:
            out.setdefault(link.issue_id, []).append(link.steward)
    return out


def _issues_by_deadline(ids: list[int]) -> list[Issue]:
    """What a reminder line needs of each issue, soonest deadline first."""
    out: list[Issue] = []
    for start in range(0, len(ids), runs.CHUNK):
        chunk = ids[start : start + runs.CHUNK]
        out.extend(
            Issue.select(
                Issue.id,
                Issue.alley,
                Issue.community,
                Issue.category,
                Issue.content,
                Issue.visibility,
                Issue.deadline,
            ).where(Issue.id.in_(chunk))
        )
    return sorted(out, key=lambda i: (i.deadline, i.id))


SECTIONS = (
    "【已超期】",
    "【超期提醒】",
    "【即将到期】",
    "【心愿待审核】",
    "【心愿待认领】",
    "【心愿待实现】",
    "【走访提醒】",
)


@dataclass
class _Entry:
    key: str
    kind: str  # the count it adds to
    section: str
    line: str
    groups: list[ChatGroup]
    mentions: list[str]
    also: list[str] = field(default_factory=list)  # run keys claimed with it


class Digest:
    """What one scan has to say, gathered per group and sent as one message each."""

    def __init__(self):
        self.entries: list[_Entry] = []

    def add(self, key, kind, section, line, groups, mentions=(), also=()) -> None:
        if groups:  # no group to tell yet: try again once one is registered
            self.entries.append(
                _Entry(key, kind, section, line, list(groups), list(mentions), list(also))
            )

    def send(self, counts: dict[str, int]) -> int:
        """Claim every entry's run key and queue one text per group; returns messages queued."""
        if not self.entries:
            return 0
        results = {e.key: {"groups": [g.id for g in e.groups]} for e in self.entries}
        with write_transaction():
            # One INSERT per chunk of keys, not a savepoint each: a first scan over a district
            # queues thousands, and the write lock is held meanwhile.
            won = runs.claim_all((e.key for e in self.entries), utcnow(), results)
            claimed = []
            for entry in self.entries:
                if entry.key in won:  # else a concurrent scan has it
                    won.discard(entry.key)
                    claimed.append(entry)
            runs.claim_all(k for e in claimed for k in e.also)
            per_group: dict[int, tuple[ChatGroup, list[_Entry]]] = {}
            for entry in claimed:
                counts[entry.kind] += 1
                for group in entry.groups:
                    per_group.setdefault(group.id, (group, []))[1].append(entry)
            for group, entries in per_group.values():
                robot.push_text(
                    group,
                    _digest_text(entries),
                    key=_digest_key(group, entries),
                    mentions=[m for e in entries for m in e.mentions],
                )
        return len(per_group)


def _digest_text(entries: list[_Entry]) -> str:
    lines = []
    for section in SECTIONS:
        mine = [e.line for e in entries if e.section == section]
        if mine:
            lines.append(f"{section}{len(mine)} 件" if len(mine) > 1 else section)
            lines.extend(mine)
    return "\n".join(lines)


def _digest_key(group: ChatGroup, entries: list[_Entry]) -> str:
    digest = hashlib.sha1("|".join(sorted(e.key for e in entries)).encode()).hexdigest()[:16]
    return f"remind:digest:group:{group.id}:{digest}"


def _issue_line(issue: Issue, alley: Area) -> str:
    # a group reads held or private words as where to look instead (core.items.privacy)
    return f"#{issue.id} {alley.name} {issue.category}：{privacy.issue_words(issue, 20)}"


def remind_issues(now: datetime, ctx: Context, digest: Digest) -> dict[str, int]:
    config = current_app.config
    soon = now + timedelta(hours=int(config["DUE_SOON_HOURS"]))
    # Ids and deadlines first: every 15 minutes nearly all of these were reminded already,
    # which one bulk look at their run keys tells without loading them.
    # Those already past `now` are the staff's `overdue` queue (core.items.queues).
    candidates = queues.due_by(soon)
    today = to_local(now).date().isoformat()
    keys = {}
    for issue_id, deadline in candidates:
        stamp = deadline.isoformat()
        if not queues.is_past(deadline, now):
            keys[issue_id] = [f"remind:due:{issue_id}:{stamp}"]
        else:
            keys[issue_id] = [
                f"overdue:escalate:{issue_id}:{stamp}",
                f"overdue:daily:{issue_id}:{today}",
            ]
    fresh = runs.unclaimed(k for ks in keys.values() for k in ks)
    todo = _issues_by_deadline([i for i, ks in keys.items() if any(k in fresh for k in ks)])
    people = _assignees([i.id for i in todo])
    counts = {"due_soon": 0, "escalated": 0, "overdue_daily": 0}
    for issue in todo:
        if not keys[issue.id][0].endswith(f":{issue.deadline.isoformat()}"):
            continue  # moved a moment ago: the next scan reminds of the new deadline
        alley = ctx.area(issue.alley_id)
        stewards = people.get(issue.id, [])
        phones = [s.phone for s in stewards]
        names = "、".join(s.name for s in stewards) or "未派单"
        groups = ctx.groups(issue.alley_id)
        line = _issue_line(issue, alley)
        first, *rest = keys[issue.id]
        if not queues.is_past(issue.deadline, now):
            text = f"{line}，请在 {month_day_time(issue.deadline)} 前办结"
            digest.add(first, "due_soon", "【即将到期】", text, groups, phones)
        elif first in fresh:
            staff_groups = ctx.staff_groups(issue.alley_id)
            targets = list({g.id: g for g in groups + staff_groups}.values())
            mentions = ctx.leader_phones(groups) + ctx.staff_phones(issue.community_id)
            text = (
                f"{line}，{month_day_time(issue.deadline)} 到期（管家：{names}），请社区和队长跟进"
            )
            # the escalation is also today's reminder to the stewards
            digest.add(first, "escalated", "【已超期】", text, targets, mentions + phones, rest)
        elif rest[0] in fresh:
            late = (now - issue.deadline).days + 1
            text = f"{line}，已超期 {late} 天，请尽快办结"
            digest.add(rest[0], "overdue_daily", "【超期提醒】", text, groups, phones)
    return counts


def remind_wishes(now: datetime, ctx: Context, digest: Digest) -> dict[str, int]:
    config = current_app.config
    counts = {"wish_review": 0, "wish_unclaimed": 0, "wish_unfulfilled": 0}
    # The staff's `review` queue, once a wish has waited WISH_REVIEW_HOURS.
    review = queues.review_waiting_since(now - timedelta(hours=int(config["WISH_REVIEW_HOURS"])))
    # Each loop reads its rows first: a write under a SELECT still being iterated fails on
    # SQLite if another job committed in between (see daily_report.tick).
    for wish in list(review):
        key = f"wish:review:{wish.id}"
        if runs.done(key):
            continue
        hours = int((now - wish.created_at).total_seconds() // 3600)
        # not reviewed yet: its words are not for a group (core.items.privacy)
        text = (
            f"心愿{wish.id}（{ctx.area(wish.alley_id).name}），已等待 {hours} 小时，"
            f"请社区审核：“{robot.bot_call(f'通过 心愿{wish.id}')}”"
        )
        mentions = ctx.staff_phones(wish.community_id)
        digest.add(
            key, "wish_review", "【心愿待审核】", text, ctx.staff_groups(wish.alley_id), mentions
        )
    unclaimed = Wish.select().where(
        (Wish.status == "published")
        & (Wish.published_at <= now - timedelta(days=int(config["WISH_UNCLAIMED_DAYS"])))
    )
    for wish in list(unclaimed):
        key = f"wish:unclaimed:{wish.id}:{wish.published_at.isoformat()}"
        if runs.done(key):
            continue
        text = (
            f"心愿{wish.id} {wish.display_name}：{shorten(wish.title, 20)}，"
            f"发布已超过 {config['WISH_UNCLAIMED_DAYS']} 天，"
            f"欢迎认领：“{robot.bot_call(f'认领 心愿{wish.id}')}”"
        )
        digest.add(key, "wish_unclaimed", "【心愿待认领】", text, ctx.groups(wish.alley_id))
    stalled = Wish.select().where(
        (Wish.status == "claimed")
        & (Wish.claimed_at <= now - timedelta(days=int(config["WISH_UNFULFILLED_DAYS"])))
    )
    for wish in list(stalled):
        key = f"wish:unfulfilled:{wish.id}:{wish.claimed_at.isoformat()}"
        if runs.done(key):
            continue
        counts["wish_unfulfilled"] += _remind_claimer(key, wish, ctx, now, digest)
    return counts


def _remind_claimer(key: str, wish: Wish, ctx: Context, now: datetime, digest: Digest) -> bool:
    """A steward claimer is @-ed in the group's digest (counted when it is sent); anyone else
    gets a subscribe message if they left a consent (none left → only the run key is
    recorded: nothing fails)."""
    steward = Steward.get_or_none((Steward.user == wish.claimer_id) & Steward.active)
    if steward is not None:
        days = current_app.config["WISH_UNFULFILLED_DAYS"]
        text = (
            f"心愿{wish.id} {shorten(wish.title, 20)} 认领已超过 {days} 天，请尽快帮助实现；"
            f"实现后发送“{robot.bot_call(f'实现 心愿{wish.id} 说明')}”"
        )
        groups = ctx.groups(wish.alley_id)
        digest.add(key, "wish_unfulfilled", "【心愿待实现】", text, groups, [steward.phone])
        return False
    with write_transaction():
        if not runs.claim(key):
            return False
        subscriptions.queue_status_message(
            wish.claimer,
            number=wish.number,
            title=shorten(wish.title, 20),
            status_label="待实现",
            note="您认领的心愿还未实现",
            when=now,
            item_key=key,
            area=wish.alley_id,
            page_query=f"type=wish&id={wish.id}",
        )
    return True


def remind_visits(now: datetime, ctx: Context, digest: Digest) -> dict[str, int]:
    """Overdue 一人一策 visits: one line a day per steward, in their alley's group."""
    today = to_local(now).date().isoformat()
    for entry in household_plans.overdue_by_steward(now):
        key = f"visit:overdue:{entry.steward.id}:{today}"
        if runs.done(key):
            continue
        text = (
            f"{entry.steward.name}：包联户中有 {entry.households} 户超过走访周期未走访"
            f"（最久超期 {entry.most_days} 天），请尽快走访，并在小程序“我的包联户”中登记"
        )
        groups = ctx.groups(entry.alley_id)
        digest.add(key, "visit_overdue", "【走访提醒】", text, groups, [entry.steward.phone])
    return {"visit_overdue": 0}


def scan(now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    ctx, digest = Context(), Digest()
    counts = remind_issues(now, ctx, digest)
    counts.update(remind_wishes(now, ctx, digest))
    counts["points_overdue"] = awards.deduct_overdue(now)
    counts.update(remind_visits(now, ctx, digest))
    counts["messages"] = digest.send(counts)
    counts.update(unit_reminders.remind_units(now))  # handling units: their own groups
    counts.update(care_reminders.remind_care(now))  # 关怀提醒: stewards who have not answered
    return counts


def close_unrated(now: datetime | None = None) -> int:
    closed = 0
    for row in list(issue_flow.due_for_autoclose(now)):
        issue_flow.close_unrated(row.id)
        closed += 1
    return closed
