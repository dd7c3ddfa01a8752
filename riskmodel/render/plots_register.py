"""The register's figures: likelihoods with their intervals (dot plot) and the risk matrix.

Re-exported by :mod:`riskmodel.render.plots`.
"""

from __future__ import annotations

import math
from typing import Sequence

import matplotlib
import numpy as np
from matplotlib import ticker
from matplotlib.lines import Line2D

from ._figdata import MatrixPoint
from ._style import (LINESTYLES, MARKERS, SERIES_COLOURS, STYLE, _err, _figure, _log_ticks, _pct_tick, _shorten,
                     distinct_labels, emit, fmt_num)

__all__ = ["dot_plot", "MatrixPoint", "risk_matrix"]


def dot_plot(rows: Sequence[str], series: Sequence[tuple], *, title: str, xlabel: str = "likelihood",
             width: float = 9.0, row_height: float = 0.36) -> bytes:
    """Probabilities with 95% intervals: one row per item, one dot per series.

    Parameters
    ----------
    rows : labels, top to bottom
    series : sequence of (label, p, low, high), arrays of len(rows) (nan: absent)
    """
    k = max(1, len(series))
    with matplotlib.rc_context(STYLE):
        labels = distinct_labels(rows, 46)
        if any("\n" in lab for lab in labels):  # room for two-line labels
            row_height = max(row_height, 0.44)
        fig = _figure(width, 1.3 + (0.5 if k > 1 else 0) + row_height * len(rows) * (1 + 0.25 * (k - 1)))
        ax = fig.add_subplot()
        y0 = np.arange(len(rows))[::-1].astype(float)
        offsets = (np.arange(k) - (k - 1) / 2) * (0.62 / max(1, k)) if k > 1 else np.zeros(1)
        for i, (label, p, lo, hi) in enumerate(series):
            p, lo, hi = (np.asarray(a, dtype=float) for a in (p, lo, hi))
            y = y0 - offsets[i]
            ok = ~np.isnan(p)
            c = SERIES_COLOURS[i % len(SERIES_COLOURS)]
            bars = ax.errorbar(p[ok], y[ok], xerr=_err(p[ok], lo[ok], hi[ok]), fmt=MARKERS[i % len(MARKERS)], ms=6,
                               color=c, mec="white", mew=0.7, elinewidth=1.6, capsize=2.5, zorder=20 - i,
                               label=_shorten(label, 48) if k > 1 else None)
            if k > 1:
                bars[2][0].set_linestyle(LINESTYLES[i % len(LINESTYLES)])
        ax.set_yticks(y0)
        ax.set_yticklabels(labels)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xlim(-0.01, 1.01)
        ax.xaxis.set_major_locator(ticker.MultipleLocator(0.2))
        ax.xaxis.set_minor_locator(ticker.MultipleLocator(0.1))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_pct_tick))
        ax.grid(axis="x", which="minor", color="#f0f0f0", lw=0.6)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(xlabel)
        ax.set_title(_shorten(title, 100))
        if k > 1:
            fig.legend(loc="outside lower center", ncol=min(k, 4), title="scenario", title_fontsize=9)
        return emit(fig)


# --------------------------------------------------------------------------- risk matrix


def _lanes_needed(ps: Sequence[float], gap: float = 0.06, least: int = 3, most: int = 6) -> int:
    """How many lanes keep every point apart: the most points within ``gap`` of each other (``least`` to ``most``)."""
    xs = sorted(ps)
    crowd = max((sum(1 for y in xs[i:] if y - x < gap) for i, x in enumerate(xs)), default=0)
    return max(least, min(most, crowd))


def _strip_lanes(ps: Sequence[float], gap: float = 0.06, n_lanes: int = 3) -> list:
    """A lane (0..n_lanes-1) per point so that points closer than ``gap`` in likelihood never share one."""
    lanes = [0] * len(ps)
    last = [-math.inf] * n_lanes  # the likelihood of the last point put in each lane
    for j in sorted(range(len(ps)), key=lambda k: ps[k]):
        free = [ln for ln in range(n_lanes) if ps[j] - last[ln] >= gap]
        lane = free[0] if free else min(range(n_lanes), key=lambda ln: last[ln])
        lanes[j], last[lane] = lane, ps[j]
    return lanes


def _times_tick(x: float, _pos=None) -> str:
    """A multiple of the threshold: ``×2``, ``×0.5``."""
    return "×" + fmt_num(x, 2)


def risk_matrix(points: Sequence[MatrixPoint], *, width: float = 9.0, height: float = 6.0) -> bytes:
    """Likelihood against the conditional size of the outcome; yes/no risks on a strip below."""
    groups = list(dict.fromkeys(p.group for p in points))
    colour = {g: SERIES_COLOURS[i % len(SERIES_COLOURS)] for i, g in enumerate(groups)}
    marker = {g: MARKERS[(i // len(SERIES_COLOURS)) % len(MARKERS)] for i, g in enumerate(groups)}
    sized = [p for p in points if not math.isnan(p.size) and p.size > 0]
    flat = [p for p in points if p not in sized]
    with matplotlib.rc_context(STYLE):
        fig = _figure(width, (height if sized else 2.6) + 0.2 * (-(-len(groups) // 2)))
        n_lanes = _lanes_needed([pt.p for pt in flat])
        if sized and flat:
            ax, strip = fig.subplots(2, 1, sharex=True, height_ratios=[4, 1.1 * n_lanes / 3])
        elif sized:
            ax, strip = fig.add_subplot(), None
        else:
            ax, strip = None, fig.add_subplot()
        if ax is not None:
            for pt in sized:
                c = colour[pt.group]
                yerr = _err(pt.size, pt.size_low, pt.size_high) if not math.isnan(pt.size_low) else None
                ax.errorbar([pt.p], [pt.size], xerr=_err(pt.p, pt.p_low, pt.p_high), yerr=yerr,
                            fmt=marker[pt.group], ms=7, color=c, mec="white", mew=0.8, elinewidth=1.3, capsize=2.5,
                            zorder=4)
                ax.annotate(pt.label, (pt.p, pt.size), xytext=(6, 4), textcoords="offset points", fontsize=9,
                            fontweight="bold", color=c, zorder=5)
            ax.set_yscale("log")
            _log_ticks(ax.yaxis, _times_tick)
            lo = min(p.size_low if not math.isnan(p.size_low) else p.size for p in sized)
            hi = max(p.size_high if not math.isnan(p.size_high) else p.size for p in sized)
            ax.set_ylim(min(max(lo, 1e-4), 1.0) / 1.6, max(hi, 1.0) * 1.6)
            ax.axhline(1.0, color="#777777", lw=0.8, ls=":", zorder=1)
            ax.set_ylabel("median where it happens\n÷ threshold (amounts)")
            ax.set_title("Risk matrix: how likely, and how large where it happens")
        if strip is not None:
            lanes = _strip_lanes([pt.p for pt in flat], n_lanes=n_lanes)
            for j, pt in enumerate(flat):
                c = colour[pt.group]
                yj = lanes[j] * 0.5
                strip.errorbar([pt.p], [yj], xerr=_err(pt.p, pt.p_low, pt.p_high), fmt=marker[pt.group], ms=7,
                               color=c, mec="white", mew=0.8, elinewidth=1.3, capsize=2.5, zorder=4)
                strip.annotate(pt.label, (pt.p, yj), xytext=(6, 2), textcoords="offset points", fontsize=9,
                               fontweight="bold", color=c, zorder=5)
            strip.set_ylim(-0.5, 0.5 * (n_lanes - 1) + 0.5)
            strip.set_yticks([])
            strip.grid(axis="y", visible=False)
            strip.set_ylabel("counts, yes/no:\nno size", rotation=0, ha="right", va="center", labelpad=8)
            if ax is None:
                strip.set_title("Risk matrix: likelihood only (no risk has a size)")
        bottom = strip if strip is not None else ax
        bottom.set_xlim(-0.02, 1.02)
        bottom.xaxis.set_major_locator(ticker.MultipleLocator(0.1))
        bottom.xaxis.set_major_formatter(ticker.FuncFormatter(_pct_tick))
        bottom.set_xlabel("likelihood (95% interval)")
        handles = [Line2D([], [], ls="", marker=marker[g], ms=7, color=colour[g], label=_shorten(g, 60))
                   for g in groups]
        fig.legend(handles=handles, title="factor", loc="outside lower center", ncol=2, title_fontsize=9,
                   columnspacing=2.0)
        return emit(fig)
