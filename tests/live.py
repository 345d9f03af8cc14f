"""The app served over real HTTP on a free local port, for the tests that need a real client:
a browser (tests/browser/, the console's browser tests elsewhere), or requests racing each
other on their own server threads and pooled database connections. `serving(app)` for any app;
`console_live`, the fixture of the console's world served so (tests/browser/conftest.py names
it `live`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from infra.db import db
from tests.conftest import make_app
from tests.console_world import build


@contextmanager
def serving(app, close_db: bool = False) -> Iterator[str]:
    """The app on 127.0.0.1:<free port> in a threaded server: yields the base URL. On leaving,
    the server stops, the board PDFs still printing in their own threads are waited for (the
    test's database must outlive them), and with `close_db` the connection of the calling
    thread is closed (a fixture that opened it for the test)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        for t in threading.enumerate():
            if t.name.startswith("print-job-"):
                t.join(timeout=120)
        if close_db and not db.is_closed():
            db.close()


@pytest.fixture
def console_live(tmp_path):
    """(app, base_url, world): the console's world (tests/console_world.py) served on a free
    local port."""
    app = make_app(tmp_path)
    with app.app_context():
        world = build(app)
        with serving(app, close_db=True) as base:
            yield app, base, world
