"""Backtesting: score a scenario's forecasts against what actually happened.

``backtest(scenario, outcomes)`` checks the outcomes file against the
scenario (before anything is simulated), runs the scenario, and scores it:

- each *binary* observation (a risk happened or not) against the risk's
  likelihood, by the Brier score and the log score, with each risk's share of
  the mean; the same scores for two reference forecasts, an uninformed 0.5 and
  the climatology (base rates) the outcomes file may give, and the model's
  skill over each (``1 - score / reference score``); a reliability table when
  there are ten or more binary observations;
- each *numeric* observation (an output's observed value) against the
  output's per-path values, by the CRPS and the PIT.

The scores are the pure functions of :mod:`riskmodel.scoring`. A
:class:`Backtest` holds them as DataFrames and renders itself as Markdown,
self-contained HTML and CSV; :func:`write_backtest_folder` writes it with the
scored run beside it, atomically (``pipeline.write_run_folder``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import pandas as pd

from . import __version__
from . import scoring
from .errors import Position, Problem, ScenarioError
from .model import Scenario
from .outcomes import Outcomes, load_outcomes
from .results import Results
from .simulate import DEFAULT_MEMORY_BYTES

__all__ = ["Backtest", "backtest", "score_outcomes", "write_backtest_folder", "BACKTEST_FILES",
           "RELIABILITY_MIN_OBSERVATIONS"]

#: A reliability diagram is drawn from this many binary observations on.
RELIABILITY_MIN_OBSERVATIONS = 10

#: Files a backtest adds to the scored run's folder (``reliability.*`` only with a reliability diagram).
BACKTEST_FILES = ("binary.csv", "numeric.csv", "summary.csv", "backtest.md", "backtest.html", "backtest.json")

UNINFORMED = "uninformed 0.5"
CLIMATOLOGY = "climatology"
MODEL = "model"

_BINARY_COLUMNS = ["risk", "title", "date", "forecast", "se", "outcome", "brier", "log_score",
                   "brier_contribution", "log_contribution", "climatology", "output", "threshold", "direction",
                   "evidence"]
_NUMERIC_COLUMNS = ["output", "date", "observed", "crps", "pit", "pit_low", "pit_high", "forecast_mean",
                    "forecast_q05", "forecast_q50", "forecast_q95", "unit", "evidence", "crps_se", "pit_se"]
_SUMMARY_COLUMNS = ["forecast", "n", "brier", "log_score", "brier_mc_error", "log_score_mc_error",
                    "model_brier_skill", "model_log_skill"]


@dataclass(frozen=True)
class Backtest:
    """A scenario scored against outcomes.

    Attributes
    ----------
    binary : DataFrame
        One row per binary observation: ``risk``, ``title``, ``date``,
        ``forecast`` (the risk's likelihood), ``se`` (its Monte Carlo standard
        error), ``outcome`` (1 happened, 0 not), ``brier``, ``log_score``
        (nats, the probability clipped to ``[1/(2n), 1 - 1/(2n)]``),
        ``brier_contribution`` and ``log_contribution`` (the risk's share of
        the mean score: score / number of observations), ``climatology`` (the
        base rate, NaN when none), ``output``, ``threshold``, ``direction``,
        ``evidence``.
    numeric : DataFrame
        One row per numeric observation: ``output``, ``date``, ``observed``,
        ``crps`` (the output's unit), ``pit`` (midpoint of ``[pit_low,
        pit_high]``, which differ only when paths tie with the observed
        value), ``forecast_mean``, ``forecast_q05``, ``forecast_q50``,
        ``forecast_q95``, ``unit``, ``evidence``, and their Monte Carlo
        standard errors ``crps_se`` (:func:`riskmodel.scoring.crps_mc_error`)
        and ``pit_se`` (``sqrt(pit (1 - pit) / n)``).
    summary : DataFrame
        One row per forecast scored on the binary observations (``model``,
        ``uninformed 0.5``, ``climatology`` when given): ``n``, mean
        ``brier`` and ``log_score``, the model's Monte Carlo errors
        (``brier_mc_error``, ``log_score_mc_error``: upper bounds, whatever the
        correlation between risks), and on each reference's row the model's
        skill over it (``model_brier_skill``, ``model_log_skill``). Empty when
        there are no binary observations.
    reliability : DataFrame or None
        :func:`riskmodel.scoring.reliability_table` of the binary
        observations, when there are at least ten.
    meta : dict
        Files, their SHA-256, samples, seed, sampler, estimator, clipping.
    results : Results
        The run that was scored.
    outcomes : Outcomes
        The checked outcomes file.
    """

    binary: pd.DataFrame
    numeric: pd.DataFrame
    summary: pd.DataFrame
    reliability: Optional[pd.DataFrame]
    meta: dict
    results: Results = field(repr=False, compare=False)
    outcomes: Outcomes = field(repr=False, compare=False)

    def to_markdown(self) -> str:
        """The report as Markdown (the reliability diagram as ``reliability.png`` beside it), drawn by render/."""
        from .render import render_backtest_markdown

        return render_backtest_markdown(self)

    def to_html(self) -> str:
        """The report as one self-contained HTML page (figure embedded, no external files), drawn by render/."""
        from .render import render_backtest_html

        return render_backtest_html(self)

    def save(self, folder: str | os.PathLike) -> Path:
        """Write the CSV tables, the reports and ``backtest.json`` into ``folder`` (which must exist)."""
        folder = Path(folder)
        self.binary.to_csv(folder / "binary.csv", index=False)
        self.numeric.to_csv(folder / "numeric.csv", index=False)
        self.summary.to_csv(folder / "summary.csv", index=False)
        if self.reliability is not None:
            self.reliability.to_csv(folder / "reliability.csv", index=False)
            from .render import reliability_png

            (folder / "reliability.png").write_bytes(reliability_png(self.reliability))
        (folder / "backtest.md").write_text(self.to_markdown(), encoding="utf-8")
        (folder / "backtest.html").write_text(self.to_html(), encoding="utf-8")
        (folder / "backtest.json").write_text(json.dumps(self.meta, indent=2, default=str), encoding="utf-8")
        return folder


def backtest(
    scenario: str | os.PathLike | Scenario | Results | None,
    outcomes: str | os.PathLike | Outcomes,
    *,
    samples: Optional[int] = None,
    seed: Optional[int] = None,
    sampler: Optional[str] = None,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    progress: Optional[Callable[[int, int], None]] = None,
) -> Backtest:
    """Score a scenario against an outcomes file.

    Parameters
    ----------
    scenario : path-like, Scenario, Results or None
        The scenario to score (a file, a validated Scenario, or the Results of
        a run in this process, which are scored without running again).
        ``None``: the scenario the outcomes file names.
    outcomes : path-like or Outcomes
        The outcomes file, or one checked by
        :func:`~riskmodel.outcomes.load_outcomes` (then ``scenario`` is
        ``None``: the scenario it was checked against is run).
    samples, seed, sampler : optional
        Default to the scenario file's (not with Results).
    memory_bytes, progress :
        As for :func:`riskmodel.run`.

    Returns
    -------
    Backtest

    Raises
    ------
    ScenarioError
        Every problem of the outcomes file (and of the scenario file, when it
        is read here), before anything is simulated.

    Examples
    --------
    >>> import riskmodel
    >>> bt = riskmodel.backtest("scenarios/examples/minimal.yaml",
    ...                         "scenarios/examples/outcomes/minimal.yaml", samples=5000)  # doctest: +SKIP
    >>> bt.summary[["forecast", "brier", "log_score"]]                                    # doctest: +SKIP
    """
    from .pipeline import run

    results = None
    if isinstance(scenario, Results):
        if scenario.scenario is None:
            raise ValueError("these Results carry no scenario (loaded from a folder?): pass the scenario file")
        if samples is not None or seed is not None or sampler is not None:
            raise ValueError("samples, seed and sampler apply to a new run, not to given Results")
        results, scenario = scenario, scenario.scenario
    if isinstance(outcomes, Outcomes):
        if scenario is not None and scenario is not outcomes.scenario:
            raise ValueError("checked Outcomes are scored against the scenario they were checked with: "
                             "pass scenario=None, or the outcomes file's path")
        checked = outcomes
    else:
        checked = load_outcomes(outcomes, scenario)
    if results is None:
        results = run(checked.scenario, samples=samples, seed=seed, sampler=sampler, memory_bytes=memory_bytes,
                      progress=progress)
    return score_outcomes(results, checked)


def score_outcomes(results: Results, outcomes: Outcomes) -> Backtest:
    """Score a run's Results against checked Outcomes (whose names they must hold).

    Parameters
    ----------
    results : Results
        A run with its register (``riskmodel.run``).
    outcomes : Outcomes
        From :func:`riskmodel.outcomes.load_outcomes`, checked against the
        same scenario.

    Returns
    -------
    Backtest
    """
    n = results.n_paths
    scenario = outcomes.scenario
    register = results.register.set_index("risk") if len(results.register) else pd.DataFrame()
    units = {o.name: o.unit for o in scenario.outputs} if scenario is not None else {}

    # ---- binary ----------------------------------------------------------------------
    rows = []
    for obs in outcomes.binary:
        reg = register.loc[obs.risk]
        rows.append({
            "risk": obs.risk, "title": reg["title"], "date": str(obs.date), "forecast": float(reg["likelihood"]),
            "se": float(reg["se"]), "outcome": int(obs.happened),
            "climatology": outcomes.climatology_of(obs.risk), "output": reg["output"],
            "threshold": float(reg["threshold"]), "direction": reg["direction"], "evidence": _evidence(obs),
        })
    binary = pd.DataFrame(rows, columns=[c for c in _BINARY_COLUMNS if c not in
                                         ("brier", "log_score", "brier_contribution", "log_contribution")])
    binary["climatology"] = binary["climatology"].astype(float)
    p, y, se = binary["forecast"].to_numpy(), binary["outcome"].to_numpy(), binary["se"].to_numpy()
    binary["brier"] = scoring.brier_score(p, y)
    binary["log_score"] = scoring.log_score(p, y, n_samples=n)
    k = max(len(binary), 1)
    binary["brier_contribution"] = binary["brier"] / k
    binary["log_contribution"] = binary["log_score"] / k
    binary = binary[_BINARY_COLUMNS]

    # ---- summary: the model and its references ----------------------------------------
    summary_rows = []
    if len(binary):
        model_brier, model_log = float(binary["brier"].mean()), float(binary["log_score"].mean())
        summary_rows.append({
            "forecast": MODEL, "n": len(binary), "brier": model_brier, "log_score": model_log,
            "brier_mc_error": float(scoring.brier_mc_error(p, y, se).sum() / k),
            "log_score_mc_error": float(scoring.log_score_mc_error(p, y, se, n_samples=n).sum() / k),
        })
        references = [(UNINFORMED, np.full(len(binary), 0.5))]
        if outcomes.climatology:
            references.append((CLIMATOLOGY, binary["climatology"].to_numpy()))
        for name, ref in references:
            ref_brier = float(scoring.brier_score(ref, y).mean())
            ref_log = float(scoring.log_score(ref, y).mean())
            summary_rows.append({
                "forecast": name, "n": len(binary), "brier": ref_brier, "log_score": ref_log,
                "model_brier_skill": scoring.skill_score(model_brier, ref_brier),
                "model_log_skill": scoring.skill_score(model_log, ref_log),
            })
    summary = pd.DataFrame(summary_rows, columns=_SUMMARY_COLUMNS)

    reliability = None
    if len(binary) >= RELIABILITY_MIN_OBSERVATIONS:
        reliability = scoring.reliability_table(p, y)

    # ---- numeric ----------------------------------------------------------------------
    rows, beyond = [], []
    for obs in outcomes.numeric:
        x = results.outputs[obs.output].to_numpy(dtype=float)
        low, high = scoring.pit_interval(x, obs.value)
        q05, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95])
        crps = scoring.crps_samples(x, obs.value)
        if not np.isfinite(crps):  # never an inf in numeric.csv: the score itself is beyond float range
            beyond.append(Problem(obs.position or Position(outcomes.path), (),
                                  f"output '{obs.output}': the CRPS of the value {obs.value:.6g} against a forecast "
                                  f"between {x.min():.6g} and {x.max():.6g} is beyond the range of numbers (1.8e308)",
                                  "check the value and the output's unit"))
        rows.append({
            "output": obs.output, "date": str(obs.date) if obs.date else "", "observed": obs.value,
            "crps": crps, "pit": float((low + high) / 2), "pit_low": float(low),
            "pit_high": float(high), "forecast_mean": float(x.mean()), "forecast_q05": float(q05),
            "forecast_q50": float(q50), "forecast_q95": float(q95), "unit": units.get(obs.output, ""),
            "evidence": _evidence(obs),
            # Monte Carlo errors: the CRPS's from its U-statistic's projection, the PIT's a share's binomial one
            "crps_se": scoring.crps_mc_error(x, obs.value) if np.isfinite(crps) else float("nan"),
            "pit_se": float(np.sqrt((low + high) / 2 * (1 - (low + high) / 2) / len(x))),
        })
    if beyond:
        raise ScenarioError(beyond)
    numeric = pd.DataFrame(rows, columns=_NUMERIC_COLUMNS)

    import scoringrules

    meta = {
        "riskmodel_version": __version__,
        "scenario": results.meta.get("scenario", getattr(scenario, "name", "")),
        "title": results.meta.get("title", getattr(scenario, "title", "")),
        "scenario_path": results.meta.get("scenario_path", ""),
        "scenario_sha256": results.meta.get("scenario_sha256", ""),
        "outcomes_path": outcomes.path,
        "outcomes_sha256": outcomes.sha256,
        "outcomes_scenario": outcomes.scenario_path,
        "outcomes_title": outcomes.title,
        "samples": n,
        "seed": results.meta.get("seed"),
        "sampler": results.meta.get("sampler"),
        "origin": results.meta.get("origin", str(getattr(scenario, "origin", ""))),
        "n_binary": len(binary),
        "n_numeric": len(numeric),
        "log_score_clip": 1.0 / (2 * n),
        "crps": (f"scoringrules {scoringrules.__version__} crps_ensemble, estimator '{scoring.CRPS_ESTIMATOR}' "
                 "(the fair, unbiased estimator, in O(n log n))"),
        "pit": "midpoint of [F(y-), F(y)] over the paths; pit_low and pit_high give the interval",
    }
    return Backtest(binary=binary, numeric=numeric, summary=summary, reliability=reliability, meta=meta,
                    results=results, outcomes=outcomes)


def write_backtest_folder(bt: Backtest, out: str | os.PathLike) -> Path:
    """Write the scored run and the backtest into ``out``, atomically.

    The folder holds the run's files (as ``riskmodel run`` writes them: the
    forecast that was scored) and :data:`BACKTEST_FILES`. It is written into
    a temporary sibling and swapped into place only when complete
    (:func:`riskmodel.pipeline.write_run_folder`); an earlier folder is left
    untouched by a failure.
    """
    from .pipeline import write_run_folder

    return write_run_folder(bt.results, out, extra=bt.save)


def _evidence(obs: Any) -> str:
    parts = [f'{c.source} (line {c.line}): "{c.quote}"' for c in obs.cite]
    if obs.url:
        parts.append(obs.url)
    if obs.note:
        parts.append(obs.note)
    return "; ".join(parts)
