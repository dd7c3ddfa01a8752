"""Worker processes that never outlive the command that started them (issue 18, item 10).

A run's ``--workers`` processes and a report's forked figure workers are
started with :func:`init_worker`: on Linux the kernel kills each one when its
parent dies (``PR_SET_PDEATHSIG``), whether the parent ended by SIGKILL,
SIGTERM or a crash; and workers ignore Ctrl-C, which the parent alone
handles (one line, not a traceback from every worker). :func:`end_pool`
stops a pool's processes at once when the parent is interrupted.
"""

from __future__ import annotations

import os
import signal

__all__ = ["init_worker", "end_pool"]

_PR_SET_PDEATHSIG = 1


def init_worker(parent_pid: int) -> None:
    """Initializer of every worker process (``ProcessPoolExecutor(initializer=..., initargs=(os.getpid(),))``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: workers still end when the pool is shut down
        pass
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)


def end_pool(pool) -> None:
    """Stop a ProcessPoolExecutor now: cancel what has not started and kill its processes."""
    pool.shutdown(wait=False, cancel_futures=True)
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.kill()
        except (OSError, AttributeError, ValueError):
            pass
