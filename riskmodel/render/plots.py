"""The report's figures: matplotlib (Agg), one style, the Okabe–Ito palette.

Every function takes plain arrays and labels and returns PNG bytes; nothing
here reads a scenario or a Results object, and nothing touches pyplot's
global state (figures are built as :class:`matplotlib.figure.Figure` with an
Agg canvas inside :func:`matplotlib.rc_context`). Calendar months are drawn
at mid-month, intervention windows from the first day of their first month
to the last day of their last.

The palette is Okabe & Ito's (2008) set of eight colours that stay distinct
under the common forms of colour blindness; bands of a fan chart are shades
of one colour, scenarios and factors take one colour each.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
from dataclasses import dataclass
from typing import Optional, Sequence

import matplotlib

matplotlib.use("Agg", force=False)  # harmless when a backend is already chosen; we never use pyplot

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from ..formats import fmt_num, fmt_pct  # noqa: E402,F401  (one rounding rule for pages, terminal and figures)
from . import _place  # noqa: E402
from ._stats import ExceedanceCurve, RunningEstimate  # noqa: E402

__all__ = [
    "OKABE_ITO", "SERIES_COLOURS", "DPI", "ThresholdMark", "MatrixPoint", "Window",
    "fan_chart", "fan_overlay", "exceedance_plot", "exceedance_overlay", "dot_plot", "risk_matrix",
    "convergence_grid", "evidence_bars", "mean_lines", "lines_grid", "fmt_num",
]

OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
#: Colours for series (scenarios, factors) in order; yellow last (weak on white).
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h")
#: Per scenario in a comparison: a line style and a hatch besides the colour, so that series stay apart in
#: grey print and for colour-blind readers; the reference (series 0) is solid and drawn on top.
LINESTYLES = ("-", (0, (6, 2)), (0, (1.5, 1.5)), (0, (6, 2, 1.5, 2)), (0, (3, 1, 1, 1, 1, 1)), (0, (9, 3)),
              (0, (2, 3)), (0, (4, 1, 4, 4)))
HATCHES = ("////", "\\\\", "....", "xxxx", "----", "||||", "++++", "oo")


def series_style(i: int) -> dict:
    """Colour, line style, marker, hatch and drawing order of the i-th series (0: the reference, on top)."""
    lines = SERIES_COLOURS[:7]  # no yellow on a white page; 7 colours against 8 styles: no pair repeats before 56
    return {"color": lines[i % len(lines)], "ls": LINESTYLES[i % len(LINESTYLES)],
            "marker": MARKERS[i % len(MARKERS)], "hatch": HATCHES[i % len(HATCHES)], "zorder": 20 - i}
DPI = 120
GREY = "#666666"
WINDOW_GREY = "#999999"

STYLE = {
    "text.parse_math": False,  # titles and units are text from files: "$1.2 billion, or $300" is money, not math
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.labelcolor": "#222222",
    "axes.edgecolor": "#444444",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.7,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "path.simplify": True,
}


# --------------------------------------------------------------------------- helpers


def tick_num(x: float, _pos=None) -> str:
    """An axis tick: ``1.5k``, ``2.25M``, or the number itself below a thousand."""
    a = abs(x)
    if a >= 1e6:
        return fmt_num(x / 1e6, 3) + "M"
    if a >= 1e3:
        return fmt_num(x / 1e3, 3) + "k"
    return fmt_num(x, 3)


def _pct_tick(x: float, _pos=None) -> str:
    text = f"{x * 100:.1f}".rstrip("0").rstrip(".")
    return text + "%"


class _SpanLogLocator(ticker.LogLocator):
    """Ticks at 1, 2 and 5 times powers of ten over up to 2.5 decades, 1 and 3 up to 4, powers of ten beyond.

    Over a wide span 1-2-5 ticks run together ("100k200k"); the subdivision follows the span drawn.
    """

    def tick_values(self, vmin, vmax):
        if vmin > 0 and vmax > 0:
            decades = abs(math.log10(vmax / vmin))
            self.set_params(subs=(1.0, 2.0, 5.0) if decades <= 2.5 else (1.0, 3.0) if decades <= 4 else (1.0,))
        return super().tick_values(vmin, vmax)


def _log_ticks(axis, formatter) -> None:
    """Log axis ticks at 1, 2 and 5 times powers of ten (fewer over wide spans), labelled; no minor ticks."""
    axis.set_major_locator(_SpanLogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12))
    axis.set_major_formatter(ticker.FuncFormatter(formatter))
    axis.set_minor_locator(ticker.NullLocator())


def _err(value, low, high) -> np.ndarray:
    """Error bar lengths (2, n) from an estimate and its interval, never negative (rounding at 0 and 1)."""
    value, low, high = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (value, low, high))
    return np.vstack([np.maximum(value - low, 0.0), np.maximum(high - value, 0.0)])


def _mid(m) -> _dt.date:
    return _dt.date(m.year, m.month, 15)


def _start(m) -> _dt.date:
    return _dt.date(m.year, m.month, 1)


def _after(m) -> _dt.date:
    """First day of the month after ``m`` (the end of a window that includes ``m``)."""
    return _dt.date(m.year + (m.month // 12), m.month % 12 + 1, 1)


def _figure(width: float, height: float, margins: Optional[tuple] = None, **adjust) -> Figure:
    """A figure with an Agg canvas.

    ``margins`` (left, right, top, bottom) in inches fixes the axes area
    (the figures drawn many times per report use fixed margins: constrained
    layout would cost as much as drawing); without it, constrained layout.
    """
    if margins is None:
        fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    else:
        left, right, top, bottom = margins
        fig = Figure(figsize=(width, height), dpi=DPI)
        fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height,
                            bottom=bottom / height, **adjust)
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure) -> bytes:
    """A figure as PNG bytes at the report's DPI (zlib level 4: a third of level 6's time, a few % larger)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, pil_kwargs={"compress_level": 4})
    return buf.getvalue()


_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date_axis(ax, first, last) -> None:
    """Calendar months on the x axis: ticks at month starts, the year written at each January.

    Fixed ticks (every 1, 2, 3, 6 or 12 months, by the span) cost a fraction of
    matplotlib's automatic date locator, which matters at dozens of figures.
    """
    span = first.__class__(first.year, first.month)
    months = (last.year - span.year) * 12 + last.month - span.month + 1
    step = next(s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 10)
    ticks, labels = [], []
    k = first.year * 12 + first.month - 1
    k = -(-k // step) * step  # first multiple of step (so ticks fall on Jan/Apr/Jul/Oct for step 3)
    end = last.year * 12 + last.month  # the month after last
    while k <= end:
        y, m = divmod(k, 12)
        ticks.append(mdates.date2num(_dt.date(y, m + 1, 1)))
        labels.append(str(y) if m == 0 or not labels else _MONTH_ABBR[m])
        k += step
    ax.xaxis.set_major_locator(ticker.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(ticker.FixedFormatter(labels))
    ax.set_xlim(_start(first), _after(last))


def _unit_label(unit: str) -> str:
    return unit if unit else "value"


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def distinct_labels(rows: Sequence[str], width: int, lines: int = 2) -> list:
    """Row labels wrapped onto up to ``lines`` lines of ``width`` characters, cut (…) only beyond them.

    A label cut at one line ("#1 Attacks in 2026 run at more than twice the end-2023 mo…") loses
    what tells two risks apart; wrapped, a risk's title reads whole in all but the longest cases, and
    where two cut labels would still read the same they get one more line each.
    """
    import textwrap

    def wrapped(r: str, n: int) -> str:
        parts = textwrap.wrap(str(r), width=width, break_long_words=False) or [str(r)]
        if len(parts) > n:
            parts = parts[: n - 1] + [_shorten(" ".join(parts[n - 1:]), width)]
        return "\n".join(parts)

    out = [wrapped(r, lines) for r in rows]
    return [wrapped(r, lines + 1) if out.count(o) > 1 else o for r, o in zip(rows, out)]


def _wrap_title(text: str, width: int = 52, lines: int = 2) -> tuple:
    """A title wrapped to at most ``lines`` lines of ``width`` characters; returns (text, number of lines)."""
    import textwrap

    parts = textwrap.wrap(text, width) or [""]
    if len(parts) > lines:
        parts = parts[: lines - 1] + [_shorten(" ".join(parts[lines - 1:]), width)]
    return "\n".join(parts), len(parts)


@dataclass(frozen=True)
class Window:
    """An intervention window: label, first and last month (inclusive), series index."""

    label: str
    start: object  # Month
    until: object  # Month (inclusive)
    series: int = 0


def _shade_windows(ax, windows: Sequence[Window], colours: Optional[Sequence[str]] = None) -> list:
    """Shade windows (grey, or per-series colour as a strip at the top); return legend handles."""
    handles = []
    if not windows:
        return handles
    if colours is None:
        for i, w in enumerate(windows):
            ax.axvspan(_start(w.start), _after(w.until), color=WINDOW_GREY, alpha=0.16, lw=0, zorder=0)
            ax.annotate(w.label, xy=(_start(w.start), 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -3 - 11 * i), textcoords="offset points", va="top", ha="left",
                        fontsize=8, color="#444444", zorder=5)
        handles.append(Patch(color=WINDOW_GREY, alpha=0.3, label="intervention window"))
        return handles
    # comparison: one thin coloured strip per series along the top of the axes
    seen = set()
    for w in windows:
        c = colours[w.series % len(colours)]
        lane = w.series
        ax.axvspan(_start(w.start), _after(w.until), ymin=0.985 - 0.035 * (lane + 1), ymax=0.985 - 0.035 * lane,
                   color=c, alpha=0.75, lw=0, zorder=4)
        ax.axvspan(_start(w.start), _after(w.until), color=c, alpha=0.05, lw=0, zorder=0)
        seen.add(w.series)
    handles.append(Patch(color=WINDOW_GREY, alpha=0.5, label="intervention (strip: scenario)"))
    return handles


def _headroom(ax, high: float, lines: int, line_pt: float = 11.0) -> None:
    """Raise the top of the y axis so that ``lines`` window labels (``line_pt`` points each, from the top)
    sit above ``high``, the largest value drawn: a label never covers a band or a line."""
    if lines <= 0 or not np.isfinite(high):
        return
    bottom, top = ax.get_ylim()
    f = min(0.5, ((3.0 + line_pt * lines) * ax.figure.dpi / 72.0 + 3.0) / ax.bbox.height)
    need = (high - f * bottom) / (1 - f)
    if need > top:
        ax.set_ylim(bottom, need)


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


# --------------------------------------------------------------------------- exceedance


@dataclass(frozen=True)
class ThresholdMark:
    """A risk's threshold on an exceedance curve, with its likelihood and 95% interval."""

    label: str  # e.g. "#3"
    threshold: float
    direction: str  # above | below
    likelihood: float
    low: float
    high: float
    series: int = 0


def _series_width(i: int) -> float:
    """Line width of the i-th series: the reference (drawn on top) narrowest, each later one wider beneath
    it, so that identical series show as nested stripes instead of one line hiding the others."""
    return min(4.3, 1.5 + 0.7 * i)


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
        _draw_marks(ax, marks, SERIES_COLOURS, False)
        return png_bytes(fig)


# --------------------------------------------------------------------------- dot plots


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
        return png_bytes(fig)


# --------------------------------------------------------------------------- risk matrix


@dataclass(frozen=True)
class MatrixPoint:
    """A risk on the matrix: likelihood (95% interval) and size (95% interval).

    ``size`` is ``m / t``, the conditional median m of the output where the
    risk happens as a multiple of the threshold t (an amount only); nan for a
    count or yes/no output (no size) or when the risk never happened.
    """

    label: str  # e.g. "3"
    group: str  # factor title (colour)
    p: float
    p_low: float
    p_high: float
    size: float
    size_low: float
    size_high: float


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
        if sized and flat:
            ax, strip = fig.subplots(2, 1, sharex=True, height_ratios=[4, 1.1])
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
            lanes = _strip_lanes([pt.p for pt in flat])
            for j, pt in enumerate(flat):
                c = colour[pt.group]
                yj = lanes[j] * 0.5
                strip.errorbar([pt.p], [yj], xerr=_err(pt.p, pt.p_low, pt.p_high), fmt=marker[pt.group], ms=7,
                               color=c, mec="white", mew=0.8, elinewidth=1.3, capsize=2.5, zorder=4)
                strip.annotate(pt.label, (pt.p, yj), xytext=(6, 2), textcoords="offset points", fontsize=9,
                               fontweight="bold", color=c, zorder=5)
            strip.set_ylim(-0.5, 1.5)
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
                ax.set_xlim(est.n[0], est.n[-1])
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


# --------------------------------------------------------------------------- differences from the reference


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


# the comparison's plots live in plots_compare (kept here by name: callers use plots.X)
from .plots_compare import difference_chart, exceedance_overlay, fan_overlay, lines_grid  # noqa: E402,F401
