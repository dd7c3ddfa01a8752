"""The report of one run: figures and the template context."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from .. import evidence as _evidence
from ..analyse import risk_register
from ..distributions import make_distribution
from . import plots
from ._common import Figure, fmt_num, later, fmt_pct, month_span, slug, write_outputs
from ._stats import (CONVERGENCE_POINTS, EXCEEDANCE_POINTS, conditional_median, exceedance_curve, is_binary,
                     running_estimate, wilson)

__all__ = ["render_report", "band_arrays", "output_definition", "parameter_distribution_text",
           "intervention_windows", "sorted_outputs"]

EVIDENCE_CLASSES = ("cited", "derived", "judgment")
DRIVER_PATHS = 20_000  # paths the given-data indices and tornados of a report are estimated from (the first ones)


# --------------------------------------------------------------------------- shared helpers


def sorted_outputs(results) -> dict:
    """Each output's values over all paths, sorted ascending (one sort per output)."""
    return {name: np.sort(results.outputs[name].to_numpy(dtype=float)) for name in results.outputs.columns}


def band_arrays(bands: pd.DataFrame, state: str) -> dict:
    """The bands of one state as arrays in month order."""
    b = bands[bands["state"] == state].sort_values("t")
    return {k: b[k].to_numpy(dtype=float) for k in ("q05", "q25", "q50", "q75", "q95", "mean")}


def intervention_windows(scenario, series: int = 0) -> list:
    last = scenario.months[-1]
    return [plots.Window(iv.name, iv.start, iv.until if iv.until is not None else last, series)
            for iv in scenario.interventions]


def output_definition(o) -> str:
    """An output in words: ``sum of attacks, 2025-01 to 2025-12`` or its expression."""
    if o.expr is not None:
        return o.expr
    what = {"end": "value in the last month", "sum": "sum", "mean": "monthly mean", "max": "maximum",
            "min": "minimum"}.get(o.agg, o.agg)
    window = ""
    if o.start is not None or o.until is not None:
        window = f", {o.start or 'origin'} to {o.until or 'the end'}"
    if o.agg == "end":
        return f"{o.state} in {o.until}" if o.until is not None else f"{o.state}, {what}"
    return f"{what} of {o.state}{window}"


def parameter_distribution_text(p) -> tuple:
    """``(description, (q05, q95) or None)`` of a parameter's distribution."""
    if p.distribution is None:
        return (f"derived: {p.formula}", None)
    d = make_distribution(p.distribution)
    return (d.describe(), d.interval90())


def _threshold_text(risk, unit: str) -> str:
    sign = ">" if risk.direction == "above" else "<"
    return f"{risk.output} {sign} {fmt_num(risk.threshold)}" + (f" {unit}" if unit else "")


def _register(results, scenario) -> pd.DataFrame:
    reg = results.register
    if reg is None or len(reg) == 0 or "likelihood" not in reg.columns:
        reg = risk_register(results, scenario)
    return reg


# --------------------------------------------------------------------------- the report


def render_report(results, scenario, folder) -> Path:
    """Render a run's report into ``folder``: ``index.html``, ``report.md``, ``figures/*.png``.

    Parameters
    ----------
    results : Results
        A run's results (from :func:`riskmodel.run` or :meth:`Results.load`).
    scenario : Scenario
        The validated scenario the results come from.
    folder : path-like
        An existing folder (in a run, the temporary folder that
        :func:`riskmodel.pipeline.write_run_folder` then moves into place).

    Returns
    -------
    Path
        ``folder / "index.html"``.
    """
    folder = Path(folder)
    meta = results.meta
    n = results.n_paths
    reg = _register(results, scenario)
    outputs = {o.name: o for o in scenario.outputs}
    factors = {f.name: f for f in scenario.factors}
    sorted_vals = sorted_outputs(results)
    figures: list[Figure] = []

    # ---- register rows (+ conditional size for the matrix)
    rows, points = [], []
    for i, r in enumerate(reg.itertuples(index=False), start=1):
        risk = next((x for x in scenario.risks if x.id == r.risk), None)
        unit = outputs[r.output].unit if r.output in outputs else ""
        v = sorted_vals.get(r.output, np.array([]))
        binary = is_binary(v)
        cm = conditional_median(v, r.threshold, r.direction)
        size = size_lo = size_hi = float("nan")
        if not binary and cm.k and r.threshold != 0:
            rel = lambda m: abs(m - r.threshold) / abs(r.threshold)  # noqa: E731
            size = rel(cm.median)
            if not math.isnan(cm.low):
                a, b = rel(cm.low), rel(cm.high)
                size_lo, size_hi = min(a, b), max(a, b)
        judgment = getattr(r, "judgment_ST", None)
        rows.append({
            "num": i, "id": r.risk, "title": r.title, "output": r.output, "unit": unit,
            "likelihood": r.likelihood, "se": r.se, "ci_low": r.ci_low, "ci_high": r.ci_high,
            "threshold": _threshold_text(risk or r, unit),
            "factor": factors[r.factor].title if r.factor in factors else r.factor, "factor_id": r.factor,
            "judgment_share": None if judgment is None or pd.isna(judgment) else float(judgment),
            "judgment_low": _float_or_none(getattr(r, "judgment_ST_low", None)),
            "judgment_high": _float_or_none(getattr(r, "judgment_ST_high", None)),
            "binary": binary, "cond_k": cm.k,
            "cond_median": cm.median, "cond_low": cm.low, "cond_high": cm.high,
            "size": size,
        })
        points.append(plots.MatrixPoint(str(i), factors[r.factor].title if r.factor in factors else r.factor,
                                        r.likelihood, r.ci_low, r.ci_high, size, size_lo, size_hi))
    has_judgment = "judgment_ST" in reg.columns

    if rows:
        se_max = max(r["se"] for r in rows)
        figures.append(Figure(
            "risk-matrix.png", later(plots.risk_matrix, points), "Risk matrix",
            f"Each risk (numbered as in the register) by its likelihood and, where the output has a size, the "
            f"median of the output over the paths where the risk happens, beyond the threshold as a share of "
            f"the threshold (log scale). Risks without a size (on a yes/no output, or never happening in "
            f"{n:,} paths) sit on the strip below. Horizontal "
            f"bars: 95% Wilson interval of the likelihood (largest standard error {fmt_pct(se_max, 2)}, "
            f"n = {n:,} paths); vertical bars: 95% interval of the conditional median from order statistics "
            f"(missing where fewer than about 6 paths exceed).",
            "Scatter of the risks: likelihood on the horizontal axis, size beyond the threshold on the vertical "
            "axis.", wide=True))

    # ---- fan charts
    last = scenario.months[-1]
    windows = intervention_windows(scenario)
    win_text = ("; shaded: intervention windows (" + ", ".join(
        f"{w.label} {month_span(w.start, w.until if w.until != last else None)}" for w in windows) + ")") if windows else ""
    band_method = meta.get("band_method", "")
    rank_err = meta.get("band_rank_error_p05")
    fan_rows, yes_no = [], []
    present_states = set(results.bands["state"]) if len(results.bands) else set()
    for s in scenario.states:
        if s.name not in present_states:
            continue
        b = band_arrays(results.bands, s.name)
        title = s.title or s.name
        if is_yes_no_band(b):
            yes_no.append((s, b))
            continue
        degenerate = bool(np.all(b["q05"] == b["q95"]))
        se_mean = (results.bands.loc[results.bands["state"] == s.name, "se_mean"].max()
                   if "se_mean" in results.bands.columns else None)
        caption = (f"{_named(s.title, s.name, s.unit)}, by month: median (line), 50% and 90% "
                   f"bands, mean over all {n:,} paths (dashed){win_text}. Monte Carlo error: "
                   + (f"standard error of the mean at most {fmt_num(se_mean)}; " if se_mean is not None else "")
                   + f"{band_method}"
                   + (f"; rank error of the 5th percentile ±{rank_err:.4f}" if rank_err else "") + ".")
        if degenerate:
            caption += (" The 90% band is a single value in every month (most paths hold the same value); the "
                        "mean carries the information (for a 0/1 state, the share of paths at 1).")
        figures.append(Figure(f"fan-{slug(s.name)}.png",
                              later(plots.fan_chart, scenario.months, b, title=title, unit=s.unit, windows=windows),
                              f"Fan chart: {title}", caption,
                              f"Fan chart of {title} from {scenario.origin} to {last}."))
        fan_rows.append(figures[-1])
    if yes_no:
        bound = 0.5 / math.sqrt(n)
        names = ", ".join(s.name for s, _ in yes_no)
        figures.append(Figure(
            "states-yes-no.png",
            plots.mean_lines(scenario.months, [(s.name + (f" ({s.unit})" if s.unit else ""), b["mean"])
                                               for s, b in yes_no],
                             title="States that are 0 or 1 on most paths: mean by month", windows=windows),
            "States that are 0 or 1 on most paths",
            f"{names}: every percentile of these states is 0 or 1 in every month, so a fan chart would show "
            f"only steps; instead, the mean over all {n:,} paths by month (for a 0/1 state, the share of paths "
            f"at 1; for a rare count, the expected count){win_text}. Monte Carlo standard error of each mean at "
            f"most {bound:.4f} (0.5/sqrt(n)) for a state whose values lie between 0 and 1.",
            "Lines: the share of paths at 1 (mean) by month for each yes/no state.", wide=True))
        fan_rows.append(figures[-1])

    # ---- exceedance curves
    marks_for: dict = {}
    for row in rows:
        risk = next((x for x in scenario.risks if x.id == row["id"]), None)
        if risk is None:
            continue
        marks_for.setdefault(risk.output, []).append(plots.ThresholdMark(
            f"#{row['num']}", risk.threshold, risk.direction, row["likelihood"], row["ci_low"], row["ci_high"]))
    exceed_figs, binary_rows = [], []
    for o in scenario.outputs:
        v = sorted_vals.get(o.name)
        if v is None:
            continue
        if is_binary(v):
            k = int(np.sum(v > 0.5))
            lo, hi = wilson(k, n)
            binary_rows.append((o.title or o.name, k / n, lo, hi))
            continue
        curve = exceedance_curve(v)
        title = o.title or o.name
        how = ("exact steps at each of its distinct values" if curve.discrete else
               f"exact at {EXCEEDANCE_POINTS} {'log-' if curve.log_x else ''}spaced points")
        caption = (f"{_named(o.title, o.name + ': ' + output_definition(o), o.unit)}: P(output > x) from "
                   f"the sorted values of all {n:,} paths, drawn {how}. Monte Carlo standard error of the curve "
                   f"at most {curve.max_se:.4f} (at P = {_p_at_max_se(curve)})."
                   + (" Dashed lines: the risks' thresholds, with the likelihood and its 95% interval."
                      if marks_for.get(o.name) else ""))
        figures.append(Figure(f"exceedance-{slug(o.name)}.png",
                              later(plots.exceedance_plot, curve, title=title, unit=o.unit, marks=marks_for.get(o.name, ())),
                              f"Exceedance: {title}", caption, f"Exceedance curve of {title}."))
        exceed_figs.append(figures[-1])
    if binary_rows:
        se_max = max(math.sqrt(p * (1 - p) / n) for _, p, _, _ in binary_rows)
        figures.append(Figure(
            "yes-no-outputs.png",
            plots.dot_plot([r[0] for r in binary_rows],
                           [("share", [r[1] for r in binary_rows], [r[2] for r in binary_rows],
                             [r[3] for r in binary_rows])],
                           title="Yes/no outputs: share of paths where it happens", xlabel="share of paths at 1"),
            "Yes/no outputs",
            f"Outputs that are 0 or 1 on every path: their exceedance curve is a single step, so the share of "
            f"paths at 1 is shown with its 95% Wilson interval (largest standard error {se_max:.4f}, "
            f"n = {n:,} paths).",
            "Dot plot of the share of paths where each yes/no output happens.", wide=True))
        exceed_figs.append(figures[-1])

    # ---- convergence
    conv_fig = None
    if rows and n > 1:
        panels = []
        for row in rows:
            risk = next((x for x in scenario.risks if x.id == row["id"]), None)
            if risk is None or risk.output not in results.outputs:
                continue
            ind = risk.exceeded(results.outputs[risk.output].to_numpy(dtype=float))
            panels.append((f"#{row['num']} {row['id']}", running_estimate(ind)))
        final_se = max(r["se"] for r in rows)
        conv_fig = Figure(
            "convergence.png", later(plots.convergence_grid, panels), "Convergence",
            f"Each risk's likelihood estimated from the first n paths in path order (line), ± 1.96 standard "
            f"errors sqrt(p(1 − p)/n) (band), at {CONVERGENCE_POINTS} log-spaced checkpoints up to all "
            f"{n:,} paths; dashed: the final estimate (largest final standard error {fmt_pct(final_se, 2)}). "
            f"A line that still drifts beyond its band at the right needs more paths. Paths come in stream "
            f"blocks of {meta.get('block_size', '?')}; with {meta.get('sampler', '?')} sampling the band is "
            f"{'exact' if meta.get('sampler') == 'mc' else 'conservative'}.",
            "Small multiples: each risk's running likelihood estimate against the number of paths.", wide=True)
        figures.append(conv_fig)

    # ---- what drives this result (given-data indices and tornados from the run's own paths)
    drivers = _drivers(results, scenario, reg, meta)
    figures.extend(drivers["figures"])

    # ---- ledger, evidence, sources
    ledger = _ledger(scenario, results)
    counts = Counter(p.evidence for p in scenario.parameters)
    total = sum(counts.values())
    summary = _evidence.evidence_summary(scenario)
    evidence = [{"cls": c, "count": k, "share": k / total if total else 0.0} for c, k in summary.counts().items()]
    if total:
        figures.append(Figure("evidence.png", later(plots.evidence_bars, dict(counts)), "Evidence",
                              f"{total} parameters by evidence class (counts, not weights; how much each result "
                              f"rests on judgment is a per-risk question).",
                              "Stacked bar of parameters by evidence class."))
        evidence_fig = figures[-1]
    else:
        evidence_fig = None
    sources = [{"id": s.id, "title": s.title, "publisher": s.publisher, "date": s.date,
                "url": s.url if s.url.startswith(("http://", "https://")) else "", "url_text": s.url,
                "sha256": s.sha256, "file": Path(s.file).name if s.file else ""} for s in scenario.sources]

    context = {
        "version": __version__,
        "scenario": scenario,
        "meta": meta,
        "header": _header(scenario, meta, n),
        "register": rows,
        "has_judgment": has_judgment,
        "judgment_sentence": meta.get("judgment_share", {}).get("sentence", ""),
        "drivers": drivers,
        "matrix_fig": next((f for f in figures if f.file == "risk-matrix.png"), None),
        "fan_figs": fan_rows,
        "exceed_figs": exceed_figs,
        "conv_fig": conv_fig,
        "ledger": ledger,
        "evidence": evidence,
        "evidence_total": total,
        "evidence_summary": summary,
        "lints": [{"level": x.level, "text": str(x.problem)} for x in getattr(scenario, "lints", ())],
        "evidence_fig": evidence_fig,
        "sources": sources,
        "structure": _structure(scenario),
        "mc": _mc_notes(meta, n),
    }
    return write_outputs(folder, figures, context, "report.html.j2", "report.md.j2")


def _float_or_none(value):
    return None if value is None or pd.isna(value) else float(value)


def _drivers(results, scenario, reg: pd.DataFrame, meta: dict) -> dict:
    """The "What drives this result" section: figures and tables from the sensitivity stage."""
    from ..sensitivity import given_data, tornado
    from .drivers import drivers_section

    outputs = list(dict.fromkeys(r.output for r in scenario.risks if r.output in results.outputs))
    if not outputs or not len(results.parameters.columns) or results.n_paths < 100:
        return {"figures": [], "top_drivers": [], "groups": [], "notes": [], "title": "What drives this result",
                "intro": "Too few paths or no risks: nothing to attribute."}
    # given-data estimates from a bounded subset of paths, so the section's time does not grow with the run
    # (its bootstrap intervals are those of the subset, and the captions give its size)
    subset = results.head(DRIVER_PATHS)
    tables = given_data(subset, scenario, by=("parameter", "factor", "evidence"), outputs=outputs,
                        seed=int(meta.get("seed", 0) or 0))
    tornados = [tornado(subset, scenario, o) for o in outputs]
    share = None
    info = meta.get("judgment_share", {})
    if "judgment_ST" in reg.columns and info:
        share = reg[["risk", *[c for c in reg.columns if c.startswith("judgment_")]]].assign(
            n=info.get("base_samples"), sentence=info.get("sentence", ""), note="")
    titles = {r.id: r.title for r in scenario.risks}
    section = drivers_section(tornados=tornados, given=tables["parameter"],
                              given_groups=pd.concat([tables["factor"], tables["evidence"]]), share=share,
                              titles=titles, lazy=True)
    section["notes"] = list(dict.fromkeys(list(section.get("notes", [])) +
                                          meta.get("judgment_share", {}).get("notes", [])))
    if scenario.correlations:
        section["notes"].append("This scenario declares rank correlations: correlated parameters are grouped and "
                                "explained together; indices of single correlated parameters lose their additive "
                                "meaning.")
    return section


def is_yes_no_band(b: dict) -> bool:
    """True when every percentile is 0 or 1 in every month and the mean lies in [0, 1]."""
    q = np.concatenate([b[k] for k in ("q05", "q25", "q50", "q75", "q95")])
    m = b["mean"]
    return bool(q.size and np.isin(q, (0.0, 1.0)).all() and np.all((m >= 0) & (m <= 1)))


def _named(title: str, name: str, unit: str) -> str:
    """``Title (name, unit)``, or ``name (unit)`` when there is no title."""
    inner = ", ".join(x for x in ((name if title else ""), unit) if x)
    return f"{title or name}" + (f" ({inner})" if inner else "")


def _p_at_max_se(curve) -> str:
    if not curve.p.size:
        return "–"
    p = float(curve.p[np.argmax(curve.p * (1 - curve.p))])
    return fmt_pct(p)


def _header(scenario, meta: dict, n: int) -> list:
    timings = meta.get("timings", {}) or {}
    last = scenario.months[-1]
    items = [
        ("scenario", f"{scenario.name} ({meta.get('scenario_path') or scenario.path})"),
        ("period", f"{scenario.origin} to {last} ({scenario.horizon_months} months)"),
        ("paths", f"{n:,}"),
        ("seed", str(meta.get("seed", scenario.seed))),
        ("sampler", {"mc": "mc (plain Monte Carlo)", "lhs": "lhs (Latin hypercube)",
                     "sobol": "sobol (scrambled Sobol)"}.get(meta.get("sampler"), str(meta.get("sampler")))),
        ("riskmodel", str(meta.get("riskmodel_version", "?"))),
    ]
    if meta.get("until_se"):
        items.append(("stopping rule", f"add paths until every standard error is below {meta['until_se']}: "
                                       f"{meta.get('stopped') or ''}"))
    if "total_s" in timings:
        items.append(("simulation time", f"{timings['total_s']:.2f} s"))
    for key in ("created_utc", "started", "started_at", "finished_at", "created"):
        if meta.get(key):
            items.append(("run at", str(meta[key])))
            break
    files = meta.get("scenario_files") or list(scenario.files)
    if files and len(files) > 1:
        items.append(("extends chain", " → ".join(str(f) for f in files)))
    items.append(("scenario SHA-256", meta.get("scenario_sha256") or scenario.sha256))
    return items


def _ledger(scenario, results) -> list:
    sources = {s.id: s for s in scenario.sources}
    out = []
    for f in scenario.factors:
        params = []
        for p in scenario.parameters:
            if p.factor != f.name:
                continue
            dist, interval = parameter_distribution_text(p)
            from_samples = False
            if interval is None and p.name in results.parameters.columns and len(results.parameters):
                q = np.quantile(results.parameters[p.name].to_numpy(dtype=float), [0.05, 0.95])
                interval, from_samples = (float(q[0]), float(q[1])), True
            params.append({
                "name": p.name, "description": p.description, "dist": dist,
                "interval": interval, "from_samples": from_samples, "unit": p.unit, "evidence": p.evidence,
                "cites": [_cite(c, sources) for c in p.cite], "rationale": p.rationale,
                "cls": _evidence.parameter_class(p), "numbers": _numbers(p, sources),
                "inputs": {k: sorted(v) for k, v in _evidence.rests_on(scenario, p).items()}
                if p.evidence == "derived" else {},
            })
        out.append({"name": f.name, "title": f.title, "description": f.description, "modelled": f.modelled,
                    "cites": [_cite(c, sources) for c in f.cite], "params": params})
    return out


def _cite(c, sources: dict) -> dict:
    s = sources.get(c.source)
    url = s.url if s and s.url.startswith(("http://", "https://")) else ""
    return {"quote": c.quote, "source": c.source, "title": s.title if s else c.source,
            "file": Path(s.file).name if s and s.file else "", "line": c.line, "verified": c.line is not None,
            "reference": bool(getattr(c, "reference", False)), "url": url,
            "date": (s.date or (f"no later than {s.date_not_after}" if s.date_not_after else "undated")) if s else ""}


def _numbers(p, sources: dict) -> list:
    """Each defining number of a cited parameter: the quote (source, line) that states it, or the analyst's."""
    out = []
    for n in p.numbers:
        c = p.cite[n.cite] if n.cite is not None else None
        out.append({"label": n.label, "value": n.value, "stated": c is not None,
                    "quote": c.quote if c else "", "source": c.source if c else "",
                    "line": c.line if c else None, "reference": bool(c.reference) if c else False})
    return out


def _structure(scenario) -> dict:
    return {
        "states": [{"name": s.name, "title": s.title, "unit": s.unit, "factor": s.factor, "init": s.init,
                    "update": s.update, "nonnegative": s.nonnegative} for s in scenario.states],
        "outputs": [{"name": o.name, "title": o.title, "unit": o.unit, "definition": output_definition(o)}
                    for o in scenario.outputs],
        "interventions": [{"name": iv.name, "window": month_span(iv.start, iv.until),
                           "set": [f"{k} = {v}" for k, v in iv.set], "description": iv.description}
                          for iv in scenario.interventions],
        "correlations": [{"a": c.a, "b": c.b, "rho": c.rho} for c in scenario.correlations],
    }


def _mc_notes(meta: dict, n: int) -> dict:
    return {
        "n": n,
        "se_max": 0.5 / math.sqrt(n) if n else float("nan"),
        "band_method": meta.get("band_method", ""),
        "rank_error": meta.get("band_rank_error_p05"),
        "block_size": meta.get("block_size"),
        "sampler": meta.get("sampler"),
    }
