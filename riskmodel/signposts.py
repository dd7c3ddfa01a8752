"""Signposts: which observations would tell the most (``riskmodel signposts``).

For each observable a scenario defines (each state at listed months, or at
each quarter's last month; each state output at the month it is known),
:func:`signposts` estimates from the simulated paths how much observing it
would reduce the variance of each risk's indicator Y (0/1):

    VoI(X) = Var(Y) - E[Var(Y | X)],   share = VoI / Var(Y)

(the expected reduction of the risk's Brier score when forecasting it from X,
as a share of the Brier score without X). ``E[Var(Y | X)]`` is estimated by
grouping the paths into up to :data:`BINS` equal-count bins of X; the plug-in
estimate is biased upwards by about ``(B - 1) / (n - B)`` of the within-bin
variance even when X says nothing, and that amount is subtracted.

Given several scenarios (a baseline and variants, run with the same seed:
common random numbers), the same estimate applied to the scenario label
(each scenario equally likely beforehand) says which observations best tell
the scenarios apart: the share of the label's Brier score (Gini impurity,
``1 - 1/K``) that observing X would remove.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from . import __version__
from .compile import compile_scenario
from .errors import ScenarioError
from .model import Month, Scenario
from .simulate import DEFAULT_MEMORY_BYTES, simulate
from .update import _known_month
from .validate import validate

__all__ = ["signposts", "Signposts", "variance_reduction", "share_mc_error", "BINS", "INFORMATIVE_SHARE"]

#: Bins of an observable's values.
BINS = 20
#: An observable is "informative" from the first month its share reaches half its best, and at least this.
INFORMATIVE_SHARE = 0.05


def _bins(x: np.ndarray, bins: int) -> np.ndarray:
    """Bin index of each value: its distinct values when there are at most ``bins``, else equal-count bins."""
    values = np.unique(x)
    if len(values) <= bins:
        return np.searchsorted(values, x)
    edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.searchsorted(edges, x, side="right")


def variance_reduction(x: np.ndarray, y: np.ndarray, *, bins: int = BINS) -> tuple:
    """Expected reduction of Var(y) from observing x, and Var(y), estimated by binning x.

    Parameters
    ----------
    x : ndarray (n,)
        The observable, per path.
    y : ndarray (n,) or (n, k)
        What is to be forecast (a risk's 0/1 indicator; one-hot columns of a label).

    Returns
    -------
    (reduction, total) : floats
        Summed over y's columns; reduction is bias-corrected and at least 0.

    Examples
    --------
    >>> x = np.repeat([0.0, 1.0], 50); y = x.copy()   # x tells y exactly
    >>> variance_reduction(x, y)
    (0.25, 0.25)
    """
    red, total, _ = _reduction(x, y, bins, with_se=False)
    return red, total


def share_mc_error(x: np.ndarray, y: np.ndarray, *, bins: int = BINS) -> float:
    """Monte Carlo standard error of the share ``reduction / total`` of :func:`variance_reduction`.

    For 0/1 columns of y (a risk's indicator, or a label's one-hot columns), the share is a smooth function
    of the proportions of paths in each (bin of x, value of y) cell; its error is the delta method's for
    those multinomial proportions, ``sqrt((sum q g^2 - (sum q g)^2) / n)`` with ``g`` the share's gradient,
    the bins held fixed and the paths independent. NaN where y does not vary.

    Examples
    --------
    >>> x = np.repeat([0.0, 1.0], 50); round(share_mc_error(x, x.copy()), 6)   # x tells y exactly: no error
    0.0
    """
    return _reduction(x, y, bins, with_se=True)[2]


def _reduction(x, y, bins: int, *, with_se: bool) -> tuple:
    """(reduction, total, standard error of the share or NaN) from one binning of x."""
    y2 = np.asarray(y, dtype=float)
    y2 = y2[:, None] if y2.ndim == 1 else y2
    n = len(y2)
    b = _bins(np.asarray(x, dtype=float), bins)
    k = int(b.max()) + 1
    counts = np.bincount(b, minlength=k).astype(float)
    total = float(y2.var(axis=0).sum())
    if total == 0:
        return 0.0, 0.0, float("nan")
    within = 0.0
    ones = np.empty((k, y2.shape[1]))  # paths with y_j = 1 in each bin
    for j in range(y2.shape[1]):
        s1 = np.bincount(b, weights=y2[:, j], minlength=k)
        s2 = np.bincount(b, weights=y2[:, j] ** 2, minlength=k)
        ones[:, j] = s1
        nz = counts > 0
        within += float(np.sum(s2[nz] - s1[nz] ** 2 / counts[nz]) / n)
    used = int((counts > 0).sum())
    bias = (used - 1) / max(1, n - used) * within
    se = float("nan")
    if with_se:
        se = _share_delta_se(counts, ones, n, within, total)
    return float(max(0.0, total - within - bias)), total, se


def _share_delta_se(counts: np.ndarray, ones: np.ndarray, n: int, within: float, total: float) -> float:
    """The delta method's standard error of 1 - within/total over the (bin, y) cells.

    The cells are, per bin, the paths with y_j = 1 for each column j, and (for a single 0/1 column) those
    with y = 0. With q the cells' proportions, p_bj = q_bj / n_b and p_j = sum_b q_bj:
    d within / d q_bc = [c counted](1 - 2 p_bc) + sum_j p_bj^2 and d total / d q_bc = [c counted](1 - 2 p_c).
    """
    nz = counts > 0
    counts, ones = counts[nz], ones[nz]
    p_b = ones / counts[:, None]  # (bins, columns)
    p = ones.sum(axis=0) / n
    sq = (p_b ** 2).sum(axis=1)  # sum_j p_bj^2, per bin
    cells_q, cells_g = [], []
    for j in range(ones.shape[1]):  # cells where column j is 1 (counted in within and total)
        d_within = 1 - 2 * p_b[:, j] + sq
        d_total = 1 - 2 * p[j]
        cells_q.append(ones[:, j] / n)
        cells_g.append(-(d_within * total - within * d_total) / total ** 2)
    rest = counts - ones.sum(axis=1)  # paths with every column 0 (a single column's y = 0; none for a label)
    if np.any(rest > 0):
        cells_q.append(rest / n)
        cells_g.append(-(sq * total) / total ** 2)
    q, g = np.concatenate(cells_q), np.concatenate(cells_g)
    var = float(np.sum(q * g ** 2) - np.sum(q * g) ** 2) / n
    return float(np.sqrt(max(var, 0.0)))


@dataclass(frozen=True)
class Signposts:
    """What observing each observable would tell.

    Attributes
    ----------
    table : DataFrame
        One row per (observable, month, risk): ``scenario``, ``kind`` (state |
        output), ``observable``, ``month``, ``t``, ``risk``, ``variance``
        (p (1 - p)), ``reduction``, ``share`` (reduction / variance),
        ``share_se`` (its Monte Carlo standard error, :func:`share_mc_error`).
    top : DataFrame
        Per risk, the observables ranked by their best share: ``risk``,
        ``observable``, ``kind``, ``best_share``, ``best_month``,
        ``informative_from`` (first month whose share is at least half the
        best and at least INFORMATIVE_SHARE; empty if none),
        ``rank``, ``best_share_se`` (the best month's standard error).
    discrimination : DataFrame
        With several scenarios: ``observable``, ``month``, ``t``, ``share``
        (of the scenario label's Brier score removed); empty otherwise.
    discrimination_top : DataFrame
        Observables ranked by best share, with ``best_month``, ``informative_from`` and
        ``best_share_se``; ``discrimination`` has ``share_se`` as ``table``.
    meta : dict
    """

    table: pd.DataFrame
    top: pd.DataFrame
    discrimination: pd.DataFrame
    discrimination_top: pd.DataFrame
    meta: dict
    scenarios: tuple = field(default=(), repr=False, compare=False)

    @property
    def certain(self) -> frozenset:
        """The first scenario's risks decided alike on every path (no variance): nothing can tell about them."""
        base = self.table[(self.table["scenario"] == self.meta["scenario"]) & (self.table["variance"] == 0)]
        return frozenset(base["risk"])

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        self.table.to_csv(folder / "signposts.csv", index=False)
        self.top.to_csv(folder / "top.csv", index=False)
        self.discrimination.to_csv(folder / "discrimination.csv", index=False)
        self.discrimination_top.to_csv(folder / "discrimination_top.csv", index=False)
        import json
        (folder / "run.json").write_text(json.dumps(self.meta, indent=2, default=str), encoding="utf-8")
        return folder


def _months(sc: Scenario, months: Optional[Sequence[str]]) -> list:
    """Month indices to observe: those listed, or each quarter's last month (Mar, Jun, Sep, Dec) and the last."""
    T = sc.horizon_months
    if months:
        out = []
        for text in months:
            try:
                t = Month.parse(str(text)).index_from(sc.origin)
            except (ValueError, TypeError):
                raise ScenarioError.at(f"--month {text}", None, (), f"'{text}' is not a month",
                                       "write YYYY-MM, e.g. 2024-06") from None
            if not 0 <= t < T:
                raise ScenarioError.at(f"--month {text}", None, (),
                                       f"{text} is outside the horizon ({sc.origin} to {sc.origin.plus(T - 1)})",
                                       "list months the scenario simulates")
            out.append(t)
        return sorted(set(out))
    ts = [t for t in range(T) if sc.origin.plus(t).month % 3 == 0]
    return sorted(set(ts + [T - 1]))


def _informative(part: pd.DataFrame) -> tuple:
    """(best share, its standard error, its month, the first month it is informative or "")."""
    best = part.loc[part["share"].idxmax()]
    hit = part[part["share"] >= max(INFORMATIVE_SHARE, 0.5 * float(best["share"]))].sort_values("t")
    return (float(best["share"]), float(best["share_se"]), str(best["month"]),
            (str(hit.iloc[0]["month"]) if len(hit) else ""))


def signposts(
    scenarios: Sequence[str | os.PathLike | Scenario],
    *,
    samples: Optional[int] = None,
    seed: Optional[int] = None,
    months: Optional[Sequence[str]] = None,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    workers: int = 1,
) -> Signposts:
    """Rank the observables of a scenario by what observing them would tell about each risk.

    Parameters
    ----------
    scenarios : sequence of path-like or Scenario
        The scenario first; further ones are variants to tell apart (same
        seed: common random numbers).
    samples, seed : optional
        Default to the first scenario's.
    months : sequence of "YYYY-MM", optional
        When states would be observed (default: each quarter's last month).

    Returns
    -------
    Signposts
    """
    scs = [s if isinstance(s, Scenario) else validate(s) for s in scenarios]
    if not scs:
        raise ValueError("signposts needs at least one scenario")
    base = scs[0]
    seed = int(seed if seed is not None else base.seed)
    n = int(samples if samples is not None else base.samples)
    ts = _months(base, months)
    runs = []
    for sc in scs:
        model = compile_scenario(sc)
        kept = {s.name: None for s in sc.states}
        res = simulate(model, samples=n, seed=seed, memory_bytes=memory_bytes, workers=workers, keep=kept)
        known = {o.name: _known_month(sc, model, o.name) for o in model.outputs}
        runs.append((sc, res, kept, known))

    rows = []
    for sc, res, kept, known in runs:
        ys = {r.id: r.exceeded(res.outputs[r.output].to_numpy()).astype(float) for r in sc.risks}
        observables = [("state", name, t, kept[name][:, t]) for name in kept for t in ts if t < sc.horizon_months]
        # the outputs a run keeps: not the per-element ones a `reduce` sums before it is kept
        observables += [("output", name, t, res.outputs[name].to_numpy()) for name, t in known.items()
                        if name in res.outputs]
        for kind, name, t, x in observables:
            for r in sc.risks:
                if t >= known[r.output]:
                    continue  # seen when the risk is decided (or later): the answer, not a signpost
                red, var, se = _reduction(x, ys[r.id], BINS, with_se=True)
                rows.append({"scenario": sc.name, "kind": kind, "observable": name, "month": str(sc.origin.plus(t)),
                             "t": t, "risk": r.id, "variance": var, "reduction": red,
                             "share": red / var if var > 0 else 0.0, "share_se": se})
    table = pd.DataFrame(rows, columns=["scenario", "kind", "observable", "month", "t", "risk", "variance",
                                        "reduction", "share", "share_se"])
    top_rows = []
    first = table[table["scenario"] == base.name]
    for risk, part in first.groupby("risk", sort=False):
        ranked = []
        for (kind, name), obs in part.groupby(["kind", "observable"], sort=False):
            best, best_se, best_month, from_month = _informative(obs)
            ranked.append({"risk": risk, "observable": name, "kind": kind, "best_share": best,
                           "best_month": best_month, "informative_from": from_month, "best_share_se": best_se})
        ranked.sort(key=lambda r: -r["best_share"])
        for i, r in enumerate(ranked):
            top_rows.append({**r, "rank": i + 1})
    top = pd.DataFrame(top_rows, columns=["risk", "observable", "kind", "best_share", "best_month",
                                          "informative_from", "rank", "best_share_se"])

    disc_rows, disc_top = [], []
    if len(runs) > 1:
        K = len(runs)
        common = [s.name for s in base.states if all(s.name in kept for _, _, kept, _ in runs)]
        label = np.repeat(np.eye(K), n, axis=0)
        for name in common:
            for t in ts:
                if any(t >= sc.horizon_months for sc, *_ in runs):
                    continue
                x = np.concatenate([kept[name][:, t] for _, _, kept, _ in runs])
                red, total, se = _reduction(x, label, BINS, with_se=True)
                disc_rows.append({"observable": name, "month": str(base.origin.plus(t)), "t": t,
                                  "reduction": red, "impurity": total, "share": red / total if total else 0.0,
                                  "share_se": se})
    discrimination = pd.DataFrame(disc_rows, columns=["observable", "month", "t", "reduction", "impurity", "share",
                                                      "share_se"])
    for name, part in discrimination.groupby("observable", sort=False):
        best, best_se, best_month, from_month = _informative(part)
        disc_top.append({"observable": name, "best_share": best, "best_month": best_month,
                         "informative_from": from_month, "best_share_se": best_se})
    disc_top.sort(key=lambda r: -r["best_share"])
    discrimination_top = pd.DataFrame(disc_top, columns=["observable", "best_share", "best_month", "informative_from",
                                                         "best_share_se"])
    meta = {"riskmodel_version": __version__, "kind": "signposts",  # a later run may replace the folder
            "scenario": scs[0].name, "scenarios": [sc.name for sc in scs], "scenario_paths": [sc.path for sc in scs], "samples": n,
            "seed": seed, "months": [str(base.origin.plus(t)) for t in ts], "bins": BINS,
            "informative_share": INFORMATIVE_SHARE,
            "method": "share = (Var(Y) - E[Var(Y|X)]) / Var(Y), E[Var(Y|X)] from equal-count bins of X, "
                      "bias (B-1)/(n-B) x within-bin variance subtracted",
            "mc_error": "the delta method over the (bin, outcome) cells' proportions, bins fixed, paths "
                        "independent (for the scenario label, whose shares are fixed by design, an upper estimate); "
                        "a best share is the largest over months, so it leans high by more than its se says"}
    return Signposts(table=table, top=top, discrimination=discrimination, discrimination_top=discrimination_top,
                     meta=meta, scenarios=tuple(scs))


def write_signposts_folder(sp: Signposts, out: str | os.PathLike) -> Path:
    """Write the signposts tables and report into ``out``, atomically, as a run folder is written."""
    from .pipeline import write_run_folder
    from .render._signposts import render_signposts

    return write_run_folder(sp, out, extra=lambda folder: render_signposts(sp, folder))
