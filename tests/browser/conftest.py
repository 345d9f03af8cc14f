"""Fixtures of the browser tests: Chromium with every page watched for CSP violations
(`chromium`, `browser`: defined in test_scan_browser.py, which the tests outside this folder
import them from) and `live`, the console's world (tests/console_world.py) served on a free
local port. test_scan_browser.py has its own `live` (a bare district), which wins there."""

from __future__ import annotations

import pytest

from tests.browser.helpers import serving
from tests.browser.test_scan_browser import browser, chromium  # noqa: F401  (fixtures)
from tests.conftest import make_app
from tests.console_world import build


@pytest.fixture
def live(tmp_path):
    """(app, base_url, world): the app served on 127.0.0.1:<free port> in a thread."""
    app = make_app(tmp_path)
    with app.app_context():
        world = build(app)
        with serving(app) as base:
            yield app, base, world
