"""Process pools for the drawing work (the morning's report cards, a print run of boards):
safe to start from a process that already runs threads, and bounded in time.

Why not `fork`: the scheduler process runs APScheduler's threads, the lease heartbeat and the
SQLite checkpointer (`infra.wal`); a web worker has its request threads. A child forked while
one of them holds a lock — a logging handler's, a SQLite connection's mutex, one of ours —
starts with that lock held by a thread that does not exist in it, and waits on it forever: the
morning report never goes out while the scheduler's lease stays held. So the workers come from
a fork server (`forkserver`; `spawn` where there is none): a fresh, single-threaded process,
started without forking ours, that forks each worker. A worker inherits no thread, no lock and
no database connection of the process asking for the work. The modules the work needs are
imported once in the fork server (`preload`), the fonts are loaded in each worker's
initializer, and a worker never touches the database: the database proxy is not initialised
there, so a query by mistake fails at once instead of sharing a connection. As with any such
pool, each worker imports the main module of the process (flask's, gunicorn's, pytest's script:
harmless); a script of our own that draws must keep its work under `if __name__ == "__main__":`.

Bounded: results are collected with a timeout. A pool that yields nothing for `timeout`
seconds, or that loses a worker (the OOM killer, a crash in a C library), has its workers
killed and raises `PoolFailed`, which is counted and logged (`core.faults`): the job that
asked fails and is retried by its scheduler rather than waiting forever.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from core import faults

# How long a pool may go without handing back a result before it is taken as stuck. The
# slowest unit of work (a chunk of A3 boards) takes a few seconds; the first also waits for the
# fork server and the workers to start.
DEFAULT_TIMEOUT_SECONDS = 120.0
# A killed worker is gone within milliseconds; this only bounds the wait if it is not.
REAP_SECONDS = 10.0


class PoolFailed(RuntimeError):
    """A process pool stalled or lost a worker: its work is not done (nothing was half done:
    the caller writes only what the pool returned)."""

    def __init__(self, what: str, reason: str):
        self.what = what
        self.reason = reason
        super().__init__(f"{what}的工作进程出错，任务未完成，稍后重试：{reason}")


def context(preload: Sequence[str] = ()):
    """The multiprocessing context of the pools: a fork server with `preload` imported in it
    (only the first pool of a process starts the server; later ones import on demand)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(list(preload))
        return ctx
    return multiprocessing.get_context("spawn")


def _run_chunk(fn: Callable, chunk: list) -> list:
    return [fn(item) for item in chunk]


def imap(
    fn: Callable,
    items: Iterable,
    *,
    jobs: int,
    what: str,
    chunksize: int = 1,
    initializer: Callable | None = None,
    timeout: float | None = None,
    preload: Sequence[str] = (),
) -> Iterator:
    """`fn(item)` for every item, in `jobs` worker processes, yielded in order.

    `fn` and `initializer` must be module-level functions of a module the workers can import
    (`preload` names it so the fork server imports it once). An exception raised by `fn` is
    re-raised here as it is; a stall of `timeout` seconds (default `DEFAULT_TIMEOUT_SECONDS`)
    or a dead worker raises `PoolFailed`. Either way the workers are gone when this returns.
    """
    timeout = DEFAULT_TIMEOUT_SECONDS if timeout is None else float(timeout)
    items = list(items)
    chunks = [items[i : i + chunksize] for i in range(0, len(items), chunksize)]
    executor = ProcessPoolExecutor(
        max_workers=max(1, jobs), mp_context=context(preload), initializer=initializer
    )
    finished = False
    try:
        futures = [executor.submit(_run_chunk, fn, chunk) for chunk in chunks]
        for future in futures:
            try:
                results = future.result(timeout=timeout)
            except FutureTimeout:
                raise _failed(
                    what, f"{timeout:g} 秒内没有结果 / no result within {timeout:g} s"
                ) from None
            except BrokenProcessPool as exc:
                raise _failed(what, f"工作进程意外退出 / a worker died: {exc}") from exc
            yield from results
        finished = True
    finally:
        if finished:
            executor.shutdown(wait=True)
        else:
            _kill(executor)


def _failed(what: str, reason: str) -> PoolFailed:
    faults.record(faults.WORKER_POOL_FAILED, f"{what}: {reason}")
    return PoolFailed(what, reason)


def _kill(executor: ProcessPoolExecutor) -> None:
    """Stop a pool whose work is abandoned: a stuck worker would otherwise keep the pool, and
    the interpreter's exit, waiting on it."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        if process.exitcode is None:
            process.kill()
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(REAP_SECONDS)
