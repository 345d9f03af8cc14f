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
* `core.timebank` — the time bank: points postings, rules, adjustments, the exchange shop.
* `core.volunteering` — volunteers, activities, service records and certificates, gradings.
* `core.households` — 民情联系卡 and 一人一策: households, plans, visits (private).
* `core.units` — handling units (departments, property companies): 吹哨, 报到, their members.
* `core.observability` — request ids, metrics, health, job runs, logs.

Beside them: `schema` (migrations), `audit`, `ratelimit`, `runs` (run keys), `media` (uploaded
photos), `faults` (our own faults as 503s), `pools` (worker pools), `backup`, and `demo` (the
demo district, built through the real services). The infrastructure below the models (the
database, the clock, settings, errors, text) is the `infra` package.
"""
