"""A steward's duty points (`core.timebank.awards`) at their edges, called as the issue
workflow calls them: a resolve exactly at the deadline, ratings at the 满意/不满意 lines, the
overdue round answered by this issue's assignees only, a reopen after staff already reversed
one award, and the deadline scan's own moment, counts and rounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.timebank import awards, postings
from core.timebank.postings import Holder
from models import Issue, IssueAssignee, PointAccount, PointEntry
from tests.factories import make_district

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
DEADLINE = T0 + timedelta(days=2)


@pytest.fixture
def d(app):
    return make_district(communities=2, alleys_per_community=2)


def make_issue(d, n: int, *, community=0, assignees=(), **fields) -> Issue:
    issue = Issue.create(
        number=f"S26112200{n}",
        alley=d.alleys[2 * community],
        community=d.communities[community],
        category="环境卫生",
        content="垃圾堆放",
        status=fields.pop("status", "accepted"),
        deadline=fields.pop("deadline", DEADLINE),
        created_at=T0,
        **fields,
    )
    for steward in assignees:
        IssueAssignee.create(issue=issue, steward=steward)
    return issue


def lines_of(steward) -> list[tuple[str, int]]:
    rows = (
        PointEntry.select()
        .join(PointAccount)
        .where(PointAccount.steward == steward.id)
        .order_by(PointEntry.id)
    )
    return [(e.rule, e.points) for e in rows]


def give(d, steward, points: int, community=0) -> None:
    """Points earned earlier, so a deduction has something to take."""
    account = postings.account_for(d.communities[community], Holder(steward_id=steward.id))
    postings.post(account, points, rule="service_hour", source_type="activity")


def test_resolved_exactly_at_the_deadline_is_on_time(d):
    s0 = d.stewards[0]
    issue = make_issue(
        d, 1, status="resolved", resolved_by=s0, resolved_at=DEADLINE, assignees=[s0]
    )
    give(d, s0, 5)
    awards.issue_resolved(issue)
    assert lines_of(s0)[1:] == [("issue_resolved", 2), ("issue_on_time", 1)]


def test_resolved_a_moment_late_answers_for_the_round_for_every_assignee(d):
    s0, s1 = d.stewards[0], d.stewards[1]
    issue = make_issue(
        d,
        1,
        status="resolved",
        resolved_by=s0,
        resolved_at=DEADLINE + timedelta(seconds=1),
        assignees=[s0, s1],
    )
    give(d, s1, 5)
    awards.issue_resolved(issue)
    assert lines_of(s0) == [("issue_resolved", 2), ("issue_overdue", -1)]
    assert lines_of(s1)[1:] == [("issue_overdue", -1)]
    keys = {e.key for e in PointEntry.select().where(PointEntry.rule == "issue_overdue")}
    assert keys == {f"issue:{issue.id}:overdue:0:steward:{s.id}" for s in (s0, s1)}


def test_an_award_names_the_issue_and_is_written_by_the_system(d):
    s0 = d.stewards[0]
    issue = make_issue(d, 1, status="resolved", resolved_by=s0, resolved_at=T0)
    awards.issue_resolved(issue)
    for entry in PointEntry.select():
        assert entry.reason == "S261122001 环境卫生"
        assert (entry.actor_id, entry.actor_label) == (None, "系统")
        assert (entry.source_type, entry.source_id) == ("issue", issue.id)
    account = postings.accounts_of(None, [s0])
    assert [a.community_id for a in account] == [d.communities[0].id]


@pytest.mark.parametrize(
    ("rating", "expected"),
    [
        (5, [("issue_satisfied", 1)]),
        (4, [("issue_satisfied", 1)]),
        (3, []),
        (2, [("issue_dissatisfied", -1)]),
        (1, [("issue_dissatisfied", -1)]),
        (None, []),
    ],
)
def test_four_stars_and_up_are_satisfied_two_and_below_dissatisfied(d, rating, expected):
    s0 = d.stewards[0]
    issue = make_issue(d, 1, status="closed", resolved_by=s0, resolved_at=T0, rating=rating)
    give(d, s0, 5)
    awards.issue_rated(issue)
    assert lines_of(s0)[1:] == expected
    if expected:
        assert PointEntry.get(PointEntry.rule == expected[0][0]).key == f"issue:{issue.id}:rated"


def test_an_overdue_round_is_answered_by_this_issues_assignees_only(d):
    s0, s1 = d.stewards[0], d.stewards[1]
    issue = make_issue(d, 1, assignees=[s0], reopen_count=2)
    make_issue(d, 2, assignees=[s1])  # the same community, another steward's issue
    for s in (s0, s1):
        give(d, s, 3)
    awards.issue_overdue(issue)
    assert lines_of(s0)[1:] == [("issue_overdue", -1)]
    assert lines_of(s1) == [("service_hour", 3)]
    overdue = PointEntry.select().where(PointEntry.rule == "issue_overdue")
    assert [e.key for e in overdue] == [f"issue:{issue.id}:overdue:2:steward:{s0.id}"]


def test_a_reopen_reverses_only_what_staff_have_not_already_reversed(d):
    s0 = d.stewards[0]
    issue = make_issue(d, 1, status="resolved", resolved_by=s0, resolved_at=T0)
    give(d, s0, 5)
    awards.issue_resolved(issue)
    on_time = PointEntry.get(PointEntry.key == f"issue:{issue.id}:on_time:0")
    postings.reverse(on_time.id, reason="按时认定有误", label="王主任")
    awards.issue_reopened(issue)
    resolved = PointEntry.get(PointEntry.key == f"issue:{issue.id}:resolved:0")
    reversals = list(PointEntry.select().where(PointEntry.rule == "reversal"))
    assert [(r.reverses_id, r.reason, r.actor_label) for r in reversals] == [
        (on_time.id, "按时认定有误", "王主任"),
        (resolved.id, "S261122001 被群众重新打开", "系统"),
    ]
    assert lines_of(s0)[-1] == ("issue_reopened", -1)
    assert PointEntry.get(PointEntry.rule == "issue_reopened").key == (
        f"issue:{issue.id}:reopened:0"
    )


def test_a_reopen_of_a_later_round_leaves_the_earlier_rounds_awards(d):
    s0 = d.stewards[0]
    issue = make_issue(d, 1, status="resolved", resolved_by=s0, resolved_at=T0)
    awards.issue_resolved(issue)  # round 0
    issue.reopen_count = 1
    awards.issue_resolved(issue)  # round 1
    awards.issue_reopened(issue)
    reversed_ = {
        PointEntry.get_by_id(r.reverses_id).key
        for r in PointEntry.select().where(PointEntry.rule == "reversal")
    }
    assert reversed_ == {f"issue:{issue.id}:resolved:1", f"issue:{issue.id}:on_time:1"}


def test_the_scan_counts_an_issue_late_only_after_its_deadline(d):
    s0 = d.stewards[0]
    give(d, s0, 5)
    make_issue(d, 1, assignees=[s0])
    assert awards.deduct_overdue(DEADLINE) == 0
    assert lines_of(s0) == [("service_hour", 5)]
    assert awards.deduct_overdue(DEADLINE + timedelta(seconds=1)) == 1
    assert lines_of(s0)[1:] == [("issue_overdue", -1)]


def test_the_scan_uses_the_moment_it_is_given_not_the_clock(d):
    s0 = d.stewards[0]
    give(d, s0, 5)
    make_issue(d, 1, assignees=[s0])
    with time_machine.travel(DEADLINE + timedelta(days=5), tick=False):
        assert awards.deduct_overdue(DEADLINE - timedelta(hours=1)) == 0
    with time_machine.travel(DEADLINE - timedelta(hours=1), tick=False):
        assert awards.deduct_overdue(DEADLINE + timedelta(hours=1)) == 1


def test_the_scan_deducts_every_late_open_issue_and_counts_each_decision(d):
    s0, s1, s2 = d.stewards[0], d.stewards[1], d.stewards[2]
    for s, c in ((s0, 0), (s1, 0), (s2, 1)):
        give(d, s, 5, community=c)
    first = make_issue(d, 1, assignees=[s0, s1])
    second = make_issue(d, 2, assignees=[s2], community=1, reopen_count=1)
    make_issue(d, 3, assignees=[s0], status="resolved", resolved_by=s0, resolved_at=T0)
    make_issue(d, 4, assignees=[s0], deadline=DEADLINE + timedelta(days=10))
    assert awards.deduct_overdue(DEADLINE + timedelta(days=1)) == 3
    assert awards.deduct_overdue(DEADLINE + timedelta(days=1)) == 0
    overdue = PointEntry.select().where(PointEntry.rule == "issue_overdue")
    assert {(e.key, e.reason) for e in overdue} == {
        (f"issue:{first.id}:overdue:0:steward:{s0.id}", "S261122001 环境卫生"),
        (f"issue:{first.id}:overdue:0:steward:{s1.id}", "S261122001 环境卫生"),
        (f"issue:{second.id}:overdue:1:steward:{s2.id}", "S261122002 环境卫生"),
    }
    s2_passbook = PointEntry.get(PointEntry.key.startswith(f"issue:{second.id}:")).account
    assert s2_passbook.community_id == d.communities[1].id


def test_a_scan_decision_that_finds_nothing_to_take_is_still_counted_once(d):
    s0 = d.stewards[0]
    make_issue(d, 1, assignees=[s0])
    assert awards.deduct_overdue(DEADLINE + timedelta(days=1)) == 1
    give(d, s0, 5)
    assert awards.deduct_overdue(DEADLINE + timedelta(days=1)) == 0
    assert lines_of(s0) == [("service_hour", 5)]
