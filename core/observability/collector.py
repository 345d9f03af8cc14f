"""The metrics read from the database when `/metrics` is scraped: the same whichever worker or
host answers, and right after a restart (nothing to lose in a process's memory).

A handful of cheap queries per scrape, each answered from an index or a one-row table: the
outbox backlog (`status IN (…)` on the status index, `sent` rows — the bulk of the table —
left out: `xiaoxiang_outbox_deliveries_total` counts them), the oldest due message, the
scheduler lease, `job_status` (one row per job) and the schema version. If the database does
not answer, the scrape still succeeds and says so: `xiaoxiang_database_up 0`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from peewee import PeeweeException
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from core import schema
from core.observability import health
from core.observability.health import BACKLOG_STATUSES
from infra.timeutil import utcnow

log = logging.getLogger(__name__)


def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()


class DatabaseCollector:
    """A prometheus_client custom collector; `collect` runs inside the scrape's request."""

    def collect(self):
        now = utcnow()
        up = GaugeMetricFamily(
            "xiaoxiang_database_up", "1 when the database answered this scrape's queries"
        )
        try:
            families = [*self._schema(), *self._outbox(now), *self._scheduler(now)]
        except PeeweeException as exc:
            log.warning("metrics: the database did not answer: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _schema(self):
        version = GaugeMetricFamily(
            "xiaoxiang_schema_version", "The database's schema version (init-db brings it up)"
        )
        version.add_metric([], schema.current_version())
        expected = GaugeMetricFamily(
            "xiaoxiang_schema_version_expected", "The schema version this code expects"
        )
        expected.add_metric([], schema.latest_version())
        return [version, expected]

    def _outbox(self, now: datetime):
        from core.delivery.outbox import SENDERS  # the kinds there are (no cycle at import)

        counts = {(kind, status): 0 for kind in SENDERS for status in BACKLOG_STATUSES}
        for (kind, status), n in health.outbox_backlog().items():
            for each in BACKLOG_STATUSES:
                counts.setdefault((kind, each), 0)
            counts[(kind, status)] = n
        backlog = GaugeMetricFamily(
            "xiaoxiang_outbox_messages",
            "Outbox messages not (yet) sent, by kind and status "
            "(pending: waiting; sending: being sent; uncertain, dead: need staff)",
            labels=["kind", "status"],
        )
        for (kind, status), n in sorted(counts.items()):
            backlog.add_metric([kind, status], n)
        oldest = health.oldest_due(now)
        age = GaugeMetricFamily(
            "xiaoxiang_outbox_oldest_due_age_seconds",
            "How long the longest-waiting due message has been due (0: none waiting); "
            "it grows when nothing delivers",
        )
        age.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        return [backlog, age]

    def _scheduler(self, now: datetime):
        current = health.lease(now)
        fresh = GaugeMetricFamily(
            "xiaoxiang_scheduler_lease_fresh",
            "1 while a scheduler process holds a live lease (it renews it every few seconds)",
        )
        fresh.add_metric([], 1 if current.fresh else 0)
        holder = GaugeMetricFamily(
            "xiaoxiang_scheduler_lease_holder_info",
            "The scheduler process (host:pid:id) that holds, or last held, the lease",
            labels=["holder"],
        )
        if current.holder:
            holder.add_metric([current.holder], 1)
        families = [fresh, holder]
        gauges = {
            "healthy": "1 when the job's last run succeeded within its interval plus a grace",
            "interval_seconds": "How often the job runs",
            "last_run_timestamp_seconds": "When the job's last run finished (Unix time)",
            "last_success_timestamp_seconds": "When the job last succeeded (Unix time)",
            "last_duration_seconds": "How long the job's last run took",
        }
        by_name = {
            key: GaugeMetricFamily(f"xiaoxiang_job_{key}", text, labels=["job"])
            for key, text in gauges.items()
        }
        runs = CounterMetricFamily(
            "xiaoxiang_job_runs", "Runs of the job by the lease holder", labels=["job"]
        )
        failures = CounterMetricFamily(
            "xiaoxiang_job_failures", "Runs of the job that failed", labels=["job"]
        )
        for job in health.jobs(now):
            row = job.row
            by_name["healthy"].add_metric([row.name], 1 if job.state == "ok" else 0)
            by_name["interval_seconds"].add_metric([row.name], row.interval_seconds)
            by_name["last_run_timestamp_seconds"].add_metric(
                [row.name], _epoch(row.last_finished_at)
            )
            if row.last_success_at is not None:
                by_name["last_success_timestamp_seconds"].add_metric(
                    [row.name], _epoch(row.last_success_at)
                )
            by_name["last_duration_seconds"].add_metric([row.name], row.last_duration_ms / 1000)
            runs.add_metric([row.name], row.runs)
            failures.add_metric([row.name], row.failures)
        return [*families, *by_name.values(), runs, failures]
