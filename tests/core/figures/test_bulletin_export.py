"""The monthly bulletin handed out (`core.figures.bulletin_export`): the files' names, a
download refused before anything is read, the folder the CLI writes, the street's own groups
and the push on the first days of a month, once per group."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.figures import bulletin_export
from core.figures.bulletin import Month
from core.people.permissions import Principal
from core.units import units
from infra.errors import ApiError
from models import Area, ChatGroup, Event, JobRun, OutboxMessage, User
from tests.factories import make_district, make_staff

SH = ZoneInfo("Asia/Shanghai")


def test_a_download_in_another_format_is_refused_naming_the_format_before_anything_is_read():
    with pytest.raises(ApiError) as refused:
        # no reader, no street: the format is checked first
        bulletin_export.download(None, 999999, "2026-11", "docx")
    assert refused.value.status == 400
    assert refused.value.message == "格式：只能是 pdf 或 xlsx"
    assert refused.value.fields == {"format": "可选：pdf、xlsx"}


# --- downloads and the CLI's folder -----------------------------------------------------------


def _at(year, month, day, hour=9, minute=0):
    return time_machine.travel(datetime(year, month, day, hour, minute, tzinfo=SH), tick=False)


@pytest.fixture
def street(app):
    with _at(2026, 10, 1):
        d = make_district(communities=2, alleys_per_community=1)
        admin = make_staff(d.street, role="admin", username="street-admin")
    return d, Principal.for_user(User.get_by_id(admin.user_id))


def test_a_download_is_named_for_the_street_and_month_and_audited_with_who_took_it(street):
    d, admin = street
    with _at(2026, 12, 2):
        data, b = bulletin_export.download(admin, d.street.id, "2026-11", "xlsx")
    assert data.startswith(b"PK")  # an xlsx package
    assert bulletin_export.file_name(b, "xlsx") == f"bulletin-{d.street.id}-2026-11.xlsx"
    assert bulletin_export.display_name(b, "pdf") == "示范街道2026年11月通报.pdf"
    event = Event.get(Event.action == "bulletin.export")
    assert (event.actor_id, event.subject_type, event.subject_id, event.area_id, event.data) == (
        admin.user.id,
        "area",
        d.street.id,
        d.street.id,
        {"month": "2026-11", "format": "xlsx"},
    )


def test_the_cli_writes_both_files_into_a_new_folder_and_says_so_in_the_log(street, tmp_path):
    d, _ = street
    out = tmp_path / "bulletins" / "2026"
    with _at(2026, 12, 2):
        b, paths = bulletin_export.write_files(d.street, Month(2026, 11), out, "命令行")
    stem = f"bulletin-{d.street.id}-2026-11"
    assert [p.name for p in paths] == [f"{stem}.pdf", f"{stem}.xlsx"]
    assert paths[0].read_bytes().startswith(b"%PDF") and paths[1].read_bytes().startswith(b"PK")
    assert b.month == Month(2026, 11)
    event = Event.get(Event.action == "bulletin.export")
    assert (event.actor_id, event.actor_label, event.subject_id, event.area_id) == (
        None,
        "命令行",
        d.street.id,
        d.street.id,
    )
    assert (event.subject_type, event.data) == (
        "area",
        {"month": "2026-11", "format": "pdf+xlsx", "out": str(out)},
    )


# --- the push on the 1st ----------------------------------------------------------------------


def test_only_the_streets_own_active_leaders_groups_receive_its_bulletin(street):
    d, _ = street
    with _at(2026, 10, 1):
        earlier = ChatGroup.create(
            area=d.street, webhook_key="k2", name="街道班子群", audience="staff"
        )
        later = ChatGroup.create(
            area=d.street, webhook_key="k1", name="街道领导群", audience="staff"
        )
        ChatGroup.create(
            area=d.street, webhook_key="k3", name="停用的群", audience="staff", active=False
        )
        unit = units.create(d.street, "住建办", label="测试")
        ChatGroup.create(
            area=d.street, webhook_key="k4", name="住建办群", audience="staff", unit=unit
        )
        ChatGroup.create(area=d.street, webhook_key="k5", name="部门群", audience="unit")
        ChatGroup.create(area=d.communities[0], webhook_key="k6", name="社区群", audience="staff")
        other = make_district(street_name="别的街道", communities=1, alleys_per_community=1)
        ChatGroup.create(area=other.street, webhook_key="k7", name="别的街道群", audience="staff")
    assert bulletin_export.street_groups(d.street) == [earlier, later]  # in the order registered


def test_each_group_gets_the_card_and_the_link_once_and_a_group_registered_later_its_own(
    street, app
):
    d, _ = street
    app.config["PUBLIC_BASE_URL"] = "https://xx.example.cn/"
    with _at(2026, 10, 1):
        first = ChatGroup.create(area=d.street, webhook_key="k1", name="领导群", audience="staff")
    with _at(2026, 12, 1, 9, 30):
        assert bulletin_export.send(d.street, Month(2026, 11)) == 1
        assert bulletin_export.send(d.street, Month(2026, 11)) == 0
        second = ChatGroup.create(area=d.street, webhook_key="k2", name="班子群", audience="staff")
        assert bulletin_export.send(d.street, Month(2026, 11)) == 1
    messages = OutboxMessage.select().order_by(OutboxMessage.id)
    key = f"bulletin:2026-11:street:{d.street.id}:group:"
    assert [(m.target, m.idempotency_key, m.payload["msgtype"]) for m in messages] == [
        ("k1", f"{key}{first.id}:image", "image"),
        ("k1", f"{key}{first.id}:markdown", "markdown"),
        ("k2", f"{key}{second.id}:image", "image"),
        ("k2", f"{key}{second.id}:markdown", "markdown"),
    ]
    text = messages[1].payload["markdown"]["content"]
    link = f"https://xx.example.cn/console/bulletins/{d.street.id}/2026-11"
    assert f"({link}.pdf)" in text and f"({link}.xlsx)" in text
    sends = Event.select().where(Event.action == "bulletin.send").order_by(Event.id)
    assert [(e.actor_label, e.subject_type, e.subject_id, e.area_id, e.data) for e in sends] == [
        ("月度通报", "area", d.street.id, d.street.id, {"month": "2026-11", "group": first.id}),
        ("月度通报", "area", d.street.id, d.street.id, {"month": "2026-11", "group": second.id}),
    ]
    run = JobRun.get(JobRun.run_key == f"{key}{first.id}")
    assert run.finished_at is not None and run.result == {"communities": 2, "units": 0}


def test_a_scheduler_down_on_the_first_sends_last_months_until_the_third_and_not_after(street):
    d, _ = street
    with _at(2026, 10, 1):
        ChatGroup.create(area=d.street, webhook_key="k1", name="领导群", audience="staff")
        later = make_district(street_name="后来的街道", communities=1, alleys_per_community=1)
        ChatGroup.create(area=later.street, webhook_key="k2", name="后来的群", audience="staff")
        closed = make_district(street_name="撤并的街道", communities=1, alleys_per_community=1)
        ChatGroup.create(area=closed.street, webhook_key="k3", name="撤并的群", audience="staff")
    Area.update(active=False).where(Area.id == closed.street.id).execute()
    with _at(2026, 12, 4, 9, 30):
        assert bulletin_export.run_if_month_started(date(2026, 12, 4)) == 0
    with _at(2026, 12, 3, 9, 30):
        assert bulletin_export.run_if_month_started(date(2026, 12, 3)) == 2
    assert {m.target for m in OutboxMessage.select()} == {"k1", "k2"}
    months = {e.data["month"] for e in Event.select().where(Event.action == "bulletin.send")}
    assert months == {"2026-11"}


def test_a_street_set_up_after_the_month_gets_no_bulletin_for_it(app):
    with _at(2026, 11, 30, 23, 59):
        d = make_district(communities=1, alleys_per_community=1)
        ChatGroup.create(area=d.street, webhook_key="k1", name="领导群", audience="staff")
    with _at(2026, 11, 1, 9, 30):
        assert bulletin_export.run_if_month_started(date(2026, 11, 1)) == 0  # October: none
    with _at(2026, 12, 1, 9, 30):
        assert bulletin_export.run_if_month_started(date(2026, 12, 1)) == 1  # its last day counts
