"""Points for a steward's work on issues (管家履职积分), written where the issue changes.

Each function is called ONCE from the workflow that changes the issue (`core.items.issues`:
resolve, the 随手做 of create, rate, reopen) or from the deadline scan (`jobs.reminders` →
`deduct_overdue`), inside that change's transaction, so the entry and the change commit
together. Points go to the passbook of the steward credited with the work
(`Issue.resolved_by`, see `core.items.credit`) in the issue's community; an issue resolved by
staff in their staff role earns no one anything.

Every award has a key naming the issue and the round (`Issue.reopen_count` when it was
earned), so a retried request, a rerun scan or two schedulers never count one twice:

* ``issue:12:resolved:0`` / ``issue:12:on_time:0`` — resolved (on time) in round 0;
* ``issue:12:on_the_spot`` — recorded as 随手做;
* ``issue:12:rated`` — the reporter's satisfied or dissatisfied rating;
* ``issue:12:overdue:0:steward:3`` — round 0 ran past its deadline: every assignee answers
  for it (the work was theirs to do), once, whether the scan saw it or the late resolve did;
* ``issue:12:reopened:0`` — the reporter reopened round 0: that round's 办结 and 按时 awards
  are reversed (冲正: the work was not done) and the `issue_reopened` deduction is written.

Deductions are clamped (a passbook never shows a debt for an automatic rule); a deduction that
finds nothing to take is still marked done (`core.runs`), so it is never taken later from
points earned afterwards.
"""

from __future__ import annotations

from datetime import datetime

from core import runs
from core.timebank import postings, rules
from core.timebank.postings import Holder
from infra.db import write_transaction
from infra.timeutil import utcnow
from models import ISSUE_OPEN, Issue, IssueAssignee, PointEntry

# Ratings at or above this are 满意, at or below DISSATISFIED 不满意 (3 stars is neither).
SATISFIED = 4
DISSATISFIED = 2


def _award(
    issue: Issue, steward_id: int | None, rule_code: str, key: str, units: int = 1
) -> PointEntry | None:
    """Post `units` of a rule to the steward's passbook in the issue's community, once."""
    if steward_id is None:
        return None
    if issue.community_id is None:
        # An alley the street runs itself, under no community: the time bank is a community's
        # (its passbooks, its shop), so there is no passbook to post to. The item's work is on
        # its trail and in the steward's figures all the same.
        return None
    rule = rules.get(rule_code)
    if rule.points == 0:
        return None  # switched off in TIMEBANK_RULES
    if not runs.claim(f"points:{key}"):
        return None  # already awarded (or already found nothing to deduct)
    account = postings.account_for(issue.community_id, Holder(steward_id=steward_id))
    return postings.post(
        account,
        rule.points * units,
        rule=rule_code,
        source_type="issue",
        source_id=issue.id,
        reason=f"{issue.number} {issue.category}",
        key=key,
        floor="clamp",
        label="系统",
    )


def issue_resolved(issue: Issue) -> None:
    """办结 (and 按时 when by the deadline) to the resolving steward; a late resolve answers
    for the overdue round if the scan has not yet."""
    round_ = issue.reopen_count
    _award(issue, issue.resolved_by_id, "issue_resolved", f"issue:{issue.id}:resolved:{round_}")
    if issue.resolved_at <= issue.deadline:
        _award(issue, issue.resolved_by_id, "issue_on_time", f"issue:{issue.id}:on_time:{round_}")
    else:
        issue_overdue(issue)


def issue_on_the_spot(issue: Issue) -> None:
    """随手做: found on patrol and fixed at once (one rule of its own, not 办结 + 按时)."""
    _award(issue, issue.resolved_by_id, "issue_on_the_spot", f"issue:{issue.id}:on_the_spot")


def issue_rated(issue: Issue) -> None:
    """The reporter's rating: 满意 adds, 不满意 deducts, for the steward who resolved it."""
    if issue.rating is None:
        return
    if issue.rating >= SATISFIED:
        code = "issue_satisfied"
    elif issue.rating <= DISSATISFIED:
        code = "issue_dissatisfied"
    else:
        return
    _award(issue, issue.resolved_by_id, code, f"issue:{issue.id}:rated")


def issue_overdue(issue: Issue) -> None:
    """The current round ran past its deadline: −1 to each steward it is assigned to."""
    assignees = IssueAssignee.select(IssueAssignee.steward).where(IssueAssignee.issue == issue.id)
    for link in list(assignees):
        key = f"issue:{issue.id}:overdue:{issue.reopen_count}:steward:{link.steward_id}"
        _award(issue, link.steward_id, "issue_overdue", key)


def issue_reopened(issue: Issue) -> None:
    """Called before the reopen clears the resolver: the round's 办结/按时 awards are reversed
    and the reopen deduction goes to the same passbook."""
    round_ = issue.reopen_count
    keys = [f"issue:{issue.id}:resolved:{round_}", f"issue:{issue.id}:on_time:{round_}"]
    awarded = list(PointEntry.select().where(PointEntry.key.in_(keys)).order_by(PointEntry.id))
    for entry in awarded:
        if not PointEntry.select().where(PointEntry.reverses == entry.id).exists():
            postings.reverse(entry.id, reason=f"{issue.number} 被群众重新打开", label="系统")
    _award(issue, issue.resolved_by_id, "issue_reopened", f"issue:{issue.id}:reopened:{round_}")


def deduct_overdue(now: datetime | None = None) -> int:
    """The deadline scan's part: every open issue past its deadline answers for the round,
    once per steward and round. Returns how many deductions were decided this time."""
    now = now or utcnow()
    # Only ids and keys at first: in a district with thousands of late issues every one of
    # them is usually settled already, and that is known from one bulk look at the run keys.
    late = (
        Issue.select(Issue.id, Issue.reopen_count, IssueAssignee.steward)
        .join(IssueAssignee, on=(IssueAssignee.issue == Issue.id))
        .where(Issue.status.in_(ISSUE_OPEN) & (Issue.deadline < now))
        .tuples()
    )
    todo = {
        f"issue:{issue_id}:overdue:{round_}:steward:{steward_id}": (issue_id, round_, steward_id)
        for issue_id, round_, steward_id in late
    }
    fresh = runs.unclaimed(f"points:{k}" for k in todo)
    todo = {k: v for k, v in todo.items() if f"points:{k}" in fresh}
    issues = _issues_by_id({issue_id for issue_id, _, _ in todo.values()})
    decided = 0
    for key, (issue_id, round_, steward_id) in todo.items():
        issue = issues.get(issue_id)
        if issue is None:
            continue  # deleted since
        with write_transaction():
            # Still late now that we hold the write lock (staff may have moved the deadline);
            # one resolved a moment ago answered for itself in its own transaction.
            still = Issue.select().where(
                (Issue.id == issue.id)
                & Issue.status.in_(ISSUE_OPEN)
                & (Issue.deadline < now)
                & (Issue.reopen_count == round_)
            )
            if still.exists():
                _award(issue, steward_id, "issue_overdue", key)
                decided += 1
    return decided


def _issues_by_id(ids: set[int]) -> dict[int, Issue]:
    """What an award's reason needs of each issue, in one query per chunk of ids."""
    out: dict[int, Issue] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), runs.CHUNK):
        chunk = wanted[start : start + runs.CHUNK]
        rows = Issue.select(
            Issue.id, Issue.number, Issue.category, Issue.community, Issue.reopen_count
        ).where(Issue.id.in_(chunk))
        out.update((i.id, i) for i in rows)
    return out
