"""The time bank (时间银行): the points ledger and its rules, the exchange shop.

* `rules` — the catalogue of rules that add or deduct points (configuration, defaults from the
  programmes in the seeds);
* `ledger` — passbooks and their append-only entries: the only place that writes points.
"""
