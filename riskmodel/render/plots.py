"""The report's figures: matplotlib (Agg), one style, the Okabe–Ito palette.

Every function takes plain arrays and labels and returns PNG bytes; nothing
here reads a scenario or a Results object. This module is the one callers
use (``plots.X``): it draws the state figures (fan charts, means by month),
the convergence grid, the evidence bar and the backtest's reliability
diagram, and re-exports by name the figures kept beside it, by what changes
together:

- :mod:`~riskmodel.render._style`: palette, rc style, figure and axes helpers;
- :mod:`~riskmodel.render.plots_exceedance`: exceedance curves and thresholds;
- :mod:`~riskmodel.render.plots_register`: the dot plot and the risk matrix;
- :mod:`~riskmodel.render.plots_compare`: several scenarios on one axes.

Every figure's bytes pass through :func:`png_bytes` here (the others call it
through :func:`riskmodel.render._style.emit`).
"""

from __future__ import annotations

from typing import Sequence

import matplotlib
import numpy as np
from matplotlib import ticker

from ._stats import RunningEstimate
from ._style import (  # noqa: F401  (re-exported: callers and tests use plots.X)
    DPI, GREY, HATCHES, LINESTYLES, MARKERS, OKABE_ITO, SERIES_COLOURS, STYLE, WINDOW_GREY, Window, _after,
    _date_axis, _err, _figure, _headroom, _log_ticks, _mid, _pct_tick, _series_width, _shade_windows, _shorten,
    _SpanLogLocator, _start, _unit_label, _wrap_title, distinct_labels, fmt_num, fmt_pct, png_bytes, series_style,
    tick_num)

__all__ = [
    "OKABE_ITO", "SERIES_COLOURS", "DPI", "ThresholdMark", "MatrixPoint", "Window",
    "fan_chart", "fan_overlay", "exceedance_plot", "exceedance_overlay", "dot_plot", "risk_matrix",
    "convergence_grid", "evidence_bars", "mean_lines", "lines_grid", "fmt_num", "difference_chart",
    "reliability_diagram", "png_bytes", "series_style",
]


# --------------------------------------------------------------------------- fan charts


def fan_chart(months: Sequence, bands: dict, *, title: str, unit: str, windows: Sequence[Window] = (),
              colour: str = SERIES_COLOURS[0], width: float = 5.4, height: float = 3.6) -> bytes:
    """A state's fan chart: median, 50% and 90% bands, mean over all paths.

    Parameters
    ----------
    months : sequence of Month, length T
    bands : dict of ndarray (T,)
        ``q05``, ``q25``, ``q50``, ``q75``, ``q95`` and ``mean``.
    windows : intervention windows, shaded grey and labelled.
    """
    title, title_lines = _wrap_title(title, lines=3)  # a state's title with its equation: three lines, not cut
    extra = 0.19 * (title_lines - 1)
    with matplotlib.rc_context(STYLE):
        fig = _figure(width, height + extra, margins=(0.78, 0.15, 0.32 + extra, 0.92))
        ax = fig.add_subplot()
        x = [_mid(m) for m in months]
        marker = "o" if len(x) == 1 else None
        ax.fill_between(x, bands["q05"], bands["q95"], color=colour, alpha=0.16, lw=0, label="90% band")
        ax.fill_between(x, bands["q25"], bands["q75"], color=colour, alpha=0.34, lw=0, label="50% band")
        if len(x) == 1:  # one month: the bands as bars
            ax.vlines(x, bands["q05"], bands["q95"], color=colour, alpha=0.3, lw=14)
            ax.vlines(x, bands["q25"], bands["q75"], color=colour, alpha=0.5, lw=14)
        ax.plot(x, bands["q50"], color=colour, lw=2.0, marker=marker, label="median")
        ax.plot(x, bands["mean"], color=OKABE_ITO["black"], lw=1.1, ls=(0, (4, 2)), marker=marker, label="mean")
        handles, _ = ax.get_legend_handles_labels()
        handles += _shade_windows(ax, windows)
        _date_axis(ax, months[0], months[-1])
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(tick_num))
        lo = min(np.nanmin(bands["q05"]), np.nanmin(bands["mean"]))
        if lo >= 0:
            ax.set_ylim(bottom=0)
        _headroom(ax, max(float(np.nanmax(bands["q95"])), float(np.nanmax(bands["mean"]))), len(windows))
        ax.set_ylabel(_unit_label(unit))
        ax.set_title(title)
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.45, -0.12), ncol=3, borderaxespad=0.0,
                  handlelength=1.6, columnspacing=1.2)
        return png_bytes(fig)


def mean_lines(months: Sequence, series: Sequence[tuple], *, title: str, windows: Sequence[Window] = (),
               width: float = 9.0, height: float = 3.6) -> bytes:
    """Means by month of several states on one axes (states that are 0 or 1 on most paths).

    ``series`` is (label, mean array of len(months)) pairs; colours cycle
    through the palette, then line styles.
    """
    ncol = 3
    legend_rows = -(-len(series) // ncol)
    with matplotlib.rc_context(STYLE):
        fig = _figure(width, height + 0.21 * legend_rows, margins=(0.75, 0.2, 0.32, 0.6 + 0.21 * legend_rows))
        ax = fig.add_subplot()
        x = [_mid(m) for m in months]
        every = max(1, len(x) // 6)
        for i, (label, mean) in enumerate(series):
            st = series_style(i)
            # a line style and a marker each (markers staggered), widths narrowing: identical lines stay visible
            ax.plot(x, mean, color=st["color"], ls=st["ls"], lw=_series_width(i), label=_shorten(label, 60),
                    marker=st["marker"], ms=5, markevery=(i % every, every) if len(x) > 1 else None,
                    zorder=st["zorder"])
        _shade_windows(ax, windows)
        _date_axis(ax, months[0], months[-1])
        top = max(1.0, max(float(np.nanmax(m)) for _, m in series) if series else 1.0)
        ax.set_ylim(0, top * 1.04)
        _headroom(ax, top, len(windows))
        if top == 1.0:  # shares: no tick above 1 in the headroom of the window labels
            ax.yaxis.set_major_locator(ticker.FixedLocator([0.0, 0.25, 0.5, 0.75, 1.0]))
        ax.set_ylabel("mean over all paths")
        ax.set_title(_shorten(title, 90))
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.1), ncol=ncol, borderaxespad=0.0, handlelength=2.2,
                  columnspacing=1.5)
        return png_bytes(fig)


# --------------------------------------------------------------------------- convergence


def convergence_grid(panels: Sequence[tuple], *, ncols: int = 3, panel_width: float = 3.3,
                     panel_height: float = 2.1) -> bytes:
    """Each risk's running estimate ± 1.96 SE as paths accumulate (log scale of paths).

    ``panels`` is a sequence of (title, RunningEstimate).
    """
    n = len(panels)
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    c = SERIES_COLOURS[0]
    with matplotlib.rc_context({**STYLE, "axes.titlesize": 9.5, "xtick.labelsize": 8, "ytick.labelsize": 8}):
        titles = [_wrap_title(t, 38, 2) for t, _ in panels]  # two lines rather than cut
        extra = 0.15 * (max((k for _, k in titles), default=1) - 1)
        fig = _figure(panel_width * ncols, panel_height * nrows + 0.55 + extra * nrows,
                      margins=(0.95, 0.15, 0.3 + extra, 0.75),
                      wspace=0.32, hspace=0.55)
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False, sharex=True)).ravel()
        for ax, (title, _), (_, est) in zip(axes, titles, panels):
            est: RunningEstimate
            ax.fill_between(est.n, np.clip(est.p - 1.96 * est.se, 0, 1), np.clip(est.p + 1.96 * est.se, 0, 1),
                            color=c, alpha=0.22, lw=0)
            ax.plot(est.n, est.p, color=c, lw=1.4)
            if est.p.size:
                ax.axhline(est.p[-1], color=OKABE_ITO["black"], lw=0.8, ls=(0, (3, 2)))
                # one point (a run smaller than the first step): a span around it, not a singular axis
                ax.set_xlim(est.n[0], est.n[-1]) if est.n[-1] > est.n[0] else ax.set_xlim(est.n[0] / 2, est.n[0] * 2)
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(ticker.LogLocator(base=10))
            ax.xaxis.set_major_formatter(ticker.FuncFormatter(tick_num))
            ax.xaxis.set_minor_locator(ticker.NullLocator())
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(_pct_tick))
            ax.yaxis.set_major_locator(ticker.MaxNLocator(3))
            ax.set_title(title, fontsize=9.5)
        for ax in axes[n:]:
            ax.set_visible(False)
        for ax in axes[:n]:
            ax.xaxis.set_tick_params(labelbottom=True)
        fig.text(0.5, 0.1 / fig.get_figheight(), "paths (first n, in path order; log scale)", ha="center",
                 va="bottom", fontsize=10)
        fig.text(0.12 / fig.get_figwidth(), 0.5, "likelihood estimate", rotation=90, ha="left", va="center",
                 fontsize=10)
        return png_bytes(fig)


# --------------------------------------------------------------------------- evidence


def evidence_bars(counts: dict, *, width: float = 6.4, height: float = 1.7) -> bytes:
    """One stacked bar: share of parameters per evidence class."""
    order = [("cited", OKABE_ITO["green"]), ("derived", OKABE_ITO["sky"]), ("judgment", OKABE_ITO["orange"])]
    total = sum(counts.get(k, 0) for k, _ in order) or 1
    with matplotlib.rc_context(STYLE):
        fig = _figure(width, height)
        ax = fig.add_subplot()
        left = 0.0
        for key, c in order:
            share = counts.get(key, 0) / total
            ax.barh([0], [share], left=left, color=c, height=0.6, label=f"{key}: {counts.get(key, 0)}")
            if share > 0.08:
                ax.text(left + share / 2, 0, f"{key}\n{share:.0%}", ha="center", va="center", fontsize=9,
                        color="black")
            left += share
        ax.set_xlim(0, 1)
        ax.set_yticks([])
        ax.grid(False)
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_pct_tick))
        ax.set_title("Parameters by evidence class")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), borderaxespad=0.3)
        return png_bytes(fig)


# --------------------------------------------------------------------------- backtest


def reliability_diagram(table, *, width: float = 4.8, height: float = 4.6) -> bytes:
    """Observed frequency against the mean forecast per bin, with 95% intervals and the bin sizes.

    ``table`` is :func:`riskmodel.scoring.reliability_table` (``mean_forecast``,
    ``observed_frequency``, ``ci_low``, ``ci_high``, ``n``).
    """
    with matplotlib.rc_context(STYLE):
        fig = _figure(width, height)
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], color=GREY, lw=1, ls=(0, (4, 2)), label="calibrated")
        obs = np.asarray(table["observed_frequency"], dtype=float)
        err = np.vstack([obs - np.asarray(table["ci_low"], dtype=float),
                         np.asarray(table["ci_high"], dtype=float) - obs])
        ax.errorbar(np.asarray(table["mean_forecast"], dtype=float), obs, yerr=np.clip(err, 0, None), fmt="o", ms=6,
                    color=SERIES_COLOURS[0], mec="white", mew=0.7, elinewidth=1.4, capsize=3,
                    label="observed frequency (95% interval)")
        for r in table.itertuples():
            ax.annotate(f"n={r.n}", (r.mean_forecast, r.observed_frequency), textcoords="offset points",
                        xytext=(6, 4), fontsize=8, color="#444444")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.03, 1.03)
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_pct_tick))
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(_pct_tick))
        ax.set_xlabel("forecast probability (bin mean)")
        ax.set_ylabel("share of risks that happened")
        ax.set_title("Reliability")
        ax.legend(loc="upper left", frameon=False)
        return png_bytes(fig)


# the figures kept beside this module, by name (callers use plots.X)
from .plots_exceedance import (ThresholdMark, _draw_curve, _draw_marks, _exceedance_axes,  # noqa: E402,F401
                               _integer, exceedance_plot)
from .plots_register import MatrixPoint, _strip_lanes, _times_tick, dot_plot, risk_matrix  # noqa: E402,F401
from .plots_compare import difference_chart, exceedance_overlay, fan_overlay, lines_grid  # noqa: E402,F401
