"""The report's "What drives this result" section: tornado, index bars, judgment share.

Plots take the tables of :mod:`riskmodel.sensitivity` and return PNG bytes
(matplotlib Agg, no pyplot state, the report's style and Okabe–Ito palette,
as :mod:`riskmodel.render.plots`); :func:`drivers_figures` wraps them as
:class:`~riskmodel.render._common.Figure` objects with file names, captions
and alt text, and :func:`drivers_section` returns everything the report
templates need for the section (figures, table rows, sentences, and
ready-made Markdown and HTML fragments).
"""

from __future__ import annotations

import html as _html
from pathlib import Path
from typing import Optional, Sequence

import matplotlib

matplotlib.use("Agg", force=False)  # harmless when a backend is already chosen; we never use pyplot

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure as _MplFigure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ._common import Figure, later, slug  # noqa: E402
from ..sensitivity import judgment_share_sentence  # noqa: E402
from .plots import DPI, OKABE_ITO, STYLE, fmt_num, png_bytes, tick_num  # noqa: E402

__all__ = [
    "tornado_chart", "indices_chart", "indices_heatmap", "evidence_groups_chart", "judgment_share_chart", "drivers_figures", "drivers_section", "write_pngs",
    "SECTION_TITLE",
]

SECTION_TITLE = "What drives this result"
LOW_COLOUR = OKABE_ITO["blue"]  # parameter at its low end (P5)
HIGH_COLOUR = OKABE_ITO["vermillion"]  # parameter at its high end (P95)
S1_COLOUR = OKABE_ITO["blue"]
ST_COLOUR = OKABE_ITO["vermillion"]
JUDGMENT_COLOUR = OKABE_ITO["orange"]  # the report's colour for the judgment class
MAX_BARS = 12


def _figure(width: float, height: float) -> _MplFigure:
    fig = _MplFigure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _short(text: str, width: int = 38) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _label(text: str, width: int = 36, lines: int = 2) -> str:
    """A bar label: wrapped at spaces (a correlated set "a + b" breaks after "+"), at most ``lines`` lines."""
    import textwrap

    text = str(text)
    if len(text) <= width:
        return text
    wrapped = textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False) or [text]
    out = wrapped[:lines]
    if len(wrapped) > lines:
        out[-1] = _short(out[-1] + " …", width)
    return "\n".join(_short(line, width) for line in out)


def _labels(texts: Sequence[str], fallback: Sequence[str], width: int = 36) -> list:
    """Labels from ``texts``; ``fallback`` (unique ids) wherever shortening would make two labels equal."""
    labels = [_label(t, width) for t in texts]
    seen = [labels.count(x) for x in labels]
    return [lab if k == 1 else str(fb) for lab, k, fb in zip(labels, seen, fallback)]


def _pct(x: float, _pos=None) -> str:
    return f"{x * 100:.0f}%"


# =============================================================================== plots


def tornado_chart(table: pd.DataFrame, *, title: Optional[str] = None, max_bars: int = MAX_BARS,
                  width: float = 7.2) -> bytes:
    """Tornado: the output's mean with each parameter in its lowest and highest decile, largest swing on top.

    Parameters
    ----------
    table : DataFrame
        From :func:`riskmodel.sensitivity.tornado` (``parameter``, ``unit``,
        ``x_low``, ``x_high``, ``mean_low``, ``mean_high``, ``swing``,
        ``mean``, ``output``, ``output_unit``), largest swing first.
    title : str, optional
    max_bars : int
        Parameters shown (the largest swings); the rest are counted in a note,
        as are swings smaller than 1.96 times their standard error.
    """
    real = table[~(table["swing"].abs() < 1.96 * table["swing_se"])]  # drop swings within Monte Carlo noise
    noise_only = len(table) - len(real)
    shown = real.head(max_bars).iloc[::-1]  # largest at the top
    out = str(table["output"].iloc[0]) if len(table) else "output"
    unit = str(table["output_unit"].iloc[0]) if len(table) and table["output_unit"].iloc[0] else ""
    base = float(table["mean"].iloc[0]) if len(table) else 0.0
    height = 1.3 + 0.36 * max(1, len(shown))
    with matplotlib.rc_context(STYLE):
        fig = _figure(width, height)
        ax = fig.add_subplot()
        y = np.arange(len(shown))
        for yi, row in zip(y, shown.itertuples()):
            ends = sorted(((row.mean_low, LOW_COLOUR), (row.mean_high, HIGH_COLOUR)),
                          key=lambda e: -abs(e[0] - base))  # the longer bar first, the shorter drawn over it
            for value, colour in ends:
                ax.barh(yi, value - base, left=base, height=0.62, color=colour, alpha=0.9, lw=0)
        labels = []
        for row in shown.itertuples():
            u = f" {row.unit}" if row.unit else ""
            span = f"{fmt_num(row.x_low)} → {fmt_num(row.x_high)}{u}"
            labels.append(f"{row.parameter}\n{_short(span, 44)}")  # a name is never cut: two would read alike
        ax.set_yticks(y, labels, fontsize=8)
        ax.axvline(base, color=OKABE_ITO["black"], lw=1.0)
        ax.annotate(f"overall mean {fmt_num(base)}", xy=(base, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, 2), textcoords="offset points", ha="left", va="bottom", fontsize=8)
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(tick_num))
        parts = []
        if len(real) > len(shown):
            parts.append(f"{len(real) - len(shown)} smaller swings")
        if noise_only:
            parts.append(f"{noise_only} within Monte Carlo noise")
        more = ("\nnot shown: " + ", ".join(parts)) if parts else ""
        ax.set_xlabel(f"mean of {out}" + (f" ({unit})" if unit else "") + more)
        ax.set_title(title or f"What moves {out} the most", pad=14)
        handles = [Patch(color=LOW_COLOUR, label="parameter in its lowest decile (around P5)"),
                   Patch(color=HIGH_COLOUR, label="parameter in its highest decile (around P95)")]
        fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=8)
        if not len(shown):
            ax.text(0.5, 0.5, "no uncertain parameter", transform=ax.transAxes, ha="center", va="center")
        return png_bytes(fig)


def indices_chart(labels: Sequence[str], s1: Sequence[float], s1_low: Sequence[float], s1_high: Sequence[float],
                  st: Optional[Sequence[float]] = None, st_low: Optional[Sequence[float]] = None,
                  st_high: Optional[Sequence[float]] = None, *, title: str = "Sensitivity indices",
                  xlabel: str = "share of the output's variance", max_bars: int = MAX_BARS,
                  negligible: float = 0.005, width: float = 7.2) -> bytes:
    """Horizontal bars of first-order (and total-order) indices with their 95% intervals, in the order given.

    Parameters
    ----------
    labels : sequence of str
        One per row (parameters or groups), the most important first.
    s1, s1_low, s1_high : sequences of float
        First-order index and interval.
    st, st_low, st_high : sequences of float, optional
        Total-order index and interval (Sobol design only).
    max_bars, negligible : optional
        At most ``max_bars`` rows; rows whose upper interval ends are all below
        ``negligible`` are left out (and counted in the axis label).
    """
    top = np.fmax(np.asarray(s1_high, dtype=float), np.asarray(st_high, dtype=float) if st_high is not None else -1)
    keep = [i for i in range(len(labels)) if np.isfinite(top[i]) and top[i] >= negligible]
    hidden = len(labels) - min(max_bars, len(keep))
    pick = keep[:max_bars]
    labels = [labels[i] for i in pick]
    take = lambda v: None if v is None else np.asarray(v, dtype=float)[pick]  # noqa: E731
    s1, s1_low, s1_high, st, st_low, st_high = map(take, (s1, s1_low, s1_high, st, st_low, st_high))
    k = len(pick)
    rows = list(range(k))[::-1]
    arr = lambda v: np.asarray(v, dtype=float)[:k][::-1] if v is not None else None  # noqa: E731
    s1, s1_low, s1_high = arr(s1), arr(s1_low), arr(s1_high)
    st, st_low, st_high = arr(st), arr(st_low), arr(st_high)
    two = st is not None
    height = 1.6 + (0.42 if two else 0.3) * max(1, k)
    with matplotlib.rc_context(STYLE):
        fig = _figure(width, height)
        ax = fig.add_subplot()
        y = np.arange(k)
        h = 0.38 if two else 0.6
        off = h / 2 if two else 0.0
        err = lambda v, lo, hi: np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)])  # noqa: E731
        ax.barh(y + off, s1, height=h, color=S1_COLOUR, label="first order (alone)", lw=0)
        ax.errorbar(s1, y + off, xerr=err(s1, s1_low, s1_high), fmt="none", ecolor="#222222", elinewidth=1,
                    capsize=2)
        if two:
            ax.barh(y - off, st, height=h, color=ST_COLOUR, label="total order (with interactions)", lw=0)
            ax.errorbar(st, y - off, xerr=err(st, st_low, st_high), fmt="none", ecolor="#222222", elinewidth=1,
                        capsize=2)
        ax.set_yticks(y, [_label(labels[i], 36) for i in rows], fontsize=8)
        ax.grid(axis="y", visible=False)
        ax.axvline(0, color="#444444", lw=0.8)
        hi = np.nanmax(np.concatenate([s1_high, st_high if two else []])) if k else 1.0
        lo = np.nanmin(np.concatenate([s1_low, st_low if two else []])) if k else 0.0
        hi, lo = (1.0 if not np.isfinite(hi) else hi), (0.0 if not np.isfinite(lo) else lo)
        ax.set_xlim(min(0.0, lo - 0.02), max(0.1, min(1.25, hi + 0.03)))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_pct))
        ax.set_xlabel(xlabel + (f"\n{hidden} smaller not shown" if hidden else ""))
        ax.set_title(title)
        fig.legend(loc="outside lower center", ncol=3, fontsize=8,
                   handles=[*ax.get_legend_handles_labels()[0],
                            Line2D([], [], color="#222222", marker="|", ls="-", label="95% interval")])
        return png_bytes(fig)


EVIDENCE_COLOURS = {"cited": OKABE_ITO["green"], "derived": OKABE_ITO["sky"], "judgment": OKABE_ITO["orange"]}


def indices_heatmap(given: pd.DataFrame, *, max_parameters: int = 14, width: float = 9.6) -> bytes:
    """First-order indices of every risk output (rows) by parameter (columns), values written in the cells.

    Columns are the parameters with the largest index over all outputs, at
    most ``max_parameters``; a sequential colour-blind-safe map (white to blue).
    """
    outputs = list(dict.fromkeys(given["output"]))
    top = given.groupby("parameter")["S1"].max().sort_values(ascending=False)
    params = list(top.index[:max_parameters])
    table = given.pivot_table(index="output", columns="parameter", values="S1", aggfunc="first")
    values = table.reindex(index=outputs, columns=params).to_numpy(dtype=float)
    height = 1.9 + 0.34 * len(outputs)
    with matplotlib.rc_context(STYLE):
        fig = _figure(width, height)
        ax = fig.add_subplot()
        shown = np.clip(np.nan_to_num(values, nan=0.0), 0, 1)
        ax.imshow(shown, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        for i in range(len(outputs)):
            for j in range(len(params)):
                v = values[i, j]
                if np.isfinite(v) and v >= 0.005:
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                            color="white" if v > 0.55 else "#222222")
        ax.set_xticks(range(len(params)), [_short(p, 22) for p in params], rotation=40, ha="right", fontsize=8)
        ax.set_yticks(range(len(outputs)), [_short(o, 30) for o in outputs], fontsize=8)
        ax.grid(False)
        ax.set_title("First-order index of each parameter, by risk output")
        return png_bytes(fig)


def evidence_groups_chart(groups: pd.DataFrame, *, width: float = 7.2) -> bytes:
    """Per risk output, grouped bars: the main effects of each evidence class, with 95% intervals."""
    g = groups[groups["by"] == "evidence"]
    outputs = list(dict.fromkeys(g["output"]))
    classes = [c for c in ("cited", "derived", "judgment") if c in set(g["group"])]
    k = max(1, len(classes))
    height = 1.8 + 0.42 * len(outputs) * max(1.0, k / 2)
    with matplotlib.rc_context(STYLE):
        fig = _figure(width, height)
        ax = fig.add_subplot()
        h = 0.8 / k
        y = np.arange(len(outputs))[::-1]
        for j, c in enumerate(classes):
            rows = g[g["group"] == c].set_index("output").reindex(outputs)
            v = rows["S1"].to_numpy(dtype=float)
            lo, hi = rows["S1_low"].to_numpy(dtype=float), rows["S1_high"].to_numpy(dtype=float)
            pos = y + (k - 1 - 2 * j) * h / 2
            ax.barh(pos, v, height=h, color=EVIDENCE_COLOURS.get(c, OKABE_ITO["black"]), label=c, lw=0)
            ax.errorbar(v, pos, xerr=np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)]), fmt="none",
                        ecolor="#222222", elinewidth=0.9, capsize=1.5)
        ax.set_yticks(y, [_short(o, 32) for o in outputs], fontsize=8)
        ax.grid(axis="y", visible=False)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_pct))
        ax.set_xlabel("share of the output's variance from the class's parameters alone (main effects)")
        ax.set_title("Main effects by evidence class")
        fig.legend(loc="outside lower center", ncol=4, fontsize=8,
                   handles=[*ax.get_legend_handles_labels()[0],
                            Line2D([], [], color="#222222", marker="|", ls="-", label="95% interval")])
        return png_bytes(fig)


def judgment_share_chart(table: pd.DataFrame, *, titles: Optional[dict] = None, width: float = 7.2) -> bytes:
    """Per risk, the judgment share (total-order index of the judgment group) with its 95% interval.

    Parameters
    ----------
    table : DataFrame
        From :func:`riskmodel.sensitivity.judgment_share`.
    titles : dict, optional
        Risk id -> label shown (default: the risk id).
    """
    titles = titles or {}
    rows = table.iloc[::-1]
    k = len(rows)
    height = 1.4 + 0.32 * max(1, k)
    with matplotlib.rc_context(STYLE):
        fig = _figure(width, height)
        ax = fig.add_subplot()
        y = np.arange(k)
        st = rows["judgment_ST"].to_numpy(float)
        lo = rows["judgment_ST_low"].to_numpy(float)
        hi = rows["judgment_ST_high"].to_numpy(float)
        ax.barh(y, st, height=0.6, color=JUDGMENT_COLOUR, lw=0, label="judgment share (total order)")
        ax.errorbar(st, y, xerr=np.vstack([np.clip(st - lo, 0, None), np.clip(hi - st, 0, None)]), fmt="none",
                    ecolor="#222222", elinewidth=1, capsize=2)
        s1 = rows["judgment_S1"].to_numpy(float)
        ax.plot(s1, y, ls="none", marker="D", ms=4.5, color=OKABE_ITO["black"],
                label="judgment alone (first order)")
        ax.set_yticks(y, _labels([titles.get(r, r) for r in rows["risk"]], list(rows["risk"]), 44), fontsize=8)
        ax.grid(axis="y", visible=False)
        ax.set_xlim(0, 1.0)
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_pct))
        n = int(table["n"].iloc[0]) if k else 0
        ax.set_xlabel(f"share of the output's variance (Sobol indices, N = {n:,})")
        ax.set_title("How much of each result rests on judgment")
        fig.legend(loc="outside lower center", ncol=3, fontsize=8,
                   handles=[*ax.get_legend_handles_labels()[0],
                            Line2D([], [], color="#222222", marker="|", ls="-", label="95% interval")])
        return png_bytes(fig)


# =============================================================================== section


def drivers_figures(*, tornados: Sequence[pd.DataFrame] = (), given: Optional[pd.DataFrame] = None,
                    given_groups: Optional[pd.DataFrame] = None, explanation=None,
                    share: Optional[pd.DataFrame] = None, titles: Optional[dict] = None,
                    prefix: str = "drivers", lazy: bool = False, n_paths: Optional[int] = None,
                    n_run: Optional[int] = None, reach: Optional[dict] = None,
                    n_sampled: Optional[int] = None) -> list:
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
    """
    draw = later if lazy else (lambda func, *args, **kwargs: func(*args, **kwargs))
    figs = []
    for t in tornados:
        if not len(t):
            continue
        out = str(t["output"].iloc[0])
        unit = str(t["output_unit"].iloc[0] or "")
        top = t.iloc[0]
        figs.append(Figure(
            file=f"{prefix}-tornado-{slug(out)}.png", png=draw(tornado_chart, t), title=f"What moves {out}",
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
            file=f"{prefix}-given-heatmap.png", png=draw(indices_heatmap, given),
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
            file=f"{prefix}-evidence-groups.png", png=draw(evidence_groups_chart, given_groups),
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
                png=indices_chart(list(order.index), order["S1"], order["S1_low"], order["S1_high"], order["ST"],
                                  order["ST_low"], order["ST_high"],
                                  title=f"Sobol indices of {e.output} by {kind[:-1]}"),
                title=f"Sobol indices of {e.output} by {kind[:-1]}",
                caption=(f"First-order (alone) and total-order (with interactions) Sobol indices of {e.output}, "
                         f"N = {e.base_samples:,} base samples ({e.evaluations:,} simulated paths); whiskers: 95% "
                         "bootstrap intervals." + (" " + " ".join(e.notes) if e.notes else "")),
                alt=f"Bar chart of Sobol indices of {e.output} by {kind[:-1]}: " + "; ".join(
                    f"{i} first {r.S1:.0%}, total {r.ST:.0%}" for i, r in order.head(5).iterrows()),
            ))
    if share is not None and len(share):
        half = ((share["judgment_ST_high"] - share["judgment_ST_low"]) / 2).max()
        figs.append(Figure(
            file=f"{prefix}-judgment-share.png", png=draw(judgment_share_chart, share, titles=titles),
            title="How much rests on judgment",
            caption=judgment_share_sentence(int(share["n"].iloc[0]), float(half))
            + f" Whiskers: 95% bootstrap intervals (1.96 bootstrap standard errors over the design's "
            f"{int(share['n'].iloc[0]):,} base rows, {4 * int(share['n'].iloc[0]):,} simulated paths); diamonds: "
            "the judgment parameters' share alone (first order).",
            alt="Bar chart of the judgment share per risk: " + "; ".join(
                f"{r.risk} {r.judgment_ST:.0%}" for r in share.itertuples()),
            wide=True,
        ))
    return figs


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
    intro = ("Which uncertain parameters move each risk's output. Tornado charts show how far the output's mean moves "
             "between a parameter's low and high ends; first-order indices give the share of the output's variance "
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
