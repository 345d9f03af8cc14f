"""Every bot test may use the bot's fixtures (tests/bot/fixtures.py): `bot_app`, `chat` over each
WeCom channel in turn, and `world`. Tests elsewhere import them from there."""

from tests.bot.fixtures import bot_app, chat, world  # noqa: F401
