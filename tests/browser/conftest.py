"""Fixtures of the browser tests: Chromium with every page watched for CSP violations
(`chromium`, `browser`: defined in test_scan_browser.py, which the tests outside this folder
import them from) and `live`, the console's world served on a free local port
(tests/live.py). test_scan_browser.py has its own `live` (a bare district), which wins there."""

from __future__ import annotations

import pytest

from tests.browser.test_scan_browser import browser, chromium  # noqa: F401  (fixtures)
from tests.live import console_live  # noqa: F401  (fixture)


@pytest.fixture
def live(console_live):  # noqa: F811  (the fixture imported above)
    """(app, base_url, world): tests/live.py's `console_live`."""
    return console_live
