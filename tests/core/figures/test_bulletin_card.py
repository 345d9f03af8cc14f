"""The monthly bulletin's image card for the street leaders' group (`core.figures.bulletin_card`):
its size follows the longer of the two boards, and it is a JPEG a group can show."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from PIL import Image

from core.figures import bulletin, bulletin_card
from core.figures.bulletin import Month
from tests.factories import make_district

SH = ZoneInfo("Asia/Shanghai")


def test_a_quiet_months_card_is_a_jpeg_of_the_groups_width_without_boards_to_fill(app):
    with time_machine.travel(datetime(2026, 10, 1, 9, tzinfo=SH), tick=False):
        d = make_district(communities=2, alleys_per_community=1)
    with time_machine.travel(datetime(2026, 12, 1, 9, 30, tzinfo=SH), tick=False):
        b = bulletin.build(d.street, Month(2026, 11))
        data = bulletin_card.image(b)
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG" and img.size[0] == 1080
