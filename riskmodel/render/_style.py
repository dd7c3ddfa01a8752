"""The look every figure of a report shares: palette, rc style, figure and axes helpers, PNG output.

matplotlib (Agg) only, never pyplot's global state: figures are built as
:class:`matplotlib.figure.Figure` with an Agg canvas inside
:func:`matplotlib.rc_context`. Calendar months are drawn at mid-month,
intervention windows from the first day of their first month to the last day
of their last.

The palette is Okabe & Ito's (2008) set of eight colours that stay distinct
under the common forms of colour blindness; bands of a fan chart are shades
of one colour, scenarios and factors take one colour each, with a line style,
marker and hatch besides (:func:`series_style`).

The figure modules (:mod:`~riskmodel.render.plots`, ``plots_exceedance``,
``plots_register``, ``plots_compare``) draw with these; what changes here
changes every figure.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
from typing import Optional, Sequence

import matplotlib

matplotlib.use("Agg", force=False)  # harmless when a backend is already chosen; we never use pyplot

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ..formats import fmt_num, fmt_pct  # noqa: E402,F401  (one rounding rule for pages, terminal and figures)
from ._figdata import Window  # noqa: E402,F401  (re-exported: the figure modules take windows from here)


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


def emit(fig: Figure) -> bytes:
    """The figure's PNG bytes through :func:`riskmodel.render.plots.png_bytes`, looked up when called
    (where a test captures the figure before it is rasterised)."""
    from . import plots

    return plots.png_bytes(fig)


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


def _series_width(i: int) -> float:
    """Line width of the i-th series: the reference (drawn on top) narrowest, each later one wider beneath
    it, so that identical series show as nested stripes instead of one line hiding the others."""
    return min(4.3, 1.5 + 0.7 * i)
