"""The drivers section's figures: tornado, index bars and heat map, evidence groups, judgment share.

Each takes a table of :mod:`riskmodel.sensitivity` and returns PNG bytes
(matplotlib Agg, no pyplot state, the report's style and Okabe–Ito palette,
as :mod:`riskmodel.render.plots`). The section around them (captions, tables,
sentences) is :mod:`riskmodel.render.drivers`, which builds the page without
loading matplotlib; these are drawn where the figures are drawn.
"""

from __future__ import annotations

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

from .plots import DPI, OKABE_ITO, STYLE, fmt_num, png_bytes, tick_num  # noqa: E402

__all__ = ["tornado_chart", "indices_chart", "indices_heatmap", "evidence_groups_chart", "judgment_share_chart"]

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
