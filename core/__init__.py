"""The services every front end calls: the rules, the state changes and the figures.

The API (`miniprogram_api`), the web pages (`web`), the group bot (`bot`) and the scheduler
(`jobs`) all call these; none of them changes state on its own. One folder per domain:

* `core.items` — issues (诉求), wishes (微心愿), patrols; content checks; who hears of a change;
  the views of an item each person may see.
* `core.people` — the area tree, the roster, logins and bind codes, permissions, phone rules.
* `core.delivery` — everything that leaves the system: the outbox, subscribe messages, the
  WeChat/WeCom clients, chat groups and pushes through their robots.
* `core.figures` — numbers: the daily report, statistics, the ledger, assessment, points.
* `core.boards` — signboards: codes, reprints, the printed board, the public board view.

Infrastructure stays at the top: `config`, `db`, `schema`, `errors`, `timeutil`, `audit`,
`ratelimit`, `runs` (run keys), `codes` (short random codes), `text`, `media` (uploaded
photos), and `demo` (the demo district, built through the real services).
"""
