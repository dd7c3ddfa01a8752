"""The "by when" chart of an ``agg: first`` output: cumulative incidence by calendar month.

``agg: first`` gives, per path, the month index of the first month a state is
non-zero (or above a level), ``inf`` if never within the horizon. The share of
paths at which it has happened by month ``k`` is ``P(first <= k)``, with the
binomial standard error ``sqrt(p (1 - p) / n)``; the chart draws it as a step
curve over the calendar months of the horizon, with its 95% band.
"""

from __future__ import annotations

import datetime as _dt

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import ticker  # noqa: E402

from ._figdata import CumulativeIncidence, cumulative_incidence  # noqa: E402,F401 (re-exported)
from .plots import SERIES_COLOURS, STYLE, _figure, _pct_tick, _wrap_title, png_bytes  # noqa: E402

__all__ = ["CumulativeIncidence", "cumulative_incidence", "by_when_plot"]


def by_when_plot(months: list, ci: CumulativeIncidence, *, title: str, width: float = 6.4,
                 height: float = 3.3) -> bytes:
    """Step curve of ``ci.p`` over ``months`` (``YYYY-MM`` strings), with a 95% band."""
    title, lines = _wrap_title(title)
    dates = [_dt.date(int(m[:4]), int(m[5:7]), 1) for m in months]
    with matplotlib.rc_context(STYLE):
        fig = _figure(width, height + 0.19 * (lines - 1), margins=(0.8, 0.22, 0.32 + 0.19 * (lines - 1), 0.6))
        ax = fig.add_subplot()
        lo, hi = np.clip(ci.p - 1.96 * ci.se, 0, 1), np.clip(ci.p + 1.96 * ci.se, 0, 1)
        ax.fill_between(dates, lo, hi, step="post", color=SERIES_COLOURS[0], alpha=0.25, linewidth=0, label="95% band")
        ax.step(dates, ci.p, where="post", color=SERIES_COLOURS[0], label="share of paths, happened by then")
        ax.set_ylim(0, max(0.05, float(hi.max()) * 1.1) if len(hi) else 1)
        ax.set_ylabel("share of paths")
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(_pct_tick))  # in percent, as the register
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=8))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
        ax.set_title(title)
        ax.legend(loc="upper left", frameon=False)
        return png_bytes(fig)
