"""What a report's figures are drawn from, importable without matplotlib.

The page is built in the command's process; its figures are drawn in worker
processes that have matplotlib loaded (:class:`~riskmodel.render._common.FigurePool`).
The page builder hands each plotting function plain records, defined here so
that building the page never loads matplotlib: intervention windows, the risk
matrix's points, thresholds on an exceedance curve, and the cumulative
incidence of a "by when" output. The plotting modules re-export them
(``plots.MatrixPoint`` and so on).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Window", "MatrixPoint", "ThresholdMark", "CumulativeIncidence", "cumulative_incidence"]


@dataclass(frozen=True)
class Window:
    """An intervention window: label, first and last month (inclusive), series index."""

    label: str
    start: object  # Month
    until: object  # Month (inclusive)
    series: int = 0


@dataclass(frozen=True)
class MatrixPoint:
    """A risk on the matrix: likelihood (95% interval) and size (95% interval).

    ``size`` is ``m / t``, the conditional median m of the output where the
    risk happens as a multiple of the threshold t (an amount only); nan for a
    count or yes/no output (no size) or when the risk never happened.
    """

    label: str  # e.g. "3"
    group: str  # factor title (colour)
    p: float
    p_low: float
    p_high: float
    size: float
    size_low: float
    size_high: float


@dataclass(frozen=True)
class ThresholdMark:
    """A risk's threshold on an exceedance curve, with its likelihood and 95% interval."""

    label: str  # e.g. "#3"
    threshold: float
    direction: str  # above | below
    likelihood: float
    low: float
    high: float
    series: int = 0


@dataclass(frozen=True)
class CumulativeIncidence:
    """``p[k] = P(first <= k)`` for ``k = 0 .. n_months - 1``, its standard error, and the share never."""

    p: np.ndarray  # (n_months,)
    se: np.ndarray  # (n_months,)
    never: float  # share of paths where it does not happen within the window
    n: int


def cumulative_incidence(values: np.ndarray, n_months: int) -> CumulativeIncidence:
    """From per-path first-month indices (``inf`` for never): the share happened by each month."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    counts = np.bincount(v[np.isfinite(v)].astype(np.int64), minlength=n_months)[:n_months]
    p = np.cumsum(counts) / max(n, 1)
    return CumulativeIncidence(p, np.sqrt(p * (1 - p) / max(n, 1)), float(np.mean(~np.isfinite(v))) if n else 0.0, n)
