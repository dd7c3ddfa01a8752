"""The judgment share: how much of each risk rests on the analyst's calls.

For each risk, the total-order Sobol index of the group of parameters
classed ``judgment``, from a Saltelli design of its own (the estimators and
the design are those of :mod:`riskmodel.sobol`, which ``explain`` also
uses). Moved here from ``sensitivity.py`` unchanged.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from .model import Scenario
from .results import Results
from .sensitivity import NOISE, _risk_outputs, _sampled_parameters
from .sobol import _check_base_samples, _explanations

__all__ = ["JUDGMENT_SHARE_SENTENCE", "judgment_share_sentence", "judgment_share_summary", "judgment_share"]

JUDGMENT_SHARE_SENTENCE = (
    "Judgment share: the share of this output's variance that comes from parameters classed as judgment "
    "(total-order Sobol index of that group, N = {n} base samples, ± {half} at 95%)."
)


#: The same sentence for several risks at once: ``half`` is the widest of their intervals' half-widths.
_WIDEST_SENTENCE = JUDGMENT_SHARE_SENTENCE.replace("± {half} at 95%)", "at most ± {half} at 95%, the widest of the risks')")


def judgment_share_sentence(n: int, half_width: float, *, widest: bool = False) -> str:
    """The sentence the report shows next to the judgment-share column.

    ``widest``: ``half_width`` is the largest of several risks' (the register's note, the chart's
    caption), and the sentence says so.

    Examples
    --------
    >>> print(judgment_share_sentence(1024, 0.031)[-65:])
    Sobol index of that group, N = 1024 base samples, ± 0.03 at 95%).
    >>> print(judgment_share_sentence(1024, 0.081, widest=True)[-72:])
    N = 1024 base samples, at most ± 0.08 at 95%, the widest of the risks').
    """
    return (_WIDEST_SENTENCE if widest else JUDGMENT_SHARE_SENTENCE).format(n=n, half=f"{half_width:.2f}")


def judgment_share_summary(share: pd.DataFrame) -> str:
    """The sentence for a table of risks' judgment shares (:func:`judgment_share`'s columns): the widest
    95% interval, said to be the widest when there are several; ``""`` when none is finite."""
    half = float(((share["judgment_ST_high"] - share["judgment_ST_low"]) / 2).max())
    return judgment_share_sentence(int(share["n"].iloc[0]), half, widest=len(share) > 1) if np.isfinite(half) else ""


def judgment_share(results: Optional[Results], scenario: Scenario, *, base_samples: int = 1024,
                   seed: Optional[int] = None, n_boot: int = 1000, model=None) -> pd.DataFrame:
    """For each risk: the share of its output's variance that comes from judgment parameters.

    Method: the total-order (and first-order) Sobol index of the group of
    parameters classed ``judgment``, from a small Saltelli design of its own
    (A, B, AB_judgment, AB_noise: ``4 N`` paths, all risks' outputs at once),
    with 95% bootstrap intervals. The run's own paths cannot give a total
    index: that needs the monthly draws held fixed while the judgment
    parameters change, which only a design does. At the default N = 1024 the
    95% half-width is typically 0.03–0.08 (it is reported per risk); it
    shrinks as 1/sqrt(N).
    A correlated set that mixes judgment with another class is counted in the
    judgment group whole (the group's name then says so). Shares and their
    interval ends are clipped to [0, 1], the range of a share (a raw estimate
    leaves it only by Monte Carlo error, or, where a note says so, because the
    total index is an upper bound).

    Parameters
    ----------
    results : Results or None
        The run (its seed is used when ``seed`` is None); may be None.
    scenario : Scenario
    base_samples : int
        N, a power of two (at least 16).
    seed : int, optional
        Default: the run's seed, else the scenario's.
    n_boot : int
    model : CompiledModel, optional
        The scenario compiled already (the run's own, whose distributions have
        built their quantile tables); default: compiled here.

    Returns
    -------
    DataFrame
        One row per risk: ``risk``, ``output``, ``judgment_ST``,
        ``judgment_ST_low``, ``judgment_ST_high``, ``judgment_S1``,
        ``judgment_S1_low``, ``judgment_S1_high``, ``noise_ST``, ``group``
        (the judgment group's name), ``parameters`` (how many in the group),
        ``method``, ``n`` (base samples), ``evaluations``, ``sentence``,
        ``note``.
    """
    columns = ["risk", "output", "judgment_ST", "judgment_ST_low", "judgment_ST_high", "judgment_S1",
               "judgment_S1_low", "judgment_S1_high", "noise_ST", "group", "parameters", "method", "n",
               "evaluations", "sentence", "note"]
    if not scenario.risks:
        return pd.DataFrame(columns=columns)
    n = _check_base_samples(base_samples)
    if seed is None:
        seed = results.meta.get("seed") if results is not None and results.meta.get("seed") is not None \
            else scenario.seed
    seed = int(seed)
    outs = _risk_outputs(scenario)
    if model is None:
        from .compile import compile_scenario

        model = compile_scenario(scenario)
    if not any(p.evidence == "judgment" for p in _sampled_parameters(scenario, model)):
        rows = [(r.id, r.output, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, np.nan, "", 0, "no uncertain parameter is judgment",
                 n, 0, "No uncertain parameter of this scenario is classed as judgment.", "") for r in scenario.risks]
        return pd.DataFrame(rows, columns=columns)
    ex = _explanations(scenario, outs, base_samples=n, seed=seed, n_boot=n_boot, groupings=("evidence",),
                       per_unit=False, keep_group=lambda g: "judgment" in g.name.split("+"), model=model)
    rows = []
    for r in scenario.risks:
        e = ex[r.output]
        g = e.groups
        jrow = g[(g["by"] == "evidence") & g["group"].str.split("+").apply(lambda parts: "judgment" in parts)]
        j = jrow.iloc[0]
        noise_st = float(g.loc[NOISE, "ST"]) if NOISE in g.index else 0.0
        half = float((j["ST_high"] - j["ST_low"]) / 2)
        note = " ".join(e.notes)
        share = np.clip(j[["ST", "ST_low", "ST_high", "S1", "S1_low", "S1_high"]].to_numpy(float), 0.0, 1.0)
        rows.append((r.id, r.output, *(float(v) for v in share), noise_st, str(j["group"]),
                     len(str(j["parameters"]).split(", ")),
                     "total-order Sobol index of the judgment group (Jansen; Saltelli design A, B, AB_judgment, "
                     "AB_noise; 95% percentile bootstrap)", n, e.evaluations,
                     judgment_share_sentence(n, half) if np.isfinite(half) else "", note))
    return pd.DataFrame(rows, columns=columns)
