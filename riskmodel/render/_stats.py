"""Small numerics behind the figures: exceedance curves, conditional medians, running estimates.

Pure functions over arrays; no plotting, no I/O. Every function works from
the per-path values of *all* paths and returns a fixed number of points, so
that drawing costs the same at 10^4 and 10^6 paths (computing costs one sort
per output, O(n log n), a few milliseconds at 10^6).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..formats import fmt_num, fmt_pct

__all__ = [
    "Z95", "EXCEEDANCE_POINTS", "DISCRETE_MAX_VALUES", "CONVERGENCE_POINTS",
    "ExceedanceCurve", "exceedance_curve", "is_binary", "ConditionalMedian", "conditional_median",
    "RunningEstimate", "running_estimate", "wilson", "rank_error",
]

Z95 = 1.959963984540054
EXCEEDANCE_POINTS = 512  # grid points of a continuous exceedance curve
DISCRETE_MAX_VALUES = 60  # at most this many distinct values: drawn as exact steps
CONVERGENCE_POINTS = 160  # checkpoints of a running estimate (log-spaced)


def rank_error(n: float, p: float = 0.05) -> float:
    """Standard error of the rank (as a probability) of an empirical p-quantile of ``n`` paths, or of an effective
    sample size ``n``: ``sqrt(p (1 - p) / n)``."""
    return float(np.sqrt(p * (1 - p) / n))


def wilson(k: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials (as in the register)."""
    if n <= 0:
        return (float("nan"), float("nan"))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))


def is_binary(sorted_values: np.ndarray) -> bool:
    """True when every value is 0 or 1 (a yes/no output)."""
    v = sorted_values
    if v.size == 0 or v[0] < 0 or v[-1] > 1:
        return False
    k0 = np.searchsorted(v, 0.0, side="right")
    k1 = np.searchsorted(v, 1.0, side="left")
    return bool(k0 == k1)  # nothing strictly between 0 and 1, and 0 <= v <= 1


@dataclass(frozen=True)
class ExceedanceCurve:
    """``P(X > x)`` at points ``x``; ``discrete``: exact steps at every distinct value."""

    x: np.ndarray
    p: np.ndarray
    discrete: bool
    log_x: bool
    n: int

    @property
    def max_se(self) -> float:
        """Largest Monte Carlo standard error of the plotted probabilities."""
        return float(np.sqrt(np.max(self.p * (1 - self.p)) / self.n)) if self.n else float("nan")


def exceedance_curve(sorted_values: np.ndarray, points: int = EXCEEDANCE_POINTS) -> ExceedanceCurve:
    """The exceedance curve of a sample, from its sorted values.

    Parameters
    ----------
    sorted_values : ndarray (n,)
        All paths' values, sorted ascending.
    points : int
        Grid points for a continuous curve (log-spaced when the values are
        positive and span more than two decades).

    Returns
    -------
    ExceedanceCurve
        Exact ``P(X > x) = 1 - #{X <= x} / n`` at each point.
    """
    v = np.asarray(sorted_values, dtype=float)
    n = v.size
    if n == 0:
        return ExceedanceCurve(np.array([]), np.array([]), True, False, 0)
    change = np.flatnonzero(v[1:] != v[:-1])  # not np.diff: inf - inf is nan
    n_unique = change.size + 1
    if n_unique <= DISCRETE_MAX_VALUES:
        x = np.concatenate([v[change], v[-1:]])  # the distinct values
        x = x[np.isfinite(x)]  # "never" (inf) is no point on the axis: it stays in P(X > x) at every point
        p = 1.0 - np.searchsorted(v, x, side="right") / n
        return ExceedanceCurve(x, p, True, False, n)
    finite = v[np.isfinite(v)]  # agg: first gives inf for "never": above every point of the grid, not its end
    if finite.size == 0:
        return ExceedanceCurve(np.array([]), np.array([]), True, False, n)
    lo, hi = finite[0], finite[-1]
    log_x = bool(lo > 0 and hi / lo > 100)
    x = np.geomspace(lo, hi, points) if log_x else np.linspace(lo, hi, points)
    p = 1.0 - np.searchsorted(v, x, side="right") / n
    return ExceedanceCurve(x, p, False, log_x, n)


TAIL_P = 0.005  # a linear exceedance axis may end where no curve has more than this share of paths beyond
TAIL_CUT = 0.6  # ... when that end leaves out more than 1 - TAIL_CUT of the full range


@dataclass(frozen=True)
class AxisCut:
    """Where an exceedance axis ends before the largest value (a thin tail would squeeze the curves)."""

    right: float  # the axis ends here
    beyond: float  # the largest share of paths beyond ``right``, over the curves (at most TAIL_P)
    largest: float  # the largest value of any curve


def tail_cut(curves, thresholds=()) -> Optional[AxisCut]:
    """The end of a linear exceedance axis: the first grid point at which every continuous curve is at
    or below :data:`TAIL_P` (never before a threshold), when that leaves out more than 1 - :data:`TAIL_CUT` of the full
    range; None otherwise (log axes, steps, or a tail that squeezes nothing). ``beyond`` is each curve's
    exact ``P(X > x)`` at the last grid point at or below the end, which bounds its share beyond it."""
    shown = [c for c in curves if c.x.size]
    if not shown or any(c.discrete or c.log_x for c in shown):
        return None
    lo, hi = min(float(c.x[0]) for c in shown), max(float(c.x[-1]) for c in shown)
    ends = []
    for c in shown:
        below = np.flatnonzero(c.p <= TAIL_P)
        ends.append(float(c.x[below[0]]) if below.size else float(c.x[-1]))
    right = max(ends + [float(t) for t in thresholds if np.isfinite(t) and t <= hi])
    if not hi > lo or right - lo >= TAIL_CUT * (hi - lo):
        return None
    beyond = max(float(c.p[max(0, int(np.searchsorted(c.x, right, side="right")) - 1)]) for c in shown)
    return AxisCut(right, beyond, hi)


def cut_sentence(cut: Optional[AxisCut]) -> str:
    """The caption's words for an axis cut ("" when there is none), in the page's number formats."""
    if cut is None:
        return ""
    return (f" The x axis ends at {fmt_num(cut.right)}, beyond which lie at most {fmt_pct(cut.beyond)} of paths "
            f"(the largest value is {fmt_num(cut.largest)}): the thin tail would squeeze the curves.")


@dataclass(frozen=True)
class ConditionalMedian:
    """The median of a risk's output over the paths where the risk happens."""

    k: int  # paths where it happens
    median: float  # nan when k == 0
    low: float  # 95% interval of the median (order statistics); nan when k is too small
    high: float


def conditional_median(sorted_values: np.ndarray, threshold: float, direction: str) -> ConditionalMedian:
    """Median of the values beyond ``threshold`` and its distribution-free 95% interval.

    The interval takes the order statistics of ranks ``k/2 ± 1.96 sqrt(k)/2``
    among the k values beyond the threshold (the binomial interval for a
    median); it needs k >= 6 or so to be finite.
    """
    v = np.asarray(sorted_values, dtype=float)
    if direction == "above":
        tail = v[np.searchsorted(v, threshold, side="right"):]
    else:
        tail = v[:np.searchsorted(v, threshold, side="left")]
    k = tail.size
    if k == 0:
        return ConditionalMedian(0, float("nan"), float("nan"), float("nan"))
    med = float(np.median(tail))
    half = Z95 * np.sqrt(k) / 2
    j_lo, j_hi = int(np.floor(k / 2 - half)), int(np.ceil(k / 2 + half))
    if j_lo < 0 or j_hi > k - 1:
        return ConditionalMedian(k, med, float("nan"), float("nan"))
    return ConditionalMedian(k, med, float(tail[j_lo]), float(tail[j_hi]))


@dataclass(frozen=True)
class RunningEstimate:
    """A likelihood estimated from the first ``n`` paths, for growing ``n``."""

    n: np.ndarray  # checkpoints (number of paths)
    p: np.ndarray  # estimate from the first n paths
    se: np.ndarray  # sqrt(p (1 - p) / n)


def running_estimate(indicator: np.ndarray, points: int = CONVERGENCE_POINTS) -> RunningEstimate:
    """Running mean of a 0/1 indicator in path order, at log-spaced checkpoints."""
    ind = np.asarray(indicator, dtype=np.float64)
    n = ind.size
    if n == 0:
        return RunningEstimate(np.array([]), np.array([]), np.array([]))
    start = min(50, n)
    ks = np.unique(np.round(np.geomspace(start, n, points)).astype(np.int64))
    csum = np.cumsum(ind)
    p = csum[ks - 1] / ks
    return RunningEstimate(ks, p, np.sqrt(p * (1 - p) / ks))
