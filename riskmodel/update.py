"""Conditioning a scenario on what has been observed: ``riskmodel update``.

``update(scenario, outcomes)`` simulates the scenario and gives each path a
weight proportional to the likelihood of the observations on that path
(importance weighting of the prior paths, self-normalised):

- a *binary* observation (``risk``, ``happened``, ``date``) keeps the paths on
  which the risk's event had (or had not) happened by the observation's month;
  the risk's output must be a state output whose value as of a month is defined
  (:data:`AS_OF`: ``end``, ``max`` and, where the language has it, ``first``);
- a *numeric* observation of an output or of a state in a month multiplies the
  weight by the density of its measurement error: normal (``error: {sd: s}``)
  or lognormal (``error: {relative: r}``, a normal error of sd ``r`` on the log).

Every posterior quantity is a weighted mean over the paths, reported with the
standard error of a self-normalised importance-sampling estimate,
``se = sqrt(sum_i w_i^2 (y_i - p)^2)``, and the run states the Kish effective
sample size ``ESS = 1 / sum_i w_i^2`` (weights summing to 1).

References
----------
Kish, L. (1965). *Survey Sampling*, Wiley (the effective sample size).
Owen, A. B. (2013). *Monte Carlo theory, methods and examples*, ch. 9
(self-normalised importance sampling and its delta-method variance).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np
import pandas as pd

from .analyse import risk_register, wilson_interval
from .compile import compile_scenario
from .errors import Position, Problem, ScenarioError
from .model import Scenario
from .outcomes import Outcomes, load_outcomes
from .results import Results
from .runsize import check_cap
from .simulate import BLOCK_SIZE, DEFAULT_MEMORY_BYTES, QUANTILES, simulate
from .validate import validate

__all__ = ["update", "Posterior", "kish_ess", "weighted_quantile", "AS_OF", "ESS_FLOOR", "ESS_SHOW_MIN",
           "UPDATE_FILES"]

#: Below this effective sample size the report warns and ``--until-ess`` adds paths.
ESS_FLOOR = 1000
#: Below this effective sample size no posterior number is shown.
ESS_SHOW_MIN = 100
#: Files an update adds to its run folder.
UPDATE_FILES = ("weights.parquet", "prior_register.csv", "parameter_shift.csv", "observations.csv",
                "prior_bands.csv")
#: The budget for the per-path state series an update keeps (bytes).
KEEP_BYTES = 2 << 30


# ---- a state output's value as of a month ---------------------------------------------------------------
# Each entry maps (series (n, T), first, last, t, output) -> the output's value as far as month t has shown it.
# A new `agg` slots in here; an agg without an entry (sum, mean, min) has no defined value "by a date".

def _as_of_end(series, first, last, t, output):
    return series[:, min(t, last)]


def _as_of_max(series, first, last, t, output):
    return series[:, first:min(t, last) + 1].max(axis=1)


def _as_of_first(series, first, last, t, output):
    above = float(getattr(output, "above", None) or 0.0)
    window = series[:, first:min(t, last) + 1] > above
    hit = window.any(axis=1)
    return np.where(hit, first + window.argmax(axis=1), np.inf).astype(float)


AS_OF: dict = {"end": _as_of_end, "max": _as_of_max, "first": _as_of_first}


# ---- small pure functions ------------------------------------------------------------------------------

def kish_ess(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` of nonnegative weights.

    >>> kish_ess(np.array([1.0, 1.0, 2.0]))
    2.6666666666666665
    """
    w = np.asarray(weights, dtype=float)
    s2 = float(np.dot(w, w))
    return float(w.sum() ** 2 / s2) if s2 > 0 else 0.0


def weighted_quantile(x: np.ndarray, w: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles of ``x`` (n,) or (n, k) under weights ``w`` (n,): the smallest value whose cumulative
    weight reaches q (an inverted CDF, so each quantile is a value some path took). Returns (len(qs),) or
    (len(qs), k)."""
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    one = x.ndim == 1
    x2 = x[:, None] if one else x
    if not w.all():  # a path of weight 0 is never the answer (the first to reach q carries weight): skip them
        x2, w = x2[w > 0], w[w > 0]
    order = np.argsort(x2, axis=0, kind="stable")
    xs = np.take_along_axis(x2, order, axis=0)
    cw = np.cumsum(w[order], axis=0)
    cw /= cw[-1]
    out = np.empty((len(qs), x2.shape[1]))
    for i, q in enumerate(qs):
        idx = np.minimum((cw < q - 1e-12).sum(axis=0), len(x2) - 1)
        out[i] = xs[idx, np.arange(x2.shape[1])]
    return out[:, 0] if one else out


def weighted_mean_se(y: np.ndarray, w: np.ndarray) -> tuple:
    """Weighted mean of ``y`` and its self-normalised importance-sampling standard error."""
    m = float(np.dot(w, y))
    return m, float(np.sqrt(np.dot(w * w, (y - m) ** 2)))


def difference_se(y: np.ndarray, w: np.ndarray) -> float:
    """Standard error of (weighted mean - plain mean) of ``y`` over the same paths (delta method)."""
    n = len(y)
    post = float(np.dot(w, y))
    prior = float(y.mean())
    return float(np.sqrt(np.sum((w * (y - post) - (y - prior) / n) ** 2)))


# ---- the result --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Posterior(Results):
    """Results of a run conditioned on observations.

    Besides :class:`~riskmodel.results.Results`' tables (``outputs`` and
    ``parameters`` are the prior paths, unchanged):

    Attributes
    ----------
    weights : ndarray (n_paths,)
        Each path's weight, nonnegative, summing to 1.
    register : DataFrame
        One row per risk: the posterior likelihood ``likelihood`` and its
        weighted standard error ``se``, the prior ``prior`` and ``prior_se``,
        ``difference`` (posterior - prior) and ``difference_se``, ``ess``
        (Kish), ``shown`` (ESS at least :data:`ESS_SHOW_MIN`), ``known_from``
        (the month from which the risk's output is known), ``status``
        (``open``: decided after the last observation; ``observed``: by it),
        ``n`` (paths) and ``ci_low``/``ci_high``: the 95% Wilson interval at
        the effective sample size, as a plain run of ``ess`` paths states it.
    prior_register : DataFrame
        The unweighted register of the same paths.
    bands : DataFrame
        Posterior (weighted) bands per state and month, the columns of the
        prior's; ``prior_bands`` holds the prior's.
    parameter_shift : DataFrame
        One row per parameter: prior and posterior mean, median, 5% and 95%
        quantiles, the shift of the mean with its standard error, and
        ``moved`` (see :func:`parameter_shift`).
    observations : DataFrame
        The ledger: one row per observation used, with the paths consistent
        with it alone and its evidence.
    meta : dict
        The run's, plus ``update``: ``ess``, ``ess_floor``, ``last_observed``,
        ``observations``, ``stopped``.
    """

    weights: Any = field(default=None, repr=False, compare=False)
    prior_register: Any = field(default=None, repr=False, compare=False)
    prior_bands: Any = field(default=None, repr=False, compare=False)
    parameter_shift: Any = field(default=None, repr=False, compare=False)
    observations: Any = field(default=None, repr=False, compare=False)
    series: Any = field(default=None, repr=False, compare=False)  # state -> (n, T), the kept paths

    @property
    def ess(self) -> float:
        return float(self.meta["update"]["ess"])

    def head(self, n: int) -> "Posterior":
        raise ValueError("a posterior's weights belong to all its paths; cut the prior run instead")

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        super().save(folder)
        pd.DataFrame({"weight": self.weights}).to_parquet(folder / "weights.parquet", index=False)
        self.prior_register.to_csv(folder / "prior_register.csv", index=False)
        self.parameter_shift.to_csv(folder / "parameter_shift.csv", index=False)
        self.observations.to_csv(folder / "observations.csv", index=False)
        self.prior_bands.to_csv(folder / "prior_bands.csv", index=False)
        return folder


# ---- observations -> log-likelihood per path ---------------------------------------------------------

@dataclass(frozen=True)
class _Obs:
    index: int  # position in the file's list
    kind: str  # binary | output | state
    name: str
    date: str
    t: int  # month index of the date
    raw: Any  # the outcomes' observation
    key: tuple  # key path in the outcomes file

    @property
    def label(self) -> str:
        if self.kind == "binary":
            return f"risk '{self.name}' {'happened' if self.raw.happened else 'had not happened'} by {self.date}"
        return f"{self.kind} '{self.name}' = {self.raw.value:,.6g} in {self.date}"


def _err(obs: _Obs, outcomes: Outcomes, message: str, hint: str, key: tuple = ()) -> ScenarioError:
    pos = obs.raw.position or Position(outcomes.path)
    return ScenarioError(Problem(pos, obs.key + key, message, hint))


def _known_month(sc: Scenario, model, name: str, seen: tuple = ()) -> int:
    """The month index from which an output's value is known (its window's end; an expr's latest input)."""
    co = next(o for o in model.outputs if o.name == name)
    if co.state_index is not None:
        return co.last
    expr = sc.output(name).expr or ""
    used = [o.name for o in sc.outputs if o.name not in seen and re.search(rf"\b{re.escape(o.name)}\b", expr)]
    return max([_known_month(sc, model, u, seen + (name,)) for u in used], default=model.n_months - 1)


def _observations(outcomes: Outcomes, sc: Scenario) -> list:
    """Every observation, in file order, with its key path and month index."""
    items = [("binary", o) for o in outcomes.binary] + [("output", o) for o in outcomes.numeric] + \
            [("state", o) for o in outcomes.states]
    items.sort(key=lambda kv: (kv[1].position.line or 0) if kv[1].position else 0)
    out = []
    for i, (kind, o) in enumerate(items):
        name = o.risk if kind == "binary" else o.name
        date = str(o.date) if o.date is not None else ""
        t = o.date.index_from(sc.origin) if o.date is not None else -1
        out.append(_Obs(i, kind, name, date, t, o, ("observations", i)))
    return out


def _check(observations: list, outcomes: Outcomes, sc: Scenario, model) -> list:
    """Every problem of the observations for conditioning, before anything is simulated."""
    problems = []
    T = model.n_months
    last_month = sc.origin.plus(T - 1)
    for ob in observations:
        def add(message, hint, key=()):
            problems.extend(_err(ob, outcomes, message, hint, key).problems)
        if ob.kind == "output" and not ob.date:
            ob_t = _known_month(sc, model, ob.name)
            object.__setattr__(ob, "t", ob_t)
            object.__setattr__(ob, "date", str(sc.origin.plus(ob_t)))
        if not 0 <= ob.t < T:
            add(f"{ob.label}: the month is outside the scenario's horizon ({sc.origin} to {last_month})",
                "an update conditions on months the scenario simulates; drop the observation or move the origin",
                ("date",))
            continue
        if ob.kind == "binary":
            risk = next(r for r in sc.risks if r.id == ob.name)
            out = sc.output(risk.output)
            co = next(o for o in model.outputs if o.name == risk.output)
            if co.state_index is None or co.agg not in AS_OF:
                form = f"`expr: {out.expr}`" if co.state_index is None else f"`agg: {co.agg}`"
                add(f"{ob.label}: risk '{risk.id}' counts output '{risk.output}' ({form}), whose value by a date "
                    "is not defined",
                    "a binary observation needs a risk on a state output with agg "
                    + ", ".join(AS_OF) + "; observe the state itself instead (`- state: ... value: ... error: ...`)",
                    ("risk",))
            elif ob.t < co.first:
                add(f"{ob.label}: output '{risk.output}' starts in {sc.origin.plus(co.first)}, after the observation",
                    "date the observation within the output's window", ("date",))
        else:
            if ob.raw.error is None:
                add(f"{ob.label}: a numeric observation needs a measurement error",
                    "add `error: {sd: <how far the figure may be off>}` (normal) or `error: {relative: 0.1}` "
                    "(lognormal, about 10%); an exact match of a continuous value keeps no path")
            elif ob.raw.error[0] == "relative" and ob.raw.value <= 0:
                add(f"{ob.label}: a relative (lognormal) error needs a value above 0",
                    "use `error: {sd: ...}` for a value of 0 or less", ("value",))
            if ob.kind == "output":
                known = _known_month(sc, model, ob.name)
                if ob.t < known:
                    add(f"{ob.label}: output '{ob.name}' is known only from {sc.origin.plus(known)}",
                        f"date it {sc.origin.plus(known)} or later, or observe its state in the month instead",
                        ("date",))
    return problems


def _log_likelihood(ob: _Obs, sc: Scenario, model, outputs: pd.DataFrame, series: dict) -> np.ndarray:
    """log p(observation | path), per path (-inf where impossible)."""
    if ob.kind == "binary":
        risk = next(r for r in sc.risks if r.id == ob.name)
        co = next(o for o in model.outputs if o.name == risk.output)
        state = model.states[co.state_index].name
        value = AS_OF[co.agg](series[state], co.first, co.last, ob.t, sc.output(risk.output))
        happened = risk.exceeded(value)
        keep = happened if ob.raw.happened else ~happened
        return np.where(keep, 0.0, -np.inf)
    x = outputs[ob.name].to_numpy(dtype=float) if ob.kind == "output" else series[ob.name][:, ob.t]
    kind, size = ob.raw.error
    if kind == "sd":
        return -0.5 * ((ob.raw.value - x) / size) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(ob.raw.value) - np.log(np.where(x > 0, x, np.nan))) / size
    return np.where(x > 0, -0.5 * z**2, -np.inf)  # the density's 1/value factor is the same on every path


def _weights(observations: list, sc: Scenario, model, outputs, series, outcomes) -> tuple:
    """Normalised weights and, per observation, how many paths it alone leaves (nonzero likelihood)."""
    total = np.zeros(len(outputs))
    alone = []
    for ob in observations:
        ll = _log_likelihood(ob, sc, model, outputs, series)
        alone.append(int(np.isfinite(ll).sum()))
        before = np.isfinite(total).sum()
        total = total + ll
        if not np.isfinite(total).any():
            n = len(outputs)
            hint = (f"this observation alone is consistent with {alone[-1]:,} of {n:,} paths"
                    + ("" if before == n else f", the earlier observations together with {before:,}")
                    + "; check the observation, or run more paths (--samples), or revisit the scenario's ranges")
            raise _err(ob, outcomes, f"{ob.label}: no simulated path agrees with the observations", hint)
    w = np.exp(total - total.max())
    return w / w.sum(), alone


# ---- posterior summaries -----------------------------------------------------------------------------

def _posterior_register(prior: pd.DataFrame, results: Results, sc: Scenario, model, w: np.ndarray, ess: float,
                        last_t: int) -> pd.DataFrame:
    rows = []
    for r, row in zip(sc.risks, prior.itertuples()):
        y = r.exceeded(results.outputs[r.output].to_numpy()).astype(float)
        p, se = weighted_mean_se(y, w)
        # as a plain run of ESS paths would state it: the weighted se alone reads "0.0006% ± 0.00036%" where the
        # risk happens on a few paths of tiny weight, which says nothing of the paths the weights left out
        low, high = wilson_interval(p * ess, ess)
        known = _known_month(sc, model, r.output)
        rows.append({
            "risk": r.id, "title": r.title, "factor": r.factor, "output": r.output, "threshold": r.threshold,
            "direction": r.direction, "likelihood": p, "se": se, "prior": row.likelihood, "prior_se": row.se,
            "difference": p - row.likelihood, "difference_se": difference_se(y, w), "ess": ess,
            "shown": ess >= ESS_SHOW_MIN, "known_from": str(sc.origin.plus(known)),
            "status": "open" if known > last_t else "observed", "n": len(y),
            "ci_low": float(low), "ci_high": float(high),
        })
    return pd.DataFrame(rows)


def parameter_shift(parameters: pd.DataFrame, w: np.ndarray) -> pd.DataFrame:
    """Prior vs posterior of each parameter.

    A parameter has ``moved`` when its mean shifted by more than three
    standard errors of the shift *and* by at least a tenth of its prior
    standard deviation, or when its posterior standard deviation is under
    80% of the prior's (the observations narrowed it).
    """
    rows = []
    qs = (0.05, 0.5, 0.95)
    for name in parameters.columns:
        x = parameters[name].to_numpy(dtype=float)
        pq = np.quantile(x, qs, method="inverted_cdf")
        wq = weighted_quantile(x, w, qs)
        m0, sd0 = float(x.mean()), float(x.std())
        m1, se1 = weighted_mean_se(x, w)
        sd1 = float(np.sqrt(max(0.0, np.dot(w, (x - m1) ** 2))))
        dse = difference_se(x, w)
        shift = m1 - m0
        moved = sd0 > 0 and ((abs(shift) > 3 * dse and abs(shift) >= 0.1 * sd0) or sd1 < 0.8 * sd0)
        rows.append({"parameter": name, "prior_mean": m0, "prior_sd": sd0, "prior_q05": pq[0], "prior_median": pq[1],
                     "prior_q95": pq[2], "posterior_mean": m1, "posterior_mean_se": se1, "posterior_sd": sd1,
                     "posterior_q05": wq[0], "posterior_median": wq[1], "posterior_q95": wq[2], "shift": shift,
                     "shift_se": dse, "moved": bool(moved)})
    return pd.DataFrame(rows)


def _weighted_bands(series: dict, prior_bands: pd.DataFrame, w: np.ndarray) -> pd.DataFrame:
    out = []
    w2 = w * w
    for name, x in series.items():
        mean = w @ x
        var = np.maximum(0.0, w @ (x - mean) ** 2)
        se = np.sqrt(w2 @ (x - mean) ** 2)
        q = weighted_quantile(x, w, QUANTILES)
        part = prior_bands[prior_bands["state"] == name].sort_values("t").copy()
        part["mean"], part["sd"], part["se_mean"] = mean, np.sqrt(var), se
        for i, col in enumerate(("q05", "q25", "q50", "q75", "q95")):
            part[col] = q[i]
        out.append(part)
    return pd.concat(out, ignore_index=True) if out else prior_bands.iloc[:0]


def _ledger(observations: list, alone: list, n: int) -> pd.DataFrame:
    rows = []
    for ob, k in zip(observations, alone):
        o = ob.raw
        cites = "; ".join(f'{c.source} (line {c.line}): "{c.quote}"' for c in o.cite)
        rows.append({
            "index": ob.index, "kind": ob.kind, "name": ob.name, "date": ob.date,
            "observed": ("happened" if o.happened else "not happened") if ob.kind == "binary" else o.value,
            "error": "" if ob.kind == "binary" else f"{o.error[0]} {o.error[1]:g}",
            "paths_consistent": k if ob.kind == "binary" else n, "share_consistent": k / n,
            "evidence": "; ".join(x for x in (cites, o.url, o.note) if x),
        })
    return pd.DataFrame(rows)


# ---- the entry point ---------------------------------------------------------------------------------

def update(
    scenario: str | os.PathLike | Scenario | None,
    outcomes: str | os.PathLike | Outcomes,
    *,
    samples: Optional[int] = None,
    seed: Optional[int] = None,
    sampler: Optional[str] = None,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    workers: int = 1,
    scheduler: Any = None,
    ess_floor: int = ESS_FLOOR,
    until_ess: Optional[int] = None,
    max_samples: Optional[int] = None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> Posterior:
    """Simulate a scenario and weight its paths by agreement with observations.

    Parameters
    ----------
    scenario : path-like, Scenario or None
        The scenario to condition; None: the one the outcomes file names.
    outcomes : path-like or Outcomes
        An outcomes file (``schema: riskmodel-outcomes/1``); numeric
        observations must carry ``error``.
    samples, seed, sampler : optional
        Default to the scenario's.
    memory_bytes, workers, scheduler :
        As for :func:`riskmodel.simulate.simulate`; they never change a number.
    ess_floor : int
        The effective sample size the report asks for (default 1,000).
    until_ess : int, optional
        Run again with more paths (whole blocks, each run equal to a fixed run
        of its size) until the Kish ESS reaches this or ``max_samples``.
    max_samples : int, optional
        Cap for ``until_ess`` (default 20 x samples, rounded up to whole blocks).

    Returns
    -------
    Posterior
        A Results with ``weights`` (sum 1), a posterior ``register``, and
        ``meta["update"]`` (ESS, observations used).

    Raises
    ------
    ScenarioError
        Problems of either file; a binary observation of a risk whose value by
        a date is not defined; a numeric observation without ``error``; an
        observation outside the horizon; observations that no simulated path
        satisfies (naming the observation that removed the last path).
    """
    if not isinstance(outcomes, Outcomes):
        outcomes = load_outcomes(outcomes, scenario, interim=True)
    elif scenario is not None and not isinstance(scenario, Scenario):
        outcomes = load_outcomes(outcomes.path, scenario, interim=True)
    sc = scenario if isinstance(scenario, Scenario) else outcomes.scenario
    if sc is None:
        sc = validate(outcomes.scenario_path)
    model = compile_scenario(sc)
    observations = _observations(outcomes, sc)
    problems = _check(observations, outcomes, sc, model)
    if problems:
        raise ScenarioError(problems)
    if until_ess is not None and until_ess < 1:
        raise ScenarioError.at(f"--until-ess {until_ess}", None, (), "an effective sample size must be 1 or more",
                               "e.g. --until-ess 1000")
    check_cap(max_samples, until_ess, "--until-ess", "N")
    if ess_floor < 0:
        raise ScenarioError.at(f"--ess-floor {ess_floor}", None, (), "an effective sample size floor must be 0 "
                               "or more (0: never warn)", "e.g. --ess-floor 1000")
    n = int(samples if samples is not None else sc.samples)
    cap = n
    if until_ess is not None:
        cap = int(max_samples if max_samples is not None else 20 * n)  # 20 x the paths asked for
        n = -(-n // BLOCK_SIZE) * BLOCK_SIZE  # whole blocks, so later rounds extend, never redo
        cap = max(n, -(-cap // BLOCK_SIZE) * BLOCK_SIZE)
    states = [s.name for s in sc.states]
    stopped = "fixed number of samples"
    while True:
        need = 8 * len(states) * model.n_months * n
        if need > KEEP_BYTES:
            raise ScenarioError.at(f"--samples {n}", None, (),
                                   f"an update keeps every path's state series: {need / 1e9:.1f} GB at {n:,} paths",
                                   f"lower --samples or --max-samples (about {KEEP_BYTES // (need // n):,} fit)")
        kept = {name: None for name in states}
        results = simulate(model, samples=n, seed=seed, sampler=sampler, memory_bytes=memory_bytes,
                           workers=workers, scheduler=scheduler, keep=kept, progress=progress)
        w, alone = _weights(observations, sc, model, results.outputs, kept, outcomes)
        ess = kish_ess(w)
        if until_ess is None:
            break
        if ess >= until_ess:
            stopped = f"effective sample size {ess:,.0f} reached --until-ess {until_ess:,}"
            break
        if n >= cap:
            stopped = f"the cap of {cap:,} paths reached (--max-samples) with effective sample size {ess:,.0f} < {until_ess:,}"
            break
        wanted = int(np.ceil(n * until_ess / max(ess, 1.0) * 1.1))
        n = min(cap, max(n + BLOCK_SIZE, -(-wanted // BLOCK_SIZE) * BLOCK_SIZE))

    last_t = max(ob.t for ob in observations)
    prior = risk_register(results, sc)
    register = _posterior_register(prior, results, sc, model, w, ess, last_t)
    ledger = _ledger(observations, alone, len(w))
    meta = dict(results.meta)
    meta["update"] = {
        "outcomes_path": outcomes.path, "outcomes_sha256": outcomes.sha256, "ess": ess, "ess_floor": ess_floor,
        "ess_show_min": ESS_SHOW_MIN, "until_ess": until_ess, "stopped": stopped,
        "last_observed": str(sc.origin.plus(last_t)), "max_weight": float(w.max()),
        "observations": [{"index": ob.index, "kind": ob.kind, "name": ob.name, "date": ob.date,
                          "label": ob.label} for ob in observations],
        "method": "self-normalised importance weights of the prior paths; se = sqrt(sum w^2 (y - p)^2); "
                  "ESS = 1 / sum w^2 (Kish)",
    }
    return Posterior(
        outputs=results.outputs, parameters=results.parameters, bands=_weighted_bands(kept, results.bands, w),
        register=register, meta=meta, scenario=sc, weights=w, prior_register=prior, prior_bands=results.bands,
        parameter_shift=parameter_shift(results.parameters, w), observations=ledger, series=kept,
    )


def write_update_folder(post: Posterior, out: str | os.PathLike) -> Path:
    """Write the posterior run and its report into ``out``, atomically (as a run folder)."""
    from .pipeline import write_run_folder
    from .render._update import render_update

    def extra(folder: Path) -> None:
        render_update(post, folder)

    return write_run_folder(post, out, extra=extra)
