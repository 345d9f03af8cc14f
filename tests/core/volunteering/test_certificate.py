"""The 志愿服务记录证明 PDF: only certified hours of the period, several pages with the table
header repeated, and a total that reads back from the file's text."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from pypdf import PdfReader

from core.people.permissions import Principal
from core.volunteering import activities, certificate, records, volunteers
from infra.errors import ApiError
from models import User
from tests.factories import login, login_staff, make_district, make_staff

API = "/api/v1"
DAY0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 Beijing time


def pdf_text(data: bytes) -> list[str]:
    """Each page's text. pypdf reads fpdf2's embedded CID encoding of CFF (.otf) fonts one byte
    at a time and leaves a NUL before each character; the characters themselves are right."""
    reader = PdfReader(io.BytesIO(data))
    return [page.extract_text().replace("\x00", "") for page in reader.pages]


@pytest.fixture
def world(client):
    d = make_district()
    staff = make_staff(d.communities[0])
    vol = login(client, "志愿者欧阳")
    user = User.get(User.openid == "dev:志愿者欧阳")
    return {
        "d": d,
        "staff": login_staff(client, staff),
        "staff_p": Principal.for_user(staff.user),
        "vol": vol,
        "vol_p": Principal.for_user(user),
        "other": login(client, "别人"),
    }


def _attend(w, n: int, minutes: int = 90) -> list[int]:
    """n activities on n days, each attended for `minutes`; returns the record ids."""
    c1 = w["d"].communities[0]
    ids = []
    for i in range(n):
        start = DAY0 + timedelta(days=i)
        with time_machine.travel(start - timedelta(days=1), tick=False):
            act = activities.publish(
                w["staff_p"],
                c1.id,
                f"社区环境整治第{i + 1}期",
                "中心广场",
                start,
                start + timedelta(hours=2),
                10,
            )
            activities.signup(w["vol_p"], act.id)
        with time_machine.travel(start, tick=False):
            activities.check_in(w["vol_p"], act.id)
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            _, record = activities.check_out(w["vol_p"], act.id)
        ids.append(record.id)
    return ids


def test_certificate_lists_certified_hours_over_several_pages(client, world):
    w = world
    c1 = w["d"].communities[0]
    volunteers.register(w["vol_p"], c1.id, "欧阳娜娜", "13800003333")
    ids = _attend(w, 45)
    res = client.post(f"{API}/service-records/certify", json={"ids": ids[:40]}, headers=w["staff"])
    assert res.status_code == 200 and len(res.get_json()["certified"]) == 40
    # one certified record corrected: it and its reversal drop out of the certificate
    res = client.post(
        f"{API}/service-records/{ids[0]}/corrections",
        json={"reason": "重复登记"},
        headers=w["staff"],
    )
    assert res.status_code == 201
    with time_machine.travel(datetime(2026, 6, 1, 2, tzinfo=UTC), tick=False):
        res = client.get(
            f"{API}/service-records/certificate.pdf?date_from=2026-01-01&date_to=2026-05-31",
            headers=w["vol"],
        )
    assert res.status_code == 200, res.get_json()
    assert res.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in res.headers["Content-Disposition"]
    pages = pdf_text(res.data)
    assert len(pages) >= 2
    text = re.sub(r"\s+", " ", "".join(pages))  # lines wrap where the page is full
    # 39 certified records of 1.5 h (1 h 30 min); the 5 pending ones are not certified
    assert "合计：58.5 小时" in text
    assert "共 39 条" in text
    assert "欧阳娜娜" in pages[0] and "志愿服务记录证明" in pages[0]
    for page in pages[:-1]:
        assert "服务日期" in page and "认证人" in page  # the header on every page
    assert text.count("社区环境整治第") == 39
    assert "社区环境整治第1期" not in text  # the corrected one
    assert "出具单位（盖章）：第1社区" in text and "出具日期：2026年6月1日" in text
    assert "民政部令第67号" in text
    # the total read back equals the certified hours the API reports
    listed = client.get(
        f"{API}/service-records?status=certified&per_page=100", headers=w["vol"]
    ).get_json()
    assert listed["total_hours"] == 58.5
    assert re.search(r"合计 58\.5 小时", text)


def test_no_certified_records_no_certificate(client, world):
    w = world
    c1 = w["d"].communities[0]
    volunteers.register(w["vol_p"], c1.id, "欧阳娜娜", "13800003333")
    _attend(w, 1)
    res = client.get(f"{API}/service-records/certificate.pdf", headers=w["vol"])
    assert res.status_code == 404
    assert res.get_json()["error"]["code"] == "no_certified_records"
    res = client.get(
        f"{API}/service-records/certificate.pdf?date_from=2026-05-01&date_to=2026-04-01",
        headers=w["vol"],
    )
    assert res.get_json()["error"]["fields"] == {"date_from": "不能晚于结束日期"}
    assert client.get(f"{API}/service-records/certificate.pdf").status_code == 401


def test_another_person_gets_only_their_own_certificate(client, world):
    w = world
    c1 = w["d"].communities[0]
    volunteers.register(w["vol_p"], c1.id, "欧阳娜娜", "13800003333")
    ids = _attend(w, 1)
    records.certify(w["staff_p"], ids[0])
    res = client.get(
        f"{API}/service-records/certificate.pdf?date_from=2026-01-01", headers=w["other"]
    )
    assert res.status_code == 404


def test_the_font_is_checked_for_every_character(tmp_path):
    with pytest.raises(ApiError) as caught:
        certificate.pick_font("志愿", candidates=[(str(tmp_path / "none.otf"), 0)])
    assert caught.value.status == 503 and "fonts-noto-cjk" in caught.value.message
    # a name outside the shipped subset falls through to a font that has it
    path, _ = certificate.pick_font("龘")
    assert "subset" not in path
