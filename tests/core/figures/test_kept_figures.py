"""Figures kept between changes (`core.figures.kept`): counted again when the audit trail's
tail moves — also when a change commits under an id below the last one read (PostgreSQL hands
out ids before commit) — and never kept past the minute, nor across a clock set back."""

from __future__ import annotations

from datetime import datetime, timedelta

import time_machine

from core import audit
from core.figures import kept
from infra.db import db
from infra.timeutil import utcnow
from models import Event
from models.partial_indexes import READ_ACTIONS
from tests.core.figures.test_reports import SH

NOON = datetime(2026, 12, 10, 12, 0, tzinfo=SH)


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.calls


def _event(**values) -> None:
    Event.create(action="test.change", subject_type="issue", subject_id=1, **values)


def test_a_change_committed_below_the_last_id_is_seen(app):
    count = Counter()
    with time_machine.travel(NOON, tick=False):
        _event(id=100)
        assert kept.kept("n", (1,), count).value == 1
        assert kept.kept("n", (1,), count).value == 1  # nothing changed: kept
        _event(id=60)  # its id was handed out before 100's, its commit came after
        assert kept.kept("n", (1,), count).value == 2
        _event()  # an ordinary change
        assert kept.kept("n", (1,), count).value == 3
        assert kept.kept("n", (2,), count).value == 4  # another key: its own count


def test_a_copy_lives_at_most_the_ceiling_and_not_across_a_clock_set_back(app):
    count = Counter()
    with time_machine.travel(NOON, tick=False) as clock:
        first = kept.kept("n", (), count)
        assert first.value == 1 and first.counted_at == utcnow()
        clock.move_to(NOON + timedelta(seconds=kept.SECONDS - 1))
        assert kept.kept("n", (), count).value == 1
        clock.move_to(NOON + timedelta(seconds=kept.SECONDS))
        assert kept.kept("n", (), count).value == 2
        clock.move_to(NOON)  # set back: counted "in the future", not trusted
        assert kept.kept("n", (), count).value == 3


def test_a_value_made_of_kept_figures_is_as_old_as_they_are(app):
    """The 首页's HTML is rendered from kept figures: kept again later (its own copy dropped),
    it must still expire when the figures it shows would, not a minute after rendering."""
    count = Counter()
    with time_machine.travel(NOON, tick=False) as clock:
        clock.move_to(NOON + timedelta(seconds=30))
        made = kept.kept("page", (), lambda: kept.Kept(count(), datetime(2026, 12, 10, 4, 0)))
        assert made.value == 1 and made.counted_at == datetime(2026, 12, 10, 4, 0)
        clock.move_to(NOON + timedelta(seconds=kept.SECONDS))
        assert kept.kept("page", (), lambda: kept.Kept(count(), utcnow())).value == 2


def test_a_request_reads_the_trail_once_and_again_after_its_own_change(app, monkeypatch):
    """A list page shows three kept figures: the trail's tail is probed once for all of them
    (they agree with each other even if another worker's change commits meanwhile), and
    again after the request writes an event itself, so what it shows next includes its change."""
    probes = []
    real = db.obj.execute_sql

    def counting(sql, *args, **kwargs):
        if 'SELECT MAX(id), COUNT(id) FROM "event"' in sql:
            probes.append(sql)
        return real(sql, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", counting)
    count = Counter()
    with time_machine.travel(NOON, tick=False):
        with app.test_request_context("/console/stewards"):
            assert [kept.kept(name, (), count).value for name in "abc"] == [1, 2, 3]
            assert len(probes) == 1
            _event()  # another worker's change commits while this request runs
            assert kept.kept("a", (), count).value == 1
            audit.record("household.list", "household", None)  # a read of its own: no change
            assert kept.kept("a", (), count).value == 1
            assert len(probes) == 1
            audit.record("test.own", "issue", 1)  # the request's own change
            assert kept.kept("a", (), count).value == 4
            assert len(probes) == 2
        with app.test_request_context("/console/stewards"):  # the next request: both changes
            assert kept.kept("a", (), count).value == 4
            assert kept.kept("b", (), count).value == 5
            assert len(probes) == 3
        assert kept.kept("a", (), count).value == 4  # outside a request: read every time
        assert kept.kept("a", (), count).value == 4
        assert len(probes) == 5


def test_a_record_of_a_read_moves_no_figure_and_a_change_does(app):
    """Opening a household's card or listing them leaves an event (who read what) but changes
    nothing counted: the kept figures stay; any other event makes them count afresh."""
    count = Counter()
    with time_machine.travel(NOON, tick=False):
        _event(id=100)
        assert kept.kept("n", (), count).value == 1
        for action in READ_ACTIONS:
            audit.record(action, "household", 7)
            assert kept.kept("n", (), count).value == 1
        audit.record("household.update", "household", 7)
        assert kept.kept("n", (), count).value == 2
        audit.record("household.read", "household", 7)
        assert kept.kept("n", (), count).value == 2
        _event(id=60)  # a change whose id was handed out early and committed late
        assert kept.kept("n", (), count).value == 3
