"""The bot tests' fixtures: the app with WeCom callbacks configured and WeCom pointed at the fake
(`bot_app`), a chat over each channel in turn (`chat`), and a district with two bound stewards,
staff and a department (`world`); and `online_bot_app`, for a fixture of an app that is online
everywhere (the mini program, the callbacks and the self-built app's private messages)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from models import Department, Steward
from tests.bot.clients import CLIENTS, bot_config
from tests.conftest import make_app
from tests.factories import make_district, make_staff


@pytest.fixture
def bot_app(tmp_path, fake_wechat):
    """Offline for the mini program (no appid), WeCom callbacks configured, WeCom → the fake."""
    application = make_app(tmp_path, **bot_config(fake_wechat))
    with application.app_context():
        yield application


@pytest.fixture(params=sorted(CLIENTS))
def chat(request, bot_app, fake_wechat):
    return CLIENTS[request.param](bot_app.test_client(), fake_wechat)


@pytest.fixture
def world(bot_app):
    d = make_district()
    s0, s1 = d.stewards[0], d.stewards[1]  # 1区1巷 and 1区2巷, both in 第1社区
    Steward.update(wecom_userid="wx_s0").where(Steward.id == s0.id).execute()
    Steward.update(wecom_userid="wx_s1").where(Steward.id == s1.id).execute()
    staff = make_staff(d.communities[0])
    Department.create(area=d.street, name="城管")
    return {"district": d, "s0": s0, "s1": s1, "staff": staff}


@contextmanager
def online_bot_app(tmp_path, fake, **extra):
    """An app online against the fake: the mini program, the WeCom callbacks and the
    self-built app (private messages), with `extra` settings on top."""
    settings = bot_config(
        fake,
        WECHAT_APPID=fake.appid,
        WECHAT_SECRET=fake.secret,
        WECOM_AGENT_ID=str(fake.agent_id),
        **extra,
    )
    application = make_app(tmp_path, **settings)
    with application.app_context():
        yield application
