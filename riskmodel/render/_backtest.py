"""The backtest report: :mod:`riskmodel.backtest` scores, this module draws.

Same templates folder, jinja environment and Markdown escaper as the run and
comparison reports (:mod:`riskmodel.render._common`).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..backtest import MODEL, RELIABILITY_MIN_OBSERVATIONS
from . import plots
from ..formats import fmt_error
from ._common import environment, fmt_likelihood, fmt_pct
from ._stats import rank_error

__all__ = ["render_backtest_markdown", "render_backtest_html", "reliability_png"]

def _p(x: Any) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{x:.3f}"


def _score(x: Any) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{x:.4f}"


def _skill(x: Any) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "–"
    return f"{x:+.2f}"


def _value(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


def _context(bt, *, html: bool) -> dict:
    meta = bt.meta
    scenario = bt.outcomes.scenario
    n = meta["samples"]
    outcome_file = Path(bt.outcomes.path)
    scored = Path(scenario.path).resolve() if scenario is not None and scenario.path else None
    named = Path(bt.outcomes.scenario_path) if bt.outcomes.scenario_path else None
    mismatch = bool(scored and named and scored != named)
    origin = str(getattr(scenario, "origin", "")) if scenario is not None else ""

    summary = []
    for row in bt.summary.itertuples():
        summary.append({
            "forecast": row.forecast, "n": row.n, "brier": _score(row.brier), "log_score": _score(row.log_score),
            "brier_mc": _score(row.brier_mc_error) if row.forecast == MODEL else "",
            "log_mc": _score(row.log_score_mc_error) if row.forecast == MODEL else "",
            "brier_skill": _skill(row.model_brier_skill) if row.forecast != MODEL else "",
            "log_skill": _skill(row.model_log_skill) if row.forecast != MODEL else "",
        })
    binary = []
    total_brier = bt.binary["brier"].sum() or 1.0
    total_log = bt.binary["log_score"].sum() or 1.0
    for row, obs in zip(bt.binary.itertuples(), bt.outcomes.binary):
        sign = ">" if row.direction == "above" else "<"
        binary.append({
            "risk": row.risk, "title": row.title, "date": row.date,
            "event": f"{row.output} {sign} {row.threshold:,.6g}",
            "forecast": fmt_likelihood(row.forecast, row.se), "happened": "yes" if row.outcome else "no",
            "brier": _score(row.brier), "brier_share": f"{100 * row.brier / total_brier:.0f}%",
            "log_score": _score(row.log_score), "log_share": f"{100 * row.log_score / total_log:.0f}%",
            "climatology": fmt_pct(row.climatology) if np.isfinite(row.climatology) else "–",
            "clipped": row.forecast in (0.0, 1.0),
            "before_origin": bool(origin) and row.date < origin,
            "cites": [{"source": c.source, "line": c.line, "quote": c.quote} for c in obs.cite],
            "url": obs.url, "note": obs.note,
        })
    numeric = []
    for row, obs in zip(bt.numeric.itertuples(), bt.outcomes.numeric):
        outside = row.observed < row.forecast_q05 or row.observed > row.forecast_q95
        pit = f"{row.pit:.3f} ± {row.pit_se:.3f}"
        if row.pit_high > row.pit_low:
            pit += f" [{row.pit_low:.3f}, {row.pit_high:.3f}]"
        crps = _value(row.crps) if abs(row.crps) >= 100 else f"{row.crps:.4g}"
        numeric.append({
            "output": row.output, "date": row.date or "–", "observed": _value(row.observed),
            "unit": row.unit, "median": _value(row.forecast_q50),
            "interval": f"[{_value(row.forecast_q05)}, {_value(row.forecast_q95)}]",
            "crps": f"{crps} ± {fmt_error(row.crps_se)}", "pit": pit,
            "outside": outside,
            "before_origin": bool(origin) and bool(row.date) and row.date < origin,
            "cites": [{"source": c.source, "line": c.line, "quote": c.quote} for c in obs.cite],
            "url": obs.url, "note": obs.note,
        })
    reliability = None
    if bt.reliability is not None:
        reliability = {
            "rows": [{"bin": f"{r.bin_low:.1f}–{r.bin_high:.1f}", "n": r.n, "mean_forecast": _p(r.mean_forecast),
                      "observed": _p(r.observed_frequency), "interval": f"[{r.ci_low:.2f}, {r.ci_high:.2f}]"}
                     for r in bt.reliability.itertuples()],
            "png": (base64.b64encode(reliability_png(bt.reliability)).decode("ascii") if html else None),
        }
    model = bt.summary[bt.summary["forecast"] == MODEL]
    return {
        "title": meta.get("title") or meta.get("scenario"),
        "scenario_name": meta.get("scenario"),
        "scenario_path": meta.get("scenario_path"),
        "scenario_sha": (meta.get("scenario_sha256") or "")[:12],
        "outcomes_path": str(outcome_file),
        "outcomes_sha": meta["outcomes_sha256"][:12],
        "outcomes_title": bt.outcomes.title,
        "outcomes_description": bt.outcomes.description,
        "outcomes_scenario": bt.outcomes.scenario_path,
        "mismatch": mismatch,
        "samples": f"{n:,}", "seed": meta.get("seed"), "sampler": meta.get("sampler"), "origin": origin,
        "version": meta["riskmodel_version"],
        "clip": f"{1 / (2 * n):.2g}", "clip_high": f"{1 - 1 / (2 * n):.6g}",
        "crps_method": meta["crps"],
        "rank_p05": f"{rank_error(n):.4f}",  # the rank error of the forecast's 5th percentile
        "summary": summary, "binary": binary, "numeric": numeric, "reliability": reliability,
        "n_binary": len(bt.binary), "n_numeric": len(bt.numeric),
        "min_reliability": RELIABILITY_MIN_OBSERVATIONS,
        "model_brier": _score(float(model["brier"].iloc[0])) if len(model) else "–",
        "model_log": _score(float(model["log_score"].iloc[0])) if len(model) else "–",
        "sources": bt.outcomes.sources,
    }


def render_backtest_markdown(bt) -> str:
    """The backtest report as Markdown (the reliability diagram as ``reliability.png`` beside it)."""
    return environment(True).get_template("backtest.md.j2").render(**_context(bt, html=False))


def render_backtest_html(bt) -> str:
    """The backtest report as one self-contained HTML page (figure embedded)."""
    return environment(False).get_template("backtest.html.j2").render(**_context(bt, html=True))


def reliability_png(table: pd.DataFrame) -> bytes:
    """The reliability diagram as PNG bytes (:func:`riskmodel.render.plots.reliability_diagram`)."""
    return plots.reliability_diagram(table)
