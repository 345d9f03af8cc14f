"""The console's 公示牌 page: ticking the boards to print (or all new since one's last print),
the PDF's readable file name, a watermarked sample with a local PUBLIC_BASE_URL instead of a
refusal, and the board check's weekly scan line, flags, answers and 待重印 list."""

from __future__ import annotations

import io
import threading
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import pypdf
import pytest
import time_machine
from PIL import Image

from core import media
from core.boards import boards as board_service
from core.boards import health
from core.people.permissions import Principal
from infra.db import db
from models import Board, BoardCheck, Event, PrintJob, ScanDaily, StaffAccount, User
from tests.conftest import make_app
from tests.console_world import build, console_login, csrf

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def world(capp):
    return build(capp)


def join_print_threads():
    """Wait for the print threads this process started (a join, never a sleep)."""
    for t in threading.enumerate():
        if t.name.startswith("print-job-"):
            t.join(timeout=120)
            assert not t.is_alive()


def print_boards(client, area, **form):
    token = csrf(client, f"/console/boards?area={area.id}")
    return client.post(
        "/console/boards/print", data={"csrf_token": token, "area": str(area.id), **form}
    )


def pages(pdf_bytes: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf_bytes)).pages)


def test_only_the_ticked_boards_are_printed(capp, world):
    c1 = world.d.communities[0]
    client = console_login(capp.test_client(), "secretary1")
    page = client.get(f"/console/boards?area={c1.id}").get_data(as_text=True)
    assert f'name="board" value="{world.d.boards[1].id}" form="print-form"' in page
    res = print_boards(client, c1, scope="ticked", board=str(world.d.boards[1].id))
    assert res.status_code == 302
    join_print_threads()
    job = PrintJob.get()
    assert (job.status, job.total, job.board_ids) == ("done", 1, [world.d.boards[1].id])
    assert pages(client.get(f"/console/boards/jobs/{job.id}.pdf").data) == 1
    assert Event.get(Event.action == "board.print").actor_id == world.staff.user_id


def test_ticking_nothing_or_a_board_elsewhere_is_refused(capp, world):
    c1 = world.d.communities[0]
    client = console_login(capp.test_client(), "secretary1")
    res = print_boards(client, c1, scope="ticked")
    assert "请勾选要打印的公示牌" in client.get(res.headers["Location"]).get_data(as_text=True)
    elsewhere = world.d.boards[2]  # 第2社区's
    res = print_boards(client, c1, scope="ticked", board=str(elsewhere.id))
    assert "不在所选区域内" in client.get(res.headers["Location"]).get_data(as_text=True)
    res = print_boards(client, c1, scope="ticked", board="abc")
    assert "编号有误" in client.get(res.headers["Location"]).get_data(as_text=True)
    assert PrintJob.select().count() == 0


def test_all_new_since_my_last_print(capp, world):
    c1 = world.d.communities[0]
    Board.update(updated_at=NOW.replace(tzinfo=None) - timedelta(days=3)).execute()
    with time_machine.travel(NOW, tick=False) as clock:
        client = console_login(capp.test_client(), "secretary1")
        print_boards(client, c1, scope="new")  # never printed: every board
        join_print_threads()
        assert PrintJob.get().total == 2
        clock.shift(timedelta(hours=2))
        board_service.bump_versions([world.d.alleys[0].id])  # a steward's phone changed
        page = client.get(f"/console/boards?area={c1.id}").get_data(as_text=True)
        assert "上次打印（12-07 10:00）以来新增或有变化的 1 块" in page
        print_boards(client, c1, scope="new")
        join_print_threads()
    latest = PrintJob.select().order_by(PrintJob.id.desc()).first()
    assert latest.total == 1 and latest.status == "done"


def test_the_pdf_has_a_readable_name(capp, world):
    c1 = world.d.communities[0]
    with time_machine.travel(NOW, tick=False):
        client = console_login(capp.test_client(), "secretary1")
        print_boards(client, c1, scope="all")
        join_print_threads()
        job = PrintJob.get()
        res = client.get(f"/console/boards/jobs/{job.id}.pdf")
    disposition = res.headers["Content-Disposition"]
    assert disposition == (
        f"attachment; filename={job.file_name}; "
        f"filename*=UTF-8''{quote('第1社区-公示牌-A4-2026-12-07.pdf')}"
    )
    assert job.file_name.isascii()


@pytest.mark.parametrize("base", ["http://127.0.0.1:5000", "http://localhost:5000"])
def test_a_local_base_url_prints_a_watermarked_sample(tmp_path, base):
    app = make_app(tmp_path, PUBLIC_BASE_URL=base)
    with app.app_context():
        w = build(app)
        c1 = w.d.communities[0]
        with time_machine.travel(NOW, tick=False):
            client = console_login(app.test_client(), "secretary1")
            page = client.get("/console/boards").get_data(as_text=True)
            assert "仅能打印样张" in page and "样张 · 二维码不可用" in page
            print_boards(client, c1, scope="all")
            join_print_threads()
            job = PrintJob.get()
            assert job.status == "done" and job.file_name.endswith("-sample.pdf")
            res = client.get(f"/console/boards/jobs/{job.id}.pdf")
            # the preview shows it too: red ink across the middle of an otherwise white band
            preview = Image.open(
                io.BytesIO(client.get(f"/console/boards/{w.d.boards[0].id}/preview.png").data)
            )
        assert quote("第1社区-公示牌-A4-2026-12-07-样张.pdf") in res.headers["Content-Disposition"]
        assert pages(res.data) == 2
        assert preview.convert("RGB").getpixel((preview.width // 2, preview.height // 2))[0] > 200
        result = app.test_cli_runner().invoke(
            args=["boards", "--area", str(c1.id), "--out", str(tmp_path / "out")]
        )
        assert "警告" in result.output and "正式域名" in result.output
        db.close()


def test_the_page_shows_scans_per_week_flags_answers_and_the_reprint_list(capp, world):
    d = world.d
    c1 = d.communities[0]
    today = date(2026, 12, 7)
    for n in range(1, 8):  # board 1 scanned 3 times a day last week
        ScanDaily.create(board=d.boards[1], day=today - timedelta(days=n), count=3)
    secretary = Principal.for_user(User.get_by_id(world.staff.user_id))
    photo = media.save_image(_jpeg(), secretary.user)
    steward_user = User.create(openid="dev:steward-a", nickname="管家")
    from models import RoleGrant

    RoleGrant.create(user=steward_user, role="steward", steward=d.stewards[0])
    with time_machine.travel(NOW, tick=False):
        BoardCheck.create(board=d.boards[0], reason="stopped", steward=d.stewards[0])
        health.answer(Principal.for_user(steward_user), health.BROKEN, photo_ids=[photo.id])
        client = console_login(capp.test_client(), "secretary1")
        page = client.get(f"/console/boards?area={c1.id}").get_data(as_text=True)
    assert 'aria-label="每周扫码 0、0、0、0、0、0、0、0、0、0、0、21"' in page
    assert "上周 21" in page and "<polyline points=" in page
    assert "待重印 <small" in page and "牌子坏了" in page and "打印待重印的 1 块" in page
    assert 'alt="1区1巷公示牌的照片"' in page
    # printing the reprint list takes the board off it (still inside the console session's
    # lifetime: a real clock far from NOW would find the session lapsed)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        print_boards(client, c1, scope="ticked", board=str(d.boards[0].id))
        join_print_threads()
        assert health.reprint_queue(c1) == []
        page = client.get(f"/console/boards?area={c1.id}").get_data(as_text=True)
    assert "打印待重印" not in page
    assert StaffAccount.get_by_id(world.staff.id).active


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (60, 40), "grey").save(buf, "JPEG")
    return buf.getvalue()
