"""The three chat callbacks on one blueprint, registered by `app.create_app`.

`/bot/wecom/aibot` (`bot.aibot`), `/bot/wecom/app` (`bot.wecom_app`), `/bot/bridge`
(`bot.bridge`): GET is each one's verification handshake, POST a message. All of them feed
`bot.engine.handle`.
"""

from __future__ import annotations

from flask import Blueprint

from bot import aibot, bridge, wecom_app

blueprint = Blueprint("bot", __name__, url_prefix="/bot")
blueprint.add_url_rule(
    "/wecom/aibot", "aibot", aibot.callback, methods=["GET", "POST"], strict_slashes=False
)
blueprint.add_url_rule(
    "/wecom/app", "wecom_app", wecom_app.callback, methods=["GET", "POST"], strict_slashes=False
)
blueprint.add_url_rule(
    "/bridge", "bridge", bridge.callback, methods=["GET", "POST"], strict_slashes=False
)
