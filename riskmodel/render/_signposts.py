"""The signposts report: the monitoring list (``riskmodel signposts``).

:func:`render_signposts` writes ``index.html``, ``report.md`` and
``figures/`` for a :class:`riskmodel.signposts.Signposts`: per risk, the top
indicators with the month by which each becomes informative and a chart of
each indicator's share of the risk's variance by month; with several
scenarios, which observations best tell them apart.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg", force=False)

import matplotlib.dates as mdates  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure as _MplFigure  # noqa: E402

from ..signposts import INFORMATIVE_SHARE  # noqa: E402
from ._common import Figure, fmt_pct, fmt_se, later, write_outputs  # noqa: E402
from .plots import DPI, SERIES_COLOURS, STYLE, png_bytes  # noqa: E402

#: What a table says of an indicator that no month makes informative (its best share is under the threshold)
NEVER = f"never (under {INFORMATIVE_SHARE:.0%})"

__all__ = ["render_signposts", "share_lines"]

TOP = 5  # indicators listed per risk


def share_lines(series: Sequence[tuple], *, title: str, ylabel: str) -> bytes:
    """Lines of share by month: ``series`` is (label, months "YYYY-MM", shares) triples."""
    with matplotlib.rc_context(STYLE):
        fig = _MplFigure(figsize=(5.6, 3.8), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        for i, (label, months, shares) in enumerate(series):
            x = [_dt.date(int(m[:4]), int(m[5:7]), 15) for m in months]
            ax.plot(x, shares, marker="o", ms=3.5, color=SERIES_COLOURS[i % len(SERIES_COLOURS)], label=label,
                    ls="-" if i < len(SERIES_COLOURS) else "--")
        ax.set_ylim(0, 1.0)
        ax.yaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
        ax.set_ylabel(ylabel)
        ax.set_title(title if len(title) <= 52 else title[:51] + "…")
        fig.legend(loc="outside lower center", ncol=3, fontsize=8)
        return png_bytes(fig)


def render_signposts(sp: Any, folder: str | Path) -> Path:
    """Write the signposts report of ``sp`` into ``folder``."""
    from .. import __version__

    base = sp.scenarios[0]
    titles = {r.id: r.title for r in base.risks}
    figures, risks = [], []
    first = sp.table[sp.table["scenario"] == base.name]
    for risk in [r.id for r in base.risks]:
        part = first[first["risk"] == risk]
        # a risk decided alike on every path has no variance: every share is 0 and has no error to state
        certain = risk in sp.certain
        top = sp.top[sp.top["risk"] == risk].head(0 if certain else TOP)
        rows = [{"rank": int(r.rank), "observable": r.observable, "kind": r.kind,
                 "best": f"{fmt_pct(r.best_share)} ± {fmt_se(r.best_share_se)}",
                 "best_month": r.best_month, "from": r.informative_from or NEVER}
                for r in top.itertuples()]
        series, worst = [], 0.0
        for r in top.itertuples():
            obs = part[(part["observable"] == r.observable) & (part["kind"] == "state")].sort_values("t")
            if len(obs) > 1:
                series.append((r.observable, list(obs["month"]), obs["share"].to_numpy()))
                worst = max(worst, float(obs["share_se"].max()))
        fig = None
        if series:
            fig = Figure(f"signposts-{risk}.png",
                         later(share_lines, series, title=titles[risk], ylabel="share of the risk's variance"),
                         titles[risk], "How much observing each state in a month would reduce the variance of "
                         "this risk (its Brier score), as a share; a line rises as the state's value in that month "
                         f"comes to foreshadow the outcome. Largest standard error of a point {fmt_se(worst)} "
                         f"(delta method, {sp.meta['samples']:,} paths).",
                         f"Lines of informativeness by month for {risk}")
            figures.append(fig)
        risks.append({"id": risk, "title": titles[risk], "rows": rows, "fig": fig, "certain": certain,
                      "variance": float(part["variance"].iloc[0]) if len(part) else float("nan")})
    disc = [{"observable": r.observable, "best": f"{fmt_pct(r.best_share)} ± {fmt_se(r.best_share_se)}",
             "best_month": r.best_month,
             "from": r.informative_from or NEVER} for r in sp.discrimination_top.itertuples()]
    disc_fig = None
    if len(sp.discrimination):
        series = [(name, list(p.sort_values("t")["month"]), p.sort_values("t")["share"].to_numpy())
                  for name, p in sp.discrimination.groupby("observable", sort=False)]
        disc_fig = Figure("discrimination.png",
                          later(share_lines, series, title="Telling the scenarios apart",
                                ylabel="share of the label's Brier score"),
                          "Telling the scenarios apart", "How much observing each state in a month would reduce the "
                          "uncertainty about which scenario is unfolding (each equally likely beforehand). Largest "
                          f"standard error of a point {fmt_se(float(sp.discrimination['share_se'].max()))} (delta "
                          "method, an upper estimate here: each scenario's share of the paths is fixed).",
                          "Lines of discrimination by month")
        figures.append(disc_fig)
    header = [("scenario" if len(sp.scenarios) == 1 else "scenarios",
               ", ".join(f"{s.name} ({s.path})" for s in sp.scenarios)),
              ("paths", f"{sp.meta['samples']:,} per scenario (seed {sp.meta['seed']}, common random numbers)"),
              ("months observed", ", ".join(sp.meta["months"]))]
    context = {"version": __version__, "title": base.title, "header": header, "risks": risks, "disc": disc,
               "disc_fig": disc_fig, "several": len(sp.scenarios) > 1, "bins": sp.meta["bins"],
               "informative_min": f"{INFORMATIVE_SHARE:.0%}",
               "names": [s.name for s in sp.scenarios], "n": f"{sp.meta['samples']:,}",
               "mc_error": sp.meta.get("mc_error", "")}
    return write_outputs(Path(folder), figures, context, "signposts.html.j2", "signposts.md.j2")
