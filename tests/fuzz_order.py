"""A pytest plugin for `make fuzz` (scripts/fuzz.sh runs pytest with `-p tests.fuzz_order`):
each round runs its tests in a new random order, drawn from FUZZ_ORDER_SEED, so a round the
deadline stops has still fuzzed operations from all over the API rather than always the first
ones of the OpenAPI document. The tests of one module stay together: their module-scoped
world (a district, five logins) is built once a round, not once per test."""

from __future__ import annotations

import os
import random


def pytest_collection_modifyitems(session, config, items):
    rng = random.Random(os.environ.get("FUZZ_ORDER_SEED", "0"))
    modules: dict[str, list] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    for group in modules.values():
        rng.shuffle(group)
    items[:] = [item for group in modules.values() for item in group]
