"""Run keys in bulk (`core.runs`): the deadline scan asks about thousands of keys at once and
claims a batch in one statement per chunk; each key is still won by exactly one caller."""

from __future__ import annotations

import pytest

from core import runs
from infra.db import write_transaction
from models import JobRun


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 3, so a handful of keys crosses several chunk boundaries."""
    monkeypatch.setattr(runs, "CHUNK", 3)


def test_unclaimed_answers_for_keys_across_chunks(app, small_chunks):
    for key in ("k1", "k4", "k7"):
        runs.claim(key)
    keys = [f"k{n}" for n in range(1, 9)]
    assert runs.unclaimed(keys) == {"k2", "k3", "k5", "k6", "k8"}
    assert runs.unclaimed(reversed(keys + keys)) == {"k2", "k3", "k5", "k6", "k8"}
    assert runs.unclaimed([]) == set()


def test_claim_all_wins_only_keys_nobody_holds(app, small_chunks):
    runs.claim("held")
    with write_transaction():
        won = runs.claim_all(["a", "held", "b", "a", "c", "d"])
    assert won == {"a", "b", "c", "d"}
    assert JobRun.select().count() == 5
    # a second caller wins nothing: every key is someone's
    with write_transaction():
        assert runs.claim_all(["a", "b", "c", "d", "held"]) == set()
    assert runs.claim_all([]) == set()


def test_claim_all_records_finished_work_with_its_result(app):
    from datetime import datetime

    at = datetime(2026, 12, 1, 8, 0)
    with write_transaction():
        runs.claim_all(["x", "y"], at, {"x": {"groups": [3]}})
        runs.claim_all(["z"])
    rows = {r.run_key: r for r in JobRun.select()}
    assert rows["x"].finished_at == at and rows["x"].result == {"groups": [3]}
    assert rows["y"].finished_at == at and rows["y"].result is None
    assert rows["z"].finished_at is None
    assert runs.done("z") and not runs.done("w")
