"""Log lines: the human format by default (`make run`), or one JSON object per line with
`LOG_FORMAT=json` for a log shipper.

In JSON every record is one line: `time` (ISO 8601 in `TZ`), `level`, `logger`, `message`, the
`request_id` of the request or job run it was written for, and the fields a record carries:
one line per request (`method`, `route` — the URL template, never the path, which may hold a
tracking token or a board code —, `status`, `duration_ms`, `user_id`) and one per job run
(`job`, `outcome`, `duration_ms`). Never a phone number, a token or what a resident wrote: the
request line is built from those fields only, and free text (messages, tracebacks) has anything
shaped like a mainland mobile number masked on the way out.

Times are in `TZ` in both formats (not the server's zone); APScheduler's own INFO chatter
("Running job …" every few seconds) is dropped.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from core.observability import requestid
from infra import timeutil

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The fields a record may carry into its JSON line, in this order.
FIELDS = (
    "method",
    "route",
    "status",
    "duration_ms",
    "user_id",
    "job",
    "outcome",
    "queued_request_id",
)
# A mainland mobile number standing alone (not inside a longer run of digits: an id, a time).
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
PHONE_MASK = "1**********"

request_log = logging.getLogger("xiaoxiang.request")

_state = {"json": False}


def scrub(text: str) -> str:
    return _PHONE.sub(PHONE_MASK, text)


def json_enabled() -> bool:
    return _state["json"]


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (UTF-8 text, Chinese as it is)."""

    def format(self, record: logging.LogRecord) -> str:
        moment = timeutil.to_local(datetime.fromtimestamp(record.created, UTC))
        entry = {
            "time": moment.isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or requestid.current()
        if request_id:
            entry["request_id"] = request_id
        for key in FIELDS:
            value = record.__dict__.get(key)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = scrub(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def _text_formatter() -> logging.Formatter:
    formatter = logging.Formatter(TEXT_FORMAT)
    formatter.converter = timeutil.local_timetuple
    return formatter


def configure(log_format: str) -> None:
    """Set up the root logger for `log_format` (text | json); safe to call again."""
    log_format = (log_format or "text").strip().lower()
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not “{log_format}”")
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    root.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    _state["json"] = log_format == "json"
    for handler in root.handlers:
        # Our stream handlers (the one added above, or one a test attached); not the handlers
        # of a test runner's log capture, which keep their own format.
        if type(handler) is logging.StreamHandler:
            handler.setFormatter(JsonFormatter() if _state["json"] else _text_formatter())
        elif handler.formatter is not None:
            handler.formatter.converter = timeutil.local_timetuple
    if _state["json"]:
        # Our request lines replace the development server's access lines (plain text).
        logging.getLogger("werkzeug").setLevel(logging.WARNING)


def log_request(*, method: str, route: str, status: int, duration_ms: float, user_id) -> None:
    """The request's one line (JSON format only: in the human format the server's own access
    log says it)."""
    if not _state["json"]:
        return
    # A 5xx is a WARNING here: its ERROR line (with the traceback) is the error handler's.
    request_log.log(
        logging.WARNING if status >= 500 else logging.INFO,
        "%s %s %s",
        method,
        route,
        status,
        extra={
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(duration_ms, 1),
            "user_id": user_id,
        },
    )
