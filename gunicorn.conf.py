"""gunicorn's hooks for 小巷管家. gunicorn reads `./gunicorn.conf.py` by itself when started
from this folder (`gunicorn "app:create_app()"`); from elsewhere pass `-c /path/to/gunicorn.conf.py`.
Options on the command line (`-w 4 -b 127.0.0.1:8000 …`) still apply: this file sets no
option, it only adds the hooks that Prometheus' multiprocess mode needs.

With `PROMETHEUS_MULTIPROC_DIR` set (an empty directory the workers may write, e.g. under
/run), every worker writes its metrics to files there named by its process id, and `/metrics`
adds them up (`core.observability.metrics`):

* `on_starting` (the master, before any worker): makes the directory and removes the files of
  processes that are gone — the previous run's workers. Files of live processes stay: a
  scheduler (`flask --app app jobs`) started with the same directory keeps its counts.
* `child_exit` (a worker has exited or been replaced): its live gauges (the database pool's
  connections in use) stop counting; its counters and histograms stay in the totals, as
  Prometheus expects of a counter.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_PID_FILE = re.compile(r"_(\d+)\.db$")


def _multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_dead_files(directory: str) -> list[str]:
    """Delete the metric files of processes no longer running; returns their names."""
    removed = []
    for path in sorted(Path(directory).glob("*.db")):
        match = _PID_FILE.search(path.name)
        if match and not _alive(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def on_starting(server) -> None:
    directory = _multiprocess_dir()
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        remove_dead_files(directory)


def child_exit(server, worker) -> None:
    directory = _multiprocess_dir()
    if directory:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, directory)
