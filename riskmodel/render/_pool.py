"""Where a report's figures are drawn: forked worker processes, started as soon as their data are ready.

Plotting functions are pure (arrays in, PNG bytes out), so where and when a
figure is drawn changes no byte. The page itself is built in the command's
process without loading matplotlib (:mod:`riskmodel.render._figdata`); only
the processes that draw load it.

A run's report can go further (``FigurePool(warm=True)``, created before the
run validates): one process is forked at once and loads matplotlib and the
plotting modules (about 0.4 s of CPU) on the second core while this one
validates and simulates; the drawing workers are later forked from it, so
they start with everything loaded, and this process never loads matplotlib.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pickle
from concurrent.futures.process import BrokenProcessPool

from ._common import Pending, plotting_function

__all__ = ["FigurePool", "render_processes"]

#: The modules that hold the report's plotting functions (what a warm process loads).
PLOTTING_MODULES = ("plots", "plots_drivers", "bywhen")


def render_processes() -> int:
    """Processes that draw a report's figures: ``$RISKMODEL_RENDER_PROCESSES``, else the cores (at most 4)."""
    env = os.environ.get("RISKMODEL_RENDER_PROCESSES", "").strip()
    if env.isdigit() and int(env) >= 1:
        return int(env)
    return max(1, min(4, os.cpu_count() or 1))


def _picklable(funcs: set) -> bool:
    """Whether the plotting functions can be sent to a worker (a local function cannot: draw here)."""
    try:
        for func in funcs:
            pickle.dumps(func)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


def _draw(pending: Pending) -> bytes:
    return pending.draw()


# ---------------------------------------------------------------- in the warm process

_drawing = None  # the warm process's own pool of drawing workers, forked from it when the first figures come
_drawn: dict = {}  # figure key -> future of its PNG bytes
_loaded = False  # in this process: the plotting modules are loaded and a figure drawn


def _load_plotting() -> None:
    """Load matplotlib and the plotting modules, and draw one small figure (fonts found and cached)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in PLOTTING_MODULES:
        importlib.import_module(f".{module}", __package__)
    plotting_function("plots:evidence_bars")({"cited": 1, "derived": 1, "judgment": 1})


def _warm_up(parent_pid: int) -> None:
    """Initializer of the warm process: die with the parent and load the plotting modules, so that the
    drawing workers forked from it start ready."""
    from ..workers import init_worker

    init_worker(parent_pid)
    _load_plotting()


def _started() -> int:
    return os.getpid()


def _send(batch: list) -> None:
    """Begin drawing ``(key, Pending)`` pairs in this process's drawing workers (returns at once)."""
    global _drawing
    from ..workers import fork_pool, frozen_heap

    if _drawing is None:
        _drawing = fork_pool(render_processes())
    with frozen_heap():  # the workers are forked at the pool's first submit
        for key, pending in batch:
            _drawn[key] = _drawing.submit(_draw, pending)


def _collect(keys: list) -> dict:
    """The PNG bytes of the figures ``keys`` (waits for them; a figure's error is raised here)."""
    return {key: _drawn.pop(key).result() for key in keys}


def _close() -> None:
    """End the drawing workers, waiting for them (so that the command's CPU time counts theirs)."""
    global _drawing
    if _drawing is not None:
        _drawing.shutdown(wait=True)
        _drawing = None


# ---------------------------------------------------------------- in the command's process


def _cost(figure) -> int:
    """Drawing order, longest first: page-wide figures take 0.1-0.3 s, the others about 0.07 s."""
    return 0 if figure.wide else 1


class FigurePool:
    """Figures drawn in forked worker processes, started as soon as their data are ready.

    ``with FigurePool() as drawing:`` ... ``drawing.start(figures)`` sends the
    pending ones to the workers now (the page-wide ones, the slowest to draw,
    first) while this process goes on building the page; :meth:`resolve`
    sends the rest and waits for every PNG. Without a second core, ``fork``,
    or picklable plotting functions, figures are drawn here, at
    :meth:`resolve`.

    ``warm=True`` forks the warm process now (see the module's notes); make
    the pool before the work that the loading should overlap, and pass it to
    :func:`riskmodel.render.render_report`.
    """

    def __init__(self, *, warm: bool = False):
        self.pool = None  # drawing workers forked from this process
        self.warm = None  # or: the warm process, which forks them
        self.futures: dict = {}  # id(figure) -> future of its PNG (drawn by this process's workers)
        self.sent: set = set()  # ids of the figures sent to the warm process
        self.sends: list = []
        self.parallel = render_processes() > 1 and "fork" in multiprocessing.get_all_start_methods()
        if warm and self.parallel:
            from ..workers import fork_pool, frozen_heap

            self.warm = fork_pool(1, _warm_up)
            with frozen_heap():
                self.warm.submit(_started)  # forked now: it loads while this process goes on

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        from ..workers import end_pool

        if self.warm is not None:
            if exc_type is None:  # every figure is in: it and its workers end, waited for (about 0.02 s)
                self.warm.submit(_close).result()
                self.warm.shutdown(wait=True)
            else:  # interrupted or failed: it ends now, and its workers with it (they die with their parent)
                end_pool(self.warm)
            self.warm = None
        if self.pool is not None:
            if exc_type is not None:  # interrupted or failed: nothing more is drawn, the workers end now
                end_pool(self.pool)
            else:
                self.pool.shutdown(wait=True)
            self.pool = None
        return False

    def _lost(self) -> None:
        """The warm process died (killed, out of memory): what it was to draw is drawn without it."""
        from ..workers import end_pool

        end_pool(self.warm)
        self.warm, self.sends = None, []
        self.sent.clear()

    def _waiting(self, figures: list) -> list:
        return [f for f in figures if isinstance(f.png, Pending) and id(f) not in self.futures
                and id(f) not in self.sent]

    def start(self, figures: list) -> None:
        """Begin drawing ``figures``' pending PNGs in the workers (no-op where they are drawn here)."""
        pending = sorted(self._waiting(figures), key=_cost)
        if not pending or not self.parallel or not _picklable({f.png.func for f in pending}):
            return
        if self.warm is not None:
            try:
                self.sends.append(self.warm.submit(_send, [(id(f), f.png) for f in pending]))
                self.sent.update(id(f) for f in pending)
                return
            except BrokenProcessPool:
                self._lost()
                pending = sorted(self._waiting(figures), key=_cost)
        from ..workers import fork_pool, frozen_heap

        if self.pool is None:
            _load_plotting()  # here, once: the workers forked from this process start with it loaded
            self.pool = fork_pool(render_processes())
        with frozen_heap():  # the workers are forked at the pool's first submit
            for f in pending:
                self.futures[id(f)] = self.pool.submit(_draw, f.png)

    def resolve(self, figures: list) -> list:
        """Every figure's PNG bytes in place of its pending drawing: drawn by the workers, or here."""
        pending = [f for f in figures if isinstance(f.png, Pending)]
        if len(self._waiting(pending)) > 2 or self.pool is not None or self.warm is not None:
            self.start(pending)
        drawn: dict = {}
        keys = [id(f) for f in pending if id(f) in self.sent]
        if keys:
            try:
                for sent in self.sends:
                    sent.result()
                drawn = self.warm.submit(_collect, keys).result()
                self.sent.difference_update(keys)
            except BrokenProcessPool:  # drawn again by workers forked from here (the bytes are the same)
                self._lost()
                self.start(pending)
        for f in pending:
            if id(f) in drawn:
                f.png = drawn[id(f)]
                continue
            future = self.futures.pop(id(f), None)
            f.png = future.result() if future is not None else f.png.draw()
        return figures
