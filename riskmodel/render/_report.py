"""The report of one run: figures and the template context."""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .. import __version__
from .. import evidence as _evidence
from ..analyse import risk_register
from ..graph import dependency_graph
from ._pool import FigurePool
from ._figdata import MatrixPoint, ThresholdMark, Window, cumulative_incidence
from ._common import Figure, fmt_num, fmt_pct, fmt_se, later, month_span, slug, write_outputs
from ._scenario_text import (_header, _ledger, _mc_notes, _named, _structure, _threshold_text,  # noqa: F401
                             output_definition, parameter_distribution_text)
from ._stats import (CONVERGENCE_POINTS, EXCEEDANCE_POINTS, conditional_median, cut_sentence, exceedance_curve,
                     is_binary, running_estimate, tail_cut, wilson)

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
    return [Window(iv.name, iv.start, iv.until if iv.until is not None else last, series)
            for iv in scenario.interventions]


def _register(results, scenario) -> pd.DataFrame:
    reg = results.register
    if reg is None or len(reg) == 0 or "likelihood" not in reg.columns:
        reg = risk_register(results, scenario)
    return reg


# --------------------------------------------------------------------------- the report


#: What ``figures=`` draws. "default": the risk matrix, the fan charts, the yes/no summaries, the judgment
#: share and the evidence bar; "all" adds one exceedance curve per output, one tornado per risk, the
#: convergence grid and the given-data heatmaps; "summary" is the matrix and the fan charts of the states
#: that risks rest on, without the drivers section.
FIGURE_SETS = ("default", "all", "summary")
_ON_REQUEST_PREFIXES = ("exceedance-", "drivers-tornado-", "drivers-given-", "drivers-evidence-groups",
                        "convergence", "evidence.png")  # evidence.png: the counts of the table it sits under


def risk_states(scenario) -> set:
    """The states the risks rest on: those their outputs aggregate, through expression outputs too."""
    import ast

    outputs = {o.name: o for o in scenario.outputs}
    seen, todo, states = set(), [r.output for r in scenario.risks], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in outputs:
            continue
        seen.add(name)
        o = outputs[name]
        if o.state:
            states.add(o.state)
        if o.expr:
            try:
                todo.extend(n.id for n in ast.walk(ast.parse(o.expr, mode="eval")) if isinstance(n, ast.Name))
            except SyntaxError:  # validated upstream; a name it cannot read is no state
                pass
    return states


def _keep(figure, which: str, states: set) -> bool:
    if which == "all":
        return True
    if which == "summary":
        return figure.file == "risk-matrix.png" or figure.file == "states-yes-no.png" or (
            figure.file.startswith("fan-") and figure.file[4:-4] in {slug(s) for s in states})
    return not figure.file.startswith(_ON_REQUEST_PREFIXES)


def render_report(results, scenario, folder, *, figures: str = "default", phase=None, total_time=None,
                  refresh_s: int = 0, drawing: FigurePool | None = None) -> Path:
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
    drawing : FigurePool, optional
        Where the figures are drawn (a run makes a warm one before it
        validates); by default a pool made and closed here.

    Returns
    -------
    Path
        ``folder / "index.html"``.
    """
    if figures not in FIGURE_SETS:
        raise ValueError(f"figures must be one of {', '.join(FIGURE_SETS)}, not {figures!r}")
    if drawing is not None:
        return _render_report(results, scenario, folder, figures, phase, total_time, refresh_s, drawing)
    with FigurePool() as drawing:  # figures are drawn in workers while the rest of the page is built
        return _render_report(results, scenario, folder, figures, phase, total_time, refresh_s, drawing)


def _render_report(results, scenario, folder, figures, phase, total_time, refresh_s, drawing) -> Path:
    which = figures
    phase = phase or (lambda name: contextlib.nullcontext())
    folder = Path(folder)
    meta = results.meta
    n = results.n_paths
    reg = _register(results, scenario)
    outputs = {o.name: o for o in scenario.outputs}
    factors = {f.name: f for f in scenario.factors}
    sorted_vals = sorted_outputs(results)
    figures: list[Figure] = []  # noqa: F811 (the parameter is ``which`` from here on)

    # ---- register rows (+ conditional size for the matrix)
    rows, points = [], []
    for i, r in enumerate(reg.itertuples(index=False), start=1):
        risk = next((x for x in scenario.risks if x.id == r.risk), None)
        unit = outputs[r.output].unit if r.output in outputs else ""
        v = sorted_vals.get(r.output, np.array([]))
        binary = is_binary(v)
        cm = conditional_median(v, r.threshold, r.direction)
        kind = output_kind(v)
        size = size_lo = size_hi = float("nan")
        if kind == "amount" and cm.k and r.threshold > 0:
            # an amount: how large it is where the risk happens, as a multiple of the threshold; a count or a
            # yes/no output has no such size (its conditional median is a step set by where the threshold falls)
            size = cm.median / r.threshold
            if not math.isnan(cm.low):
                size_lo, size_hi = cm.low / r.threshold, cm.high / r.threshold
        judgment = getattr(r, "judgment_ST", None)
        rows.append({
            "num": i, "id": r.risk, "title": r.title, "output": r.output, "unit": unit,
            "likelihood": r.likelihood, "se": r.se, "ci_low": r.ci_low, "ci_high": r.ci_high,
            "threshold": _threshold_text(risk or r, unit, binary),
            "factor": factors[r.factor].title if r.factor in factors else r.factor, "factor_id": r.factor,
            "judgment_share": None if judgment is None or pd.isna(judgment) else float(judgment),
            "judgment_low": _float_or_none(getattr(r, "judgment_ST_low", None)),
            "judgment_high": _float_or_none(getattr(r, "judgment_ST_high", None)),
            "binary": binary, "kind": kind, "cond_k": cm.k,
            "cond_median": cm.median, "cond_low": cm.low, "cond_high": cm.high,
            "size": size,
        })
        points.append(MatrixPoint(str(i), factors[r.factor].title if r.factor in factors else r.factor,
                                  r.likelihood, r.ci_low, r.ci_high, size, size_lo, size_hi))
    has_judgment = "judgment_ST" in reg.columns

    if rows:
        se_max = max(r["se"] for r in rows)
        figures.append(Figure(
            "risk-matrix.png", later("plots:risk_matrix", points), "Risk matrix",
            f"Each risk (numbered as in the register) by its likelihood. Vertical axis, for risks on an amount "
            f"(an output that is not a whole number on every path): the median of the output over the paths where "
            f"the risk happens, divided by the threshold (log scale; 1 = at the threshold). Risks on a count of "
            f"events or a yes/no output have no size — for them the conditional median only says where the "
            f"threshold fell between two whole numbers — and sit on the strip below, as do risks that never happen "
            f"in {n:,} paths. Horizontal "
            f"bars: 95% Wilson interval of the likelihood (largest standard error {fmt_se(se_max)}, "
            f"n = {n:,} paths); vertical bars: 95% interval of the conditional median from order statistics "
            f"(missing where fewer than about 6 paths exceed).",
            "Scatter of the risks: likelihood on the horizontal axis; for amounts, the conditional median as a "
            "multiple of the threshold on the vertical axis.", wide=True))

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
                              later("plots:fan_chart", scenario.months, b, title=title, unit=s.unit, windows=windows),
                              f"Fan chart: {title}", caption,
                              f"Fan chart of {title} from {scenario.origin} to {last}."))
        fan_rows.append(figures[-1])
    if yes_no:
        bound = 0.5 / math.sqrt(n)
        names = ", ".join(s.name for s, _ in yes_no)
        figures.append(Figure(
            "states-yes-no.png",
            later("plots:mean_lines", scenario.months, [(s.name + (f" ({s.unit})" if s.unit else ""), b["mean"])
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
        marks_for.setdefault(risk.output, []).append(ThresholdMark(
            f"#{row['num']}", risk.threshold, risk.direction, row["likelihood"], row["ci_low"], row["ci_high"]))
    exceed_figs, binary_rows = [], []
    for o in scenario.outputs:
        v = sorted_vals.get(o.name)
        if v is None:
            continue
        if o.agg == "first":
            figures.append(_by_when_figure(o, v, scenario, n))
            exceed_figs.append(figures[-1])
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
                      if marks_for.get(o.name) else "")
                   + cut_sentence(tail_cut([curve], [m.threshold for m in marks_for.get(o.name, ())])))
        figures.append(Figure(f"exceedance-{slug(o.name)}.png",
                              later("plots:exceedance_plot", curve, title=title, unit=o.unit,
                                    marks=marks_for.get(o.name, ())),
                              f"Exceedance: {title}", caption, f"Exceedance curve of {title}."))
        exceed_figs.append(figures[-1])
    if binary_rows:
        se_max = max(math.sqrt(p * (1 - p) / n) for _, p, _, _ in binary_rows)
        figures.append(Figure(
            "yes-no-outputs.png",
            later("plots:dot_plot", [r[0] for r in binary_rows],
                  [("share", [r[1] for r in binary_rows], [r[2] for r in binary_rows], [r[3] for r in binary_rows])],
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
            "convergence.png", later("plots:convergence_grid", panels), "Convergence",
            f"Each risk's likelihood estimated from the first n paths in path order (line), ± 1.96 standard "
            f"errors sqrt(p(1 − p)/n) (band), at {CONVERGENCE_POINTS} log-spaced checkpoints up to all "
            f"{n:,} paths; dashed: the final estimate (largest final standard error {fmt_se(final_se)}). "
            f"A line that still drifts beyond its band at the right needs more paths. Paths come in stream "
            f"blocks of {meta.get('block_size', '?')}; with {meta.get('sampler', '?')} sampling the band is "
            + _band_exactness(meta.get("sampler"), bool(scenario.correlations)),
            "Small multiples: each risk's running likelihood estimate against the number of paths.", wide=True)
        figures.append(conv_fig)

    # the figures so far need nothing more, nor does the judgment share's (one of the slowest to draw): the
    # workers start on them while the drivers and the ledger are made
    states = risk_states(scenario) if which == "summary" else set()
    share = None if which == "summary" else _judgment_table(reg, meta)
    made = _judgment_figures(scenario, share)
    drawing.start([f for f in figures + made if _keep(f, which, states)])

    # ---- what drives this result (given-data indices and tornados from the run's own paths)
    if which == "summary":
        drivers = {"figures": [], "top_drivers": [], "groups": [], "notes": [], "title": "What drives this result",
                   "intro": "Not computed in a summary report (riskmodel run --report full)."}
    else:
        with phase("drivers"):
            # the tornados feed only their figures, drawn on request: not computed for the default set
            drivers = _drivers(results, scenario, reg, meta, share, with_tornados=which == "all", made=made)
    figures.extend(drivers["figures"])

    # ---- ledger, evidence, sources
    ledger = _ledger(scenario, results)
    counts = Counter(p.evidence for p in scenario.parameters)
    total = sum(counts.values())
    summary = _evidence.evidence_summary(scenario)
    evidence = [{"cls": c, "count": k, "share": k / total if total else 0.0} for c, k in summary.counts().items()]
    if total:
        figures.append(Figure("evidence.png", later("plots:evidence_bars", dict(counts)), "Evidence",
                              f"{total} parameters by evidence class (counts, not weights; how much each result "
                              f"rests on judgment is a per-risk question).",
                              "Stacked bar of parameters by evidence class."))
        evidence_fig = figures[-1]
    else:
        evidence_fig = None
    on_request = [f for f in figures if not _keep(f, which, states)]
    if on_request:
        dropped = {id(f) for f in on_request}
        figures = [f for f in figures if id(f) not in dropped]
        fan_rows = [f for f in fan_rows if id(f) not in dropped]
        exceed_figs = [f for f in exceed_figs if id(f) not in dropped]
        drivers["figures"] = [f for f in drivers["figures"] if id(f) not in dropped]
        conv_fig = None if id(conv_fig) in dropped else conv_fig
        evidence_fig = None if id(evidence_fig) in dropped else evidence_fig
    # figures not even prepared in this set, named so that the page's list of what it left out is whole
    tornados = 0 if which == "all" else len(set(reg["output"])) if len(reg) else 0
    not_drawn = ([f"a tornado chart per risk output ({tornados})"] if tornados else []) + (
        ["the drivers section's figures"] if which == "summary" else [])
    sources = [{"id": s.id, "title": s.title, "publisher": s.publisher, "date": s.date,
                "url": s.url if s.url.startswith(("http://", "https://")) else "", "url_text": s.url,
                "sha256": s.sha256, "file": Path(s.file).name if s.file else ""} for s in scenario.sources]

    context = {
        "headline": _headline(rows, drivers),
        "limitations": list(scenario.limitations),
        "version": __version__,
        "scenario": scenario,
        "meta": meta,
        "header": _header(scenario, meta, n, total_time),
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
        "figure_set": which,
        "refresh_s": int(refresh_s),  # riskmodel watch: the page reloads itself (meta refresh, no script)
        "on_request": [f.title for f in on_request] + not_drawn,
        # what the outputs section holds: its exceedance curves, or how many of them wait for --figures all
        "exceed_curves": sum(f.file.startswith("exceedance-") for f in exceed_figs),
        "exceed_on_request": sum(f.file.startswith("exceedance-") for f in on_request),
        "on_request_count": None if which == "summary" else len(on_request) + tornados,
    }
    with phase("figures"):
        return write_outputs(folder, figures, context, "report.html.j2", "report.md.j2", drawing)


def _by_when_figure(o, values, scenario, n: int) -> Figure:
    """An ``agg: first`` output: the share of paths where it has happened by each month, dates on the axis."""
    months = [str(m) for m in scenario.months]
    ci = cumulative_incidence(values, len(months))
    title = f"By when: {o.title or o.name}"
    caption = (f"{_named(o.title, o.name + ': ' + output_definition(o), o.unit)}: the share of the {n:,} paths "
               f"where it has happened by each month (P(first <= month)), with its 95% band (largest standard "
               f"error {fmt_se(ci.se.max())}); by the horizon {fmt_pct(ci.p[-1])}, never within it "
               f"{fmt_pct(ci.never)}.")
    return Figure(f"bywhen-{slug(o.name)}.png", later("bywhen:by_when_plot", months, ci, title=title),
                  title, caption, f"Step chart of the share of paths where {o.title or o.name} has happened, by month.")


HEADLINE_RISKS = 5
#: Words for a likelihood, by band (lower bound, word); the bands are the report's own convention.
LIKELIHOOD_WORDS = ((0.9, "very likely"), (0.66, "likely"), (0.33, "about as likely as not"), (0.1, "unlikely"),
                    (0.0, "very unlikely"))


def likelihood_word(p: float) -> str:
    return next(word for bound, word in LIKELIHOOD_WORDS if p >= bound)


def _headline(rows: list, drivers: dict) -> list:
    """The top risks by likelihood, each with a one-line reading (likelihood in words, what moves it most)."""
    top_by_output = {t["output"]: t["drivers"] for t in drivers.get("top_drivers", [])}
    out = []
    for r in sorted(rows, key=lambda r: -r["likelihood"])[:HEADLINE_RISKS]:
        parts = [f"{likelihood_word(r['likelihood'])} in this model ({fmt_pct(r['likelihood'])}, 95% interval "
                 f"{fmt_pct(r['ci_low'])} to {fmt_pct(r['ci_high'])})"]
        d = next(iter(top_by_output.get(r["output"], [])), None)
        if d is not None and d["S1"] == d["S1"] and d["S1_low"] > 0:
            parts.append(f"{d['parameter']} ({d['evidence']}) moves it most, explaining about "
                         f"{d['S1']:.0%} of the variance of {r['output']} alone")
        if r["judgment_share"] is not None:
            parts.append(f"{fmt_pct(r['judgment_share'], 0)} of it rests on judgment")
        out.append({"num": r["num"], "id": r["id"], "title": r["title"], "reading": "; ".join(parts) + "."})
    return out


def _float_or_none(value):
    return None if value is None or pd.isna(value) else float(value)


def _judgment_table(reg: pd.DataFrame, meta: dict):
    """The register's judgment-share columns as :func:`riskmodel.sensitivity.judgment_share` gives them, or None."""
    info = meta.get("judgment_share", {})
    if "judgment_ST" not in reg.columns or not info:
        return None
    return reg[["risk", *[c for c in reg.columns if c.startswith("judgment_")]]].assign(
        n=info.get("base_samples"), sentence=info.get("sentence", ""), note="")


def _judgment_figures(scenario, share) -> list:
    """The drivers section's judgment-share figure (none without a judgment share), made before the section."""
    from .drivers import drivers_figures

    return [] if share is None else drivers_figures(share=share, titles={r.id: r.title for r in scenario.risks},
                                                    lazy=True)


def _drivers(results, scenario, reg: pd.DataFrame, meta: dict, share, *, with_tornados: bool = True,
             made: Sequence = ()) -> dict:
    """The "What drives this result" section: figures and tables from the sensitivity stage (``share``: the
    judgment share's table or None; ``made``: the section's figures made already, kept in place of new ones)."""
    from ..sensitivity import given_data, tornado
    from .drivers import drivers_section

    outputs = list(dict.fromkeys(r.output for r in scenario.risks if r.output in results.outputs))
    if not outputs or not len(results.parameters.columns) or results.n_paths < 100:
        return {"figures": [], "top_drivers": [], "groups": [], "notes": [], "title": "What drives this result",
                "intro": "Too few paths or no risks: nothing to attribute."}
    # given-data estimates from a bounded subset of paths, so the section's time does not grow with the run
    # (its bootstrap intervals are those of the subset, and the captions give its size)
    subset = results.head(DRIVER_PATHS)
    # each output is attributed only among the parameters with a path to it in the model's dependency graph
    # (the others are independent of it by construction: whatever an estimator gives them is noise)
    graph = dependency_graph(scenario)
    per_output = {o: _restricted(scenario, graph.parameters_of(o)) for o in outputs}
    seed = int(meta.get("seed", 0) or 0)
    tables = given_data(subset, scenario, by=("parameter", "factor", "evidence"), outputs=outputs, seed=seed,
                        parameters={o: graph.parameters_of(o) for o in outputs})
    tornados = [tornado(subset, per_output[o], o) for o in outputs] if with_tornados else []
    n_sampled = len(graph.sampled)
    reach = {o: len(graph.parameters_of(o)) for o in outputs}
    titles = {r.id: r.title for r in scenario.risks}
    section = drivers_section(tornados=tornados, given=tables["parameter"],
                              given_groups=pd.concat([tables["factor"], tables["evidence"]]), share=share,
                              titles=titles, lazy=True, n_paths=subset.n_paths, n_run=results.n_paths,
                              reach=reach, n_sampled=n_sampled, made=made)
    section["notes"] = list(dict.fromkeys(list(section.get("notes", [])) +
                                          meta.get("judgment_share", {}).get("notes", [])))
    if scenario.correlations:
        section["notes"].append("This scenario declares rank correlations: correlated parameters are grouped and "
                                "explained together; indices of single correlated parameters lose their additive "
                                "meaning.")
    return section


def output_kind(sorted_values: np.ndarray) -> str:
    """``"yes/no"`` (0 or 1 on every path), ``"count"`` (a whole number on every path) or ``"amount"``."""
    v = sorted_values
    if is_binary(v):
        return "yes/no"
    if v.size and np.all(np.isfinite(v)) and np.all(v == np.round(v)):
        return "count"
    return "amount"


def _restricted(scenario, parameters: tuple):
    """The scenario with only ``parameters`` among its sampled parameters (derived ones kept), for attribution."""
    keep = set(parameters)
    return replace(scenario, parameters=tuple(p for p in scenario.parameters
                                              if p.distribution is None or p.name in keep))


def is_yes_no_band(b: dict) -> bool:
    """True when every percentile is 0 or 1 in every month and the mean lies in [0, 1]."""
    q = np.concatenate([b[k] for k in ("q05", "q25", "q50", "q75", "q95")])
    m = b["mean"]
    return bool(q.size and np.isin(q, (0.0, 1.0)).all() and np.all((m >= 0) & (m <= 1)))


def _p_at_max_se(curve) -> str:
    if not curve.p.size:
        return "–"
    p = float(curve.p[np.argmax(curve.p * (1 - curve.p))])
    return fmt_pct(p)


def _band_exactness(sampler, correlated: bool) -> str:
    """Whether sqrt(p(1 - p)/n) is the estimate's standard error under this design, said in a clause."""
    if sampler == "mc" and not correlated:
        return "exact."
    why = []
    if sampler != "mc":
        why.append("the design's strata")
    if correlated:
        why.append("the rank correlations imposed on each block")
    return (f"conservative: {' and '.join(why)} make the spread of the estimate across seeds smaller than "
            "independent draws would.")
