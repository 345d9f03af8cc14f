"""Time helpers: the database stores naive UTC, people see Asia/Shanghai."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
# The dates any query or period may name: wide enough for any record this system keeps,
# narrow enough that adding a day or a zone offset never leaves what `date` can hold.
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2099, 12, 31)


def set_local_tz(name: str) -> None:
    """Switch the zone people see (config `TZ`); the stored values stay UTC."""
    global LOCAL_TZ
    LOCAL_TZ = ZoneInfo(name)


# Set only while the demo writes its history (`clock_at`): the workflows then stamp rows, events
# and deadlines with that moment, exactly as they would have on the day.
_clock: ContextVar[datetime | None] = ContextVar("clock", default=None)


def utcnow() -> datetime:
    """Now as naive UTC, the form every DateTimeField holds."""
    fixed = _clock.get()
    if fixed is not None:
        return fixed
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Run the block as if it were `moment` (naive UTC), in this context only (other threads,
    such as the demo server's scheduler, keep the real time)."""
    token = _clock.set(moment)
    try:
        yield
    finally:
        _clock.reset(token)


def to_local(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(LOCAL_TZ)


def local_timetuple(seconds: float | None = None):
    """`time.localtime` in the configured zone: log lines read in the time people use."""
    moment = (
        datetime.now(LOCAL_TZ) if seconds is None else datetime.fromtimestamp(seconds, LOCAL_TZ)
    )
    return moment.timetuple()


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 with the local offset, as the API contract requires."""
    local = to_local(dt)
    return local.isoformat(timespec="seconds") if local else None


def month_day_time(dt: datetime) -> str:
    """ "11月24日 18:00" in local time: how deadlines and times read in chat and reports."""
    local = to_local(dt)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def hours_from_now(hours: float) -> datetime:
    return utcnow() + timedelta(hours=hours)


def local_midnight_utc(day: date) -> datetime:
    """The start of a local calendar day, as naive UTC (for date filters and reports)."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)
