"""Compiled queries (`infra.db.Prepared`) on PostgreSQL run as server-side prepared statements:
PREPAREd once per pooled connection, EXECUTEd from then on, surviving a rolled-back
transaction, and falling back to plain SQL — without breaking the transaction around it —
for a statement PostgreSQL cannot prepare. On SQLite they are sent as they are."""

from __future__ import annotations

import logging

import pytest

from infra.db import Param, Prepared, db, is_sqlite
from models import User

pytestmark = pytest.mark.pg  # server-side PREPARE is PostgreSQL behaviour

_BY_OPENID = Prepared(lambda: User.select().where(User.openid == Param("openid")))
_BY_IDS = Prepared(lambda: User.select().where(User.id.in_(Param("ids", many=True))), many=("ids",))
# A bare parameter in the select list: PostgreSQL cannot infer its type to PREPARE it.
_ECHO = Prepared(lambda: User.select(Param("word")).where(User.id == Param("id")))


class _Statements(logging.Handler):
    def __init__(self):
        super().__init__()
        self.sql: list[str] = []

    def emit(self, record):
        if isinstance(record.msg, tuple):  # peewee logs (sql, params)
            self.sql.append(str(record.msg[0]))

    def __enter__(self):
        self._log = logging.getLogger("peewee")
        self._level = self._log.level
        self._log.addHandler(self)
        self._log.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc):
        self._log.removeHandler(self)
        self._log.setLevel(self._level)

    def starting(self, word: str) -> list[str]:
        return [s for s in self.sql if s.startswith(word)]


def test_a_compiled_query_is_prepared_once_per_connection(app):
    user = User.create(openid="o-prepared", nickname="张阿姨")
    with _Statements() as seen:
        for _ in range(3):
            assert _BY_OPENID.first(openid="o-prepared").nickname == "张阿姨"
        assert _BY_OPENID.first(openid="nobody") is None
    if is_sqlite():
        assert not getattr(db.obj, "server_prepare", False)
        assert seen.starting("PREPARE") == [] and seen.starting("EXECUTE") == []
        assert len(seen.starting("SELECT")) == 4
        return
    assert len(seen.starting("PREPARE")) == 1
    assert len(seen.starting("EXECUTE")) == 4
    assert user.id == _BY_OPENID.first(openid="o-prepared").id


def test_a_prepared_statement_outlives_a_rolled_back_transaction(app):
    User.create(openid="o-rollback", nickname="李大爷")

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        with db.atomic():
            assert _BY_OPENID.first(openid="o-rollback").nickname == "李大爷"
            raise Undo
    with _Statements() as seen:
        assert _BY_OPENID.first(openid="o-rollback").nickname == "李大爷"
    # Prepared inside the transaction that rolled back: still there, not prepared again.
    assert seen.starting("PREPARE") == []


def test_a_statement_that_cannot_be_prepared_runs_as_it_is_and_spares_the_transaction(app):
    with db.atomic():
        user = User.create(openid="o-echo", nickname="王奶奶")
        _, cursor = _ECHO.cursor(word="你好", id=user.id)
        assert cursor.fetchone()[0] == "你好"
        # The transaction goes on after the failed PREPARE (rolled back to its savepoint).
        User.update(nickname="王奶奶（已核实）").where(User.id == user.id).execute()
    assert User.get_by_id(user.id).nickname == "王奶奶（已核实）"
    with _Statements() as seen:
        _, cursor = _ECHO.cursor(word="再见", id=user.id)
        assert cursor.fetchone()[0] == "再见"
    assert seen.starting("PREPARE") == []  # not tried again


def test_prepared_insert_writes_every_column_with_defaults_taken_at_each_insert(app):
    import time_machine

    from infra.db import PreparedInsert
    from models import Event, OutboxMessage

    events = PreparedInsert(Event)
    with db.atomic():
        with time_machine.travel("2026-11-02 01:00", tick=False):
            first = events.create(action="test.one", subject_type="test", subject_id=1)
        with time_machine.travel("2026-11-03 01:00", tick=False):
            second_id = events.insert(action="test.two", subject_type="test", data={"n": 2})
    assert isinstance(first, Event) and first.id is not None and second_id == first.id + 1
    stored = Event.get_by_id(first.id)
    assert (stored.action, stored.subject_id, stored.data, stored.actor_id) == (
        "test.one",
        1,
        {},
        None,
    )
    assert (stored.at.day, Event.get_by_id(second_id).at.day) == (2, 3)  # not the compile's
    assert Event.get_by_id(second_id).data == {"n": 2}
    assert first.at == stored.at and first.data == {}
    with pytest.raises(TypeError):
        events.insert(action="x", subject_type="x", colour="red")

    queue = PreparedInsert(OutboxMessage, ignore_conflicts=True)
    body = {"kind": "robot", "target": "k", "payload": {"a": 1}, "idempotency_key": "once"}
    with db.atomic():
        made = queue.insert(**body)
        again = queue.insert(**{**body, "payload": {"a": 2}})
    assert made is not None and again is None
    assert [m.payload for m in OutboxMessage.select()] == [{"a": 1}]
    assert queue.create(**body) is None


def test_an_id_past_the_id_columns_range_finds_nothing(app):
    """Ids are int4 on PostgreSQL and a prepared parameter takes its column's type, so an id a
    client sent past 2**31 (`photo_ids: [2147483648]`, found by make fuzz) failed EXECUTE with
    "integer out of range": a 500. It finds nothing, as on SQLite, and the transaction goes on."""
    user = User.create(openid="o-big-id", nickname="李师傅")
    assert [u.id for u in _BY_IDS.rows(ids=[user.id])] == [user.id]  # prepared from here on
    with db.atomic():
        for ids in ([2**31], [user.id, 2**63 - 1], [-(2**31) - 1]):
            found = [u.id for u in _BY_IDS.rows(ids=ids)]
            assert found == ([user.id] if user.id in ids else []), ids
        assert User.get_by_id(user.id).nickname == "李师傅"  # the transaction is not aborted
    assert [u.id for u in _BY_IDS.rows(ids=[user.id])] == [user.id]
