"""Worker processes that never outlive the command that started them (issue 18, item 10).

A run's ``--workers`` processes and a report's forked figure workers are
started with :func:`init_worker`: on Linux the kernel kills each one when its
parent dies (``PR_SET_PDEATHSIG``), whether the parent ended by SIGKILL,
SIGTERM or a crash; and workers ignore Ctrl-C, which the parent alone
handles (one line, not a traceback from every worker). :func:`end_pool`
stops a pool's processes at once when the parent is interrupted.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal

__all__ = ["init_worker", "fork_pool", "end_pool", "Background", "background_allowed", "frozen_heap", "heap_kept", "small_pages"]

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


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
_MMAP_THRESHOLD = 32 << 20  # glibc's own ceiling for its sliding threshold (DEFAULT_MMAP_THRESHOLD_MAX, 64-bit)
_TRIM_KEPT = 256 << 20  # free memory at the heap's top kept, not returned, during a simulation


def _glibc():
    """The C library when it is glibc (mallopt and malloc_trim are glibc's), else None."""
    try:
        import ctypes
        import platform

        if platform.libc_ver()[0] != "glibc":
            return None
        libc = ctypes.CDLL(None)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except (OSError, AttributeError, ValueError):
        return None


@contextlib.contextmanager
def heap_kept():
    """During a simulation, keep the heap's freed memory for the next month's arrays (glibc only).

    Each month allocates and frees the same arrays again. glibc returns free memory at the top of its heap
    to the kernel once it passes twice its sliding mmap threshold (a few MB), and the next month faults
    the pages back in: for the 20-state benchmark shape at 2e5 paths, 173,000 page faults and 0.48 s of
    system time in a 2.5 s run, against 11,600 and 0.28 s with this block. It keeps up to 256 MB free at
    the top and the mmap threshold at glibc's own 32 MB ceiling while it lasts; on leaving, the trim
    threshold goes back to twice that (what glibc's sliding rule would set) and ``malloc_trim`` hands the
    free memory back, so the process's memory after a run is as before. Elsewhere it does nothing.
    """
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_KEPT)
    try:
        yield
    finally:
        libc.mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_THRESHOLD)
        libc.malloc_trim(0)


@contextlib.contextmanager
def small_pages():
    """During a simulation, NumPy's new arrays without its advice to back them by huge pages (Linux).

    NumPy asks the kernel for transparent huge pages (``madvise(MADV_HUGEPAGE)``) on every array of 4 MB
    or more; where the kernel's policy is ``madvise`` with ``defrag`` ``madvise`` (this machine's), each
    such fault may first compact memory, in the faulting process's system time. A run's tables are such
    arrays: for 30 derived parameters at 1e6 paths in a session that had run before, system time went
    0.04-1.15 s and the parameter phase 0.14-1.72 s from one run to the next, against 0.14-0.20 s and
    0.24-0.30 s in ordinary pages (``benchmarks/bench_engine.py``). This is the runtime form of NumPy's
    ``NUMPY_MADVISE_HUGEPAGE=0``; the setting before the block is restored after it (and workers forked
    inside it keep it off). Where NumPy lacks the switch it does nothing.
    """
    try:
        from numpy._core.multiarray import _set_madvise_hugepage as switch
    except ImportError:  # a NumPy without the switch (it came in 1.19, as numpy.core's)
        yield
        return
    before = switch(False)
    try:
        yield
    finally:
        switch(before)


@contextlib.contextmanager
def frozen_heap():
    """Fork worker processes inside this block (a fork pool's first ``submit``): the objects alive now
    are moved out of the garbage collector's reach (``gc.freeze``) until the block ends, so that a
    child's collections do not write to every inherited object and copy the pages holding them (the
    practice the ``gc`` documentation gives for fork without exec). Measured on the report's 15
    figures in two forked workers: the first figure of each drew in 0.20 and 0.10 s instead of
    0.27-0.30 and 0.17-0.19 s, and their CPU fell from 1.25-1.36 to 1.14-1.20 s."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def fork_pool(workers: int, initializer=init_worker):
    """A ProcessPoolExecutor of ``workers`` forked processes, each started by ``initializer(parent pid)``
    (:func:`init_worker`, or a function that calls it): they die with this process and ignore Ctrl-C."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=initializer, initargs=(os.getpid(),))


def end_pool(pool) -> None:
    """Stop a ProcessPoolExecutor now: cancel what has not started and kill its processes."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        try:
            process.kill()
        except (OSError, AttributeError, ValueError):
            pass


def background_allowed() -> bool:
    """Whether a run may do work in a second process while it simulates: a second core, ``fork``, and
    ``$RISKMODEL_BACKGROUND`` not ``0``."""
    import multiprocessing

    return ((os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()
            and os.environ.get("RISKMODEL_BACKGROUND", "1").strip() != "0")


class Background:
    """``fn(*args, **kwargs)`` in one forked worker process while this one goes on.

    The worker starts with :func:`init_worker` (it dies with this process and
    ignores Ctrl-C). :meth:`result` waits for the value; :meth:`cancel`
    stops the worker. A forked worker computes what this process would: the
    numbers do not depend on where they were computed.
    """

    def __init__(self, fn, *args, **kwargs):
        self.pool = fork_pool(1)
        with frozen_heap():  # the worker is forked at the first submit
            self.future = self.pool.submit(fn, *args, **kwargs)

    def result(self):
        """The call's value; its exception if it raised (or the pool's, if the worker died)."""
        try:
            return self.future.result()
        except KeyboardInterrupt:
            end_pool(self.pool)
            raise
        finally:
            self.pool.shutdown(wait=False)

    def cancel(self) -> None:
        end_pool(self.pool)
