"""The instance folder (`INSTANCE_PATH`): the secret key, the default database and media folder,
the console's uploads and print files all go there, so the code's directory can be read-only."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from openpyxl import Workbook
from PIL import Image

from app import create_app
from core import schema
from infra.db import db
from models import Media, PrintJob
from tests.conftest import PG_URL, _reset_postgres
from tests.console_world import build, console_login, csrf
from tests.factories import login

ROOT = Path(__file__).resolve().parents[2]


def _state(folder: Path):
    """Every file and folder under `folder` with its modification time (None: no folder)."""
    if not folder.exists():
        return None
    return sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in folder.rglob("*"))


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def _app_from_the_environment(monkeypatch, instance: Path):
    """An app configured as in production: INSTANCE_PATH from the environment, and no
    DATABASE_URL, MEDIA_DIR or SECRET_KEY (on PostgreSQL the database is the test server)."""
    monkeypatch.setenv("INSTANCE_PATH", str(instance))
    config = {
        "TESTING": True,
        "PROPAGATE_UNEXPECTED": False,
        "PUBLIC_BASE_URL": "https://xx.example.cn",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    if PG_URL:
        config["DATABASE_URL"] = PG_URL
    app = create_app(config)
    with app.app_context():
        db.connect(reuse_if_open=True)
        if PG_URL:
            _reset_postgres()
        schema.upgrade()
        db.close()
    return app


def test_an_app_with_its_instance_elsewhere_writes_nothing_beside_the_code(tmp_path, monkeypatch):
    beside_the_code = ROOT / "instance"
    before = _state(beside_the_code)
    instance = tmp_path / "var" / "xiaoxiang"
    app = _app_from_the_environment(monkeypatch, instance)

    assert app.instance_path == str(instance) == app.config["INSTANCE_PATH"]
    if not PG_URL:
        assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'xiaoxiang.db'}"
        assert (instance / "xiaoxiang.db").exists()
    assert app.config["MEDIA_DIR"] == str(instance / "media")
    assert (instance / "secret_key").read_text().strip() == app.config["SECRET_KEY"]

    with app.app_context():
        world = build(app)
        staff = console_login(app.test_client(), "secretary1")
        # a roster upload, kept between its check and its confirm
        header = ["街道", "社区", "网格", "街巷", "管家姓名", "手机号"]
        sheet = _xlsx([header, ["示范街道", "第1社区", "第1网格", "新巷", "李四", "13900002222"]])
        res = staff.post(
            "/console/roster",
            data={
                "csrf_token": csrf(staff, "/console/roster"),
                "file": (io.BytesIO(sheet), "花名册.xlsx"),
            },
            content_type="multipart/form-data",
        )
        assert res.status_code == 200 and "检查通过（未写入）" in res.get_data(as_text=True)
        assert len(list((instance / "roster-uploads").glob("*.xlsx"))) == 1
        # a print job's PDF
        c1 = world.d.communities[0]
        res = staff.post(
            "/console/boards/print",
            data={"csrf_token": csrf(staff, "/console/boards"), "area": str(c1.id)},
        )
        assert res.status_code == 302
        for thread in threading.enumerate():
            if thread.name.startswith("print-job-"):
                thread.join(120)
        job = PrintJob.get()
        assert job.status == "done" and (instance / "print-jobs" / job.file_name).exists()
        # a photo
        api = app.test_client()
        res = api.post(
            "/api/v1/media",
            data={"file": (io.BytesIO(_jpeg()), "x.jpg")},
            headers=login(api, "居民乙"),
            content_type="multipart/form-data",
        )
        assert res.status_code == 201, res.get_json()
        media = Media.get_by_id(res.get_json()["id"])
        assert (instance / "media" / media.sha256[:2]).is_dir()
        db.close()

    assert _state(beside_the_code) == before


def test_a_relative_instance_path_is_taken_from_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INSTANCE_PATH", "data/instance")
    app = create_app({"TESTING": True, "DATABASE_URL": PG_URL or "sqlite:///:memory:"})
    assert app.instance_path == str(tmp_path / "data" / "instance")
    assert (tmp_path / "data" / "instance" / "secret_key").exists()
