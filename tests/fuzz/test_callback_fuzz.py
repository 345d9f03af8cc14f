"""Probes against the three chat callbacks with malformed-but-signed bodies: hypothesis
builds messages whose every part may be of any JSON type (or any XML text), and they are
signed and encrypted correctly, so each passes the gate and its shape is what is on trial.

Each also carries extra query parameters with odd names and values (tests/odd_queries.py)
beside the signed ones. What must hold: never a 5xx (the answer is 200, an empty 200 or a
4xx), and nothing acts — no issue changes state, whatever arrives. Inside `make test` a fixed
seed and 25 cases each, on SQLite and PostgreSQL; `make fuzz` (scripts/fuzz.sh) runs them
with fresh seeds and `FUZZ_EXAMPLES` cases.
"""

from __future__ import annotations

import json
import os
import time
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Issue
from tests import chat_probes as probe
from tests.bot import fixtures as botfix
from tests.odd_queries import odd_query

# The bot's fixtures (tests/bot/fixtures.py), for the bot's own callbacks.
bot_app, world = botfix.bot_app, botfix.world

pytestmark = pytest.mark.fuzz  # make test-quick leaves these out

RANDOM = os.environ.get("FUZZ_RANDOM") == "1"  # make fuzz: a fresh seed every run
SETTINGS = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")) if RANDOM else 25,
    deadline=None,
    derandomize=not RANDOM,
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
SIGNED = ("msg_signature", "timestamp", "nonce", "echostr")
BRIDGE_KEYS = ["msg_id", "sender", "text", "chat_id", "images"]


def _statuses():
    return [(i.id, i.status, i.updated_at) for i in Issue.select().order_by(Issue.id)]


@SETTINGS
@given(st.dictionaries(st.sampled_from(AIBOT_KEYS), json_values, max_size=8), odd_query(SIGNED))
def test_smart_bot_bodies_of_any_shape(bot_app, world, message, query):
    before = _statuses()
    res = probe.aibot_post(bot_app.test_client(), json.dumps(message), extra_query=query)
    assert res.status_code in OK, (res.status_code, message)
    assert _statuses() == before


@SETTINGS
@given(st.dictionaries(st.sampled_from(BRIDGE_KEYS), json_values, max_size=5), odd_query(("ts",)))
def test_bridge_bodies_of_any_shape(bot_app, world, body, query):
    before = _statuses()
    body = {"ts": int(time.time()), **body}
    res = probe.bridge_post(bot_app.test_client(), json.dumps(body).encode(), extra_query=query)
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
@given(
    st.dictionaries(st.sampled_from(APP_TAGS), xml_part, max_size=7),
    st.booleans(),
    odd_query(SIGNED),
)
def test_app_bodies_of_any_shape(bot_app, world, fake_wechat, parts, broken, query):
    before = _statuses()
    inner = "".join(f"<{tag}>{value}</{tag}>" for tag, value in parts.items())
    plain = f"<xml>{inner}" + ("" if broken else "</xml>")
    res = probe.app_post(bot_app.test_client(), fake_wechat.corp_id, plain, extra_query=query)
    assert res.status_code in OK, (res.status_code, plain)
    assert _statuses() == before


# --- what the fuzzing found, kept -------------------------------------------------------------


@pytest.mark.parametrize("agent", ["<a>true</a>", "abc", "³", ""])
def test_app_message_with_an_odd_agent_id_is_still_answered(bot_app, world, fake_wechat, agent):
    """An AgentID of the wrong shape made the reply's rendering fail (500): found by
    test_app_bodies_of_any_shape once it drew its cases with odd query strings."""
    plain = (
        "<xml><MsgType>text</MsgType><FromUserName>wx_s0</FromUserName><Content>帮助</Content>"
        f"<MsgId>{len(agent)}</MsgId><AgentID>{agent}</AgentID></xml>"
    )
    res = probe.app_post(bot_app.test_client(), fake_wechat.corp_id, plain)
    assert res.status_code == 200 and b"<Encrypt>" in res.data, res.data[:200]
