"""The update report: what the observations taught (``riskmodel update``).

:func:`render_update` writes ``index.html``, ``report.md`` and ``figures/``
for a :class:`riskmodel.update.Posterior`: the prior and posterior register
with the difference and its standard error and the effective sample size
beside every posterior likelihood; each parameter's prior and posterior
median and 90% interval, with a small density plot for those that moved; the
fan charts with the observed points and the posterior bands from the first
observation on; the ledger of observations. No posterior number is shown when
the effective sample size is under ``ESS_SHOW_MIN``.

The figures are drawn here (plain arrays in, PNG bytes out) in the style of
:mod:`riskmodel.render.plots`.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg", force=False)

import numpy as np  # noqa: E402
import matplotlib.dates as mdates  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure as _MplFigure  # noqa: E402

from ._common import Figure, fmt_interval, fmt_num, fmt_pct, fmt_pp, fmt_se, later, write_outputs  # noqa: E402
from ._stats import rank_error  # noqa: E402
from .plots import DPI, OKABE_ITO, STYLE, png_bytes, tick_num  # noqa: E402

__all__ = ["render_update", "prior_posterior_dots", "density_pair", "observed_fan"]

PRIOR = "#999999"
POSTERIOR = "#0072B2"
OBSERVED = "#D55E00"
Z90 = 1.6448536269514722


def _fig(width: float, height: float) -> _MplFigure:
    fig = _MplFigure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _mid(month: str) -> _dt.date:
    y, m = (int(x) for x in month.split("-"))
    return _dt.date(y, m, 15)


# ---- figures (pure: arrays in, PNG out) ----------------------------------------------------------------

def prior_posterior_dots(labels: Sequence[str], prior: Sequence[float], prior_ci: np.ndarray,
                         post: Sequence[float], post_ci: np.ndarray, shown: bool) -> bytes:
    """Each risk's prior and posterior likelihood with its 95% Monte Carlo interval (``*_ci``: rows of
    (low, high))."""

    def bars(p, ci) -> np.ndarray:  # matplotlib's xerr: distances below and above, never negative
        p, ci = np.asarray(p, dtype=float), np.asarray(ci, dtype=float).reshape(-1, 2)
        return np.maximum(0.0, np.vstack([p - ci[:, 0], ci[:, 1] - p]))

    n = len(labels)
    with matplotlib.rc_context(STYLE):
        fig = _fig(8.0, 1.3 + 0.42 * n)
        ax = fig.add_subplot()
        y = np.arange(n)[::-1]
        ax.errorbar(prior, y + 0.12, xerr=bars(prior, prior_ci), fmt="o", color=PRIOR, ms=6, capsize=3,
                    label="prior (before the observations)")
        if shown:
            ax.errorbar(post, y - 0.12, xerr=bars(post, post_ci), fmt="D", color=POSTERIOR, ms=6, capsize=3,
                        label="posterior (given the observations)")
        ax.set_yticks(y, [lab if len(lab) <= 48 else lab[:47] + "…" for lab in labels])
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.6, n - 0.4)
        ax.xaxis.set_major_formatter(ticker.PercentFormatter(1.0, decimals=0))
        ax.set_xlabel("likelihood (bars: 95% Monte Carlo interval)")
        fig.legend(loc="outside lower center", ncol=2)
        return png_bytes(fig)


def density_pair(x: np.ndarray, w: np.ndarray, *, title: str, unit: str) -> bytes:
    """A parameter's prior (equal weights) and posterior (path weights) densities, as histograms."""
    x = np.asarray(x, dtype=float)
    lo, hi = np.quantile(x, [0.001, 0.999])
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, 41)
    with matplotlib.rc_context(STYLE):
        fig = _fig(3.6, 2.4)
        ax = fig.add_subplot()
        ax.hist(x, bins=edges, density=True, histtype="stepfilled", color=PRIOR, alpha=0.35, label="prior")
        ax.hist(x, bins=edges, weights=w, density=True, histtype="step", color=POSTERIOR, lw=1.8, label="posterior")
        ax.set_yticks([])
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(tick_num))
        ax.set_xlabel(unit or "value")
        ax.set_title(title if len(title) <= 40 else title[:39] + "…", fontsize=10)
        ax.legend(loc="upper right", fontsize=8)
        return png_bytes(fig)


def observed_fan(months: Sequence[str], prior: dict, post: dict, start: int, points: Sequence[tuple], *,
                 title: str, unit: str, last_observed: str, shown: bool) -> bytes:
    """A state's prior fan over the horizon, its posterior fan from month index ``start`` on, and the
    observed points ``(month, value, low, high)`` with their 90% measurement intervals."""
    x = [_mid(m) for m in months]
    with matplotlib.rc_context(STYLE):
        fig = _fig(5.6, 4.2)
        ax = fig.add_subplot()
        ax.fill_between(x, prior["q05"], prior["q95"], color=PRIOR, alpha=0.18, lw=0, label="prior 90% band")
        ax.plot(x, prior["q50"], color=PRIOR, lw=1.4, ls=(0, (4, 2)), label="prior median")
        if shown:
            xs = x[start:]
            ax.fill_between(xs, post["q05"][start:], post["q95"][start:], color=POSTERIOR, alpha=0.18, lw=0,
                            label="posterior 90% band")
            ax.fill_between(xs, post["q25"][start:], post["q75"][start:], color=POSTERIOR, alpha=0.32, lw=0,
                            label="posterior 50% band")
            ax.plot(xs, post["q50"][start:], color=POSTERIOR, lw=2.0, label="posterior median")
        if points:
            px = [_mid(p[0]) for p in points]
            val = np.array([p[1] for p in points])
            err = np.array([[p[1] - p[2] for p in points], [p[3] - p[1] for p in points]])
            ax.errorbar(px, val, yerr=err, fmt="o", color=OBSERVED, ms=5, capsize=3, zorder=5,
                        label="observed (90% measurement interval)")
        ax.axvline(_mid(last_observed), color=OKABE_ITO["black"], lw=0.8, ls=":")
        ax.annotate("last observation", (_mid(last_observed), 1), xycoords=("data", "axes fraction"),
                    xytext=(3, -10), textcoords="offset points", fontsize=8, color="#333333")
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(tick_num))
        step = next(k for k in (1, 2, 3, 6, 12, 24) if len(months) / k <= 8)
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, step) if step < 12 else [1]))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))
        if min(np.nanmin(prior["q05"]), np.nanmin(val) if points else 0) >= 0:
            ax.set_ylim(bottom=0)
        ax.set_ylabel(unit or "value")
        ax.set_title(title if len(title) <= 52 else title[:51] + "…")
        fig.legend(loc="outside lower center", ncol=2, fontsize=8)
        return png_bytes(fig)


# ---- the page ----------------------------------------------------------------------------------------

def _band_dict(bands, state: str) -> dict:
    part = bands[bands["state"] == state].sort_values("t")
    return {c: part[c].to_numpy() for c in ("q05", "q25", "q50", "q75", "q95", "mean")}


def _interval(value: float, error: tuple) -> tuple:
    kind, size = error
    if kind == "sd":
        return value - Z90 * size, value + Z90 * size
    return value * np.exp(-Z90 * size), value * np.exp(Z90 * size)


def render_update(post: Any, folder: str | Path) -> Path:
    """Write the update report of ``post`` (a :class:`riskmodel.update.Posterior`) into ``folder``."""
    from .. import __version__

    sc = post.scenario
    up = post.meta["update"]
    ess, floor, show_min = up["ess"], up["ess_floor"], up["ess_show_min"]
    shown = ess >= show_min
    months = [str(m) for m in sc.months]
    figures = []

    reg = post.register
    register = [{
        "id": r.risk, "title": r.title, "status": r.status, "known_from": r.known_from,
        "event": f"{r.output} {'>' if r.direction == 'above' else '<'} {fmt_num(r.threshold)}",
        "prior": fmt_pct(r.prior), "prior_se": fmt_se(r.prior_se),
        "post": fmt_pct(r.likelihood) if shown else "not shown", "post_se": fmt_se(r.se) if shown else "–",
        "post_ci": fmt_interval(r.ci_low, r.ci_high) if shown else "–",
        "diff": fmt_pp(r.difference) if shown else "–", "diff_se": fmt_pp(r.difference_se, digits=2, sign=False) if shown else "–",
        "sig": shown and abs(r.difference) > 1.96 * r.difference_se > 0,
        "ess": f"{ess:,.0f}",
    } for r in reg.itertuples()]
    if len(reg):
        prior_ci = post.prior_register[["ci_low", "ci_high"]].to_numpy()
        figures.append(Figure("risks.png", later(prior_posterior_dots, list(reg["title"]), reg["prior"].to_numpy(),
                                                 prior_ci, reg["likelihood"].to_numpy(),
                                                 reg[["ci_low", "ci_high"]].to_numpy(), shown),
                              "Prior and posterior likelihoods",
                              "Grey: the scenario's forecast before the observations; blue: given them. Bars: 95% "
                              f"Monte Carlo intervals (Wilson's: the prior's at its {post.n_paths:,} paths, the "
                              f"posterior's at the effective sample size, {ess:,.0f}).",
                              "Dot plot of each risk's prior and posterior likelihood", wide=True))

    units = {p.name: p.unit for p in sc.parameters}
    evidence = {p.name: p.evidence for p in sc.parameters}
    params = []
    for row in post.parameter_shift.itertuples():
        item = {"name": row.parameter, "unit": units.get(row.parameter, ""),
                "evidence": evidence.get(row.parameter, ""), "moved": bool(row.moved) and shown,
                "prior": f"{fmt_num(row.prior_median)} ({fmt_num(row.prior_q05)} – {fmt_num(row.prior_q95)})",
                "post": (f"{fmt_num(row.posterior_median)} ({fmt_num(row.posterior_q05)} – "
                         f"{fmt_num(row.posterior_q95)})") if shown else "not shown",
                "shift": (f"{fmt_num(row.shift)} ± {fmt_num(row.shift_se)}" if row.prior_sd > 0 else "constant")
                if shown else "–",
                "sd_ratio": f"{row.posterior_sd / row.prior_sd:.2f}" if shown and row.prior_sd > 0 else "–"}
        params.append(item)
        if item["moved"]:
            figures.append(Figure(f"param-{row.parameter}.png",
                                  later(density_pair, post.parameters[row.parameter].to_numpy(), post.weights,
                                        title=row.parameter, unit=units.get(row.parameter, "")),
                                  f"{row.parameter}: prior and posterior",
                                  "Grey: prior density of the sampled values; blue line: the same values weighted "
                                  f"by agreement with the observations, as precise as a plain run of {ess:,.0f} "
                                  "paths (the effective sample size): its wiggles within that error are noise.",
                                  f"Histogram of {row.parameter} before and after the observations"))

    ledger = post.observations
    first_obs = min(months.index(d) for d in ledger["date"]) if len(ledger) else 0
    obs_by_state: dict = {}
    for ob in _state_points(post):
        obs_by_state.setdefault(ob[0], []).append(ob[1:])
    fans = []
    for s in sc.states:
        pts = [(m, v, *_interval(v, e)) for m, v, e in obs_by_state.get(s.name, [])]
        fans.append(Figure(f"fan-{s.name}.png",
                           later(observed_fan, months, _band_dict(post.prior_bands, s.name),
                                 _band_dict(post.bands, s.name), first_obs, pts, title=s.title or s.name,
                                 unit=s.unit, last_observed=up["last_observed"], shown=shown),
                           s.title or s.name,
                           ("Grey: the prior's median and 90% band; blue: the posterior's median, 50% and 90% bands "
                            f"from {months[first_obs]}, the first observed month (weighted percentiles: the 5th's "
                            f"rank is known within ±{rank_error(ess):.4f} at an effective sample size "
                            f"of {ess:,.0f})" if shown else
                            "Grey: the prior's median and 90% band (posterior not shown: effective sample size "
                            "too small)") + (f"; orange: the {len(pts)} observed value{'s' * (len(pts) != 1)} with "
                                             "90% measurement intervals." if pts else "."),
                           f"Fan chart of {s.name} with observations"))
    figures += fans

    ledger_rows = [{"num": i + 1, "kind": r.kind, "name": r.name, "date": r.date,
                    "observed": r.observed if r.kind == "binary" else fmt_num(float(r.observed)),
                    "error": r.error or "none (exact: keeps or drops paths)",
                    "consistent": (f"{r.paths_consistent:,} of {post.n_paths:,} ({r.share_consistent:.1%})"
                                   if r.kind == "binary" else "weights every path"),
                    "evidence": r.evidence} for i, r in enumerate(ledger.itertuples())]
    header = [
        ("scenario", f"{sc.name} ({sc.path})"),
        ("observations", f"{up['outcomes_path']} ({len(ledger)} observations, the last in {up['last_observed']})"),
        ("paths", f"{post.n_paths:,} (seed {post.meta['seed']}, {post.meta['sampler']}); {up['stopped']}"),
        ("effective sample size", f"{ess:,.0f} (Kish; floor {floor:,}; largest weight {up['max_weight']:.2%})"),
        ("created", post.meta.get("created_utc", "")),
    ]
    context = {
        "version": __version__, "title": sc.title, "header": header, "ess": f"{ess:,.0f}", "ess_value": ess,
        # weighted percentiles (parameter table, fan charts) are as precise as a plain run of ESS paths
        "rank_p05": f"{rank_error(ess):.4f}" if ess > 0 else "–",
        "floor": f"{floor:,}", "floor_int": int(floor), "show_min": show_min, "shown": shown, "below_floor": ess < floor,
        "register": register, "params": params, "n_moved": sum(p["moved"] for p in params), "ledger": ledger_rows,
        "n_paths": f"{post.n_paths:,}", "last_observed": up["last_observed"], "first_observed": months[first_obs],
        "fig_risks": next((f for f in figures if f.file == "risks.png"), None),
        "fig_params": [f for f in figures if f.file.startswith("param-")], "fig_fans": fans,
        "suggest": max(2 * post.n_paths, int(post.n_paths * floor / max(ess, 1.0) * 1.2)),
    }
    return write_outputs(Path(folder), figures, context, "update.html.j2", "update.md.j2")


def _state_points(post: Any) -> list:
    """(state, month, value, error) of each state observation, from the ledger and the outcomes' errors."""
    out = []
    for r in post.observations.itertuples():
        if r.kind == "state":
            kind, size = r.error.split(" ")
            out.append((r.name, r.date, float(r.observed), (kind, float(size))))
    return out
