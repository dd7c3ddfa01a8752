"""Exceedance curves ``P(X > x)`` of one run's output, with its risks' thresholds and likelihoods.

The thresholds' tags and the likelihood block go where no curve runs
(:mod:`riskmodel.render._place`); the comparison's overlay
(:func:`riskmodel.render.plots_compare.exceedance_overlay`) draws with the same
helpers. Re-exported by :mod:`riskmodel.render.plots`.
"""

from __future__ import annotations

from typing import Optional, Sequence

import matplotlib
import numpy as np
from matplotlib import ticker

from . import _place
from ._figdata import ThresholdMark
from ._stats import AxisCut, ExceedanceCurve, tail_cut
from ._style import (OKABE_ITO, SERIES_COLOURS, STYLE, _err, _figure, _log_ticks, _pct_tick, _shorten, _unit_label,
                     _wrap_title, emit, fmt_num, fmt_pct, tick_num)

__all__ = ["ThresholdMark", "exceedance_plot"]


def _draw_curve(ax, curve: ExceedanceCurve, colour: str, label: Optional[str], lw: float = 1.9, ls="-",
                zorder: float = 2) -> None:
    if curve.discrete:
        xs = curve.x
        pad = (xs[-1] - xs[0]) * 0.04 or 0.5
        x = np.concatenate([[xs[0] - pad], xs, [xs[-1] + pad]])
        p = np.concatenate([[1.0], curve.p, [curve.p[-1]]])
        ax.step(x, p, where="post", color=colour, lw=lw, label=label, ls=ls, zorder=zorder)
    else:
        ax.plot(curve.x, curve.p, color=colour, lw=lw, label=label, ls=ls, zorder=zorder)


def _draw_marks(ax, marks: Sequence[ThresholdMark], colours: Sequence[str], many_series: bool) -> None:
    """Thresholds as dashed lines, each tagged beside it; the likelihoods in a block where no curve runs.

    Call after the curves are drawn and the axes limits set. Tags and block go
    to the candidate spot with the fewest drawn points under it
    (:mod:`riskmodel.render._place`); when every spot inside the axes covers a
    curve, the axes get headroom above 100% (curves never go there) and the
    block sits in it.
    """
    if not marks:
        return
    y_low = ax.get_ylim()[0]
    tags, lines, drawn = [], [], set()
    text_box = dict(boxstyle="square,pad=0.12", fc="white", ec="none", alpha=0.85)
    for m in marks:
        c = colours[m.series % len(colours)] if many_series else OKABE_ITO["vermillion"]
        first = m.threshold not in drawn
        drawn.add(m.threshold)
        if first:  # up to 100% only: headroom above it stays free for text
            ax.plot([m.threshold, m.threshold], [y_low, 1.0], color=c, lw=1.1, ls=(0, (5, 3)), zorder=3,
                    scaley=False)
            tags.append((m.threshold, ax.text(0, 0, m.label.split(" ")[0], fontsize=8.5, fontweight="bold",
                                              color=c, zorder=31)))
        # the point on the curve: P(X > t) for above; for below, P(X < t) is not on the curve (written only)
        if m.direction == "above":
            ax.errorbar([m.threshold], [m.likelihood], yerr=_err(m.likelihood, m.low, m.high),
                        fmt="o", ms=5, color=c, mec="white", mew=0.8, capsize=3, zorder=30)  # above every curve
        sign = ">" if m.direction == "above" else "<"
        lines.append(ax.text(0, 0, f"{m.label}: P({sign} {fmt_num(m.threshold)}) = {_pct(m.likelihood)} "
                                   f"[{_pct(m.low)}, {_pct(m.high)}]", fontsize=8.5, color=c, zorder=32,
                             bbox=text_box))
    renderer = ax.figure.canvas.get_renderer()
    sizes = [_place.text_size(t, renderer) for t in lines]
    line_h = max(h for _, h in sizes) * 1.08
    block_w, block_h = max(w for w, _ in sizes), line_h * len(lines)

    def put_tags(points, taken):
        for x, t in tags:
            _place.place_tag(ax, t, ax.transData.transform((x, 0.5))[0], points, taken, renderer)

    points = _place.line_points(ax)
    spots = _place.block_spots(ax, block_w, block_h)
    i, c = _place.best_spot(spots, points)
    if c > 0:  # every spot inside covers a curve: headroom above 100% for the block (and the tags)
        tag_h = max((_place.text_size(t, renderer)[1] for _, t in tags), default=0.0)
        f = min(0.55, (block_h + tag_h + 14.0) / ax.bbox.height)
        ax.set_ylim(y_low, (1.02 - f * y_low) / (1 - f))
        ax.yaxis.set_major_locator(ticker.FixedLocator([0.0, 0.25, 0.5, 0.75, 1.0]))
        points = _place.line_points(ax)
        spots = _place.block_spots(ax, block_w, block_h, top_only=True)
        i, _ = _place.best_spot(spots, points)
    _place.stack_block(ax, lines, spots[i], line_h)
    put_tags(points, [spots[i]])


def _pct(p: float) -> str:
    return fmt_pct(p)  # one rounding rule for the page and its figures


def _exceedance_axes(ax, unit: str, log_x: bool, title: str, integer: bool = False) -> None:
    if log_x:
        ax.set_xscale("log")
        _log_ticks(ax.xaxis, tick_num)
    else:
        if integer:
            ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(tick_num))
    ax.set_ylim(-0.02, 1.04)
    ax.yaxis.set_major_locator(ticker.MultipleLocator(0.25))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(_pct_tick))
    ax.set_xlabel(_unit_label(unit))
    ax.set_ylabel("P(value > x)")
    ax.set_title(title if "\n" in title else _shorten(title, 90))


def _cut_axis(ax, curves: Sequence[ExceedanceCurve], marks: Sequence[ThresholdMark]) -> Optional[AxisCut]:
    """End the x axis before a thin tail (:func:`riskmodel.render._stats.tail_cut`); call before the marks."""
    cut = tail_cut(curves, [m.threshold for m in marks])
    if cut is not None:
        lo = min(float(c.x[0]) for c in curves if c.x.size)
        pad = 0.03 * (cut.right - lo)
        ax.set_xlim(lo - pad, cut.right + pad)
    return cut


def _cut_note(ax, cut: Optional[AxisCut]) -> None:
    """Say on the axes where they end and what lies beyond, where no curve or text is (after the marks)."""
    if cut is None:
        return
    note = ax.text(0, 0, f"axis ends at {fmt_num(cut.right)}: at most {fmt_pct(cut.beyond)} of paths\n"
                   f"lie beyond, up to {fmt_num(cut.largest)}", fontsize=7.5, color="#555555", zorder=29,
                   multialignment="right")
    renderer = ax.figure.canvas.get_renderer()
    w, h = _place.text_size(note, renderer)
    taken = [t.get_window_extent(renderer) for t in ax.texts if t is not note]
    spots = _place.block_spots(ax, w, h)
    i, _ = _place.best_spot(spots, _place.line_points(ax), taken)
    _place.stack_block(ax, [note], spots[i], h)


def _integer(curve: ExceedanceCurve) -> bool:
    return bool(curve.discrete and curve.x.size and np.all(curve.x == np.round(curve.x)))


def exceedance_plot(curve: ExceedanceCurve, *, title: str, unit: str, marks: Sequence[ThresholdMark] = (),
                    width: float = 5.4, height: float = 3.3) -> bytes:
    """One output's exceedance curve ``P(X > x)`` with its risks' thresholds marked."""
    title, title_lines = _wrap_title(title)
    extra = 0.19 * (title_lines - 1)
    with matplotlib.rc_context(STYLE):
        fig = _figure(width, height + extra, margins=(0.8, 0.22, 0.32 + extra, 0.55))
        ax = fig.add_subplot()
        _draw_curve(ax, curve, SERIES_COLOURS[0], None)
        _exceedance_axes(ax, unit, curve.log_x, title, _integer(curve))
        cut = _cut_axis(ax, [curve], marks)
        _draw_marks(ax, marks, SERIES_COLOURS, False)
        _cut_note(ax, cut)
        return emit(fig)
