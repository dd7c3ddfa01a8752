"""Stage 5, analyse: the risk register (and, later, comparison and sensitivity).

Every likelihood comes with its Monte Carlo standard error and a 95%
interval. The standard error is the binomial one, sqrt(p (1 - p) / n),
which is exact for plain Monte Carlo and conservative for Latin hypercube
and Sobol designs (they do not increase the variance of an indicator's mean
in practice); the interval is Wilson's score interval, which stays inside
[0, 1] and behaves near 0 and 1 where the normal interval does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model import Scenario
from .results import Results

__all__ = ["risk_register", "wilson_interval"]

Z95 = 1.959963984540054


def wilson_interval(k: np.ndarray | float, n: int, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes in n trials.

    References
    ----------
    E. B. Wilson (1927), Probable inference, the law of succession, and
    statistical inference. JASA 22(158), 209-212.
    """
    k = np.asarray(k, dtype=float)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def risk_register(results: Results, scenario: Scenario) -> pd.DataFrame:
    """One row per risk: likelihood, its Monte Carlo standard error and 95% interval.

    Returns
    -------
    DataFrame
        Columns ``risk``, ``title``, ``factor``, ``output``, ``threshold``,
        ``direction``, ``likelihood``, ``se``, ``ci_low``, ``ci_high``, ``n``.
    """
    n = results.n_paths
    rows = []
    for r in scenario.risks:
        hits = r.exceeded(results.outputs[r.output].to_numpy())
        k = int(hits.sum())
        p = k / n
        lo, hi = wilson_interval(k, n)
        rows.append({
            "risk": r.id, "title": r.title, "factor": r.factor, "output": r.output, "threshold": r.threshold,
            "direction": r.direction, "likelihood": p, "se": float(np.sqrt(p * (1 - p) / n)),
            "ci_low": float(lo), "ci_high": float(hi), "n": n,
        })
    columns = ["risk", "title", "factor", "output", "threshold", "direction", "likelihood", "se", "ci_low",
               "ci_high", "n"]
    return pd.DataFrame(rows, columns=columns)
