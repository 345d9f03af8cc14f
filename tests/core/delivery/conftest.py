"""The fake WeChat server on a free port, for the tests of the fake itself (`fake`)."""

from __future__ import annotations

import pytest

from tests.fake_wechat import FakeWeChat


@pytest.fixture
def fake():
    with FakeWeChat() as server:
        yield server
