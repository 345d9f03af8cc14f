"""The time bank (时间银行): the points and their rules, the exchange shop.

* `rules` — the catalogue of rules that add or deduct points (configuration, defaults from the
  programmes in the seeds: steward duty rules on issues, manual rules for staff);
* `postings` — passbooks and their append-only entries: the only place that writes points;
* `awards` — the duty points written where an issue changes (resolve, 随手做, rate, reopen,
  the overdue scan), once per key;
* `passbook` — reading passbooks (API, console, bot, assessment) and staff adjustments and
  reversals;
* `shop` — the exchange shop's shelf and redemptions (stock and points in one transaction).
"""
