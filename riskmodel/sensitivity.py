"""What drives a result: given-data sensitivity from a run's own paths, and what the designs share.

Two kinds of estimate, both over the parameters a scenario samples (derived
parameters follow their inputs and belong to no design column):

Given data (:func:`given_data`, :func:`tornado`): from a run's own parameter
samples and outputs, no extra simulation, so cheap enough for every run.

- First-order index ``S1_i = Var(E[Y | X_i]) / Var(Y)`` by quantile binning:
  the paths are cut into ``M`` bins of equal count along ``X_i`` (ties kept in
  one bin) and the between-bin variance is corrected for its finite-sample
  bias as in a one-way analysis of variance,
  ``S1 = (SSB - (M - 1) SSW / (n - M)) / SST``, so an input that does nothing
  scores 0 on average, not ``(M - 1) / n``. What remains is the binning bias:
  the within-bin variation of ``E[Y | X_i]`` is lost, a relative error of about
  ``h² E[g'²] / (12 Var g)`` for bins of width ``h`` (0.3% for ``sin`` over
  ``[-pi, pi]`` at 50 bins). ``M = 2 n^(1/3)``, between 2 and 100.
- Spearman's rank correlation of ``Y`` with each ``X_i``.
- Intervals: ``estimate ± 1.96 SE``, the standard error from a bootstrap (a
  percentile interval would inherit the bias that duplicated paths give the
  binned estimator in each replicate). The paths are cut into ``G`` = min(n,
  200) consecutive batches and the batches resampled: the estimators are
  smooth functions of per-batch sums, so each replicate costs one small matrix
  product, not a pass over the paths (bins and ranks are those of the whole
  sample; the batches of an ``lhs``/``sobol`` run are treated as independent,
  which if anything widens the interval).
- A group (a factor, an evidence class) gets the sum of its parameters' ``S1``:
  the share of variance its parameters explain one at a time, its main-effect
  share. With independent inputs that is a lower bound of the group's
  first-order index (interactions inside the group are left out).
- :func:`tornado`: the output's mean over the paths whose parameter lies in its
  lowest decile (centred on P5) and in its highest (centred on P95).

The variance-based indices by design (:func:`explain`, Sobol indices from a
Saltelli design) are in :mod:`riskmodel.sobol`, the judgment share in
:mod:`riskmodel.judgment`; their names stay importable from here.

References
----------
E. Plischke, "An effective algorithm for computing global sensitivity indices
(EASI)", Reliability Engineering & System Safety 95(4), 354-360, 2010 (given-data
first-order indices by sorting and binning). The design-based estimators' references
are in :mod:`riskmodel.sobol`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from .model import Scenario
from .results import Results

__all__ = [
    # given data (every run)
    "given_data", "tornado", "first_order_binned", "default_bins",
    # by design
    "explain", "Explanation", "saltelli_first_order", "jansen_total_order",
    # judgment share
    "judgment_share", "judgment_share_sentence",
    # constants
    "UNALIGNED_DRAWS", "NOISE",
]

#: Random draws whose use of the stream depends on their arguments (NumPy's
#: rejection and inversion-by-search samplers): with these, rows evaluated
#: with one seed do not share their monthly draws once a parameter changes.
UNALIGNED_DRAWS = ("poisson", "binomial", "gamma", "beta")

#: Label of the noise unit and group (the monthly random draws).
NOISE = "noise"

_Z95 = 1.959963984540054
_MAX_BINS = 100
_BATCHES = 200


# =============================================================================== helpers


def censored(values: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Outputs with ``inf`` (``agg: first``: never within the horizon) read as ``horizon_months``.

    Ranks are unchanged (never still ranks after every month); means become
    the mean time to the first month, restricted to the horizon.
    """
    return np.where(np.isposinf(values), float(scenario.horizon_months), values)


def _sampled_parameters(scenario: Scenario, model=None) -> list:
    """Parameters with a distribution that is not a constant, in file order (a design's columns)."""
    from .compile import compile_scenario, varying_parameters

    return varying_parameters(scenario, model if model is not None else compile_scenario(scenario))


def _components(names: Sequence[str], pairs: Sequence[tuple]) -> list:
    """Connected sets of ``names`` under ``pairs`` (union-find); singletons included, first-seen order."""
    parent = {n: n for n in names}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[rb] = ra
    out: dict = {}
    for n in names:
        out.setdefault(find(n), []).append(n)
    return list(out.values())


def _correlated_pairs(scenario: Scenario) -> list:
    return [(c.a, c.b) for c in scenario.correlations if c.rho != 0]


def _resolve_output(scenario: Scenario, output: Optional[str]) -> str:
    """An output name from an output name or a risk id (default: the first risk's output)."""
    from .errors import ScenarioError

    names = [o.name for o in scenario.outputs]
    if output is None:
        if scenario.risks:
            return scenario.risks[0].output
        if names:
            return names[0]
        raise ScenarioError.at(scenario.path or "<scenario>", None, ("outputs",), "the scenario has no output",
                               "add an output to explain")
    if output in names:
        return output
    for r in scenario.risks:
        if r.id == output:
            return r.output
    risks = [r.id for r in scenario.risks]
    raise ScenarioError.at("--output", None, (), f"'{output}' is neither an output nor a risk id",
                           f"use one of the outputs {', '.join(names) or '(none)'}"
                           + (f" or risks {', '.join(risks)}" if risks else ""))


def _risk_outputs(scenario: Scenario) -> list:
    """Outputs the risks refer to, in order, without repeats; every output when there is no risk."""
    outs = list(dict.fromkeys(r.output for r in scenario.risks))
    return outs or [o.name for o in scenario.outputs]


def _percentile_interval(replicates: np.ndarray, axis: int = 0) -> tuple:
    """2.5% and 97.5% percentiles of bootstrap replicates (NaN replicates ignored)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows (a constant output) give NaN, as they should
        lo = np.nanpercentile(replicates, 2.5, axis=axis)
        hi = np.nanpercentile(replicates, 97.5, axis=axis)
    return lo, hi


def _normal_interval(estimate, replicates: np.ndarray) -> tuple:
    """``estimate ± 1.96 SE`` with the bootstrap's standard error (replicates along axis 0)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        se = np.nanstd(replicates, axis=0, ddof=1)
    return estimate - _Z95 * se, estimate + _Z95 * se


# =============================================================================== given data


def default_bins(n: int) -> int:
    """Bins of the given-data estimator for ``n`` paths: ``round(2 n^(1/3))``, between 2 and 100.

    Examples
    --------
    >>> default_bins(1000), default_bins(20_000), default_bins(100_000)
    (20, 54, 93)
    """
    return int(min(_MAX_BINS, max(2, round(2 * n ** (1 / 3)))))


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks, 1..n, of each column of ``x`` (n, d): tied values share the mean of their ranks.

    The same numbers as ``scipy.stats.rankdata(x, axis=0, method="average")``
    (each rank is a whole number or a half, exact in floating point), without
    importing ``scipy.stats`` (about half a second). A column holding NaN is
    ranked by scipy, whose NaN rules apply.
    """
    x = np.asarray(x, dtype=float)
    n, d = x.shape
    if n == 0 or np.isnan(x).any():
        from scipy import stats

        return stats.rankdata(x, axis=0, method="average")
    xt = np.ascontiguousarray(x.T)  # (d, n): each column's work on contiguous memory
    order = np.argsort(xt, axis=1, kind="stable")
    xs = np.take_along_axis(xt, order, axis=1)
    new = np.ones((d, n), dtype=bool)
    new[:, 1:] = xs[:, 1:] != xs[:, :-1]  # first of a run of equal values
    # each sorted position's run: its first position and one past its last (0-based); the rank is their mean + 1
    pos = np.arange(n)
    first = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    ends = np.empty((d, n), dtype=bool)
    ends[:, :-1] = new[:, 1:]
    ends[:, -1] = True
    last = np.minimum.accumulate(np.where(ends, pos + 1, n)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty((d, n))
    np.put_along_axis(ranks, order, 0.5 * (first + last - 1) + 1.0, axis=1)
    return ranks.T


def _bins_from_ranks(ranks: np.ndarray, n_bins: int) -> np.ndarray:
    """Equal-count bins 0..n_bins-1 from average ranks (ties share a rank, hence a bin)."""
    n = ranks.shape[0]
    return np.minimum(((ranks - 1.0) * n_bins / n).astype(np.int64), n_bins - 1)


def _anova_s1(count: np.ndarray, total: np.ndarray, square: np.ndarray) -> np.ndarray:
    """Bias-corrected between-bin share of variance from per-bin sums.

    Parameters
    ----------
    count, total, square : ndarray (..., M)
        Per bin: number of paths, sum of ``y``, sum of ``y²``.

    Returns
    -------
    ndarray (...)
        ``(SSB - (M' - 1) SSW / (n - M')) / SST`` with ``M'`` the non-empty
        bins; NaN where ``SST`` is 0.
    """
    n = count.sum(axis=-1)
    s = total.sum(axis=-1)
    sst = square.sum(axis=-1) - s * s / n
    filled = count > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.where(filled, total * total / np.where(filled, count, 1), 0.0).sum(axis=-1) - s * s / n
        m = filled.sum(axis=-1)
        within = sst - between
        corrected = between - (m - 1) * within / np.maximum(n - m, 1)
        return np.where(sst > 0, corrected / sst, np.nan)


def first_order_binned(x: np.ndarray, y: np.ndarray, *, bins: Optional[int] = None) -> np.ndarray:
    """Given-data first-order indices ``Var(E[Y | X_i]) / Var(Y)`` by quantile binning.

    Parameters
    ----------
    x : ndarray (n, d)
        Input samples, one column per input (any joint distribution).
    y : ndarray (n,)
        Output at those samples.
    bins : int, optional
        Bins per input (default :func:`default_bins`). Ties stay in one bin,
        so a discrete input has at most as many bins as values.

    Returns
    -------
    ndarray (d,)
        Bias-corrected estimates (may be slightly negative for an input with
        no effect); NaN if ``y`` is constant.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.uniform(size=(20_000, 2))
    >>> first_order_binned(x, x[:, 0] + 0.1 * rng.normal(size=20_000)).round(2)
    array([0.89, 0.  ])
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    n, d = x.shape
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},), got {y.shape}")
    m = bins or default_bins(n)
    b = _bins_from_ranks(_ranks(x), m)
    yc = (y - y.mean()) / (y.std() or 1.0)
    flat = (b + np.arange(d) * m).ravel(order="F")
    yy = np.tile(yc, d)
    count = np.bincount(flat, minlength=d * m).reshape(d, m)
    total = np.bincount(flat, weights=yy, minlength=d * m).reshape(d, m)
    square = np.bincount(flat, weights=yy * yy, minlength=d * m).reshape(d, m)
    return _anova_s1(count.astype(float), total, square)


@dataclass(frozen=True)
class _GivenStats:
    """Per-batch sufficient statistics of one output against every input."""

    bin_count: np.ndarray  # (G, d, M)
    bin_total: np.ndarray  # (G, d, M)
    bin_square: np.ndarray  # (G, d, M)
    rank_moments: np.ndarray  # (G, d, 5): sums of rx, ry, rx², ry², rx·ry


def _given_stats(flat: np.ndarray, rx: np.ndarray, batch: np.ndarray, n_batches: int, d: int, m: int,
                 y: np.ndarray, ry: np.ndarray, bin_count: np.ndarray) -> _GivenStats:
    """Per-batch bin sums of the standardised output and rank moments; ``flat`` indexes (batch, input, bin)."""
    n = len(y)
    yc = (y - y.mean()) / (y.std() or 1.0)
    yy = np.repeat(yc, d)
    size = n_batches * d * m
    total = np.bincount(flat, weights=yy, minlength=size).reshape(n_batches, d, m)
    square = np.bincount(flat, weights=yy * yy, minlength=size).reshape(n_batches, d, m)
    # ranks centred on (n + 1) / 2 and scaled: sums stay small, correlation unchanged
    cx = (rx - (n + 1) / 2) / n
    cy = (ry - (n + 1) / 2) / n
    starts = _batch_starts(batch, n_batches)
    moments = np.empty((n_batches, d, 5))
    moments[:, :, 0] = np.add.reduceat(cx, starts, axis=0)
    moments[:, :, 1] = np.add.reduceat(cy, starts)[:, None]
    moments[:, :, 2] = np.add.reduceat(cx * cx, starts, axis=0)
    moments[:, :, 3] = np.add.reduceat(cy * cy, starts)[:, None]
    moments[:, :, 4] = np.add.reduceat(cx * cy[:, None], starts, axis=0)
    return _GivenStats(bin_count, total, square, moments)


def _batch_starts(batch: np.ndarray, n_batches: int) -> np.ndarray:
    return np.searchsorted(batch, np.arange(n_batches))


def _spearman_from_moments(mom: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Pearson correlation of ranks from their sums (..., d, 5) and counts (...)."""
    n = np.asarray(n, dtype=float)[..., None]
    sx, sy, sxx, syy, sxy = (mom[..., k] for k in range(5))
    cov = sxy - sx * sy / n
    vx = sxx - sx * sx / n
    vy = syy - sy * sy / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((vx > 0) & (vy > 0), cov / np.sqrt(vx * vy), np.nan)


def given_data(results: Results, scenario: Scenario, *, by: str | Sequence[str] = "parameter",
               outputs: Optional[Sequence[str]] = None, n_boot: int = 200, seed: int = 0,
               bins: Optional[int] = None, parameters: Optional[dict] = None) -> pd.DataFrame | dict:
    """Given-data sensitivity of the risks' outputs to the sampled parameters, from a run's own paths.

    No extra simulation: first-order indices by bias-corrected quantile
    binning and Spearman rank correlations, with 95% intervals ``± 1.96``
    bootstrap standard errors (see the module's notes for the method and its
    error).

    Parameters
    ----------
    results : Results
        A run's results (``parameters`` and ``outputs``, one row per path).
    scenario : Scenario
        The validated scenario the run came from (factors, evidence classes).
    by : {"parameter", "factor", "evidence"} or a sequence of them
        One row per (output, parameter); or per (output, factor) or (output,
        evidence class), where ``S1`` is the sum of the group's parameters'
        first-order indices (its main-effect share) and no Spearman is given.
        A sequence returns a dict of tables keyed by ``by``, computed in one
        pass (cheaper than one call each).
    outputs : sequence of str, optional
        Outputs to analyse (default: the outputs the risks refer to, or every
        output when there is no risk).
    n_boot : int
        Bootstrap replicates.
    seed : int
        Seed of the bootstrap.
    bins : int, optional
        Bins per parameter (default :func:`default_bins` of the paths).
    parameters : dict, optional
        ``{output: parameter names}``: attribute each output among these
        sampled parameters only (e.g. those with a path to it in the model's
        dependency graph); an output not named keeps every parameter. The
        numbers are those of one call per output with a scenario holding only
        its parameters; one call shares the parameters' ranks, bins and
        bootstrapped bin counts among the outputs.

    Returns
    -------
    DataFrame (or dict of them)
        ``by="parameter"``: ``output``, ``parameter``, ``factor``,
        ``evidence``, ``unit``, ``S1``, ``S1_low``, ``S1_high``, ``spearman``,
        ``spearman_low``, ``spearman_high``, ``n``, ``bins``; rows of an output
        by decreasing ``S1``. Grouped: ``output``, ``by``, ``group``,
        ``parameters`` (comma-separated), ``S1``, ``S1_low``, ``S1_high``,
        ``n``, ``bins``. Parameters constant over the run are left out;
        constant outputs get NaN indices.
    """
    kinds = (by,) if isinstance(by, str) else tuple(by)
    for k in kinds:
        if k not in ("parameter", "factor", "evidence"):
            raise ValueError(f"by must be 'parameter', 'factor' or 'evidence', got {k!r}")
    outs = list(outputs) if outputs is not None else _risk_outputs(scenario)
    n = results.n_paths
    candidates = [p for p in scenario.parameters if p.distribution is not None and p.name in results.parameters]
    x_all = results.parameters[[p.name for p in candidates]].to_numpy(dtype=float)
    varies = (x_all.max(axis=0) > x_all.min(axis=0)) if n else np.zeros(len(candidates), bool)
    params = [p for p, v in zip(candidates, varies) if v]
    rows: dict = {k: [] for k in kinds}
    if params and outs and n >= 4:
        names = [p.name for p in params]
        x = x_all[:, varies]
        d = x.shape[1]
        m = bins or default_bins(n)
        rx = _ranks(x)
        bins_ = _bins_from_ranks(rx, m)
        g = min(n, _BATCHES)
        batch = (np.arange(n) * g) // n
        flat = ((batch[:, None] * d + np.arange(d)) * m + bins_).ravel()
        count = np.bincount(flat, minlength=g * d * m).reshape(g, d, m).astype(float)
        batch_n = np.bincount(batch, minlength=g).astype(float)
        rng = np.random.default_rng(seed)
        resample = rng.multinomial(g, np.full(g, 1.0 / g), size=n_boot).astype(float)  # (n_boot, G)

        def boot(a: np.ndarray) -> np.ndarray:
            return (resample @ a.reshape(g, -1)).reshape((n_boot,) + a.shape[1:])

        count_boot = boot(count)  # (n_boot, d, M): the bins do not depend on the output
        rank_n_boot = resample @ batch_n
        for out in outs:
            keep = (np.arange(d) if parameters is None or out not in parameters
                    else np.array([j for j, nm in enumerate(names) if nm in set(parameters[out])], dtype=int))
            if not len(keep):
                continue
            k = len(keep)
            if k == d:
                flat_k, rx_k, count_k, count_boot_k = flat, rx, count, count_boot
            else:  # this output's parameters alone: their ranks and bins as computed for all
                flat_k = ((batch[:, None] * k + np.arange(k)) * m + bins_[:, keep]).ravel()
                rx_k, count_k, count_boot_k = rx[:, keep], count[:, keep], count_boot[:, keep]
            y = censored(results.outputs[out].to_numpy(dtype=float), scenario)
            st = _given_stats(flat_k, rx_k, batch, g, k, m, y, _ranks(y[:, None])[:, 0], count_k)
            s1 = _anova_s1(st.bin_count.sum(0), st.bin_total.sum(0), st.bin_square.sum(0))  # (k,)
            s1_boot = _anova_s1(count_boot_k, boot(st.bin_total), boot(st.bin_square))  # (n_boot, k)
            out_params = [params[j] for j in keep]
            for kind in kinds:
                if kind == "parameter":
                    rho = _spearman_from_moments(st.rank_moments.sum(0), n)
                    rho_boot = _spearman_from_moments(boot(st.rank_moments), rank_n_boot)
                    lo, hi = _normal_interval(s1, s1_boot)
                    rlo, rhi = _normal_interval(rho, rho_boot)
                    for j, p in enumerate(out_params):
                        rows[kind].append((out, p.name, p.factor, p.evidence, p.unit, s1[j], lo[j], hi[j], rho[j],
                                           rlo[j], rhi[j], n, m))
                    continue
                keys = [getattr(p, kind) for p in out_params]
                for key in dict.fromkeys(keys):
                    idx = [j for j, k in enumerate(keys) if k == key]
                    lo, hi = _normal_interval(s1[idx].sum(), s1_boot[:, idx].sum(axis=1))
                    rows[kind].append((out, kind, key, ", ".join(out_params[j].name for j in idx), s1[idx].sum(),
                                       float(lo), float(hi), n, m))
    columns_p = ["output", "parameter", "factor", "evidence", "unit", "S1", "S1_low", "S1_high", "spearman",
                 "spearman_low", "spearman_high", "n", "bins"]
    columns_g = ["output", "by", "group", "parameters", "S1", "S1_low", "S1_high", "n", "bins"]
    order = {o: i for i, o in enumerate(outs)}
    tables = {}
    for kind in kinds:
        table = pd.DataFrame(rows[kind], columns=columns_p if kind == "parameter" else columns_g)
        table = table.assign(_o=table["output"].map(order), _s=-table["S1"].astype(float).fillna(-np.inf))
        tables[kind] = table.sort_values(["_o", "_s"], kind="stable").drop(columns=["_o", "_s"]).reset_index(
            drop=True)
    return tables[by] if isinstance(by, str) else tables


def tornado(results: Results, scenario: Scenario, output: str | Sequence[str], *,
            fraction: float = 0.1) -> pd.DataFrame:
    """Swing of an output's mean across each sampled parameter's range, largest first.

    For each parameter, the output's mean over the paths whose parameter lies
    at or below its ``fraction`` quantile (the lowest decile, centred on P5)
    and at or above its ``1 - fraction`` quantile (centred on P95).

    Parameters
    ----------
    results : Results
    scenario : Scenario
    output : str or sequence of str
        An output name or a risk id; a sequence gives one table of all of
        them (rows of each output together, in the order given), computed in
        one pass.
    fraction : float
        Share of paths at each end (default 0.1: deciles).

    Returns
    -------
    DataFrame
        ``parameter``, ``factor``, ``evidence``, ``unit``, ``x_low`` (P5),
        ``x_high`` (P95), ``mean_low``, ``mean_high``, ``swing`` (``mean_high
        - mean_low``), ``swing_se`` (its Monte Carlo standard error),
        ``n_low``, ``n_high``, ``mean`` (over all paths), ``output``,
        ``output_unit``; sorted by ``|swing|``, largest first. Parameters
        constant over the run are left out.
    """
    if not 0 < fraction < 0.5:
        raise ValueError(f"fraction must be in (0, 0.5), got {fraction}")
    many = not isinstance(output, str)
    outs = [_resolve_output(scenario, o) for o in (output if many else [output])]
    params = [p for p in scenario.parameters if p.distribution is not None and p.name in results.parameters]
    x = results.parameters[[p.name for p in params]].to_numpy(dtype=float)
    if len(params) and len(x):
        q = np.quantile(x, [fraction / 2, fraction, 1 - fraction, 1 - fraction / 2], axis=0)  # (4, d)
        lo = (x <= q[1]).astype(float)
        hi = (x >= q[2]).astype(float)
    tables = [_tornado_one(results, scenario, out, params, q, lo, hi) if len(params) and len(x)
              else _tornado_one(results, scenario, out, [], None, None, None) for out in outs]
    return pd.concat(tables, ignore_index=True) if many else tables[0]


def _tornado_one(results: Results, scenario: Scenario, out: str, params: list, q, lo, hi) -> pd.DataFrame:
    y = censored(results.outputs[out].to_numpy(dtype=float), scenario)
    unit = scenario.output(out).unit
    rows = []
    if len(params) and len(y):
        y2 = y * y
        n_lo, n_hi = lo.sum(0), hi.sum(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            m_lo, m_hi = (y @ lo) / n_lo, (y @ hi) / n_hi
            v_lo = ((y2 @ lo) - n_lo * m_lo**2) / (n_lo - 1)
            v_hi = ((y2 @ hi) - n_hi * m_hi**2) / (n_hi - 1)
            se = np.sqrt(np.clip(v_lo, 0, None) / n_lo + np.clip(v_hi, 0, None) / n_hi)
        for j, p in enumerate(params):
            if q[1, j] == q[2, j] or not n_lo[j] or not n_hi[j]:
                continue
            rows.append((p.name, p.factor, p.evidence, p.unit, q[0, j], q[3, j], m_lo[j], m_hi[j], m_hi[j] - m_lo[j],
                         se[j] if min(n_lo[j], n_hi[j]) > 1 else float("nan"), int(n_lo[j]), int(n_hi[j])))
    table = pd.DataFrame(rows, columns=["parameter", "factor", "evidence", "unit", "x_low", "x_high", "mean_low",
                                        "mean_high", "swing", "swing_se", "n_low", "n_high"])
    table["mean"] = float(y.mean()) if len(y) else float("nan")
    table["output"] = out
    table["output_unit"] = unit
    return table.reindex(table["swing"].abs().sort_values(ascending=False, kind="stable").index).reset_index(drop=True)


# =============================================================================== moved names
# The judgment share lives in :mod:`riskmodel.judgment` (it changes with the report, not with the
# estimators); its names stay importable from here.

_MOVED_TO_JUDGMENT = ("JUDGMENT_SHARE_SENTENCE", "judgment_share_sentence", "judgment_share")
#: The designs' estimators, in :mod:`riskmodel.sobol` (loaded when first asked for from here).
_MOVED_TO_SOBOL = frozenset(('saltelli_first_order', 'jansen_total_order', '_Unit', '_Group', '_unaligned_draws', '_plan_design', '_design_seeds', '_design_matrices', '_evaluate_design', '_resample_counts', '_indices', 'INDEX_COLUMNS', 'Explanation', '_load_scenario', '_check_base_samples', '_explanations', 'explain'))


def __getattr__(name: str):
    if name in _MOVED_TO_JUDGMENT:
        from . import judgment

        return getattr(judgment, name)
    if name in _MOVED_TO_SOBOL:
        from . import sobol

        return getattr(sobol, name)
    raise AttributeError(f"module 'riskmodel.sensitivity' has no attribute {name!r}")
