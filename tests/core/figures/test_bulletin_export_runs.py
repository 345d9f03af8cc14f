"""The monthly bulletin handed out again and to several groups (`core.figures.bulletin_export`):
the CLI run a second time into the folder it wrote, a street with two leaders' groups counted
as two, and the link under a public address with a path of its own."""

from __future__ import annotations

from datetime import date

from core.figures import bulletin_export
from core.figures.bulletin import Month
from models import ChatGroup, Event, OutboxMessage
from tests.core.figures.street_story import queries_of
from tests.core.figures.test_bulletin_export import _at, street

__all__ = ["street"]  # the fixture, shared with test_bulletin_export.py


def test_the_cli_run_again_into_the_folder_it_wrote_replaces_the_files(street, tmp_path):
    d, _ = street
    out = tmp_path / "bulletins"
    with _at(2026, 12, 2):
        bulletin_export.write_files(d.street, Month(2026, 11), out, "命令行")
        _, paths = bulletin_export.write_files(d.street, Month(2026, 11), out, "命令行")
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    assert paths[0].read_bytes().startswith(b"%PDF") and paths[1].read_bytes().startswith(b"PK")
    assert Event.select().where(Event.action == "bulletin.export").count() == 2


def test_a_street_with_two_leaders_groups_is_counted_as_two_sent(street, app):
    d, _ = street
    app.config["PUBLIC_BASE_URL"] = "https://gov.example.cn/BOX/"
    with _at(2026, 10, 1):
        ChatGroup.create(area=d.street, webhook_key="k1", name="领导群", audience="staff")
        ChatGroup.create(area=d.street, webhook_key="k2", name="班子群", audience="staff")
    with _at(2026, 12, 1, 9, 30):
        assert bulletin_export.run_if_month_started(date(2026, 12, 1)) == 2
    texts = [
        m.payload["markdown"]["content"]
        for m in OutboxMessage.select().order_by(OutboxMessage.id)
        if m.payload["msgtype"] == "markdown"
    ]
    link = f"https://gov.example.cn/BOX/console/bulletins/{d.street.id}/2026-11"
    assert len(texts) == 2 and all(f"({link}.pdf)" in t for t in texts)


def test_a_rerun_after_every_group_has_the_month_reads_only_the_groups_and_their_runs(street):
    """The job runs on the 1st, 2nd and 3rd for every street: once each group has had the
    month, a rerun asks which groups and which runs, and builds no bulletin again."""
    d, _ = street
    with _at(2026, 10, 1):
        ChatGroup.create(area=d.street, webhook_key="k1", name="领导群", audience="staff")
        ChatGroup.create(area=d.street, webhook_key="k2", name="班子群", audience="staff")
    with _at(2026, 12, 1, 9, 30):
        assert bulletin_export.send(d.street, Month(2026, 11)) == 2
    sent = []
    with _at(2026, 12, 2, 9, 30):
        assert queries_of(lambda: sent.append(bulletin_export.send(d.street, Month(2026, 11)))) == 3
    assert sent == [0] and OutboxMessage.select().count() == 4
