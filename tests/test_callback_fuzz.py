"""Probes against the three chat callbacks with malformed-but-signed bodies: hypothesis
builds messages whose every part may be of any JSON type (or any XML text), and they are
signed and encrypted correctly, so each passes the gate and its shape is what is on trial.

What must hold: never a 5xx (the answer is 200, an empty 200 or a 4xx), and nothing acts —
no issue changes state, whatever arrives. Fixed seed, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import time
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Issue
from tests import chat_probes as probe
from tests import test_bot_commands as chatkit

pytestmark = pytest.mark.fuzz  # make test-quick leaves these out

bot_app, world = chatkit.bot_app, chatkit.world

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
OK = {200, 400, 403, 409}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["wx_s0", "text", "image", "mixed", "帮助", "接单", "\u200b", "\x00"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
AIBOT_KEYS = ["msgid", "msgtype", "from", "chatid", "chattype", "text", "image", "mixed"]
BRIDGE_KEYS = ["msg_id", "sender", "text", "chat_id", "images"]


def _statuses():
    return [(i.id, i.status, i.updated_at) for i in Issue.select().order_by(Issue.id)]


@SETTINGS
@given(st.dictionaries(st.sampled_from(AIBOT_KEYS), json_values, max_size=8))
def test_smart_bot_bodies_of_any_shape(bot_app, world, message):
    before = _statuses()
    res = probe.aibot_post(bot_app.test_client(), json.dumps(message))
    assert res.status_code in OK, (res.status_code, message)
    assert _statuses() == before


@SETTINGS
@given(st.dictionaries(st.sampled_from(BRIDGE_KEYS), json_values, max_size=5))
def test_bridge_bodies_of_any_shape(bot_app, world, body):
    before = _statuses()
    body = {"ts": int(time.time()), **body}
    res = probe.bridge_post(bot_app.test_client(), json.dumps(body).encode())
    assert res.status_code in OK, (res.status_code, body)
    assert res.is_json  # the bridge always answers JSON
    assert _statuses() == before


xml_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=10
)
xml_part = st.one_of(
    xml_text.map(escape),
    xml_text.map(lambda t: f"<a>{escape(t)}</a>"),
    st.sampled_from(["text", "image", "event", "", "<![CDATA[text]]>", "<b><c>1</c></b>"]),
)
APP_TAGS = ["MsgType", "FromUserName", "Content", "MsgId", "MediaId", "CreateTime", "AgentID"]


@SETTINGS
@given(st.dictionaries(st.sampled_from(APP_TAGS), xml_part, max_size=7), st.booleans())
def test_app_bodies_of_any_shape(bot_app, world, fake_wechat, parts, broken):
    before = _statuses()
    inner = "".join(f"<{tag}>{value}</{tag}>" for tag, value in parts.items())
    plain = f"<xml>{inner}" + ("" if broken else "</xml>")
    res = probe.app_post(bot_app.test_client(), fake_wechat.corp_id, plain)
    assert res.status_code in OK, (res.status_code, plain)
    assert _statuses() == before
