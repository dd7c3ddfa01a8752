"""The comparison of several runs made with common random numbers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .. import __version__
from ..analyse import compare_registers
from . import plots
from ._common import Figure, fmt_num, fmt_se, month_span, slug, write_outputs
from ._report import (DRIVER_PATHS, _named, band_arrays, intervention_windows, is_yes_no_band, output_definition,
                      parameter_distribution_text, sorted_outputs)
from ._stats import cut_sentence, exceedance_curve, is_binary, tail_cut, wilson

__all__ = ["render_comparison", "assumption_differences", "drivers_by_scenario"]


def render_comparison(results_list, scenarios, folder, *, table=None) -> Path:
    """Render a comparison of runs into ``folder``: ``index.html``, ``report.md``, ``figures/*.png``.

    Parameters
    ----------
    results_list : sequence of Results
        One per scenario, the reference first, all with the same number of
        paths (and, for common random numbers, the same seed and sampler).
    scenarios : sequence of Scenario
        The validated scenarios, in the same order.
    folder : path-like
        An existing folder.
    table : DataFrame, optional
        :func:`riskmodel.analyse.compare_registers` of these runs, if already computed.

    Returns
    -------
    Path
        ``folder / "index.html"``.
    """
    folder = Path(folder)
    if table is None:
        table = compare_registers(results_list, scenarios)
    names = unique_names([sc.name for sc in scenarios])
    n = results_list[0].n_paths
    metas = [r.meta for r in results_list]
    figures: list[Figure] = []

    # ---- header
    seeds = {m.get("seed") for m in metas}
    samplers = {m.get("sampler") for m in metas}
    crn = len(seeds) == 1 and len(samplers) == 1
    runs = [{"pos": i, "name": names[i], "title": sc.title, "description": sc.description,
             "path": m.get("scenario_path") or sc.path, "sha256": m.get("scenario_sha256") or sc.sha256,
             "period": f"{sc.origin} to {sc.months[-1]}", "seed": m.get("seed"), "sampler": m.get("sampler"),
             "time": (m.get("timings") or {}).get("total_s")}
            for i, (sc, m) in enumerate(zip(scenarios, metas))]

    # ---- registers side by side
    risk_ids = list(dict.fromkeys(table["risk"]))
    by = {(row.risk, row.position): row for row in table.itertuples(index=False)}
    reg_rows = []
    for k, rid in enumerate(risk_ids, start=1):
        first = next(by[(rid, i)] for i in range(len(scenarios)) if (rid, i) in by)
        cells = []
        for i, sc in enumerate(scenarios):
            row = by.get((rid, i))
            if row is None:
                cells.append(None)
                continue
            sign = ">" if row.direction == "above" else "<"
            sig = i > 0 and not math.isnan(row.diff) and (row.diff_low > 0 or row.diff_high < 0)
            cells.append({
                "likelihood": row.likelihood, "se": row.se, "ci_low": row.ci_low, "ci_high": row.ci_high,
                "diff": row.diff, "se_diff": row.se_diff, "diff_low": row.diff_low, "diff_high": row.diff_high,
                "significant": sig, "same": bool(row.same_definition), "in_reference": (rid, 0) in by,
                # the difference is exactly 0, no Monte Carlo error to state ("+0.0 pp ± 0.00 pp" before)
                "identical": bool(row.same_on_every_path),
                "definition": f"{row.output} {sign} {fmt_num(row.threshold)}",
            })
        reg_rows.append({"num": k, "id": rid, "title": first.title, "cells": cells,
                         # a risk absent from the reference keeps its threshold, from the first scenario defining it
                         "definition": next(c["definition"] for c in cells if c is not None)})

    # ---- summary dot plot
    if risk_ids:
        series = []
        for i, sc in enumerate(scenarios):
            p, lo, hi = [], [], []
            for rid in risk_ids:
                row = by.get((rid, i))
                p.append(row.likelihood if row is not None else np.nan)
                lo.append(row.ci_low if row is not None else np.nan)
                hi.append(row.ci_high if row is not None else np.nan)
            series.append((sc.name, p, lo, hi))
        labels = [f"#{r['num']} {r['title']}" for r in reg_rows]
        se_max = float(np.nanmax(table["se"])) if len(table) else float("nan")
        figures.append(Figure(
            "summary.png", plots.dot_plot(labels, series, title="Every risk in every scenario"), "All risks",
            f"Each risk's likelihood in each scenario (colour) with its 95% Wilson interval; n = {n:,} paths per "
            f"scenario, largest standard error {fmt_se(se_max)}. The intervals are for each likelihood alone: "
            f"with common random numbers a difference is known more precisely than two overlapping intervals "
            f"suggest (see the register table for each difference and its standard error).",
            "Dot plot of every risk's likelihood in each scenario with 95% intervals.", wide=True))
    summary_fig = figures[-1] if risk_ids else None

    # ---- difference from the reference, risk by risk, with the paired interval (common random numbers)
    diff_fig = None
    if risk_ids and len(scenarios) > 1:
        series = []
        for i in range(1, len(scenarios)):
            d, lo, hi = [], [], []
            for rid in risk_ids:
                row = by.get((rid, i))
                ok = row is not None and (rid, 0) in by and not math.isnan(row.diff)
                d.append(row.diff if ok else np.nan)
                lo.append(row.diff_low if ok else np.nan)
                hi.append(row.diff_high if ok else np.nan)
            series.append((names[i], d, lo, hi))
        labels = [f"#{r['num']} {r['title']}" for r in reg_rows]
        se_d = table["se_diff"].to_numpy(dtype=float) if "se_diff" in table else np.array([np.nan])
        se_d = float(np.nanmax(se_d)) if np.isfinite(se_d).any() else float("nan")
        diff_fig = Figure(
            "differences.png", plots.difference_chart(labels, series, reference=names[0]),
            "Difference from the reference",
            f"Each risk's likelihood in each scenario minus its likelihood in the reference ({names[0]}), in "
            f"percentage points, with the paired 95% interval (± 1.96 standard errors of the difference, from the "
            f"same {n:,} paths in both with common random numbers; largest standard error of a difference "
            f"{fmt_se(se_d)}). An interval that does not cross the line at 0 is a difference beyond Monte Carlo "
            f"noise. Risks not defined in both are left out.",
            "Dot plot of each risk's difference in likelihood from the reference, with paired 95% intervals.",
            wide=True)
        figures.append(diff_fig)

    # ---- fan charts overlaid per shared state
    fan_figs, only_one, yes_no = [], [], []
    state_names = list(dict.fromkeys(s.name for sc in scenarios for s in sc.states))
    for name in state_names:
        have = [i for i, sc in enumerate(scenarios) if any(s.name == name for s in sc.states)
                and name in set(results_list[i].bands["state"])]
        if len(have) < 2:
            only_one.append((name, [names[i] for i in have]))
            continue
        st = next(s for s in scenarios[have[0]].states if s.name == name)
        bands = {i: band_arrays(results_list[i].bands, name) for i in have}
        if all(is_yes_no_band(b) for b in bands.values()):
            yes_no.append((st, have, bands))
            continue
        series = [(names[i], scenarios[i].months, bands[i]) for i in have]
        windows = [w for i in have for w in intervention_windows(scenarios[i], series=have.index(i))]
        title = st.title or st.name
        colours = _colour_map(have)
        band_methods = sorted({metas[i].get("band_method", "") for i in have})
        rank_errors = {names[i]: metas[i].get("band_rank_error_p05") for i in have}
        if len(set(rank_errors.values())) == 1:
            rank_text = (f"; rank error of each 5th percentile ±{next(iter(rank_errors.values())):.4f}"
                         if next(iter(rank_errors.values())) else "")
        else:
            rank_text = "; rank error of the 5th percentile " + ", ".join(
                f"±{e:.4f} ({name})" for name, e in rank_errors.items() if e)
        figures.append(Figure(
            f"fan-{slug(name)}.png",
            plots.fan_overlay(series, title=title, unit=st.unit, windows=windows),
            f"Fan charts: {title}",
            f"{_named(st.title, name, st.unit)} in {', '.join(f'{names[i]} ({colours[i]})' for i in have)}: "
            f"each in its colour and line style, median (thick line with markers), 50% band (hatched), 5th and "
            f"95th percentiles (thin lines); coloured strips at the top: each scenario's intervention windows. "
            f"Monte Carlo error: {'; '.join(band_methods)}{rank_text}.",
            f"Fan charts of {title} overlaid for {len(have)} scenarios.", wide=True))
        fan_figs.append(figures[-1])
    if yes_no:
        panels = [(st.name + (f" ({st.unit})" if st.unit else ""),
                   [(i, scenarios[i].months, bands[i]["mean"]) for i in have]) for st, have, bands in yes_no]
        windows = [w for i, sc in enumerate(scenarios) for w in intervention_windows(sc, series=i)]
        figures.append(Figure(
            "states-yes-no.png", plots.lines_grid(panels, labels=names, windows=windows),
            "States that are 0 or 1 on most paths",
            f"{', '.join(st.name for st, _, _ in yes_no)}: every percentile of these states is 0 or 1 in every "
            f"month, so each panel shows the mean over all {n:,} paths by month in each scenario (for a 0/1 "
            f"state, the share of paths at 1); coloured strips: each scenario's intervention windows. Monte "
            f"Carlo standard error of each mean at most {0.5 / math.sqrt(n):.4f} (0.5/sqrt(n)) for a state whose "
            f"values lie between 0 and 1; with common random numbers the gap between two lines is less noisy.",
            "Small multiples: the share of paths at 1 by month for each yes/no state, a line per scenario.",
            wide=True))
        fan_figs.append(figures[-1])

    # ---- exceedance curves overlaid per shared output
    exceed_figs, binary_rows = [], []
    sorted_all = [sorted_outputs(r) for r in results_list]
    out_names = list(dict.fromkeys(o.name for sc in scenarios for o in sc.outputs))
    for name in out_names:
        have = [i for i, sc in enumerate(scenarios) if any(o.name == name for o in sc.outputs)
                and name in sorted_all[i]]
        if len(have) < 2:
            only_one.append((name, [names[i] for i in have]))
            continue
        o = next(o for o in scenarios[have[0]].outputs if o.name == name)
        title = o.title or o.name
        if all(is_binary(sorted_all[i][name]) for i in have):
            row = {"label": title, "series": {}}
            for i in have:
                k = int(np.sum(sorted_all[i][name] > 0.5))
                lo, hi = wilson(k, n)
                row["series"][i] = (k / n, lo, hi)
            binary_rows.append(row)
            continue
        curves = [(names[i], exceedance_curve(sorted_all[i][name])) for i in have]
        marks = []
        for j, i in enumerate(have):
            for r in scenarios[i].risks:
                if r.output != name:
                    continue
                row = by.get((r.id, i))
                if row is None:
                    continue
                k = risk_ids.index(r.id) + 1
                marks.append(plots.ThresholdMark(f"#{k} {names[i]}", r.threshold, r.direction, row.likelihood,
                                                 row.ci_low, row.ci_high, series=j))
        max_se = max(c.max_se for _, c in curves)
        figures.append(Figure(
            f"exceedance-{slug(name)}.png",
            plots.exceedance_overlay(curves, title=title, unit=o.unit, marks=marks),
            f"Exceedance: {title}",
            f"{_named(o.title, name + ': ' + output_definition(o), o.unit)}: P(output > x) in each "
            f"scenario, from the sorted values of all {n:,} paths; largest standard error of a curve "
            f"{max_se:.4f}. Dashed lines: the risks' thresholds (in the colour of the scenario that defines them) "
            f"with each likelihood and its 95% interval. With common random numbers the gap between two curves "
            f"is less noisy than each curve."
            + cut_sentence(tail_cut([c for _, c in curves], [m.threshold for m in marks])),
            f"Exceedance curves of {title} overlaid for {len(have)} scenarios.", wide=True))
        exceed_figs.append(figures[-1])
    if binary_rows:
        series = []
        for i, sc in enumerate(scenarios):
            vals = [row["series"].get(i, (np.nan, np.nan, np.nan)) for row in binary_rows]
            series.append((sc.name, [v[0] for v in vals], [v[1] for v in vals], [v[2] for v in vals]))
        figures.append(Figure(
            "yes-no-outputs.png",
            plots.dot_plot([row["label"] for row in binary_rows], series,
                           title="Yes/no outputs: share of paths where it happens", xlabel="share of paths at 1"),
            "Yes/no outputs",
            f"Outputs that are 0 or 1 on every path, by scenario: the share of paths at 1 with its 95% Wilson "
            f"interval (standard error at most {0.5 / math.sqrt(n):.4f}, n = {n:,} paths per scenario).",
            "Dot plot of yes/no outputs by scenario.", wide=True))
        exceed_figs.append(figures[-1])

    context = {
        "version": __version__,
        "title": " vs ".join(names),
        "runs": runs,
        "n": n,
        "crn": crn,
        "seed": metas[0].get("seed"),
        "sampler": metas[0].get("sampler"),
        "register": reg_rows,
        "reference": names[0],
        "summary_fig": summary_fig,
        "diff_fig": diff_fig,
        "warnings": relation_warnings(scenarios),
        "differences": assumption_differences(scenarios),
        "drivers": drivers_by_scenario(results_list, scenarios),
        "fan_figs": fan_figs,
        "exceed_figs": exceed_figs,
        "only_one": only_one,
        "colours": [f"{_COLOUR_NAMES[i % len(_COLOUR_NAMES)]}, {_STYLE_NAMES[i % len(_STYLE_NAMES)]}"
                    for i in range(len(scenarios))],
    }
    return write_outputs(folder, figures, context, "compare.html.j2", "compare.md.j2")


def drivers_by_scenario(results_list, scenarios) -> list:
    """Per risk, in each scenario: its judgment share and its largest driver (first-order index).

    The judgment share comes from each run's register (when the run computed
    it); the largest driver from the given-data indices of the first
    :data:`DRIVER_PATHS` paths of each run, as in a single report.
    """
    from ..graph import dependency_graph
    from ..sensitivity import given_data
    from ._report import _restricted

    tops = []
    for res, sc in zip(results_list, scenarios):
        outputs = list(dict.fromkeys(r.output for r in sc.risks if r.output in res.outputs))
        sub = res.head(DRIVER_PATHS)
        graph = dependency_graph(sc)
        best = {}
        for out in (outputs if res.n_paths >= 100 else ()):
            # only parameters with a path to the output; an output constant over the run has no driver (no nan)
            # the run page's estimate and bootstrap (its replicates, its seed): one run's driver reads the same
            # on both pages
            table = given_data(sub, _restricted(sc, graph.parameters_of(out)), outputs=[out],
                               seed=int(res.meta.get("seed", 0) or 0))
            table = table[np.isfinite(table["S1"].to_numpy(dtype=float))] if len(table) else table
            if len(table):
                r = table.iloc[0]
                best[out] = {"parameter": r.parameter, "evidence": r.evidence, "S1": float(r.S1),
                             "S1_low": float(r.S1_low), "S1_high": float(r.S1_high)}
        tops.append(best)
    rows = []
    ids = list(dict.fromkeys(r.id for sc in scenarios for r in sc.risks))
    for rid in ids:
        cells, title = [], rid
        for res, sc, best in zip(results_list, scenarios, tops):
            risk = next((r for r in sc.risks if r.id == rid), None)
            if risk is None:
                cells.append(None)
                continue
            title = risk.title
            reg = res.register.set_index("risk") if len(res.register) else None
            share = low = high = None
            if reg is not None and "judgment_ST" in reg.columns and rid in reg.index:
                share, low, high = (float(reg.loc[rid, c]) for c in ("judgment_ST", "judgment_ST_low",
                                                                     "judgment_ST_high"))
            cells.append({"share": share, "low": low, "high": high, "top": best.get(risk.output)})
        rows.append({"id": rid, "title": title, "cells": cells})
    return rows


def unique_names(names: list) -> list:
    """Scenario names for the page, made distinct (``a``, ``a (2)``) so that the same file twice shows twice."""
    out, seen = [], {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def relation_warnings(scenarios) -> list:
    """Why a comparison may not mean much: scenarios with no common ``extends`` root, or different origins."""
    out = []
    roots = [Path(str(sc.files[-1])).resolve() if sc.files else None for sc in scenarios]
    ref = scenarios[0]
    for sc, root in zip(scenarios[1:], roots[1:]):
        if roots[0] is not None and root is not None and root != roots[0]:
            out.append(f"{sc.name} and the reference {ref.name} share no extends root ({Path(str(root)).name} vs "
                       f"{Path(str(roots[0])).name}): they are separate models, and a difference between them is "
                       f"not the effect of one lever.")
        if str(sc.origin) != str(ref.origin) or sc.horizon_months != ref.horizon_months:
            out.append(f"{sc.name} covers {sc.origin} for {sc.horizon_months} months, the reference {ref.name} "
                       f"{ref.origin} for {ref.horizon_months}: the same risk covers different months.")
    return out


_STYLE_NAMES = ("solid line, circles", "dashed line, squares", "dotted line, diamonds", "dash-dot line, triangles",
                "dash-dot-dot line, down triangles", "long dashes, plus signs", "sparse dots, crosses",
                "dash pairs, hexagons")  # as plots.LINESTYLES and plots.MARKERS
_COLOUR_NAMES = ("blue", "vermillion", "green", "purple", "orange", "sky blue", "black", "yellow")


def _colour_map(have: list) -> dict:
    return {i: _COLOUR_NAMES[j % len(_COLOUR_NAMES)] for j, i in enumerate(have)}


def _param_text(p) -> str:
    dist, interval = parameter_distribution_text(p)
    text = f"{dist} [{p.evidence}]"
    if interval is not None:
        text += f"; 90%: {fmt_num(interval[0])} – {fmt_num(interval[1])}"
    return text + (f" {p.unit}" if p.unit else "")


def _intervention_text(iv) -> str:
    sets = "; ".join(f"{k} = {v}" for k, v in iv.set)
    return f"{month_span(iv.start, iv.until)}: {sets}"


def assumption_differences(scenarios) -> list:
    """What differs from the reference: parameters, interventions, correlations, states, outputs, risks, period.

    Returns a list of ``{"kind", "name", "texts"}`` where ``texts`` holds one
    text per scenario (``None`` where the scenario lacks the item); only items
    that differ from the reference in at least one scenario are listed.
    """
    def collect(kind, items_of):
        per = [dict(items_of(sc)) for sc in scenarios]
        keys = list(dict.fromkeys(k for d in per for k in d))
        rows = []
        for key in keys:
            values = [d.get(key) for d in per]
            if any(v != values[0] for v in values[1:]):
                rows.append({"kind": kind, "name": key, "texts": values})
        return rows

    rows = []
    rows += collect("period", lambda sc: [("origin and horizon", f"{sc.origin}, {sc.horizon_months} months")])
    rows += collect("parameter", lambda sc: [(p.name, _param_text(p)) for p in sc.parameters])
    rows += collect("intervention", lambda sc: [(iv.name, _intervention_text(iv)) for iv in sc.interventions])
    rows += collect("correlation", lambda sc: [(f"{c.a} ~ {c.b}", f"ρ = {c.rho}") for c in sc.correlations])
    rows += collect("state", lambda sc: [(s.name, f"init {s.init}; update {s.update}") for s in sc.states])
    rows += collect("output", lambda sc: [(o.name, output_definition(o)) for o in sc.outputs])
    rows += collect("risk", lambda sc: [(r.id, f"{r.output} {'>' if r.direction == 'above' else '<'} "
                                               f"{fmt_num(r.threshold)}") for r in sc.risks])
    return rows

