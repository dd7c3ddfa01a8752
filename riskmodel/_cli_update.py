"""The command line, continued: `riskmodel update` and `riskmodel signposts`.

Registered on the apps of :mod:`riskmodel.cli`, which imports this module
after defining them; only the CLI imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .cli import app, _user_errors
from .formats import fmt_interval, fmt_likelihood, fmt_pct, fmt_se
from .terminal import wrapped

# ---- riskmodel update and riskmodel signposts (issue 19) ------------------------------------------------


@app.command("update")
@_user_errors
def update_command(
    scenario: Path = typer.Argument(..., metavar="SCENARIO", help="The scenario file to condition."),
    outcomes: Path = typer.Argument(..., metavar="OUTCOMES", help="The outcomes file: what has been observed (numeric ones with `error`)."),
    samples: Optional[int] = typer.Option(None, help="Number of paths (default: the scenario file's)."),
    seed: Optional[int] = typer.Option(None, help="Random seed (default: the scenario file's)."),
    until_ess: Optional[int] = typer.Option(None, "--until-ess", help="Add whole blocks of paths until the "
                                            "effective sample size reaches this."),
    max_samples: Optional[int] = typer.Option(None, "--max-samples", help="Cap for --until-ess (default 20 x samples)."),
    ess_floor: int = typer.Option(1000, "--ess-floor", min=0, metavar="<int>",
                                   help="The report warns below this effective sample size (0: never)."),
    workers: int = typer.Option(1, min=1, metavar="<int>", help="Local processes for the blocks (never changes a number)."),
    out: Optional[Path] = typer.Option(None, help="Update folder (default: reports/<scenario name>-update)."),
) -> None:
    """Condition a scenario on what has been observed: weight its paths, write the update report."""
    from .outcomes import load_outcomes
    from .pipeline import check_out_folder
    from .update import ESS_SHOW_MIN, update, write_update_folder

    checked = load_outcomes(outcomes, scenario, interim=True)  # every problem of both files, before any work
    folder = out or Path("reports") / f"{checked.scenario.name}-update"
    check_out_folder(folder)
    post = update(checked.scenario, checked, samples=samples, seed=seed, until_ess=until_ess,
                  max_samples=max_samples, ess_floor=ess_floor, workers=workers)
    folder = write_update_folder(post, folder)
    ess = post.ess
    typer.echo(wrapped(f"{post.n_paths:,} paths; effective sample size {ess:,.0f} (Kish); "
                       f"{post.meta['update']['stopped']}", hang="    "))
    for r in post.register.itertuples():
        after = (f"{fmt_likelihood(r.likelihood, r.se)} (95% interval {fmt_interval(r.ci_low, r.ci_high)} at ESS "
                 f"{ess:,.0f})" if ess >= ESS_SHOW_MIN else f"not shown (ESS < {ESS_SHOW_MIN})")
        typer.echo(wrapped(f"{r.risk}: prior {fmt_likelihood(r.prior, r.prior_se)} -> posterior {after} [{r.status}]",
                           indent="  ", hang="    "))
    if ess < ESS_SHOW_MIN:
        typer.echo(wrapped(f"Effective sample size under {ESS_SHOW_MIN}: no posterior shown; run with more "
                           "--samples or --until-ess 1000."), err=True)
    elif ess < ess_floor:
        typer.echo(wrapped(f"Effective sample size under the floor of {ess_floor:,}: consider --until-ess "
                           f"{ess_floor}."), err=True)
    typer.echo(wrapped(f"Update folder: {folder} (index.html, report.md, register.csv, weights.parquet)"))


@app.command("signposts")
@_user_errors
def signposts_command(
    scenario: Path = typer.Argument(..., metavar="SCENARIO", help="The scenario file."),
    variants: Optional[List[Path]] = typer.Argument(None, metavar="VARIANT", help="Variants to tell apart from it (same seed)."),
    samples: Optional[int] = typer.Option(None, help="Paths per scenario (default: the scenario file's)."),
    seed: Optional[int] = typer.Option(None, help="Random seed (default: the scenario file's)."),
    month: Optional[List[str]] = typer.Option(None, "--month", metavar="YYYY-MM", help="A month to observe states in (YYYY-MM); "
                                              "repeat it. Default: each quarter's last month."),
    workers: int = typer.Option(1, min=1, metavar="<int>", help="Local processes for the blocks (never changes a number)."),
    out: Optional[Path] = typer.Option(None, help="Folder (default: reports/<scenario name>-signposts)."),
) -> None:
    """Rank the indicators worth watching: what observing each state would tell about each risk, and when."""
    from .pipeline import check_out_folder
    from .signposts import INFORMATIVE_SHARE, signposts, write_signposts_folder
    from .validate import validate as _validate

    scenarios = [_validate(p) for p in [scenario, *(variants or [])]]
    folder = out or Path("reports") / f"{scenarios[0].name}-signposts"
    check_out_folder(folder)
    sp = signposts(scenarios, samples=samples, seed=seed, months=month or None, workers=workers)
    folder = write_signposts_folder(sp, folder)
    for risk in [r.id for r in scenarios[0].risks]:
        if risk in sp.certain:
            typer.echo(wrapped(f"{risk}: decided the same way on every path (no variance to reduce)", "  ", "    "))
            continue
        top = sp.top[sp.top["risk"] == risk].head(3)
        listed = "; ".join(f"{r.observable} {fmt_pct(r.best_share)} ± {fmt_se(r.best_share_se)} "
                           + (f"(informative from {r.informative_from})" if r.informative_from
                              else f"(never informative: under {INFORMATIVE_SHARE:.0%})") for r in top.itertuples())
        typer.echo(wrapped(f"{risk}: {listed or 'no indicator seen before it is decided'}", "  ", hang="    "))
    if len(scenarios) > 1:
        listed = "; ".join(f"{r.observable} {fmt_pct(r.best_share)} ± {fmt_se(r.best_share_se)} by {r.best_month}"
                           for r in sp.discrimination_top.head(3).itertuples())
        typer.echo(wrapped(f"telling {', '.join(s.name for s in scenarios)} apart: {listed}", "  ", hang="    "))
    typer.echo(wrapped(f"Signposts folder: {folder} (index.html, report.md, signposts.csv, top.csv, "
                       "discrimination.csv, discrimination_top.csv)"))


#: True when this process is the ``riskmodel`` program (not the app called in-process, as tests do):
#: a run's total then counts from the process's start, imports included.
