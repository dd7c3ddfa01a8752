"""Proper scoring rules for backtesting: pure functions over arrays.

Every score here is negatively oriented: lower is better, 0 is a perfect
forecast.

- :func:`brier_score`: ``(p - y)**2`` for a probability ``p`` of an event and
  its outcome ``y`` in {0, 1} (Brier 1950). A forecast of 0.5 scores 0.25
  whatever happens.
- :func:`log_score`: ``-ln p`` if the event happened, ``-ln(1 - p)`` if not
  (the logarithmic score, Good 1952), in nats. A Monte Carlo probability of 0
  or 1 would score infinity when wrong, though it only says that fewer than
  one path in ``n`` crossed the threshold; so ``p`` is first clipped to
  ``[1/(2n), 1 - 1/(2n)]``, half the resolution of ``n`` paths
  (:func:`clip_probability`).
- :func:`crps_samples`: the continuous ranked probability score of a forecast
  given by samples, ``E|X - y| - E|X - X'|/2`` (Gneiting and Raftery 2007), in
  the unit of the forecast quantity. Computed by the ``scoringrules`` library
  as the *fair* estimator, ``mean|x_i - y| - sum_{i!=j} |x_i - x_j| /
  (2 n (n - 1))``, unbiased for the CRPS of the distribution the samples are
  drawn from (the plain empirical-CDF estimator is biased upwards by
  ``E|X - X'| / (2n)``). It is evaluated in its probability-weighted-moment
  form (``estimator="pwm"``), which gives the same number after one sort,
  O(n log n) time and O(n) memory; scoringrules' ``"fair"`` form builds an
  n-by-n matrix of differences (3.2 GB at 20,000 paths).
- :func:`pit` and :func:`pit_interval`: the probability integral transform
  ``F(y)`` from samples. When samples tie with ``y`` (count outputs), ``F``
  jumps at ``y`` and the PIT is the interval ``[F(y-), F(y)]``; :func:`pit`
  gives its midpoint, or a uniform draw from it (the randomised PIT, uniform
  on [0, 1] for a calibrated discrete forecast) when given a ``Generator``.
- :func:`reliability_table`: forecast probabilities binned against the
  observed frequency of the event, for a reliability diagram.

References
----------
G. W. Brier (1950). Verification of forecasts expressed in terms of
probability. Monthly Weather Review 78(1), 1-3.

I. J. Good (1952). Rational decisions. JRSS B 14(1), 107-114.

T. Gneiting and A. E. Raftery (2007). Strictly proper scoring rules,
prediction, and estimation. JASA 102(477), 359-378.

C. Czado, T. Gneiting and L. Held (2009). Predictive model assessment for
count data. Biometrics 65(4), 1254-1261 (the randomised and interval PIT).
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from .analyse import wilson_interval

__all__ = [
    "CRPS_ESTIMATOR",
    "clip_probability",
    "brier_score",
    "log_score",
    "brier_mc_error",
    "log_score_mc_error",
    "crps_samples",
    "crps_mc_error",
    "pit_interval",
    "pit",
    "skill_score",
    "reliability_table",
]

#: The ``scoringrules.crps_ensemble`` estimator used by :func:`crps_samples`: the probability-weighted-moment
#: form of the fair (unbiased) estimator, O(n log n); never "fair" or "nrg", which are O(n^2) in memory.
CRPS_ESTIMATOR = "pwm"


def _probabilities(forecast) -> np.ndarray:
    p = np.asarray(forecast, dtype=float)
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError(f"forecast probabilities must lie in [0, 1], got {p[~((p >= 0) & (p <= 1))][:3]}")
    return p


def _outcomes(outcome) -> np.ndarray:
    y = np.asarray(outcome)
    if y.dtype == bool:
        return y.astype(float)
    y = y.astype(float)
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("outcomes must be 0/1 or false/true")
    return y


def clip_probability(forecast, n_samples: int) -> np.ndarray:
    """Clip Monte Carlo probabilities to ``[1/(2n), 1 - 1/(2n)]``.

    Parameters
    ----------
    forecast : array_like
        Probabilities estimated from ``n_samples`` paths.
    n_samples : int
        Number of paths; ``1/(2 n)`` is half the resolution of the estimate.

    Returns
    -------
    ndarray, shape of ``forecast``

    Examples
    --------
    >>> clip_probability([0.0, 0.3, 1.0], 5000)
    array([1.000e-04, 3.000e-01, 9.999e-01])
    """
    if n_samples < 1:
        raise ValueError("n_samples must be at least 1")
    eps = 1.0 / (2 * n_samples)
    return np.clip(_probabilities(forecast), eps, 1 - eps)


def brier_score(forecast, outcome) -> np.ndarray:
    """Brier score of each forecast: ``(p - y)**2``.

    Parameters
    ----------
    forecast : array_like
        Probabilities of the event, in [0, 1].
    outcome : array_like of bool or {0, 1}, broadcastable with ``forecast``

    Returns
    -------
    ndarray
        In [0, 1]; 0 for a perfect forecast, 0.25 for a forecast of 0.5.

    Examples
    --------
    >>> brier_score([0.8, 0.3, 0.5], [1, 0, 1])
    array([0.04, 0.09, 0.25])
    """
    return (_probabilities(forecast) - _outcomes(outcome)) ** 2


def log_score(forecast, outcome, *, n_samples: Optional[int] = None) -> np.ndarray:
    """Logarithmic score of each forecast, in nats: ``-ln p`` if it happened, else ``-ln(1 - p)``.

    Parameters
    ----------
    forecast : array_like
        Probabilities of the event, in [0, 1].
    outcome : array_like of bool or {0, 1}
    n_samples : int, optional
        When the probabilities are Monte Carlo estimates from ``n_samples``
        paths, they are clipped to ``[1/(2n), 1 - 1/(2n)]`` first
        (:func:`clip_probability`); without it a probability of 0 for an event
        that happened scores ``inf``.

    Returns
    -------
    ndarray
        Non-negative; 0 for a perfect forecast, ``ln 2`` (0.693) for 0.5.

    Examples
    --------
    >>> log_score([0.8, 0.3, 0.5], [1, 0, 1]).round(6)
    array([0.223144, 0.356675, 0.693147])
    >>> log_score([0.0], [1], n_samples=5000).round(4)   # -ln(1/10000)
    array([9.2103])
    """
    p = clip_probability(forecast, n_samples) if n_samples is not None else _probabilities(forecast)
    y = _outcomes(outcome)
    with np.errstate(divide="ignore"):
        return -np.log(np.where(y == 1, p, 1 - p))


def brier_mc_error(forecast, outcome, se) -> np.ndarray:
    """Monte Carlo standard error of each Brier score, by the delta method: ``|2 (p - y)| se``."""
    return np.abs(2 * (_probabilities(forecast) - _outcomes(outcome))) * np.asarray(se, dtype=float)


def log_score_mc_error(forecast, outcome, se, *, n_samples: int) -> np.ndarray:
    """Monte Carlo standard error of each log score, by the delta method: ``se / p`` (happened) or ``se / (1 - p)``."""
    p = clip_probability(forecast, n_samples)
    y = _outcomes(outcome)
    return np.asarray(se, dtype=float) / np.where(y == 1, p, 1 - p)


def _samples(samples) -> np.ndarray:
    x = np.asarray(samples, dtype=float)
    if x.ndim == 0 or x.shape[-1] < 2:
        raise ValueError("a forecast needs at least two samples along its last axis")
    if not np.all(np.isfinite(x)):
        raise ValueError("forecast samples hold NaN or infinite values")
    return x


def crps_samples(samples, observed) -> np.ndarray | float:
    """CRPS of forecasts given by samples: the fair estimator, in O(n log n) (``scoringrules``).

    Parameters
    ----------
    samples : array_like, shape (..., n_samples)
        Draws from each forecast distribution (e.g. one output's values over
        the paths of a run).
    observed : array_like, shape (...)
        The value observed for each forecast.

    Returns
    -------
    float or ndarray, shape (...)
        In the unit of the forecast quantity; 0 only for a forecast that is a
        point mass on the value observed.

    Examples
    --------
    >>> round(crps_samples([0.0, 1.0, 2.0], 0.0), 6)   # (0 + 1 + 2)/3 - 2*(1 + 2 + 1) / (2*3*2)
    0.333333
    """
    import scoringrules

    x = _samples(samples)
    y = np.asarray(observed, dtype=float)
    if not np.all(np.isfinite(y)):
        raise ValueError("observed values must be finite")
    # the CRPS is positively homogeneous, CRPS(cX, cy) = c CRPS(X, y): computed on values scaled to at most 1
    # in magnitude, its sums cannot overflow (at 1.7e308 the estimator's sums gave inf for a finite score)
    scale = np.maximum(np.max(np.abs(x), axis=-1), np.abs(y))
    scale = np.where(scale > 1e100, scale, 1.0)
    # sorted here, not by the library: the pwm form needs sorted members, whatever the library version does
    out = np.asarray(scoringrules.crps_ensemble(y / scale, np.sort(x / scale[..., None], axis=-1), m_axis=-1,
                                                sorted_ensemble=True, estimator=CRPS_ESTIMATOR, backend="numpy"),
                     dtype=float)
    with np.errstate(over="ignore"):
        out = out * scale  # inf only when the score itself is beyond float range
    return float(out) if out.ndim == 0 else out


def crps_mc_error(samples, observed: float) -> float:
    """Monte Carlo standard error of :func:`crps_samples` for one forecast, treating the paths as independent.

    The fair estimator is a U-statistic, ``mean |x_i - y| - sum_{i != j} |x_i - x_j| / (2 n (n - 1))``; its
    first-order (Hoeffding) projection is ``mean(h_i)`` with ``h_i = |x_i - y| - g(x_i)``, ``g(x) = E|x - X|``,
    so its standard error is ``sd(h) / sqrt(n)``, with ``g(x_i)`` estimated by the mean distance of ``x_i`` to
    the other paths (from the sorted values, in O(n log n)). A Latin hypercube's error is usually smaller:
    then this is an upper estimate.

    Examples
    --------
    >>> round(crps_mc_error([0.0, 1.0, 2.0, 3.0], 1.5), 4)   # h = (-1/2, -5/6, -5/6, -1/2): sd 0.19245, / 2
    0.0962
    """
    x = np.sort(_samples(samples).astype(float).ravel())
    y = float(observed)
    n = x.size
    if n < 2:
        return float("nan")
    scale = max(float(np.max(np.abs(x))), abs(y))
    scale = scale if scale > 1e100 else 1.0  # as crps_samples: sums of values near the float range cannot overflow
    x, y = x / scale, y / scale
    before = np.concatenate(([0.0], np.cumsum(x)[:-1]))  # sum of the values below each sorted x_k
    k = np.arange(n)
    to_others = x * k - before + (x.sum() - before - x) - x * (n - 1 - k)  # sum_j |x_k - x_j|
    h = np.abs(x - y) - to_others / (n - 1)
    return float(np.std(h, ddof=1) / np.sqrt(n) * scale)


def pit_interval(samples, observed) -> tuple[np.ndarray, np.ndarray]:
    """The PIT interval ``[F(y-), F(y)]`` of the samples' empirical distribution.

    Parameters
    ----------
    samples : array_like, shape (..., n_samples)
    observed : array_like, shape (...)

    Returns
    -------
    low, high : ndarray, shape (...)
        The share of samples below ``y``, and at or below it; equal unless
        samples tie with ``y``.
    """
    x = _samples(samples)
    y = np.asarray(observed, dtype=float)[..., None]
    return (x < y).mean(axis=-1), (x <= y).mean(axis=-1)


def pit(samples, observed, *, rng: Optional[np.random.Generator] = None) -> np.ndarray:
    """Probability integral transform ``F(y)`` of observed values under sampled forecasts.

    Parameters
    ----------
    samples : array_like, shape (..., n_samples)
    observed : array_like, shape (...)
    rng : numpy.random.Generator, optional
        Given: the randomised PIT, a uniform draw from ``[F(y-), F(y)]``.
        Omitted: the interval's midpoint (deterministic).

    Returns
    -------
    ndarray, shape (...)
        In [0, 1]; uniformly distributed over many outcomes when the forecasts
        are calibrated. Near 0 or 1: the outcome fell in a tail.

    Examples
    --------
    >>> float(pit([1, 2, 3, 4], 2.5))
    0.5
    >>> float(pit([1, 1, 2, 2], 1))   # ties: midpoint of [0, 0.5]
    0.25
    """
    low, high = pit_interval(samples, observed)
    if rng is None:
        return (low + high) / 2
    return low + rng.uniform(size=np.shape(low)) * (high - low)


def skill_score(score, reference) -> np.ndarray | float:
    """``1 - score / reference``: 1 is perfect, 0 no better than the reference, negative worse."""
    score, reference = np.asarray(score, dtype=float), np.asarray(reference, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1 - score / reference
    return float(out) if out.ndim == 0 else out


def reliability_table(forecast, outcome, *, n_bins: Optional[int] = None) -> pd.DataFrame:
    """Forecast probabilities in equal-width bins against how often the event happened.

    Parameters
    ----------
    forecast : array_like, shape (n,)
        Probabilities.
    outcome : array_like of bool or {0, 1}, shape (n,)
    n_bins : int, optional
        Bins of equal width on [0, 1]; default ``min(10, max(2, n // 5))``,
        so that a bin holds about five forecasts on average.

    Returns
    -------
    DataFrame
        One row per non-empty bin: ``bin_low``, ``bin_high``, ``n``,
        ``mean_forecast``, ``observed_frequency`` and its 95% Wilson interval
        ``ci_low``, ``ci_high``. A calibrated forecast has
        ``observed_frequency`` near ``mean_forecast`` in every bin, within the
        interval.
    """
    p = _probabilities(forecast).ravel()
    y = _outcomes(outcome).ravel()
    if p.shape != y.shape:
        raise ValueError("forecast and outcome must have the same length")
    n_bins = n_bins or min(10, max(2, len(p) // 5))
    edges = np.linspace(0, 1, n_bins + 1)
    # bin b holds [b/n_bins, (b+1)/n_bins), the last bin 1.0 too; rounded so that 0.7 falls in [0.7, 0.8)
    index = np.clip(np.floor(np.round(p * n_bins, 9)).astype(int), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = index == b
        k, n = int(y[mask].sum()), int(mask.sum())
        if n == 0:
            continue
        lo, hi = wilson_interval(k, n)
        rows.append({"bin_low": edges[b], "bin_high": edges[b + 1], "n": n, "mean_forecast": float(p[mask].mean()),
                     "observed_frequency": k / n, "ci_low": float(lo), "ci_high": float(hi)})
    return pd.DataFrame(rows, columns=["bin_low", "bin_high", "n", "mean_forecast", "observed_frequency",
                                       "ci_low", "ci_high"])
