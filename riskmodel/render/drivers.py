"""The report's "What drives this result" section: its figures, tables and sentences.

:func:`drivers_figures` names the section's figures (file names, captions,
alt text; drawn by :mod:`riskmodel.render.plots_drivers`) and
:func:`drivers_section` returns everything the report templates need for the
section (figures, table rows, sentences, and ready-made Markdown and HTML
fragments). Nothing here loads matplotlib: the page is built in the command's
process and the figures drawn in workers.
"""

from __future__ import annotations

import html as _html
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from ._common import Figure, draw_now, later, slug
from ..formats import fmt_num
from ..judgment import judgment_share_summary

__all__ = ["drivers_figures", "drivers_section", "top_drivers", "write_pngs", "SECTION_TITLE"]

SECTION_TITLE = "What drives this result"


def drivers_figures(*, tornados: Sequence[pd.DataFrame] = (), given: Optional[pd.DataFrame] = None,
                    given_groups: Optional[pd.DataFrame] = None, explanation=None,
                    share: Optional[pd.DataFrame] = None, titles: Optional[dict] = None,
                    prefix: str = "drivers", lazy: bool = False, n_paths: Optional[int] = None,
                    n_run: Optional[int] = None, reach: Optional[dict] = None,
                    n_sampled: Optional[int] = None, made: Sequence[Figure] = ()) -> list:
    """The section's figures as :class:`Figure` objects (file names under ``figures/``).

    Parameters
    ----------
    tornados : sequence of DataFrame
        One :func:`riskmodel.sensitivity.tornado` table per risk output.
    given : DataFrame, optional
        :func:`riskmodel.sensitivity.given_data` (by parameter): one heat map of all outputs.
    given_groups : DataFrame, optional
        The grouped tables (``by`` factor and evidence): one grouped bar chart by evidence class.
    explanation : Explanation, optional
        From :func:`riskmodel.sensitivity.explain`: parameter and group charts.
    share : DataFrame, optional
        :func:`riskmodel.sensitivity.judgment_share`.
    titles : dict, optional
        Risk id -> title, for the judgment-share chart.
    n_paths, n_run : int, optional
        Paths the tornados were estimated from, and paths in the run (captions).
    reach, n_sampled : optional
        Output -> number of sampled parameters with a path to it in the
        model's dependency graph, and the scenario's number of sampled
        parameters (the tables are expected to hold only the former).
    made : sequence of Figure
        Figures of the section made already (the judgment share's, sent to be
        drawn before the rest of the section is computed): each is kept in
        place of the one of the same file name made here.
    """
    draw = later if lazy else draw_now
    figs = []
    for t in tornados:
        if not len(t):
            continue
        out = str(t["output"].iloc[0])
        unit = str(t["output_unit"].iloc[0] or "")
        top = t.iloc[0]
        figs.append(Figure(
            file=f"{prefix}-tornado-{slug(out)}.png", png=draw("plots_drivers:tornado_chart", t), title=f"What moves {out}",
            caption=(f"Mean of {out} over the paths whose parameter lies in its lowest decile (blue, around its P5) "
                     f"and in its highest decile (vermillion, around P95); the line is the overall mean. Largest "
                     f"swing: {top.parameter}, {fmt_num(top.mean_low)} to {fmt_num(top.mean_high)}"
                     + (f" {unit}" if unit else "") + f" (± {fmt_num(1.96 * top.swing_se)} at 95%, Monte Carlo "
                     f"standard error {fmt_num(top.swing_se)}); " + _ends_text(top, n_paths, n_run)
                     + _reach_text(out, reach, n_sampled)
                     + "bars within 1.96 standard errors of no swing are left out."),
            alt=f"Tornado chart of {out}: " + "; ".join(
                f"{r.parameter} from {fmt_num(r.mean_low)} to {fmt_num(r.mean_high)}" for r in t.head(5).itertuples()),
        ))
    if given is not None and len(given):
        n = int(given["n"].iloc[0])
        half = float(((given["S1_high"] - given["S1_low"]) / 2).max())
        blank = (" A blank cell: the parameter has no path to that output in the model (it cannot move it), or "
                 "its index is below 0.005.") if reach is not None else ""
        figs.append(Figure(
            file=f"{prefix}-given-heatmap.png", png=draw("plots_drivers:indices_heatmap", given),
            title="First-order indices by risk output",
            caption=(f"Share of each risk output's variance that a parameter explains alone, estimated from the run's "
                     f"own {n:,} paths (quantile binning, bias corrected; no extra simulation); the parameters with "
                     f"the largest index are shown. Monte Carlo error: 95% bootstrap intervals (1.96 bootstrap "
                     f"standard errors) at most ±{half:.3f}; each output's table row gives its three largest "
                     "with their intervals." + blank),
            alt="Heat map of first-order indices, risk outputs by parameter.", wide=True))
    if given_groups is not None and len(given_groups) and (given_groups["by"] == "evidence").any():
        eg = given_groups[given_groups["by"] == "evidence"]
        half = float(((eg["S1_high"] - eg["S1_low"]) / 2).max())
        figs.append(Figure(
            file=f"{prefix}-evidence-groups.png", png=draw("plots_drivers:evidence_groups_chart", given_groups),
            title="Main effects by evidence class",
            caption=(f"For each risk output, the sum of the first-order indices of the parameters of each evidence "
                     f"class (a lower bound of the class's own first-order index), from the run's "
                     f"{int(eg['n'].iloc[0]):,} paths; whiskers: 95% bootstrap intervals (1.96 bootstrap standard "
                     f"errors, at most ±{half:.3f})."),
            alt="Grouped bar chart of main effects by evidence class per risk output.", wide=True))
    if explanation is not None:
        e = explanation
        for kind, table in (("parameters", e.parameters), ("groups", e.groups)):
            order = table.sort_values("ST", ascending=False)
            figs.append(Figure(
                file=f"{prefix}-sobol-{kind}-{slug(e.output)}.png",
                png=draw("plots_drivers:indices_chart", list(order.index), order["S1"], order["S1_low"],
                         order["S1_high"], order["ST"], order["ST_low"], order["ST_high"],
                         title=f"Sobol indices of {e.output} by {kind[:-1]}"),
                title=f"Sobol indices of {e.output} by {kind[:-1]}",
                caption=(f"First-order (alone) and total-order (with interactions) Sobol indices of {e.output}, "
                         f"N = {e.base_samples:,} base samples ({e.evaluations:,} simulated paths); whiskers: 95% "
                         "bootstrap intervals." + (" " + " ".join(e.notes) if e.notes else "")),
                alt=f"Bar chart of Sobol indices of {e.output} by {kind[:-1]}: " + "; ".join(
                    f"{i} first {r.S1:.0%}, total {r.ST:.0%}" for i, r in order.head(5).iterrows()),
            ))
    if share is not None and len(share):
        figs.append(Figure(
            file=f"{prefix}-judgment-share.png", png=draw("plots_drivers:judgment_share_chart", share, titles=titles),
            title="How much rests on judgment",
            caption=judgment_share_summary(share)
            + f" Whiskers: 95% percentile bootstrap intervals over the design's "
            f"{int(share['n'].iloc[0]):,} base rows ({4 * int(share['n'].iloc[0]):,} simulated paths), each share's "
            "Monte Carlo error read from the bootstrap's percentiles rather than as ± 1.96 standard errors; diamonds: "
            "the judgment parameters' share alone (first order). The first order cannot exceed the total; a "
            "diamond beyond its bar is the two estimates' Monte Carlo error.",
            alt="Bar chart of the judgment share per risk: " + "; ".join(
                f"{r.risk} {r.judgment_ST:.0%}" for r in share.itertuples()),
            wide=True,
        ))
    kept = {f.file: f for f in made}
    return [kept.get(f.file, f) for f in figs]


def _ends_text(top, n_paths: Optional[int], n_run: Optional[int]) -> str:
    """How many paths each end's mean is over, as counted (ties make an end larger than a tenth)."""
    lo, hi = int(top.n_low), int(top.n_high)
    ends = f"{lo:,} paths" if lo == hi else f"{lo:,} (low end) and {hi:,} (high end) paths"
    if n_paths is None:
        return f"each end's mean is over {ends}; "
    of = f"the first {n_paths:,} of the run's {n_run:,} paths" if n_run and n_run > n_paths else \
        f"the run's {n_paths:,} paths"
    tied = " (more than a tenth: the parameter takes few distinct values, and every path at the end value counts)" \
        if max(lo, hi) > 0.11 * n_paths else ""
    return f"each end's mean is over {ends} of {of}{tied}; "


def _reach_text(out: str, reach: Optional[dict], n_sampled: Optional[int]) -> str:
    if reach is None or out not in reach or n_sampled is None:
        return ""
    k = reach[out]
    if k == n_sampled:
        return ""
    return (f"only the {k} of the scenario's {n_sampled} uncertain parameters with a path to {out} in the model "
            f"are considered (the others cannot move it); ")


def write_pngs(figures: Sequence[Figure], folder: str | Path) -> list:
    """Write each figure's PNG into ``folder`` (created if missing); return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in figures:
        p = folder / f.file
        p.write_bytes(f.png)
        paths.append(p)
    return paths


def _pct_text(v) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{v:.0%}"


def top_drivers(given: Optional[pd.DataFrame], k: int = 3) -> list:
    """Per output, its ``k`` largest first-order indices as records (``output``, ``drivers``).

    As for the group table: a driver whose interval ends below 0.005 cannot be told from nothing and
    is not listed, and a value within 0.005 of 0 reads 0.00, never "-0.00".
    """
    def _z(v: float) -> float:
        return 0.0 if abs(v) < 0.005 else float(v)

    top = []
    if given is None or not len(given):
        return top
    for out, t in given.groupby("output", sort=False):
        t = t[np.isfinite(t["S1_high"]) & (t["S1_high"] >= 0.005)]
        if len(t):
            top.append({"output": out, "drivers": [
                {"parameter": r.parameter, "evidence": r.evidence, "S1": _z(r.S1), "S1_low": _z(r.S1_low),
                 "S1_high": _z(r.S1_high), "spearman": float(r.spearman)} for r in t.head(k).itertuples()]})
    return top


def drivers_section(*, tornados: Sequence[pd.DataFrame] = (), given: Optional[pd.DataFrame] = None,
                    given_groups: Optional[pd.DataFrame] = None, explanation=None,
                    share: Optional[pd.DataFrame] = None, titles: Optional[dict] = None,
                    figure_dir: str = "figures", lazy: bool = False, **counts) -> dict:
    """Everything the report needs for "What drives this result".

    Returns
    -------
    dict
        ``title``; ``intro`` (plain text); ``figures`` (list of
        :class:`Figure`); ``top_drivers`` (per output: the three largest
        first-order indices, as records); ``groups`` (records of
        ``given_groups``); ``judgment`` (records of ``share``) and
        ``judgment_sentence``; ``notes``; ``markdown`` and ``html`` (ready
        fragments, text escaped, images from ``figure_dir``).
    """
    figures = drivers_figures(tornados=tornados, given=given, given_groups=given_groups, explanation=explanation,
                              share=share, titles=titles, lazy=lazy, **counts)
    # the tornado charts are described where they are drawn (the default report leaves them for --figures all)
    tornado_text = ("Tornado charts show how far the output's mean moves between a parameter's low and high ends; "
                    if tornados else "Tornado charts (how far the output's mean moves between a parameter's low and "
                    "high ends) are drawn on request (--figures all). ")
    intro = ("Which uncertain parameters move each risk's output. " + tornado_text
             + ("first-order" if tornados else "First-order") + " indices give the share of the output's variance "
             "a parameter explains alone (from the run's own paths, no extra simulation); the judgment share is the "
             "share that comes from parameters classed as judgment, with their interactions.")
    top = top_drivers(given)
    groups = given_groups.to_dict("records") if given_groups is not None else []
    # a group whose interval ends below 0.005 cannot be told from nothing: counted, not listed; no "-0.00"
    shown_groups = [g for g in groups if np.isfinite(g["S1_high"]) and g["S1_high"] >= 0.005]
    groups_hidden = len(groups) - len(shown_groups)
    groups = [{**g, **{k: (0.0 if abs(g[k]) < 0.005 else g[k]) for k in ("S1", "S1_low", "S1_high")}}
              for g in shown_groups]
    judgment = share.to_dict("records") if share is not None else []
    sentence = str(share["sentence"].iloc[0]) if share is not None and len(share) else ""
    notes = list(explanation.notes) if explanation is not None else []
    if share is not None and len(share):
        notes.extend(n for n in dict.fromkeys(share["note"]) if n and n not in notes)

    md = [f"## {SECTION_TITLE}", "", _md(intro), ""]
    h = [f"<section id=\"drivers\"><h2>{_html.escape(SECTION_TITLE)}</h2>", f"<p>{_html.escape(intro)}</p>"]
    if top:
        md += ["| output | largest drivers (first-order index, 95% interval) |", "|---|---|"]
        h.append("<table><thead><tr><th>output</th><th>largest drivers (first-order index, 95% interval)</th></tr>"
                 "</thead><tbody>")
        for t in top:
            cells = "; ".join(f"{d['parameter']} ({d['evidence']}) {_pct_text(d['S1'])} "
                              f"[{_pct_text(d['S1_low'])}, {_pct_text(d['S1_high'])}]" for d in t["drivers"])
            md.append(f"| {_md(t['output'])} | {_md(cells)} |")
            h.append(f"<tr><td>{_html.escape(t['output'])}</td><td>{_html.escape(cells)}</td></tr>")
        md.append("")
        h.append("</tbody></table>")
    if judgment:
        md += ["| risk | judgment share | 95% interval | judgment alone |", "|---|---:|---:|---:|"]
        h.append("<table><thead><tr><th>risk</th><th>judgment share</th><th>95% interval</th>"
                 "<th>judgment alone</th></tr></thead><tbody>")
        for r in judgment:
            name = (titles or {}).get(r["risk"], r["risk"])
            interval = f"[{_pct_text(r['judgment_ST_low'])}, {_pct_text(r['judgment_ST_high'])}]"
            md.append(f"| {_md(name)} | {_pct_text(r['judgment_ST'])} | {interval} | {_pct_text(r['judgment_S1'])} |")
            h.append(f"<tr><td>{_html.escape(name)}</td><td>{_pct_text(r['judgment_ST'])}</td>"
                     f"<td>{interval}</td><td>{_pct_text(r['judgment_S1'])}</td></tr>")
        md += ["", _md(sentence), ""]
        h += ["</tbody></table>", f"<p class=\"note\">{_html.escape(sentence)}</p>"]
    for f in figures:
        md += [f"![{_md(f.alt)}]({figure_dir}/{f.file})", "", f"*{_md(f.caption)}*", ""]
        src = f"{_html.escape(figure_dir)}/{_html.escape(f.file)}"
        h.append(f"<figure><img src=\"{src}\" alt=\"{_html.escape(f.alt)}\">"
                 f"<figcaption>{_html.escape(f.caption)}</figcaption></figure>")
    for n in notes:
        md += [f"> {_md(n)}", ""]
        h.append(f"<p class=\"note\">{_html.escape(n)}</p>")
    h.append("</section>")
    if groups_hidden:
        notes.append(f"{groups_hidden} factor or evidence groups whose main effects are below 0.005 at the top of "
                     f"their 95% interval are not listed in the group table.")
    return {"title": SECTION_TITLE, "intro": intro, "figures": figures, "top_drivers": top, "groups": groups,
            "groups_hidden": groups_hidden,
            "judgment": judgment, "judgment_sentence": sentence, "notes": notes, "markdown": "\n".join(md),
            "html": "\n".join(h)}


def _md(text) -> str:
    from ._common import md_escape

    return md_escape(text)
