"""The comparison's figures: several scenarios on one axes (fans, small multiples, exceedance, differences).

Each scenario keeps one look throughout (:func:`riskmodel.render.plots.series_style`: colour, line style,
marker, hatch); the reference (series 0) is drawn on top. Same style and helpers
(:mod:`riskmodel.render._style`); :mod:`riskmodel.render.plots` re-exports these functions by name.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib
import numpy as np
from matplotlib import ticker
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ._style import (GREY, LINESTYLES, SERIES_COLOURS, STYLE, Window, _date_axis, _err, _figure, _mid,
                     _series_width, _shade_windows, _shorten, _unit_label, _wrap_title, distinct_labels, emit,
                     series_style, tick_num)
from .plots_exceedance import ThresholdMark, _cut_axis, _cut_note, _draw_curve, _draw_marks, _exceedance_axes, _integer

__all__ = ["fan_overlay", "lines_grid", "exceedance_overlay", "difference_chart"]


def fan_overlay(series: Sequence[tuple], *, title: str, unit: str, windows: Sequence[Window] = (),
                width: float = 9.0, height: float = 3.9) -> bytes:
    """Several scenarios' fan charts of one state on one axes.

    Parameters
    ----------
    series : sequence of (label, months, bands)
        Per scenario: its label, its months and its bands (as in :func:`fan_chart`).
        Each gets a colour and line style: median (thick, with markers), 50% band (hatched), 5% and 95% (thin).
    windows : intervention windows with ``series`` naming the scenario.
    """
    n_items = len(series) + 2 + (1 if windows else 0)
    ncol = 3
    legend_rows = -(-n_items // ncol)
    with matplotlib.rc_context(STYLE):
        fig = _figure(width, height + 0.22 * legend_rows, margins=(0.85, 0.2, 0.32, 0.62 + 0.22 * legend_rows))
        ax = fig.add_subplot()
        handles = []
        first, last, lo = None, None, 0.0
        hi = 0.0
        for i, (label, months, b) in enumerate(series):
            st = series_style(i)
            c, z = st["color"], st["zorder"]
            x = [_mid(m) for m in months]
            # the 50% band as a hatched outline, not a translucent fill: two bands never blend into a third colour
            ax.fill_between(x, b["q25"], b["q75"], facecolor="none", edgecolor=c, hatch=st["hatch"], lw=0.6,
                            zorder=z - 10)
            ax.plot(x, b["q05"], color=c, lw=0.8, ls=st["ls"], zorder=z)
            ax.plot(x, b["q95"], color=c, lw=0.8, ls=st["ls"], zorder=z)
            lw = _series_width(i)
            ax.plot(x, b["q50"], color=c, lw=lw, ls=st["ls"], marker=st["marker"], ms=4.5,
                    markevery=max(1, len(x) // 6), zorder=z, label=_shorten(label, 48))
            handles.append(Line2D([], [], color=c, lw=lw, ls=st["ls"], marker=st["marker"], ms=4.5,
                                  label=_shorten(label, 48)))
            handles.append(Patch(facecolor="none", edgecolor=c, hatch=st["hatch"], lw=0.6,
                                 label=f"{_shorten(label, 30)}: 50% band"))
            first = months[0] if first is None or months[0] < first else first
            last = months[-1] if last is None or months[-1] > last else last
            lo = min(lo, float(np.nanmin(b["q05"])))
            hi = max(hi, float(np.nanmax(b["q95"])))
        handles += [Line2D([], [], color=GREY, lw=0.8, label="thin lines: 5% and 95%")]
        handles += _shade_windows(ax, windows, SERIES_COLOURS)
        _date_axis(ax, first, last)
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(tick_num))
        if lo >= 0:
            ax.set_ylim(bottom=0)
        if windows and hi > 0:  # headroom, so the intervention strips along the top never cover the 95th percentile
            bottom = ax.get_ylim()[0]
            ax.set_ylim(top=bottom + (hi - bottom) * (1 + 0.05 * (2 + len({w.series for w in windows}))))
        ax.set_ylabel(_unit_label(unit))
        ax.set_title(_shorten(title, 90))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.1), ncol=ncol, borderaxespad=0.0,
                  handlelength=1.8, columnspacing=1.5)
        return emit(fig)

def lines_grid(panels: Sequence[tuple], *, labels: Sequence[str], windows: Sequence[Window] = (), ncols: int = 3,
               panel_width: float = 3.4, panel_height: float = 2.2) -> bytes:
    """Small multiples by month: one panel per quantity, one line per series (scenario).

    ``panels`` is (title, [(series index, months, values), ...]); ``labels``
    names the series for the legend; ``windows`` are shaded in every panel as
    coloured strips (per series).
    """
    n = len(panels)
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    legend_rows = -(-len(labels) // 3)
    with matplotlib.rc_context({**STYLE, "axes.titlesize": 9.5, "xtick.labelsize": 8, "ytick.labelsize": 8}):
        titles = [_wrap_title(t, 38, 2) for t, _ in panels]  # two lines, not "moura_scale_atrocities (events per mont…"
        extra = 0.16 * (max((k for _, k in titles), default=1) - 1)
        fig = _figure(panel_width * ncols, panel_height * nrows + 0.5 + 0.22 * legend_rows + extra * nrows,
                      margins=(0.6, 0.15, 0.3 + extra, 0.45 + 0.22 * legend_rows), wspace=0.3, hspace=0.6 + extra)
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
        for ax, (title, _), (_, series) in zip(axes, titles, panels):
            first = last = None
            for i, months, values in series:
                x = [_mid(m) for m in months]
                st = series_style(i)
                every = max(1, len(x) // 5)
                ax.plot(x, values, color=st["color"], lw=_series_width(i) * 0.8, ls=st["ls"], marker=st["marker"],
                        ms=4, markevery=(i % every, every), zorder=st["zorder"], label=labels[i])
                first = months[0] if first is None or months[0] < first else first
                last = months[-1] if last is None or months[-1] > last else last
            _shade_windows(ax, [w for w in windows if any(w.series == i for i, _, _ in series)], SERIES_COLOURS)
            _date_axis(ax, first, last)
            top = max(float(np.nanmax(v)) for _, _, v in series)
            lanes = len({w.series for w in windows if any(w.series == i for i, _, _ in series)})
            ax.set_ylim(0, max(top * (1.08 + 0.05 * lanes), 1e-9))  # the strips sit above the lines
            ax.yaxis.set_major_locator(ticker.MaxNLocator(4))
            ax.set_title(title)
        for ax in axes[n:]:
            ax.set_visible(False)
        handles = [Line2D([], [], color=series_style(i)["color"], lw=_series_width(i) * 0.8, ls=series_style(i)["ls"],
                          marker=series_style(i)["marker"], ms=4, label=_shorten(lab, 48))
                   for i, lab in enumerate(labels)]
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.6 / fig.get_figwidth(), 0.02), ncol=3,
                   borderaxespad=0.0)
        return emit(fig)

def exceedance_overlay(curves: Sequence[tuple], *, title: str, unit: str, marks: Sequence[ThresholdMark] = (),
                       width: float = 9.0, height: float = 3.9) -> bytes:
    """Several scenarios' exceedance curves of one output; ``curves`` is (label, ExceedanceCurve) pairs."""
    legend_rows = -(-len(curves) // 3)
    with matplotlib.rc_context(STYLE):
        fig = _figure(width, height + 0.22 * legend_rows, margins=(0.85, 0.25, 0.32, 0.85 + 0.22 * legend_rows))
        ax = fig.add_subplot()
        for i, (label, curve) in enumerate(curves):
            _draw_curve(ax, curve, SERIES_COLOURS[i % len(SERIES_COLOURS)], _shorten(label, 48), _series_width(i),
                        ls=LINESTYLES[i % len(LINESTYLES)], zorder=series_style(i)["zorder"])
        _exceedance_axes(ax, unit, all(c.log_x for _, c in curves), title, all(_integer(c) for _, c in curves))
        cut = _cut_axis(ax, [c for _, c in curves], marks)
        _draw_marks(ax, marks, SERIES_COLOURS, True)
        _cut_note(ax, cut)
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.2), ncol=3, borderaxespad=0.0, handlelength=1.8,
                  columnspacing=1.5)
        return emit(fig)

def _pp_tick(x: float, _pos=None) -> str:
    """A difference in percentage points on an axis: ``−10``, ``0``, ``+2.5`` (the unit is in the label)."""
    v = x * 100
    if abs(v) < 1e-9:
        return "0"
    text = f"{v:+.1f}".rstrip("0").rstrip(".") if abs(v) < 10 and round(v) != v else f"{v:+.0f}"
    return text.replace("-", "−")


def difference_chart(rows: Sequence[str], series: Sequence[tuple], *, reference: str, width: float = 9.0,
                     row_height: float = 0.36) -> bytes:
    """Each risk's likelihood minus the reference's, with the paired 95% interval, one marker per scenario.

    Parameters
    ----------
    rows : labels, top to bottom (one per risk)
    series : sequence of (label, diff, low, high) in probability units (nan: not in both)
    reference : the reference scenario's name (axis label)
    """
    k = max(1, len(series))
    with matplotlib.rc_context(STYLE):
        labels = distinct_labels(rows, 46)
        if any("\n" in lab for lab in labels):  # room for two-line labels
            row_height = max(row_height, 0.44)
        fig = _figure(width, 1.5 + 0.4 + row_height * len(rows) * (1 + 0.25 * (k - 1)))
        ax = fig.add_subplot()
        y0 = np.arange(len(rows))[::-1].astype(float)
        offsets = (np.arange(k) - (k - 1) / 2) * (0.62 / max(1, k)) if k > 1 else np.zeros(1)
        ax.axvline(0.0, color="#222222", lw=1.0, zorder=1)
        span = 0.0
        for i, (label, d, lo, hi) in enumerate(series):
            st = series_style(i + 1)  # the reference keeps style 0; scenario i + 1 keeps its own style
            d, lo, hi = (np.asarray(a, dtype=float) for a in (d, lo, hi))
            ok = ~np.isnan(d)
            bars = ax.errorbar(d[ok], (y0 - offsets[i])[ok], xerr=_err(d[ok], lo[ok], hi[ok]), fmt=st["marker"],
                               ms=6, color=st["color"], mec="white", mew=0.7, elinewidth=1.6, capsize=2.5,
                               zorder=st["zorder"], label=_shorten(label, 48))
            bars[2][0].set_linestyle(st["ls"])
            if ok.any():
                span = max(span, float(np.nanmax(np.abs(np.concatenate([lo[ok], hi[ok]])))))
        span = max(span * 1.1, 0.01)
        ax.set_xlim(-span, span)
        ax.set_yticks(y0)
        ax.set_yticklabels(labels)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        # at most 7 ticks, the unit in the axis label: "−20 pp −15 pp … +20 pp" ran together
        ax.xaxis.set_major_locator(ticker.MaxNLocator(7, steps=[1, 2, 2.5, 5, 10], symmetric=True))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(_pp_tick))
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(f"minus {_shorten(reference, 40)} (percentage points, paired 95% interval)")
        ax.set_title("Difference from the reference, risk by risk")
        fig.legend(loc="outside lower center", ncol=min(k, 4), title="scenario", title_fontsize=9)
        return emit(fig)
