"""The WeCom group bot: where stewards act by replying in their community's group.

* `bot.push` — outbound: text (@ by phone), markdown and images to a group's robot webhook,
  split to the robot's limits and queued in the outbox (20 a minute per robot).
* `bot.adapters` — inbound: the Flask blueprint with the three callbacks, the WeCom smart bot
  (`bot.aibot`), the WeCom self-built app (`bot.wecom_app`) and the signed relay
  (`bot.bridge`); `bot.inbound` holds their shared checks (timestamp window, replays).
* `bot.engine` — maps the sender to a steward or staff member and runs the command.
* `bot.commands` — the commands (`帮助`, `待办`, `接单 N`, `办结 N 说明`, …), declared with
  `@command`, each calling the same workflow function as the API.

Chat groups themselves are managed in `core.groups` (CLI `groups`, API `/api/v1/groups`).
"""
