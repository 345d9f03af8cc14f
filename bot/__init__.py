"""The WeCom group bot: where stewards act by replying in their community's group.

* `bot.adapters` — inbound: the Flask blueprint with the three callbacks, the WeCom smart bot
  (`bot.aibot`), the WeCom self-built app (`bot.wecom_app`) and the signed relay
  (`bot.bridge`); `bot.inbound` holds their shared checks (timestamp window, replays).
* `bot.identity` — maps the sender to a steward or staff member; `绑定 CODE`.
* `bot.engine` — runs one message: photos, the command, the reply.
* `bot.commands` — the commands (`帮助`, `待办`, `接单 N`, `办结 N 说明`, …), declared with
  `@command`, each calling the same workflow function as the API.

The bot only listens and answers. Pushing to a group (new items, reminders, the daily report)
is `core.delivery.robot`, and the chat groups themselves are `core.delivery.groups` (CLI
`groups`, API `/api/v1/groups`).
"""
