"""The command line: parse, call one library function, print, exit.

A user's mistake (:class:`~riskmodel.errors.ScenarioError`) is printed as
``file:line: key.path: message; hint`` lines on stderr with exit code 2 and no
traceback. A failure of the environment (a full disk, a read-only or
unreadable path, out of memory: :class:`~riskmodel.errors.EnvironmentFailure`
or another OSError) is printed as ``path: what happened; what to do`` with
exit code 1. No numerics live here: every command is a library call a notebook
can make too.
"""

from __future__ import annotations

import functools
import sys
from collections import Counter
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from .errors import EnvironmentFailure, ScenarioError
from .terminal import plain_console, safe_text

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Transparent, source-cited Monte Carlo scenario risk assessment.")
sources_app = typer.Typer(no_args_is_help=True, help="The source registry: list, check, find a phrase.")
app.add_typer(sources_app, name="sources")

DEFAULT_REGISTRY = Path("scenarios/sources/registry.yaml")


def _user_errors(func):
    """Exit codes: 2 for a user's mistake (ScenarioError), 1 for the environment; a message, no traceback.

    A mistake in a file or option prints its problems and exits 2. A failure
    of the machine (a full disk, a read-only folder, no permission, out of
    memory) prints ``path: what happened; what to do`` and exits 1.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ScenarioError as exc:
            for problem in exc.problems:
                typer.echo(safe_text(problem), err=True)
            n = len(exc.problems)
            typer.echo(f"{n} problem{'s' if n != 1 else ''} found.", err=True)
            raise typer.Exit(code=2)
        except EnvironmentFailure as exc:
            typer.echo(safe_text(exc), err=True)
            raise typer.Exit(code=1)
        except OSError as exc:
            where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
            typer.echo(safe_text(f"{where}{exc.strerror or exc}; check the path, its permissions and the disk, "
                                 "then try again"), err=True)
            raise typer.Exit(code=1)
        except MemoryError:
            typer.echo("out of memory; lower --samples or --memory, or free memory, then try again", err=True)
            raise typer.Exit(code=1)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (see main)
            typer.echo(INTERRUPTED, err=True)
            raise typer.Exit(code=130)

    return wrapper


INTERRUPTED = "interrupted: nothing was written, and an earlier folder at --out is as it was"


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM ends a command the way Ctrl-C does: temporaries removed, one line


def _version(value: bool) -> None:
    if value:
        typer.echo(f"riskmodel {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit."),
          allow_outside: bool = typer.Option(False, "--allow-outside",
                                             help="Let files name paths outside their project folder (extends, "
                                                  "sources, a registry's file:); only for files you trust.")
          ) -> None:
    import os

    from .yamlio import OUTSIDE

    OUTSIDE["allowed"] = allow_outside or os.environ.get("RISKMODEL_ALLOW_OUTSIDE", "").strip().lower() in (
        "1", "true", "yes")


@app.command()
@_user_errors
def validate(
    files: List[Path] = typer.Argument(..., help="Scenario, outcomes or source-registry files to check."),
    set_: List[str] = typer.Option([], "--set", help="Override a key of a scenario: key.path=value (repeatable)."),
) -> None:
    """Check files against their contract and verify every quote.

    A file is read as what its ``schema:`` line says: a scenario
    (``riskmodel/1``, the default), an outcomes file (``riskmodel-outcomes/1``)
    or a source registry (``riskmodel-sources/1``).
    """
    problems = []
    for file in files:
        try:
            typer.echo(safe_text(f"{file}: ok: {_validate_one(file, set_)}"))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)


def _schema_of(file: Path) -> Optional[str]:
    """The ``schema:`` a file declares, or None when it cannot be read (validation then says why)."""
    from .yamlio import read_yaml

    try:
        schema = read_yaml(file).get("schema")
    except ScenarioError:
        return None
    return schema if isinstance(schema, str) else None


def _validate_one(file: Path, overrides: List[str]) -> str:
    """Validate one file by its kind; a one-line summary."""
    kind = _schema_of(file)
    if kind == "riskmodel-sources/1":
        from .sources import load_registry

        reg = load_registry(file)
        return f"source registry: {len(reg.sources)} sources, every SHA-256 matches"
    if kind == "riskmodel-outcomes/1":
        from .outcomes import load_outcomes

        out = load_outcomes(file)
        return (f"outcomes for {out.scenario_path}: {len(out.binary)} binary and {len(out.numeric)} numeric "
                "observations, every name resolves")
    from .validate import validate as _validate

    scenario = _validate(file, overrides=overrides)
    evidence = Counter(p.evidence for p in scenario.parameters)
    quotes = sum(len(f.cite) for f in scenario.factors) + sum(len(p.cite) for p in scenario.parameters)
    return (f"{len(scenario.factors)} factors; {len(scenario.parameters)} parameters "
            f"({evidence.get('cited', 0)} cited, {evidence.get('derived', 0)} derived, "
            f"{evidence.get('judgment', 0)} judgment); {len(scenario.states)} states; "
            f"{len(scenario.outputs)} outputs; {len(scenario.risks)} risks; {quotes} quotes verified")


def _parse_memory(text: str) -> int:
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    t = text.strip().lower().rstrip("ib").rstrip("b")
    try:
        if t and t[-1] in units:
            size = int(float(t[:-1]) * units[t[-1]])
        else:
            size = int(float(t))
    except (ValueError, OverflowError):
        raise ScenarioError.at("--memory", None, (), f"'{text}' is not a size", "e.g. --memory 512M or 2G") from None
    if size < 1:
        raise ScenarioError.at("--memory", None, (), f"'{text}' is not a positive size", "e.g. --memory 512M or 2G")
    return size


def _console(width: int = 140):
    """A rich console: the terminal's own, or a fixed width when output goes to a file or pipe."""
    console = plain_console()  # titles are text from files: printed as plain text, escaped, never as markup
    return console if console.is_terminal else plain_console(width=width)


def _print_register(register, title: str) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col, justify in (("risk", "left"), ("likelihood", "right"), ("± se", "right"), ("95% interval", "right"),
                         ("threshold", "right"), ("factor", "left")):
        table.add_column(col, justify=justify)
    for row in register.itertuples():
        sign = ">" if row.direction == "above" else "<"
        table.add_row(f"{row.title}", f"{row.likelihood:.3f}", f"{row.se:.4f}",
                      f"[{row.ci_low:.3f}, {row.ci_high:.3f}]", f"{row.output} {sign} {row.threshold:,.6g}", row.factor)
    _console().print(table)


@app.command()
@_user_errors
def run(
    file: Path = typer.Argument(..., help="The scenario file."),
    samples: Optional[int] = typer.Option(None, help="Number of paths (default: the file's)."),
    seed: Optional[int] = typer.Option(None, help="Random seed (default: the file's)."),
    sampler: Optional[str] = typer.Option(None, help="mc | lhs | sobol (default: the file's)."),
    set_: List[str] = typer.Option([], "--set", help="Override a key: key.path=value (repeatable)."),
    out: Optional[Path] = typer.Option(None, help="Run folder (default: reports/<scenario name>)."),
    memory: str = typer.Option("1G", help="Working-memory budget, e.g. 512M, 2G (never changes a number)."),
    workers: int = typer.Option(1, min=1, help="Local processes for the blocks (never changes a number)."),
    scheduler: Optional[str] = typer.Option(None, envvar="RISKMODEL_SCHEDULER",
                                            help="Dask scheduler address: run the blocks on a cluster."),
    until_se: Optional[float] = typer.Option(None, "--until-se",
                                             help="Add blocks until every likelihood's standard error is below this."),
    max_samples: Optional[int] = typer.Option(None, "--max-samples", help="Cap for --until-se (default 10 x samples)."),
) -> None:
    """Run a scenario: simulate, print the risk register, write the run folder."""
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from .pipeline import run as _run
    from .pipeline import check_out_folder, render_into, write_run_folder
    from .validate import validate as _validate

    scenario = _validate(file, overrides=set_)
    memory_bytes = _parse_memory(memory)
    check_out_folder(out or Path("reports") / scenario.name)  # before the work, not after
    started = time.monotonic()
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,}/{task.total:,} paths"), TimeRemainingColumn(),
                  transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task(f"running {scenario.name}", total=samples or scenario.samples, visible=False)

        def progress(done: int, total: int) -> None:
            # shown only on runs longer than about a second
            bar.update(task, completed=done, total=total, visible=time.monotonic() - started > 1.0)

        results = _run(scenario, samples=samples, seed=seed, sampler=sampler, memory_bytes=memory_bytes,
                       progress=progress, workers=workers, scheduler=scheduler, until_se=until_se,
                       max_samples=max_samples)
    folder = write_run_folder(results, out or Path("reports") / scenario.name,
                              extra=render_into(results, scenario))  # the report, atomic with the data
    meta = results.meta
    _print_register(results.register, f"{scenario.title}: {meta['samples']:,} paths, seed {meta['seed']}, "
                                      f"{meta['sampler']}")
    if until_se is not None:
        typer.echo(f"Stopped at {meta['samples']:,} paths: {meta['stopped']}")
    typer.echo(f"Run folder: {folder} ({meta['timings']['total_s']:.2f} s); report: {folder / 'index.html'}")


def _print_backtest(bt) -> None:
    from rich.table import Table

    console = _console()
    meta = bt.meta
    if len(bt.summary):
        table = Table(title=f"Binary risks: {meta['title']}, {meta['samples']:,} paths, seed {meta['seed']} "
                            "(lower is better)", title_justify="left")
        for col in ("forecast", "n", "Brier", "log score", "model's Brier skill", "model's log skill"):
            table.add_column(col, justify="left" if col == "forecast" else "right")
        for row in bt.summary.itertuples():
            model = row.forecast == "model"
            table.add_row(row.forecast, str(row.n),
                          f"{row.brier:.4f}" + (f" ± {row.brier_mc_error:.4f}" if model else ""),
                          f"{row.log_score:.4f}" + (f" ± {row.log_score_mc_error:.4f}" if model else ""),
                          "" if model else f"{row.model_brier_skill:+.2f}",
                          "" if model else f"{row.model_log_skill:+.2f}")
        console.print(table)
        table = Table(title="Each risk", title_justify="left")
        for col in ("risk", "date", "forecast", "happened", "Brier", "log score"):
            table.add_column(col, justify="left" if col in ("risk", "date") else "right")
        for row in bt.binary.itertuples():
            table.add_row(row.risk, row.date, f"{row.forecast:.3f}", "yes" if row.outcome else "no",
                          f"{row.brier:.4f}", f"{row.log_score:.4f}")
        console.print(table)
    if len(bt.numeric):
        table = Table(title="Numeric outputs", title_justify="left")
        for col in ("output", "date", "observed", "median [5%, 95%]", "CRPS", "PIT"):
            table.add_column(col, justify="left" if col in ("output", "date") else "right")

        def value(x: float) -> str:
            return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"

        for row in bt.numeric.itertuples():
            table.add_row(row.output, row.date, value(row.observed),
                          f"{value(row.forecast_q50)} [{value(row.forecast_q05)}, {value(row.forecast_q95)}]",
                          value(row.crps), f"{row.pit:.3f}")
        console.print(table)


@app.command()
@_user_errors
def backtest(
    scenario: Path = typer.Argument(..., help="The scenario file to score."),
    outcomes: Path = typer.Argument(..., help="The outcomes file: what happened."),
    samples: Optional[int] = typer.Option(None, help="Number of paths (default: the scenario file's)."),
    seed: Optional[int] = typer.Option(None, help="Random seed (default: the scenario file's)."),
    out: Optional[Path] = typer.Option(None, help="Backtest folder (default: reports/<scenario name>-backtest)."),
) -> None:
    """Score a scenario against what happened: Brier, log score, CRPS, PIT; write the report."""
    from .backtest import backtest as _backtest
    from .backtest import write_backtest_folder
    from .outcomes import load_outcomes
    from .pipeline import check_out_folder

    checked = load_outcomes(outcomes, scenario)  # every problem of both files, before any work
    folder = out or Path("reports") / f"{checked.scenario.name}-backtest"
    check_out_folder(folder)
    bt = _backtest(None, checked, samples=samples, seed=seed)
    folder = write_backtest_folder(bt, folder)
    _print_backtest(bt)
    typer.echo(f"Backtest folder: {folder} (backtest.html, backtest.md, binary.csv, numeric.csv, summary.csv)")


@app.command()
@_user_errors
def compare(
    files: List[Path] = typer.Argument(..., help="Scenario files, the reference first (two or more)."),
    samples: Optional[int] = typer.Option(None, help="Number of paths for every run (default: the first file's)."),
    seed: Optional[int] = typer.Option(None, help="Random seed for every run (default: the first file's)."),
    sampler: Optional[str] = typer.Option(None, help="mc | lhs | sobol (default: the first file's)."),
    out: Optional[Path] = typer.Option(None, help="Comparison folder (default: reports/compare-<names>)."),
    memory: str = typer.Option("1G", help="Working-memory budget, e.g. 512M, 2G (never changes a number)."),
    workers: int = typer.Option(1, min=1, help="Local processes for the blocks (never changes a number)."),
) -> None:
    """Compare scenarios run with common random numbers: registers, differences, overlaid plots."""
    from .pipeline import compare as _compare
    from .pipeline import default_comparison_folder
    from .validate import validate as _validate

    if len(files) < 2:
        raise ScenarioError.at("compare", None, (), "name at least two scenario files",
                               "e.g. riskmodel compare a.yaml b.yaml")
    folder = out or default_comparison_folder([_validate(f) for f in files])
    runs, table = _compare(files, samples=samples, seed=seed, sampler=sampler, out=folder,
                           memory_bytes=_parse_memory(memory), workers=workers)
    _print_comparison(runs, table)
    typer.echo(f"Comparison folder: {folder}; report: {Path(folder) / 'index.html'}")


def _print_comparison(runs, table) -> None:
    from rich.table import Table

    names = list(dict.fromkeys(table["scenario"]))
    meta = runs[0].meta
    t = Table(title=f"{len(runs)} scenarios, {meta['samples']:,} paths each, seed {meta['seed']}, {meta['sampler']} "
                    f"(common random numbers; difference from {names[0]} ± paired se)", title_justify="left")
    t.add_column("risk")
    for i, name in enumerate(names):
        t.add_column(name, justify="right")
        if i:
            t.add_column("difference", justify="right")
    for rid in dict.fromkeys(table["risk"]):
        rows = table[table["risk"] == rid].set_index("position")
        cells = [rid]
        for i in range(len(names)):
            if i not in rows.index:
                cells += ["–"] if i == 0 else ["–", "–"]
                continue
            r = rows.loc[i]
            cells.append(f"{r.likelihood:.3f} ± {r.se:.4f}")
            if i:
                cells.append("–" if r["diff"] != r["diff"] else f"{r['diff']:+.3f} ± {r.se_diff:.4f}")
        t.add_row(*cells)
    _console(160).print(t)


@app.command()
@_user_errors
def report(
    folder: Path = typer.Argument(..., help="A run folder (or comparison folder) to render again."),
) -> None:
    """Render a run folder's report again from its saved results, without simulating."""
    from .pipeline import report as _report

    out = _report(folder)
    typer.echo(f"Report: {out / 'index.html'}")


def _print_explanation(ex) -> None:
    from rich.table import Table

    console = _console()
    unit = f" ({ex.unit})" if ex.unit else ""
    for name, table, key in (("parameter", ex.parameters, "parameter"), ("group", ex.groups, "group")):
        t = Table(title=f"Sobol indices of {ex.output}{unit} by {name}: N = {ex.base_samples:,} base samples, "
                        f"{ex.evaluations:,} paths, seed {ex.seed}", title_justify="left")
        for col, justify in ((key, "left"), ("first order", "right"), ("95% interval", "right"),
                             ("total order", "right"), ("95% interval ", "right")):
            t.add_column(col, justify=justify)
        for label, r in table.sort_values("ST", ascending=False).iterrows():
            t.add_row(str(label), f"{r.S1:.3f}", f"[{r.S1_low:.3f}, {r.S1_high:.3f}]", f"{r.ST:.3f}",
                      f"[{r.ST_low:.3f}, {r.ST_high:.3f}]")
        console.print(t)
    for note in ex.notes:
        typer.echo(f"Note: {note}")


@app.command()
@_user_errors
def explain(
    file: Path = typer.Argument(..., help="The scenario file."),
    output: Optional[str] = typer.Option(None, help="An output name or a risk id (default: the first risk's output)."),
    base_samples: int = typer.Option(1024, "--base-samples", help="N, rows of the A and B matrices (a power of two)."),
    method: str = typer.Option("sobol", help="sobol (Saltelli design; first order Saltelli 2010, total Jansen)."),
    seed: Optional[int] = typer.Option(None, help="Random seed (default: the file's)."),
    set_: List[str] = typer.Option([], "--set", help="Override a key: key.path=value (repeatable)."),
    json_: bool = typer.Option(False, "--json", help="Print both tables as JSON."),
) -> None:
    """What drives an output: Sobol first- and total-order indices per parameter and per group."""
    from .sensitivity import explain as _explain
    from .validate import validate as _validate

    scenario = _validate(file, overrides=set_)
    ex = _explain(scenario, output=output, base_samples=base_samples, seed=seed, method=method)
    if json_:
        typer.echo(ex.to_json(indent=2))
    else:
        _print_explanation(ex)


@app.command()
def schema(
    outcomes: bool = typer.Option(False, "--outcomes", help="Print the schema of outcomes files instead."),
) -> None:
    """Print the JSON Schema of scenario files (for editor completion)."""
    if outcomes:
        from .outcomes import json_schema
    else:
        from .schema import json_schema

    typer.echo(json_schema())


@sources_app.command("list")
@_user_errors
def sources_list(registry: Path = typer.Option(DEFAULT_REGISTRY, help="The source registry.")) -> None:
    """List the registered sources."""
    from .sources import load_registry

    reg = load_registry(registry)
    for s in reg.sources:
        meta = "; ".join(x for x in (s.publisher, s.date) if x)
        typer.echo(safe_text(f"{s.id}: {s.title}" + (f" ({meta})" if meta else "") + f" [{Path(s.file).name}]"))


@sources_app.command("check")
@_user_errors
def sources_check(registry: Path = typer.Option(DEFAULT_REGISTRY, help="The source registry.")) -> None:
    """Check every registered text against its SHA-256."""
    from .sources import load_registry

    reg = load_registry(registry)
    typer.echo(f"{registry}: {len(reg.sources)} sources, every SHA-256 matches")


@sources_app.command("find")
@_user_errors
def sources_find(
    phrase: str = typer.Argument(..., help="Words to look for (whitespace, quotes, case and mojibake tolerated)."),
    registry: Path = typer.Option(DEFAULT_REGISTRY, help="The source registry."),
) -> None:
    """Show where a phrase stands in the sources, to help cite it."""
    from .sources import find_phrase, load_registry

    hits = find_phrase(load_registry(registry), phrase)
    if not hits:
        typer.echo(safe_text(f"'{phrase}' not found in any registered source"), err=True)
        raise typer.Exit(code=1)
    for hit in hits:
        typer.echo(safe_text(f"{hit.source}:{hit.line}: {hit.context}"))


def main() -> None:
    """Entry point of the ``riskmodel`` console script."""
    for stream in (sys.stdout, sys.stderr):  # PYTHONIOENCODING=ascii or latin-1: escape what cannot be shown
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    try:
        app(prog_name="riskmodel", standalone_mode=True)
    except KeyboardInterrupt:  # outside a command (option parsing, start-up)
        sys.stderr.write(INTERRUPTED + "\n")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
