"""Configuration: defaults, then `instance/config.py`, then the environment, then test overrides."""

from __future__ import annotations

import copy
import os
import secrets
from pathlib import Path

DEMO_BRIDGE_SECRET = "xiaoxiang-demo"
# Where `serve` (the single-process demo server of `make run`) listens unless told otherwise.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000

# Files shipped with the code (fonts, the offline word list), beside `core/`.
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"

# Every setting the contract names, with its default. `None` means "not configured".
DEFAULTS: dict[str, object] = {
    # Where the install's own files go (below): from the environment only, since it says where
    # instance/config.py is. Unset: `instance/` beside app.py.
    "INSTANCE_PATH": None,
    "DATABASE_URL": None,  # filled in from the instance path when unset
    "SECRET_KEY": None,
    # What the board QR codes and every printed link point at. Unset: where the demo server
    # listens on this machine (`local_base_url`; `serve --port` and `seed-demo --port` change it).
    "PUBLIC_BASE_URL": None,
    "TZ": "Asia/Shanghai",
    "MEDIA_DIR": None,  # instance/media when unset
    "WECHAT_APPID": None,
    "WECHAT_SECRET": None,
    "WECHAT_API_BASE": "https://api.weixin.qq.com/",
    "WECOM_API_BASE": "https://qyapi.weixin.qq.com/",
    "WECOM_CORP_ID": None,
    "WECOM_TOKEN": None,
    "WECOM_AES_KEY": None,
    "WECOM_AIBOT_TOKEN": None,
    "WECOM_AIBOT_AES_KEY": None,
    "BRIDGE_SECRET": None,
    # Extensions (documented in docs/operations.md).
    "TOKEN_TTL_DAYS": 30,
    "BIND_CODE_TTL_HOURS": 72,
    "PASSWORD_ATTEMPTS": 10,  # console password tries per client per 15 minutes
    "MAX_UPLOAD_BYTES": 10 * 1024 * 1024,
    "MAX_IMAGE_PIXELS": 40_000_000,
    "IMAGE_MAX_SIDE": 2560,
    "THUMB_MAX_SIDE": 360,
    "WECHAT_TIMEOUT": 5,
    # Issue categories (DOMAIN: 九跟进 / 六类服务) and each one's default "2310" tier.
    "ISSUE_CATEGORIES": {
        "环境卫生": "ordinary",
        "车辆乱停": "ordinary",
        "私拉电线/安全隐患": "important",
        "设施损坏": "ordinary",
        "邻里纠纷": "ordinary",
        "助老帮残": "ordinary",
        "治安巡防": "important",
        "政策咨询": "ordinary",
        "其他": "ordinary",
    },
    # Categories whose content and photos never appear on a public board (only "一件邻里纠纷（内容
    # 不公开）"): the neighbours involved can be recognised from the text.
    "PRIVATE_CATEGORIES": ["邻里纠纷"],
    # The "2310" rule: days to resolve per tier.
    "DEADLINE_DAYS": {"ordinary": 2, "important": 3, "major": 10},
    # handling units (core.units): 报到 due within these hours of a whistle; the longest
    # extension a unit may ask for at once
    "UNIT_CHECKIN_HOURS": 24,
    "UNIT_EXTENSION_MAX_DAYS": 10,
    # 关怀提醒 (core.households.care_alerts): a steward with households still unanswered this
    # many hours after the alert is reminded, once (0: never)
    "CARE_REMINDER_HOURS": 6,
    "SIMILAR_WINDOW_DAYS": 3,
    "REOPEN_WINDOW_DAYS": 7,
    # 回访 (core.items.callbacks): a closed item its resident has not rated this many days after
    # it was closed joins the callback list, and leaves it (not called) this many days after it
    # was closed; 未接通 may be tried this many times in all; the sample rule a street has not
    # set (percent of the month's closed items, per steward).
    "CALLBACK_AFTER_DAYS": 3,
    "CALLBACK_WITHIN_DAYS": 30,
    "CALLBACK_MAX_ATTEMPTS": 3,
    "CALLBACK_SAMPLE_PERCENT": 100,
    "CALLBACK_SAMPLE_PER_STEWARD": 0,
    # Subscribe-message template for "your item changed" and which template keys hold what.
    "SUBSCRIBE_TEMPLATE_STATUS": None,
    "SUBSCRIBE_FIELDS": {
        "number": "character_string1",
        "title": "thing2",
        "status": "phrase3",
        "time": "time4",
        "note": "thing5",
    },
    "SUBSCRIBE_PAGE": "pages/item/item",
    "SUBSCRIBE_MINIPROGRAM_STATE": "formal",  # formal | trial | developer
    # Outbox delivery.
    "OUTBOX_MAX_ATTEMPTS": 8,
    "OUTBOX_BACKOFF_SECONDS": 30,
    "OUTBOX_BACKOFF_MAX_SECONDS": 3600,
    "OUTBOX_LEASE_SECONDS": 60,
    "OUTBOX_INTERVAL_SECONDS": 5,
    # The scheduler: one active process (lease), the daily report, reminders, assessment.
    "SCHEDULER_LEASE_SECONDS": 45,
    "SCHEDULER_HEARTBEAT_SECONDS": 15,
    "REPORT_TIME": "08:30",
    "REPORT_CUTOFF": "12:00",
    "RESPONSE_HOURS": 24,
    # The street's league table (core/figures/league.py): a community or unit with fewer items
    # than this in the period is listed but not ranked.
    "RANKING_MIN_VOLUME": 10,
    "REMINDER_INTERVAL_MINUTES": 15,
    "DUE_SOON_HOURS": 12,
    "WISH_REVIEW_HOURS": 24,
    "WISH_UNCLAIMED_DAYS": 3,
    "WISH_UNFULFILLED_DAYS": 7,
    "AUTOCLOSE_DAYS": 7,
    "ASSESSMENT_TIME": "06:00",
    "ASSESSMENT_WEIGHTS": {
        "satisfaction": 0.35,
        "resolution": 0.2,
        "timeliness": 0.2,
        "patrol": 0.15,
        "wishes": 0.1,
    },
    "ASSESSMENT_TIERS": {"优秀": 85, "称职": 60},  # lower bounds; below the last: 不称职
    "ASSESSMENT_WISHES_FULL_MARKS": 3,  # wishes fulfilled in a quarter for full marks
    # The street's monthly bulletin (core/figures/bulletin.py): the weights of its score, the
    # volume below which a community or unit is listed but not ranked, how many lines the
    # 红榜 and 待改进 show, and when on the 1st it is sent (after the daily report).
    "BULLETIN_WEIGHTS": {"response": 0.1, "on_time": 0.2, "resolution": 0.35, "satisfaction": 0.35},
    "BULLETIN_HONOUR_SIZE": 3,
    "BULLETIN_TIME": "09:30",
    # Boards that report their own health (core/boards/health.py): a board is flagged when
    # its scans stop (at least BOARD_ACTIVE_WEEKLY_SCANS a week for BOARD_ACTIVE_WEEKS weeks,
    # then none for BOARD_QUIET_DAYS days) or never start (BOARD_START_DAYS after it was put
    # up); 牌子好的 clears the flag for BOARD_OK_DAYS days. Checked daily at BOARD_HEALTH_TIME.
    "BOARD_QUIET_DAYS": 14,
    "BOARD_ACTIVE_WEEKS": 4,
    "BOARD_ACTIVE_WEEKLY_SCANS": 3,
    "BOARD_START_DAYS": 30,
    "BOARD_OK_DAYS": 30,
    "BOARD_HEALTH_TIME": "10:00",
    # Offline content check (online mode asks WeChat's msgSecCheck v2).
    "SENSITIVE_WORDS": [],
    # The group bot: callbacks, photos (bot/).
    # The self-built app: its secret lets the bot fetch photos sent to it; with the agent id
    # too (and WECOM_CORP_ID) it sends what is private to one person (core.delivery.private).
    "WECOM_SECRET": None,
    "WECOM_AGENT_ID": None,
    "BOT_TIMESTAMP_WINDOW_SECONDS": 300,  # callbacks older or newer than this are refused
    "BOT_NAME": "小巷管家",  # the smart bot's name in groups: "@小巷管家 接单 12"
    "BOT_PHOTO_WINDOW_SECONDS": 120,  # a photo this close to `办结 N` is its proof
    "AIBOT_REPLY_BUDGET_SECONDS": 4,  # slower smart-bot replies go out through the outbox
    # A record the group bot proposes from a steward's words (issue 32) waits this long for 是.
    "LEDGER_PROPOSAL_MINUTES": 30,
    # The time bank's rules (core/timebank/rules.py): {code: {"points": N, "label": "…",
    # "unit": "…", "manual": bool}} overrides or extends the defaults written from the seeds.
    "TIMEBANK_RULES": {},
    # Maker-checker (core/timebank/adjustments.py): a staff adjustment of more points than this,
    # either way, waits for a second staff member's approval before it counts.
    "POINTS_APPROVAL_THRESHOLD": 50,
    # Volunteers and service records (core/volunteering/): the hours a fulfilled wish and a patrol day
    # count for (staff may change them before certifying), the check-in window around an
    # activity, and the year-end grading's lower bounds in certified hours (below the last: 差;
    # Zaozhuang asks at least 10 hours a year of an in-service party member).
    "SERVICE_HOURS": {"wish": 1.0, "patrol": 1.0},
    "SERVICE_CHECKIN_EARLY_MINUTES": 30,
    "SERVICE_CHECKOUT_LATE_MINUTES": 120,
    "SERVICE_GRADE_THRESHOLDS": {"好": 40, "较好": 20, "一般": 10},
    # 包联户 (core/households): the tags a household card can carry, in the order shown.
    "HOUSEHOLD_TAGS": [
        "独居老人",
        "空巢老人",
        "高龄老人",
        "残疾",
        "重病",
        "留守儿童",
        "困境儿童",
        "低保",
        "特困",
        "优抚对象",
    ],
    # The scan page (/b/<code>): rate limits per client, client address behind a proxy.
    "TRUST_PROXY_HEADERS": False,  # take the client from X-Forwarded-For (only behind a proxy)
    # How many proxies of yours append to X-Forwarded-For (nginx alone: 1; a CDN then nginx: 2).
    # The client is the entry that many places from the right; see docs/security.md.
    "TRUSTED_PROXY_HOPS": 1,
    "SCAN_SUBMIT_LIMIT": 5,  # report/wish submissions per client and window
    "SCAN_SUBMIT_WINDOW_SECONDS": 600,
    "SCAN_LOOKUP_LIMIT": 5,  # find-my-items look-ups by phone per client and window
    "SCAN_LOOKUP_WINDOW_SECONDS": 3600,
    # WeChat "scan ordinary link opens mini program": the ownership file WeChat hands out.
    "WECHAT_VERIFY_FILE_NAME": None,  # e.g. "AZdYikN6R7.txt"
    "WECHAT_VERIFY_FILE_CONTENT": None,
    # Speed (docs/operations.md, docs/mechanisms.md): pooled connections per process
    # (PostgreSQL; SQLite has no cap), how long a board's public view is reused, how often scan
    # counts are written.
    "DATABASE_POOL_SIZE": 20,
    "DATABASE_SERVER_PREPARE": True,  # PostgreSQL: compiled queries as prepared statements
    "BOARD_CACHE_SECONDS": 5,
    "LIST_CACHE_SECONDS": 5,  # the lists of a first screen (core.items.list_cache)
    "PRINCIPAL_CACHE_SECONDS": 1,  # a resident's token on reads (core.people.auth)
    "SCAN_FLUSH_SECONDS": 3,
    # Operations (README "Operations", core/observability): who may read /metrics — a scraper
    # sending `Authorization: Bearer <METRICS_TOKEN>`, or one at an address in METRICS_ALLOW
    # (comma-separated IPs or CIDR networks); with neither set /metrics is 404. One JSON line
    # per log record with LOG_FORMAT=json (else the human text format). Error reports to
    # Sentry when SENTRY_DSN is set.
    "METRICS_TOKEN": None,
    "METRICS_ALLOW": None,
    "LOG_FORMAT": "text",
    "SENTRY_DSN": None,
    # A drawing process pool (the morning's cards, `boards`) that hands back nothing for this
    # long is taken as stuck: its workers are killed and the job fails, to be retried.
    "POOL_TIMEOUT_SECONDS": 120,
    # How console passwords are hashed (werkzeug's method string). scrypt is deliberately slow;
    # the tests use a cheap method so that each test's staff login does not cost a second.
    "PASSWORD_HASH_METHOD": "scrypt",
}

INT_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, int) and not isinstance(v, bool)}
BOOL_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, bool)}
# Structured settings come from instance/config.py only, never from the environment.
ENV_KEYS = [k for k, v in DEFAULTS.items() if not isinstance(v, (dict, list))]


def instance_path(test_config: dict | None = None) -> str | None:
    """The instance folder — the secret key, the default SQLite database and media folder, the
    console's uploads and print files — from `INSTANCE_PATH` (test configuration, else the
    environment) as an absolute path, or None for Flask's default, `instance/` beside
    `app.py`. Setting it lets the code's directory be read-only."""
    value = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH")
    return str(Path(value).expanduser().resolve()) if value else None


def load(app, test_config: dict | None = None) -> None:
    """Fill `app.config` in the documented order of precedence."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.update(copy.deepcopy(DEFAULTS))
    app.config.from_pyfile("config.py", silent=True)
    for key in ENV_KEYS:
        value = os.environ.get(key)
        if value not in (None, ""):
            if key in BOOL_KEYS:
                value = value.strip().lower() in ("1", "true", "yes", "on")
            app.config[key] = int(value) if key in INT_KEYS else value
    if test_config:
        app.config.update(test_config)
    app.config["INSTANCE_PATH"] = app.instance_path  # what was used, whatever the source

    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'xiaoxiang.db'}"
    if not app.config["MEDIA_DIR"]:
        app.config["MEDIA_DIR"] = str(instance / "media")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(instance)
    # Unset, links follow the demo server (`listening_at`); set, they never move.
    app.config["PUBLIC_BASE_URL_SET"] = bool(app.config["PUBLIC_BASE_URL"])
    if app.config["PUBLIC_BASE_URL_SET"]:
        app.config["PUBLIC_BASE_URL"] = str(app.config["PUBLIC_BASE_URL"]).rstrip("/")
    else:
        app.config["PUBLIC_BASE_URL"] = local_base_url(DEFAULT_HOST, DEFAULT_PORT)
    # Offline mode is derived, never set: it cannot be on while an appid is configured.
    app.config["OFFLINE"] = not app.config["WECHAT_APPID"]
    # Offline mode is a demo: its relay secret is a published one, so the 试一试 example of
    # `seed-demo` works as printed. Online, an unset BRIDGE_SECRET keeps the relay closed.
    if app.config["OFFLINE"] and not app.config["BRIDGE_SECRET"]:
        app.config["BRIDGE_SECRET"] = DEMO_BRIDGE_SECRET
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_BYTES"]) + 256 * 1024


def local_base_url(host: str, port: int) -> str:
    """The address a browser on this machine opens for a server listening on host:port."""
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = DEFAULT_HOST  # listening everywhere: this machine's own address answers too
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"http://{host}:{port}"


def listening_at(app, host: str, port: int) -> None:
    """`serve` listens on host:port (or `seed-demo` is told it will): without a configured
    PUBLIC_BASE_URL, every link the app prints or renders — the 试一试 list, the board
    addresses, the relay line, a resident's tracking link — points there."""
    if not app.config["PUBLIC_BASE_URL_SET"]:
        app.config["PUBLIC_BASE_URL"] = local_base_url(host, port)


def _instance_secret(instance: Path) -> str:
    """A per-install secret kept in the instance folder, so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
