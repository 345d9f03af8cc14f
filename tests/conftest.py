"""Fixtures: an app on a fresh database per test (SQLite file, or PostgreSQL when
`TEST_DATABASE_URL` is set), its client and CLI runner, and the fake WeChat server; the shared
worlds a test file starts from (`district_world`, `neighbours`, the console's `capp` and
`every_page_world`; build others with `tests.factories.make_world`)."""

from __future__ import annotations

import os

import pytest

from infra import config as app_config

# The developer's shell must not leak into tests (e.g. a real WECHAT_APPID).
for _key in app_config.DEFAULTS:
    os.environ.pop(_key, None)

from app import create_app  # noqa: E402
from core import schema  # noqa: E402
from infra.db import db  # noqa: E402
from models import Department  # noqa: E402
from tests.console_world import build, every_page  # noqa: E402
from tests.factories import make_world  # noqa: E402
from tests.fake_wechat import FakeWeChat  # noqa: E402

PG_URL = os.environ.get("TEST_DATABASE_URL")


def _reset_postgres() -> None:
    db.execute_sql("DROP SCHEMA public CASCADE")
    db.execute_sql("CREATE SCHEMA public")


def make_app(tmp_path, **overrides):
    cfg = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": PG_URL or f"sqlite:///{tmp_path / 'test.db'}",
        "MEDIA_DIR": str(tmp_path / "media"),
        "SECRET_KEY": "test-secret",
        "PUBLIC_BASE_URL": "https://xx.example.cn",
        "PROPAGATE_UNEXPECTED": False,
        # scrypt costs ~0.6 s a hash: most tests log staff in, and mutation testing runs them
        # thousands of times. Verification reads the method from the stored hash.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    cfg.update(overrides)
    app = create_app(cfg)
    with app.app_context():
        db.connect(reuse_if_open=True)
        if PG_URL:
            _reset_postgres()
        schema.upgrade()
        db.close()
    return app


@pytest.fixture
def fake_wechat():
    with FakeWeChat() as fake:
        yield fake


@pytest.fixture
def app(tmp_path):
    """Offline mode (no WECHAT_APPID), like a fresh `make run`."""
    application = make_app(tmp_path)
    with application.app_context():
        yield application
    if not db.is_closed():
        db.close()


@pytest.fixture
def online_app(tmp_path, fake_wechat):
    """Online mode, every WeChat call going to the fake server."""
    application = make_app(
        tmp_path,
        WECHAT_APPID=fake_wechat.appid,
        WECHAT_SECRET=fake_wechat.secret,
        WECHAT_API_BASE=fake_wechat.base_url,
        WECOM_API_BASE=fake_wechat.base_url,
    )
    with application.app_context():
        yield application
    if not db.is_closed():
        db.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="module")
def every_page_world(tmp_path_factory):
    """(app, the console's world, every page of the app in it), built once per test module."""
    app = make_app(tmp_path_factory.mktemp("every-page"))
    with app.app_context():
        w = build(app)
        yield app, w, every_page(app, w)
    if not db.is_closed():
        db.close()


@pytest.fixture
def capp(tmp_path):
    """The console's app over plain http (PUBLIC_BASE_URL http://xx.example.cn, so its session
    cookie is not marked Secure), inside its app context."""
    app = make_app(tmp_path, PUBLIC_BASE_URL="http://xx.example.cn")
    with app.app_context():
        yield app
    if not db.is_closed():
        db.close()


@pytest.fixture
def district_world(client):
    """One district and its everyday cast: two residents (张大妈, 李大爷), the first alley's
    steward, the first community's staff, the street's admin, and a department of the street;
    "board" is the first alley's board code."""
    w = make_world(
        client,
        residents={"resident": "张大妈", "neighbour": "李大爷"},
        stewards={"steward": 0},
        staff={"staff": 0},
        admins={"admin": None},
    )
    w["board"] = w["d"].boards[0].code
    w["dept"] = Department.create(area=w["d"].street, name="城管执法中队", phone="12319")
    return w


@pytest.fixture
def neighbours(client):
    """Community X (alleys A, B) and Y (alleys C, D); a steward each; staff of X and of Y.

    The people nearest to being allowed: a test of a refusal acts as the next alley's steward
    or the next community's staff (`tests.factories.report_issue`, `open_wish` build on it)."""
    return make_world(
        client,
        residents={"resident": "张大妈", "volunteer": "志愿者小李"},
        stewards={"steward_a": 0, "steward_b": 1, "steward_c": 2},
        staff={"staff_x": 0, "staff_y": 1},
    )


def pytest_collection_modifyitems(config, items):
    """Under `make mutate` only: run tests with module-scoped fixtures last.

    mutmut runs a mutant's tests fastest-first by their measured call time, which leaves out
    fixtures; a module-scoped world (tests/api/test_row_scoping.py builds two streets of rows) is
    charged to no test and so comes first, and every mutant would pay for it before reaching
    the tests that kill it. Moving such tests to the end (keeping their order) changes no
    result, only how soon a killed mutant stops. `make test` is not affected."""
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return

    def shares_a_fixture(item) -> bool:
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info else ()
        # Our own fixtures only: pytest's session-scoped ones (tmp_path_factory) are everywhere.
        return any(d[-1].scope != "function" and d[-1].baseid.startswith("tests") for d in defs)

    items.sort(key=shares_a_fixture)
