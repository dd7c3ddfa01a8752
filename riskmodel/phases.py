"""A run's phases, timed: validate, simulate, judgment share, drivers, figures, write.

:class:`Phases` is what the command's progress display follows, what the
last line of ``riskmodel run`` prints, and what ``run.json`` records
(``run_timings``); the report's header states the total.
"""

from __future__ import annotations

import contextlib
import time
from typing import Callable, Optional

from .outfolder import process_start_time

__all__ = ["Phases"]


class Phases:
    """Wall-clock time of each phase of a run (validate, simulate, judgment share, drivers, figures, write).

    ``with phases.phase("simulate"): ...`` times one phase; a phase inside
    another is not counted twice (the outer one keeps only its own time).
    ``on_change(name, "start" | "done", seconds)`` lets a display follow along.
    """

    def __init__(self, on_change: Optional[Callable[[str, str, Optional[float]], None]] = None, *,
                 since_process_start: bool = False):
        self.started = time.perf_counter()
        self.times: dict[str, float] = {}
        if since_process_start:  # the CLI: Python's start-up and the imports count too, as a phase of their own
            from . import IMPORTED_AT

            now = time.time()
            lag = max(0.0, now - process_start_time())  # clock ticks: 10 ms resolution
            # Python reaches the package's import within a fraction of a second of starting; a process
            # clock that says otherwise is wrong (seen once: 57 s, the pip install before the run), so
            # then only the time since the import is counted
            if now - lag < IMPORTED_AT - 5.0:
                lag = now - IMPORTED_AT
            self.started -= lag
            self.times["start-up"] = lag
        self.on_change = on_change
        self._stack: list[list] = []

    @contextlib.contextmanager
    def phase(self, name: str):
        if self.on_change:
            self.on_change(name, "start", None)
        frame = [name, time.perf_counter(), 0.0]
        self._stack.append(frame)
        try:
            yield
        finally:
            self._stack.pop()
            spent = time.perf_counter() - frame[1]
            if self._stack:
                self._stack[-1][2] += spent
            self.times[name] = self.times.get(name, 0.0) + spent - frame[2]
            if self.on_change:
                self.on_change(name, "done", self.times[name])

    #: The order in which a run's phases are listed, whatever order they were timed in.
    ORDER = ("start-up", "validate", "simulate", "judgment share", "drivers", "figures", "write")

    def _ordered(self, times: dict) -> list:
        rank = {name: i for i, name in enumerate(self.ORDER)}
        return sorted(times.items(), key=lambda kv: rank.get(kv[0], len(rank)))

    def total_s(self) -> float:
        return time.perf_counter() - self.started

    def record(self) -> dict:
        """What run.json keeps: ``{"phases_s": {...}, "total_s": ...}``; a phase still open counts so far."""
        times = dict(self.times)
        now = time.perf_counter()
        for name, start, children in self._stack:
            times[name] = times.get(name, 0.0) + (now - start) - children
        return {"phases_s": {k: round(v, 4) for k, v in self._ordered(times)}, "total_s": round(now - self.started, 4)}

    #: Shorter names of the phases, for a time line in a narrow terminal.
    SHORT_NAMES = {"start-up": "start", "validate": "valid", "simulate": "sim", "judgment share": "judg",
                   "drivers": "drivers", "figures": "figs", "write": "write"}

    def line(self, width: int = 80) -> str:
        """``Time 3.41 s: validate 0.40, simulate 1.52, ...`` (seconds) in at most ``width`` columns.

        The first form that fits: every phase by its name with two decimals;
        ``judgment`` for the judgment share; one decimal; the short names
        (:attr:`SHORT_NAMES`) without commas. At 80 columns the last fits any
        run under 100 s whose phases each took under 100 s.

        >>> p = Phases(); p.times = {"validate": 0.27, "simulate": 0.96, "judgment share": 2.83}
        >>> p.line(120)[p.line(120).index(":"):]
        ': validate 0.27, simulate 0.96, judgment share 2.83'
        """
        total, times = self.total_s(), self._ordered(self.times)

        def one(v: float) -> str:
            return f"{v:.1f}" if v < 9.95 else f"{v:.0f}"

        forms = [(lambda k: k, lambda v: f"{v:.2f}", ", "),
                 (lambda k: "judgment" if k == "judgment share" else k, lambda v: f"{v:.2f}", ", "),
                 (lambda k: "judgment" if k == "judgment share" else k, one, ", "),
                 (lambda k: self.SHORT_NAMES.get(k, k), one, ", "),
                 (lambda k: self.SHORT_NAMES.get(k, k), one, " ")]
        text = ""
        for name, number, sep in forms:
            head = f"Time {total:.2f} s: " if number is not one else f"Time {total:.1f} s: "
            text = head + sep.join(f"{name(k)} {number(v)}" for k, v in times)
            if len(text) <= width:
                break
        return text


class _Elapsed:
    """The run's time so far, read when the report's page is written (its ``str``)."""

    def __init__(self, phases: Phases):
        self.phases = phases

    def __str__(self) -> str:
        start = "the command's start" if "start-up" in self.phases.times else "validation"
        return f"{self.phases.total_s():.2f} s (from {start} to this page; writing the folder follows)"

    def phase_s(self, name: str):
        """Seconds of a phase already done, or None."""
        return self.phases.times.get(name)


def _timed(phases: Optional[Phases], name: str):
    return phases.phase(name) if phases is not None else contextlib.nullcontext()
